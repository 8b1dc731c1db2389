"""The evaluation stage of the customize workflow: ask the base and the custom model the same prompts, score
them, optionally have an LLM judge them, and let the result decide whether anything is served
(docs/decisions/0011-evaluation-stage.md, docs/bedrock.md §12.3).

    Evaluate the model? --no--> (serving)
      | yes
    Prepare evaluation -> Can the custom model be asked? --skipped--> Record evaluation skipped -> (serving)
      -> Create evaluation deployment / Buy evaluation throughput (SDK tasks, the serving's own name and token)
      -> Start evaluation checks -> Wait -> Get status -> Count -> Is the evaluation serving ready?
      -> Collect answers (Distributed Map over staged/<job>/evaluation/items.jsonl; per prompt: Ask base model,
         Ask custom model (Converse SDK tasks), Keep both answers; results written to S3)
      -> Score answers (reports/<job>/evaluation.json, .jsonl)
      -> Ask the judge? -> Create judge job for base / custom (createEvaluationJob, bring your own inference)
         -> Wait -> Get both judge jobs -> Count -> Are the judge jobs done? -> Read judge results
         (a judge failure is recorded and reported; it does not change the gate)
      -> Finish evaluation (delete the evaluation's serving unless it is what the profile serves and it passed)
      -> Did the custom model beat the base? --yes--> (serving)  --no--> Withhold serving -> (completed alert)
    Any error after the purchase -> Release evaluation serving -> the workflow's failure alert.
"""

from __future__ import annotations

import json
from dataclasses import dataclass
from typing import Any

from aws_cdk import Aws, Duration, Fn, Stack
from aws_cdk import aws_iam as iam
from aws_cdk import aws_kms as kms
from aws_cdk import aws_lambda as lambda_
from aws_cdk import aws_s3 as s3
from aws_cdk import aws_stepfunctions as sfn
from aws_cdk import aws_stepfunctions_tasks as tasks
from constructs import Construct

from stacks import constants
from stacks.constructs.answer_collection import ASKED_MODELS, ask, collect_answers
from stacks.constructs.bedrock_role import BedrockJobRole, bedrock_arn
from stacks.constructs.functions import Functions
from stacks.constructs.workflow_parts import (
    BEDROCK_TRANSIENT_ERRORS,
    ERRORS_ALL,
    FailureBranch,
    add_transient_retry,
    count_step,
    lambda_step,
)
from stacks.nag import acknowledge, acknowledge_wildcards, render_for_nag

# A deployment is ready in minutes, throughput in 20-30 (docs/bedrock.md §6): as the serving checks.
CHECK_INTERVAL_SECONDS = 300
MAX_CHECKS = 24
# Evaluation jobs have no EventBridge events (docs/bedrock.md §12.1): poll every 10 minutes, for at most 12 hours.
JUDGE_CHECK_INTERVAL_SECONDS = 600
JUDGE_MAX_CHECKS = 72

SETUP = "$.evaluationSetup"
RESOURCE = "$.evaluationResource"
STATUS = "$.evaluationStatus"
POLL = "$.evaluationPoll"
RESPONSES = "$.evaluationResponses"
RESULT = "$.evaluation"
JUDGE_JOBS = "$.judgeJobs"
JUDGE_POLL = "$.judgePoll"
JUDGE = "$.judge"
RELEASE = "$.evaluationRelease"
ERROR = "$.evaluationError"
BASELINE_SETUP = "$.baselineSetup"
BASELINE = "$.baseline"
# `$.evaluationAsk.phase`: which scoring step follows the shared `Collect answers`.
BASELINE_PHASE, EVALUATION_PHASE = "baseline", "evaluation"


@dataclass(frozen=True)
class EvaluationFunctions:
    prepare: lambda_.IFunction
    score: lambda_.IFunction
    judge: lambda_.IFunction
    finish: lambda_.IFunction


class Evaluation(Construct):
    """The evaluation Lambdas, the role Bedrock's judge jobs run as, and the stage's states."""

    def __init__(
        self, scope: Construct, construct_id: str, *, functions: Functions, bucket: s3.IBucket, key: kms.IKey
    ) -> None:
        super().__init__(scope, construct_id)
        self._bucket = bucket
        self._key = key
        self._collect_state: sfn.DistributedMap | None = None
        self._phase_choice: sfn.Choice | None = None
        self.functions = EvaluationFunctions(
            prepare=functions.create(
                "EvalPrepare", handler_module="eval_prepare", description="Stage the evaluation set"
            ),
            score=functions.create(
                "EvalScore",
                handler_module="eval_score",
                description="Score base and custom answers; decide the gate",
                timeout=Duration.minutes(5),
            ),
            judge=functions.create("EvalJudge", handler_module="eval_judge", description="Read the judge's scores"),
            finish=functions.create(
                "EvalFinish", handler_module="eval_finish", description="Keep or delete the evaluation's serving"
            ),
        )
        # Judge jobs read the bring-your-own-inference datasets under staged/ and write under staged/ too.
        self.judge_role = BedrockJobRole(
            self,
            "JudgeRole",
            bucket=bucket,
            key=key,
            job_resource="evaluation-job/*",
            read_prefix=constants.STAGED_PREFIX,
            write_prefix=constants.STAGED_PREFIX,
        )
        self.judge_role.role.add_to_principal_policy(
            iam.PolicyStatement(
                sid="InvokeEvaluatorModels",
                actions=["bedrock:InvokeModel", "bedrock:CreateModelInvocationJob"],
                resources=[
                    "arn:aws:bedrock:*::foundation-model/*",
                    bedrock_arn("inference-profile/*"),
                ],
            )
        )
        acknowledge_wildcards(
            self.judge_role.role,
            ["arn:aws:bedrock:*::foundation-model/*", bedrock_arn("inference-profile/*")],
            "The evaluator model is chosen per profile and cross-Region inference profiles route to any Region.",
        )
        self._grant_functions()

    def build_chain(
        self, workflow: Construct, *, serve: sfn.IChainable, withheld_next: sfn.IChainable
    ) -> sfn.IChainable:
        failure: FailureBranch = workflow.failure  # type: ignore[attr-defined]
        fns = self.functions

        release = failure.caught(
            lambda_step(
                workflow,
                "Release evaluation serving",
                fns.finish,
                payload={"state.$": "$"},
                result_path=RELEASE,
                comment="Delete what the evaluation bought, then alert",
            )
        )
        release.next(failure.notify)

        def on_error(task: Any) -> Any:
            task.add_catch(release, errors=ERRORS_ALL, result_path="$.error")
            return task

        skipped = sfn.Pass(
            workflow,
            "Record evaluation skipped",
            parameters={"status": "Skipped", "reason.$": f"{SETUP}.reason", "gate": {"passed": True}},
            result_path=RESULT,
        ).next(serve)
        withheld = sfn.Pass(
            workflow,
            "Withhold serving",
            parameters={"mode.$": "$.plan.serving.mode", "status": "WithheldByEvaluation"},
            result_path="$.serving",
        ).next(withheld_next)

        prepare = failure.caught(
            lambda_step(
                workflow,
                "Prepare evaluation",
                fns.prepare,
                payload={
                    "plan.$": "$.plan",
                    "metrics.$": "$.metrics",
                    "job.$": "$.job",
                    "execution.$": "$$.Execution.Name",
                    "enteredTime.$": "$$.State.EnteredTime",
                },
                result_path=SETUP,
                comment="Stage the evaluation set; prepare serving the custom model for it",
            )
        )
        deployment = failure.caught(
            self._purchase(
                workflow,
                "Create evaluation deployment",
                "createCustomModelDeployment",
                {
                    "ModelDeploymentName.$": f"{SETUP}.request.name",
                    "ModelArn.$": f"{SETUP}.request.modelArn",
                    "Description.$": f"{SETUP}.request.description",
                    "ClientRequestToken.$": f"{SETUP}.request.clientRequestToken",
                    "Tags.$": f"{SETUP}.request.tags",
                },
                ["custom-model-deployment/*", "custom-model/*"],
                {"arn.$": "$.CustomModelDeploymentArn"},
            )
        )
        throughput = failure.caught(
            self._purchase(
                workflow,
                "Buy evaluation throughput",
                "createProvisionedModelThroughput",
                {
                    "ProvisionedModelName.$": f"{SETUP}.request.name",
                    "ModelId.$": f"{SETUP}.request.modelArn",
                    "ModelUnits.$": f"{SETUP}.request.modelUnits",
                    "ClientRequestToken.$": f"{SETUP}.request.clientRequestToken",
                    "Tags.$": f"{SETUP}.request.tags",
                },
                ["provisioned-model/*", "custom-model/*"],
                {"arn.$": "$.ProvisionedModelArn"},
            )
        )

        start_checks = sfn.Pass(
            workflow, "Start evaluation checks", result=sfn.Result.from_object({"count": 0}), result_path=POLL
        )
        wait = sfn.Wait(
            workflow,
            "Wait for evaluation serving",
            time=sfn.WaitTime.duration(Duration.seconds(CHECK_INTERVAL_SECONDS)),
        )
        get_deployment = on_error(
            self._sdk(
                workflow,
                "Get evaluation deployment",
                "bedrock",
                "getCustomModelDeployment",
                {"CustomModelDeploymentIdentifier.$": f"{RESOURCE}.arn"},
                [bedrock_arn("custom-model-deployment/*")],
                result_path=STATUS,
                result_selector={"Status.$": "$.Status"},
            )
        )
        get_throughput = on_error(
            self._sdk(
                workflow,
                "Get evaluation throughput",
                "bedrock",
                "getProvisionedModelThroughput",
                {"ProvisionedModelId.$": f"{RESOURCE}.arn"},
                [bedrock_arn("provisioned-model/*")],
                result_path=STATUS,
                result_selector={"Status.$": "$.Status"},
            )
        )
        count = count_step(workflow, "Count evaluation checks", POLL)
        which = (
            sfn.Choice(workflow, "Which evaluation serving?")
            .when(sfn.Condition.string_equals(f"{SETUP}.request.kind", "deployment"), get_deployment)
            .otherwise(get_throughput)
        )
        get_deployment.next(count)
        get_throughput.next(count)
        not_ready = sfn.Pass(
            workflow,
            "Evaluation serving not ready",
            parameters={"Error": "EvaluationServingNotReady", "Cause": "The custom model could not be served"},
            result_path="$.error",
        ).next(release)

        collect = on_error(self._collect(workflow))
        ask_both = ask(
            workflow,
            "Ask both models",
            phase=EVALUATION_PHASE,
            items_key="$.plan.evaluation.itemsKey",
            base=f"{SETUP}.baseModelId",
            custom=f"{RESOURCE}.arn",
        )
        score = on_error(
            lambda_step(
                workflow,
                "Score answers",
                fns.score,
                payload={"plan.$": "$.plan", "setup.$": SETUP, "responses.$": RESPONSES},
                result_path=RESULT,
                comment="Metrics, paired comparison, gate; write reports/<job>/evaluation.json and .jsonl",
            )
        )
        finish = on_error(
            lambda_step(
                workflow,
                "Finish evaluation",
                fns.finish,
                payload={"state.$": "$"},
                result_path=RELEASE,
                comment="Keep the evaluation's serving only if it passed and is what the profile serves",
            )
        )
        gate = (
            sfn.Choice(workflow, "Did the custom model beat the base?")
            .when(sfn.Condition.boolean_equals(f"{RESULT}.gate.passed", True), serve)
            .otherwise(withheld)
        )
        # The judge reads the stored answers (bring your own inference), so the evaluation's serving is released
        # first: throughput is not billed while the judge jobs run.
        judge = self._judge_chain(workflow, on_error=on_error, done=gate)
        finish.next(judge)

        ready = (
            sfn.Choice(workflow, "Is the evaluation serving ready?")
            .when(
                sfn.Condition.or_(
                    sfn.Condition.string_equals(f"{STATUS}.Status", "InService"),
                    sfn.Condition.string_equals(f"{STATUS}.Status", "Active"),
                ),
                ask_both,
            )
            .when(sfn.Condition.string_equals(f"{STATUS}.Status", "Failed"), not_ready)
            .when(sfn.Condition.number_greater_than_equals(f"{POLL}.count", MAX_CHECKS), not_ready)
            .otherwise(wait)
        )
        count.next(ready)
        wait.next(which)
        start_checks.next(wait)
        deployment.next(start_checks)
        throughput.next(start_checks)
        ask_both.next(collect)
        self._after_collect(workflow).otherwise(score)
        score.next(finish)

        route = (
            sfn.Choice(workflow, "Can the custom model be asked?")
            .when(sfn.Condition.string_equals(f"{SETUP}.status", "Skipped"), skipped)
            .when(sfn.Condition.string_equals(f"{SETUP}.request.kind", "deployment"), deployment)
            .otherwise(throughput)
        )
        prepare.next(route)
        return (
            sfn.Choice(workflow, "Evaluate the model?")
            .when(sfn.Condition.boolean_equals("$.plan.evaluation.enabled", True), prepare)
            .otherwise(serve)
        )

    # --- the answers, shared by the check before training and the evaluation after it -------------------

    def _collect(self, workflow: Construct) -> sfn.DistributedMap:
        """The workflow's one `Collect answers` Map (stacks/constructs/answer_collection.py)."""
        if self._collect_state is None:
            self._collect_state = collect_answers(workflow, bucket=self._bucket, result_path=RESPONSES)
            self._collect_state.next(self._after_collect(workflow))
        return self._collect_state

    def _after_collect(self, workflow: Construct) -> sfn.Choice:
        if self._phase_choice is None:
            self._phase_choice = sfn.Choice(workflow, "Which answers were collected?")
        return self._phase_choice

    def build_baseline_chain(
        self, workflow: Construct, *, notify: lambda_.IFunction, train: sfn.IChainable, skipped_next: sfn.IChainable
    ) -> sfn.IChainable:
        """Ask the base model the evaluation set before training; stop when it already reaches the profile's
        `skipTrainingAbove` on the gate metric (docs/decisions/0011-evaluation-stage.md). Call after build_chain.

            Check the base model first? --no--> train
              | yes
            Prepare baseline check -> Can the base model be asked? --skipped--> Record baseline skipped -> train
              -> Ask the base model only -> Collect answers (the shared Map) -> Score base answers
              -> Is the base model already good enough? --no--> train
                 --yes--> Notify training skipped -> Training skipped
        """
        failure: FailureBranch = workflow.failure  # type: ignore[attr-defined]
        fns = self.functions
        prepare = failure.caught(
            lambda_step(
                workflow,
                "Prepare baseline check",
                fns.prepare,
                payload={
                    "plan.$": "$.plan",
                    "baseOnly": True,
                    "execution.$": "$$.Execution.Name",
                    "enteredTime.$": "$$.State.EnteredTime",
                },
                result_path=BASELINE_SETUP,
                comment="Stage the evaluation set; the base model's invocation ID",
            )
        )
        skipped = sfn.Pass(
            workflow,
            "Record baseline skipped",
            parameters={"status": "Skipped", "reason.$": f"{BASELINE_SETUP}.reason", "skipTraining": False},
            result_path=BASELINE,
        ).next(train)
        ask_base = ask(
            workflow,
            "Ask the base model only",
            phase=BASELINE_PHASE,
            items_key="$.plan.evaluation.itemsKey",
            base=f"{BASELINE_SETUP}.baseModelId",
            custom=None,
        )
        ask_base.next(self._collect(workflow))
        score = failure.caught(
            lambda_step(
                workflow,
                "Score base answers",
                fns.score,
                payload={"plan.$": "$.plan", "setup.$": BASELINE_SETUP, "responses.$": RESPONSES, "baseOnly": True},
                result_path=BASELINE,
                comment="The base model's gate metric against skipTrainingAbove; reports/<job>/baseline.json",
            )
        )
        self._after_collect(workflow).when(sfn.Condition.string_equals("$.evaluationAsk.phase", BASELINE_PHASE), score)
        announce_skip = failure.caught(
            lambda_step(
                workflow,
                "Notify training skipped",
                notify,
                payload={"kind": "baselineSufficient", "state.$": "$"},
                result_path=sfn.JsonPath.DISCARD,
                comment="Alert: the base model already reaches the target; no job was created",
            )
        )
        announce_skip.next(skipped_next)
        good_enough = (
            sfn.Choice(workflow, "Is the base model already good enough?")
            .when(sfn.Condition.boolean_equals(f"{BASELINE}.skipTraining", True), announce_skip)
            .otherwise(train)
        )
        score.next(good_enough)
        can_ask = (
            sfn.Choice(workflow, "Can the base model be asked?")
            .when(sfn.Condition.string_equals(f"{BASELINE_SETUP}.status", "Skipped"), skipped)
            .otherwise(ask_base)
        )
        prepare.next(can_ask)
        return (
            sfn.Choice(workflow, "Check the base model first?")
            .when(sfn.Condition.boolean_equals("$.plan.evaluation.baselineFirst", True), prepare)
            .otherwise(train)
        )

    # --- the judge --------------------------------------------------------------------------------------

    def _judge_chain(self, workflow: Construct, *, on_error: Any, done: sfn.IChainable) -> sfn.IChainable:
        """Two bring-your-own-inference evaluation jobs, polled until both end (bounded)."""
        judge_failed = sfn.Pass(
            workflow,
            "Record judge failure",
            parameters={"status": "Failed", "error.$": "$.judgeError", "jobs.$": JUDGE_JOBS},
            result_path=JUDGE,
        ).next(done)

        def judged(task: Any) -> Any:
            task.add_catch(judge_failed, errors=ERRORS_ALL, result_path="$.judgeError")
            return task

        creates = [
            judged(self._create_judge_job(workflow, f"Create judge job for {model} model", model))
            for model in ("base", "custom")
        ]
        start = sfn.Pass(
            workflow, "Start judge checks", result=sfn.Result.from_object({"count": 0}), result_path=JUDGE_POLL
        )
        wait = sfn.Wait(
            workflow, "Wait for judge jobs", time=sfn.WaitTime.duration(Duration.seconds(JUDGE_CHECK_INTERVAL_SECONDS))
        )
        gets = [
            judged(
                self._sdk(
                    workflow,
                    f"Get judge job for {model} model",
                    "bedrock",
                    "getEvaluationJob",
                    {"JobIdentifier.$": f"{JUDGE_JOBS}.{model}.arn"},
                    [bedrock_arn("evaluation-job/*")],
                    result_path=f"{JUDGE_JOBS}.{model}.status",
                    result_selector={"Status.$": "$.Status"},
                )
            )
            for model in ("base", "custom")
        ]
        count = count_step(workflow, "Count judge checks", JUDGE_POLL)
        read = judged(
            lambda_step(
                workflow,
                "Read judge results",
                self.functions.judge,
                payload={"plan.$": "$.plan", "evaluation.$": RESULT},
                result_path=JUDGE,
                comment="Mean judge scores per model, merged into reports/<job>/evaluation.json and .jsonl",
            )
        )
        read.next(done)
        failed_states = ("Failed", "Stopped", "Stopping", "Deleting")
        gave_up = sfn.Pass(
            workflow,
            "Judge jobs not done in time",
            parameters={"Error": "JudgeTimedOut", "Cause": f"Not done after {JUDGE_MAX_CHECKS} checks"},
            result_path="$.judgeError",
        ).next(judge_failed)
        job_failed = sfn.Pass(
            workflow,
            "Judge job failed",
            parameters={"Error": "JudgeJobFailed", "Cause.$": f"States.JsonToString({JUDGE_JOBS})"},
            result_path="$.judgeError",
        ).next(judge_failed)
        decide = (
            sfn.Choice(workflow, "Are the judge jobs done?")
            .when(
                sfn.Condition.or_(
                    *(
                        sfn.Condition.string_equals(f"{JUDGE_JOBS}.{m}.status.Status", s)
                        for m in ("base", "custom")
                        for s in failed_states
                    )
                ),
                job_failed,
            )
            .when(
                sfn.Condition.and_(
                    *(
                        sfn.Condition.string_equals(f"{JUDGE_JOBS}.{m}.status.Status", "Completed")
                        for m in ("base", "custom")
                    )
                ),
                read,
            )
            .when(sfn.Condition.number_greater_than_equals(f"{JUDGE_POLL}.count", JUDGE_MAX_CHECKS), gave_up)
            .otherwise(wait)
        )
        creates[0].next(creates[1]).next(start).next(wait).next(gets[0]).next(gets[1]).next(count).next(decide)
        return (
            sfn.Choice(workflow, "Ask the judge?")
            .when(sfn.Condition.is_present(f"{RESULT}.judge.requests"), creates[0])
            .otherwise(done)
        )

    def _create_judge_job(self, workflow: Construct, name: str, model: str) -> tasks.CallAwsService:
        request = f"{RESULT}.judge.requests.{model}"
        return self._sdk(
            workflow,
            name,
            "bedrock",
            "createEvaluationJob",
            {
                "JobName.$": f"{request}.jobName",
                "RoleArn": self.judge_role.role.role_arn,
                "ApplicationType": "ModelEvaluation",
                "EvaluationConfig.$": f"{request}.evaluationConfig",
                "InferenceConfig.$": f"{request}.inferenceConfig",
                "OutputDataConfig": {"S3Uri.$": f"{request}.outputUri"},
            },
            [bedrock_arn("evaluation-job/*")],
            result_path=f"{JUDGE_JOBS}.{model}",
            result_selector={"arn.$": "$.JobArn"},
        )

    # --- states and permissions ------------------------------------------------------------------------

    def _purchase(
        self,
        workflow: Construct,
        name: str,
        action: str,
        parameters: dict[str, Any],
        resources: list[str],
        result_selector: dict[str, Any],
    ) -> tasks.CallAwsService:
        return self._sdk(
            workflow,
            name,
            "bedrock",
            action,
            parameters,
            [bedrock_arn(r) for r in resources],
            result_path=RESOURCE,
            result_selector=result_selector,
        )

    @staticmethod
    def _sdk(
        workflow: Construct,
        name: str,
        service: str,
        action: str,
        parameters: dict[str, Any],
        resources: list[str],
        *,
        result_path: str,
        result_selector: dict[str, Any],
    ) -> tasks.CallAwsService:
        task = tasks.CallAwsService(
            workflow,
            name,
            service=service,
            action=action,
            iam_action=f"bedrock:{action[:1].upper()}{action[1:]}",
            iam_resources=resources,
            parameters=parameters,
            result_selector=result_selector,
            result_path=result_path,
        )
        add_transient_retry(task, BEDROCK_TRANSIENT_ERRORS)
        return task

    def grant_state_machine(self, state_machine: sfn.StateMachine) -> None:
        """The Map reads the items and writes its results; judge jobs are passed their role and tagged."""
        bucket, key = self._bucket, self._key
        state_machine.add_to_role_policy(
            iam.PolicyStatement(
                sid="EvaluationItemsAndAnswers",
                actions=["s3:GetObject", "s3:PutObject"],
                resources=[bucket.arn_for_objects(f"{constants.STAGED_PREFIX}*")],
            )
        )
        state_machine.add_to_role_policy(
            iam.PolicyStatement(
                sid="EvaluationDataKey", actions=["kms:Decrypt", "kms:GenerateDataKey"], resources=[key.key_arn]
            )
        )
        state_machine.add_to_role_policy(
            iam.PolicyStatement(
                sid="PassJudgeRole",
                actions=["iam:PassRole"],
                resources=[self.judge_role.role.role_arn],
                conditions={"StringEquals": {"iam:PassedToService": "bedrock.amazonaws.com"}},
            )
        )
        policy = state_machine.role.node.try_find_child("DefaultPolicy")
        # What CDK grants the Distributed Map: the item reader on the whole bucket (the key is chosen per
        # execution; the items are under staged/), and the child executions of this state machine.
        stack = Stack.of(state_machine)
        machine_name = json.dumps(
            stack.resolve(Fn.select(6, Fn.split(":", state_machine.state_machine_arn))), separators=(",", ":")
        )
        executions = f"arn:<AWS::Partition>:states:<AWS::Region>:<AWS::AccountId>:execution:{machine_name}"
        for rendered in (
            render_for_nag(stack.resolve(f"arn:{Aws.PARTITION}:s3:::{bucket.bucket_name}/*")),
            f"{executions}:*",
            f"{executions}/*:*",
        ):
            acknowledge(
                state_machine,
                f"AwsSolutions-IAM5[Resource::{rendered}]",
                "The Distributed Map reads items whose key is chosen per execution and runs its prompts as child "
                "executions of this state machine.",
            )
        acknowledge_wildcards(
            policy or state_machine,
            [
                bucket.arn_for_objects(f"{constants.STAGED_PREFIX}*"),
                *ASKED_MODELS,
                bedrock_arn("evaluation-job/*"),
                # The evaluation's own serving, also when no profile serves (then nothing else grants these).
                bedrock_arn("custom-model-deployment/*"),
                bedrock_arn("provisioned-model/*"),
                bedrock_arn("custom-model/*"),
            ]
            + [f"{fn.function_arn}:*" for fn in vars(self.functions).values()],
            "Evaluation items, answers, judge jobs and the evaluation's serving are named per execution; the base "
            "model may be reached through a cross-Region inference profile.",
        )

    def _grant_functions(self) -> None:
        fns, bucket, key = self.functions, self._bucket, self._key

        def allow(fn: lambda_.IFunction, sid: str, actions: list[str], resources: list[str], **kw: Any) -> None:
            fn.add_to_role_policy(iam.PolicyStatement(sid=sid, actions=actions, resources=resources, **kw))
            acknowledge_wildcards(
                fn, resources, f"{sid}: objects under one pipeline prefix, or serving named at run time."
            )

        staged = bucket.arn_for_objects(f"{constants.STAGED_PREFIX}*")
        reports = bucket.arn_for_objects(f"{constants.REPORTS_PREFIX}*")
        allow(
            fns.prepare,
            "ReadEvaluationSet",
            ["s3:GetObject", "s3:GetObjectVersion"],
            [bucket.arn_for_objects(f"{constants.INCOMING_PREFIX}*"), staged],
        )
        allow(fns.prepare, "StageEvaluationSet", ["s3:PutObject"], [staged])
        allow(fns.score, "ReadAnswers", ["s3:GetObject"], [staged])
        allow(fns.score, "WriteEvaluation", ["s3:PutObject"], [staged, reports])
        # Judge jobs write under staged/<job>/judge/output/ (tuneline.jobs.planning); only that prefix is listed.
        allow(
            fns.judge,
            "ListJudgeOutput",
            ["s3:ListBucket"],
            [bucket.bucket_arn],
            conditions={"StringLike": {"s3:prefix": [f"{constants.STAGED_PREFIX}*"]}},
        )
        allow(fns.judge, "ReadJudgeOutput", ["s3:GetObject"], [staged, reports])
        allow(fns.judge, "MergeJudgeScores", ["s3:PutObject"], [reports])
        allow(
            fns.finish,
            "DeleteEvaluationServing",
            ["bedrock:DeleteProvisionedModelThroughput", "bedrock:DeleteCustomModelDeployment"],
            [bedrock_arn("provisioned-model/*"), bedrock_arn("custom-model-deployment/*")],
            conditions=constants.MANAGED_CONDITION,
        )
        for fn in (fns.prepare, fns.score, fns.judge):
            allow(fn, "UseDataKey", ["kms:Decrypt", "kms:GenerateDataKey"], [key.key_arn])
