"""The customize state machine: plan, validate, guard, train (.sync), summarize, notify; any failure alerts."""

from __future__ import annotations

from collections.abc import Callable, Mapping, Sequence
from dataclasses import dataclass
from typing import Any

from aws_cdk import ArnFormat, Aws, Duration, RemovalPolicy, Stack
from aws_cdk import aws_ec2 as ec2
from aws_cdk import aws_iam as iam
from aws_cdk import aws_kms as kms
from aws_cdk import aws_lambda as lambda_
from aws_cdk import aws_logs as logs
from aws_cdk import aws_stepfunctions as sfn
from constructs import Construct

from stacks.constructs.bedrock_role import bedrock_arn
from stacks.constructs.rft import RftJob
from stacks.constructs.workflow_parts import (
    BEDROCK_QUOTA_ERROR,
    BEDROCK_TRANSIENT_ERRORS,
    FailureBranch,
    add_queue_retry,
    add_transient_retry,
    alert_step,
    continue_despite_alert_failure,
    lambda_step,
)
from stacks.nag import LOG_GROUP_KEY_REASON, acknowledge_wildcards, skip_checkov
from tuneline.errors import JOB_FAILED

# The optimized integration that waits for the job to finish. The L2 task renders it without `.sync`
# (docs/decisions/0001-sync-over-polling.md), so the state is written out here and tests check the rendered
# Resource.
CREATE_JOB_SYNC_RESOURCE = f"arn:{Aws.PARTITION}:states:::bedrock:createModelCustomizationJob.sync"


@dataclass(frozen=True)
class CustomizeFunctions:
    plan: lambda_.IFunction
    validate: lambda_.IFunction
    guard: lambda_.IFunction
    summarize: lambda_.IFunction
    notify: lambda_.IFunction


@dataclass(frozen=True)
class JobNetwork:
    subnets: Sequence[ec2.ISubnet]
    security_group: ec2.ISecurityGroup


class CustomizeWorkflow(Construct):
    def __init__(
        self,
        scope: Construct,
        construct_id: str,
        *,
        functions: CustomizeFunctions,
        bedrock_role: iam.IRole,
        key: kms.IKey,
        base_model_ids: Sequence[str],
        job_network: JobNetwork | None,
        timeout: Duration,
        quota_wait_hours: int,
        serve: Callable[[Construct], tuple[sfn.IChainable, sfn.INextable]] | None = None,
        evaluate: Callable[..., sfn.IChainable] | None = None,
        check_baseline: Callable[..., sfn.IChainable] | None = None,
        rft_jobs: Mapping[str, RftJob] | None = None,
        rft_check: lambda_.IFunction | None = None,
    ) -> None:
        super().__init__(scope, construct_id)
        self._functions = functions
        self._quota_wait_hours = quota_wait_hours
        self._rft_jobs = dict(rft_jobs or {})
        self._rft_check = rft_check

        failure = FailureBranch(
            self,
            notify=functions.notify,
            notify_name="Notify failure",
            fail_name="Job failed",
            error=JOB_FAILED,
            keeps_undelivered_alerts=True,
        )
        # The failure branch, for sub-chains built by `serve` to catch into.
        self.notify_failure = failure.notify
        self.failure = failure

        # Built in this order and wired afterwards, as in Serving.build_chain: the order of Notify failure's
        # incoming transitions and the order construct types first appear in (the serving's Wait before any
        # Choice) are part of the template.
        validation, slot_free, announce = self._validation_chain(failure)
        request = self._job_request(bedrock_role, key, job_network)
        create_states = self._create_job_states(failure, request=request)
        rft_states = self._create_rft_job_states(failure, request=request)
        summarize = self._summarize_metrics(failure)
        completed = self._completion_chain(failure)
        after_summary: sfn.IChainable = completed
        if serve is not None:
            serve_start, serve_end = serve(self)
            serve_end.next(completed)
            after_summary = serve_start
        if evaluate is not None:
            # The evaluation stage decides whether serving happens (docs/decisions/0011-evaluation-stage.md).
            after_summary = evaluate(self, serve=after_summary, withheld_next=completed)

        announce.next(self._choose_job_request(create_states, rft_states)).next(summarize).next(after_summary)
        if check_baseline is not None:
            # Ask the base model before training: it may already be good enough
            # (docs/decisions/0011-evaluation-stage.md).
            skipped = sfn.Succeed(self, "Training skipped", comment="The base model already reaches the target")
            slot_free.otherwise(check_baseline(self, notify=functions.notify, train=announce, skipped_next=skipped))
        else:
            slot_free.otherwise(announce)
        definition = validation

        self.log_group = logs.LogGroup(
            self, "Logs", retention=logs.RetentionDays.THREE_MONTHS, removal_policy=RemovalPolicy.DESTROY
        )
        skip_checkov(self.log_group, "CKV_AWS_158", LOG_GROUP_KEY_REASON)
        self.state_machine = sfn.StateMachine(
            self,
            "StateMachine",
            comment="Tuneline: dataset in S3 -> validated Bedrock customization job -> metrics -> alerts",
            definition_body=sfn.DefinitionBody.from_chainable(definition),
            state_machine_type=sfn.StateMachineType.STANDARD,
            timeout=timeout,
            tracing_enabled=True,
            logs=sfn.LogOptions(destination=self.log_group, level=sfn.LogLevel.ALL, include_execution_data=False),
        )
        self._grant_bedrock(bedrock_role, key, base_model_ids)
        self._let_guard_see_the_queue(functions.guard)
        self._let_notify_read_the_history(functions.notify)
        # On the state machine, not only its default policy: a long role policy overflows into managed policies.
        acknowledge_wildcards(
            self.state_machine,
            ["*", bedrock_arn("custom-model/*"), bedrock_arn("model-customization-job/*")]
            + [f"{fn.function_arn}:*" for fn in [*vars(functions).values(), *([rft_check] if rft_check else [])]],
            "X-Ray and log delivery support no resource-level permissions; Bedrock job and model names are "
            "chosen per execution; invoking a function's versions needs `<function ARN>:*`.",
        )

    # --- the definition, one piece per step of the module docstring ----------------------------------------

    def _validation_chain(self, failure: FailureBranch) -> tuple[sfn.IChainable, sfn.Choice, sfn.TaskStateBase]:
        """Plan job -> Validate dataset -> Join the queue -> Check budget and capacity -> Is a job slot free?
        (no: Wait for a job slot -> Check budget and capacity); and Notify job starting. The caller sets what
        follows a free slot: Notify job starting, or the check of the base model when a profile asks for one."""
        functions = self._functions
        plan = failure.caught(
            lambda_step(
                self,
                "Plan job",
                functions.plan,
                result_path="$.plan",
                comment="Profile + optional manifest -> names, hyperparameters and S3 paths",
            )
        )
        validate = failure.caught(
            lambda_step(
                self,
                "Validate dataset",
                functions.validate,
                payload={"plan.$": "$.plan"},
                result_path="$.validation",
                comment="Check every record against the model's rules; stage an immutable copy",
            )
        )
        # The line for a job slot (docs/decisions/0015-queue-on-a-deadline.md): the time the run joins it fixes
        # its deadline, and every check is told the time by the state machine, so the wait is measured on
        # Step Functions' clock and a full profile loops check -> wait -> check until a slot or the deadline.
        join = sfn.Pass(
            self,
            "Join the queue",
            comment="Note when this run starts waiting: its deadline is quotaWaitHours later",
            parameters={"since.$": "$$.State.EnteredTime"},
            result_path="$.queue",
        )
        guard = failure.caught(
            lambda_step(
                self,
                "Check budget and capacity",
                functions.guard,
                payload={
                    "plan.$": "$.plan",
                    "validation.$": "$.validation",
                    # Where this execution stands in the profile's line (see tuneline.pipeline.capacity).
                    "execution": {"id.$": "$$.Execution.Id", "stateMachine.$": "$$.StateMachine.Id"},
                    "queue": {
                        "since.$": "$.queue.since",
                        "now.$": "$$.State.EnteredTime",
                        "waitHours": self._quota_wait_hours,
                    },
                },
                result_path="$.guard",
                comment="Estimated cost within budget; a free job slot, in upload order, until the deadline",
            )
        )
        wait_for_slot = sfn.Wait(
            self,
            "Wait for a job slot",
            comment="The profile runs its maximum number of jobs: check again later",
            time=sfn.WaitTime.seconds_path("$.guard.waitSeconds"),
        )
        # An alert never decides the job's fate (docs/decisions/0014-alerts-never-decide-a-job.md): the Catch
        # for this state is added where its next state is known (_choose_job_request).
        self._announce = alert_step(
            self,
            "Notify job starting",
            functions.notify,
            payload={"kind": "started", "plan.$": "$.plan", "validation.$": "$.validation", "guard.$": "$.guard"},
            comment="Alert: dataset accepted, job starting, estimated cost",
        )
        slot_free = sfn.Choice(self, "Is a job slot free?").when(
            sfn.Condition.boolean_equals("$.guard.admitted", False), wait_for_slot.next(guard)
        )
        if self._rft_jobs and self._rft_check is not None:
            # RFT checks its grader and the base model before the run joins the queue (docs/bedrock.md §13).
            plan.next(validate).next(self._rft_choice(failure, then=join))
        else:
            plan.next(validate).next(join)
        join.next(guard).next(slot_free)
        return plan, slot_free, self._announce

    def _rft_choice(self, failure: FailureBranch, *, then: sfn.IChainable) -> sfn.Choice:
        """Reinforcement fine-tuning? -> Use the grader of <profile> -> the checks -> `then`; other runs go on to
        `then` directly."""
        checks = self._rft_checks(failure)
        is_rft = sfn.Choice(self, "Reinforcement fine-tuning?")
        for name, job in self._rft_jobs.items():
            # The grader of the execution's profile, fixed in the template (the functions know no profile names).
            use_grader = sfn.Pass(
                self,
                f"Use the grader of {name}",
                result=sfn.Result.from_object({"graderArn": job.grader_arn}),
                result_path="$.rft",
            )
            is_rft.when(
                sfn.Condition.and_(
                    sfn.Condition.boolean_equals("$.plan.isReinforcementFineTuning", True),
                    sfn.Condition.string_equals("$.plan.profile", name),
                ),
                use_grader.next(checks),
            )
        is_rft.otherwise(then)
        checks.next(then)
        return is_rft

    def _rft_checks(self, failure: FailureBranch) -> sfn.Chain:
        """Dry-run grader -> Score base model: both stop the run, with an alert, before the job costs anything."""
        assert self._rft_check is not None
        rft_check = self._rft_check
        steps = [
            failure.caught(
                lambda_step(
                    self,
                    name,
                    rft_check,
                    payload={"check": check, "plan.$": "$.plan", "graderArn.$": "$.rft.graderArn"},
                    result_path=f"$.rft.{result}",
                    comment=comment,
                )
            )
            for name, check, result, comment in (
                (
                    "Dry-run grader",
                    "grader",
                    "graderCheck",
                    "Reference answers must score high, empty or wrong ones low",
                ),
                (
                    "Score base model",
                    "baseline",
                    "baseline",
                    "Mean reward of the base model on sample prompts: near 1 or 0 means RFT would not help",
                ),
            )
        ]
        return sfn.Chain.start(steps[0]).next(steps[1])

    def _create_job_states(self, failure: FailureBranch, *, request: dict[str, Any]) -> dict[str, sfn.CustomState]:
        """The three ways to start the job (.sync): distillation, with validation data, training data only."""
        create_states = {
            "distillation": self._create_job_state(
                "Create distillation job",
                {**request, "CustomizationConfig": _distillation_config()},
            ),
            "with_validation": self._create_job_state(
                "Create customization job with validation data",
                {**request, "ValidationDataConfig": {"Validators": [{"S3Uri.$": "$.plan.validationDataUri"}]}},
            ),
            "training_only": self._create_job_state("Create customization job", request),
        }
        for state in create_states.values():
            failure.caught(state)
        return create_states

    def _create_rft_job_states(self, failure: FailureBranch, *, request: dict[str, Any]) -> dict[str, sfn.CustomState]:
        """One RFT job state per RFT profile: its own job role and grader are fixed in the template, so an
        execution can never train against another profile's grader (docs/bedrock.md §13)."""
        states = {}
        for name, job in self._rft_jobs.items():
            parameters = {key: value for key, value in request.items() if key != "HyperParameters.$"}
            parameters["RoleArn"] = job.role.role_arn
            parameters["CustomizationConfig"] = _rft_config(job)
            states[name] = failure.caught(self._create_job_state(f"Create RFT job for {name}", parameters))
        return states

    def _choose_job_request(
        self, create_states: Mapping[str, sfn.CustomState], rft_states: Mapping[str, sfn.CustomState]
    ) -> sfn.Chain:
        """Choose job request -> one of the create-job states; the chain ends in all of them."""
        choose = sfn.Choice(self, "Choose job request")
        for name, state in rft_states.items():
            choose.when(
                sfn.Condition.and_(
                    sfn.Condition.boolean_equals("$.plan.isReinforcementFineTuning", True),
                    sfn.Condition.string_equals("$.plan.profile", name),
                ),
                state,
            )
        choose = (
            choose.when(sfn.Condition.boolean_equals("$.plan.isDistillation", True), create_states["distillation"])
            .when(sfn.Condition.boolean_equals("$.plan.hasValidation", True), create_states["with_validation"])
            .otherwise(create_states["training_only"])
        )
        continue_despite_alert_failure(self._announce, choose)
        return sfn.Chain.custom(choose, [*rft_states.values(), *create_states.values()], choose)

    def _summarize_metrics(self, failure: FailureBranch) -> sfn.TaskStateBase:
        """Summarize metrics: the losses Bedrock wrote, as reports/<job>/summary.json."""
        return failure.caught(
            lambda_step(
                self,
                "Summarize metrics",
                self._functions.summarize,
                payload={"plan.$": "$.plan", "job.$": "$.job"},
                result_path="$.metrics",
                comment="Parse the training and validation metrics Bedrock wrote; write reports/<job>/summary.json",
            )
        )

    def _completion_chain(self, failure: FailureBranch) -> sfn.Chain:
        """Notify job completed -> Done."""
        notify_done = alert_step(
            self,
            "Notify job completed",
            self._functions.notify,
            payload={"kind": "completed", "state.$": "$"},
            comment="Write the report page, model card and leaderboard row; alert with the loss summary",
        )
        done = sfn.Succeed(self, "Done")
        # The job is trained and billed: a lost alert must not turn the run FAILED.
        continue_despite_alert_failure(notify_done, done)
        return notify_done.next(done)

    def _let_notify_read_the_history(self, notify: lambda_.IFunction) -> None:
        """The report page's timeline comes from the execution's history. A policy of its own, as for the guard."""
        if notify.role is None:
            raise ValueError("the notify function needs a role to read the history")
        executions = self._executions_arn()
        self._executions_policy(
            "NotifyHistoryPolicy",
            notify.role,
            [
                iam.PolicyStatement(
                    sid="ReadExecutionHistory", actions=["states:GetExecutionHistory"], resources=[executions]
                )
            ],
        )

    def _executions_arn(self) -> str:
        return Stack.of(self).format_arn(
            service="states",
            resource="execution",
            resource_name=f"{self.state_machine.state_machine_name}:*",
            arn_format=ArnFormat.COLON_RESOURCE_NAME,
        )

    def _executions_policy(self, construct_id: str, role: iam.IRole, statements: list[iam.PolicyStatement]) -> None:
        """A policy of its own on a function's role about this machine's executions (see the guard's for why)."""
        policy = iam.Policy(self, construct_id, roles=[role], statements=statements)
        acknowledge_wildcards(
            policy,
            [self._executions_arn()],
            "Execution names are chosen per upload; the statement covers only this state machine's executions.",
        )

    def _let_guard_see_the_queue(self, guard: lambda_.IFunction) -> None:
        """The capacity check lists this machine's running executions and reads their inputs.

        A policy of its own, not the function's default policy: the machine depends on the function, so the
        function's own policy cannot name the machine without a dependency cycle.
        """
        if guard.role is None:
            raise ValueError("the guard function needs a role to read the queue")
        machine = self.state_machine
        executions = self._executions_arn()
        self._executions_policy(
            "GuardQueuePolicy",
            guard.role,
            [
                iam.PolicyStatement(
                    sid="ListQueuedExecutions", actions=["states:ListExecutions"], resources=[machine.state_machine_arn]
                ),
                iam.PolicyStatement(
                    sid="ReadQueuedExecutions",
                    actions=["states:DescribeExecution", "states:GetExecutionHistory"],
                    resources=[executions],
                ),
            ],
        )

    def _job_request(self, bedrock_role: iam.IRole, key: kms.IKey, job_network: JobNetwork | None) -> dict[str, Any]:
        request: dict[str, Any] = {
            "JobName.$": "$.plan.jobName",
            "CustomModelName.$": "$.plan.customModelName",
            "ClientRequestToken.$": "$.plan.clientRequestToken",
            "RoleArn": bedrock_role.role_arn,
            "BaseModelIdentifier.$": "$.plan.baseModelIdentifier",
            "CustomizationType.$": "$.plan.customizationType",
            "HyperParameters.$": "$.plan.hyperParameters",
            "TrainingDataConfig": {"S3Uri.$": "$.plan.trainingDataUri"},
            "OutputDataConfig": {"S3Uri.$": "$.plan.outputDataUri"},
            "CustomModelKmsKeyId": key.key_arn,
            "JobTags.$": "$.plan.jobTags",
            "CustomModelTags.$": "$.plan.jobTags",
        }
        if job_network is not None:
            request["VpcConfig"] = {
                "SubnetIds": [s.subnet_id for s in job_network.subnets],
                "SecurityGroupIds": [job_network.security_group.security_group_id],
            }
        return request

    def _create_job_state(self, name: str, parameters: Mapping[str, Any]) -> sfn.CustomState:
        state = sfn.CustomState(
            self,
            name,
            state_json={
                "Type": "Task",
                "Comment": "Start the Bedrock job and wait for it to finish (.sync)",
                "Resource": CREATE_JOB_SYNC_RESOURCE,
                "Parameters": dict(parameters),
                "ResultPath": "$.job",
            },
        )
        add_transient_retry(state, BEDROCK_TRANSIENT_ERRORS)
        # Bedrock caps concurrent jobs per account; wait in line instead of failing (bounded in total).
        add_queue_retry(state, [BEDROCK_QUOTA_ERROR], self._quota_wait_hours)
        return state

    def _grant_bedrock(self, bedrock_role: iam.IRole, key: kms.IKey, base_model_ids: Sequence[str]) -> None:
        """The customization job's grants, in a managed policy of their own: its list of base models grows with
        the profiles, and kept apart it never grows the role's inline policy (10,240 characters for all of a
        role's inline policies), which holds what CDK grants the tasks. Past that size CDK would move
        statements into overflow policies that carry none of the acknowledgements below."""
        foundation_models = [
            f"arn:{Aws.PARTITION}:bedrock:{Aws.REGION}::foundation-model/{model_id}" for model_id in base_model_ids
        ]
        job_roles = [bedrock_role, *(job.role for job in self._rft_jobs.values())]
        job_resources = [bedrock_arn("custom-model/*"), bedrock_arn("model-customization-job/*")]
        policy = iam.ManagedPolicy(
            self,
            "JobPolicy",
            description="Tuneline: start, wait on and stop the customization jobs of the profiles' base models",
            roles=[self.state_machine.role],
            statements=[
                # The caller of CreateModelCustomizationJob with customModelKmsKeyId must be able to use the key
                # through Bedrock (docs/bedrock.md §9): Bedrock creates grants on it in the caller's name.
                iam.PolicyStatement(
                    sid="EncryptCustomModels",
                    actions=["kms:Decrypt", "kms:GenerateDataKey", "kms:DescribeKey", "kms:CreateGrant"],
                    resources=[key.key_arn],
                    conditions={"StringEquals": {"kms:ViaService": f"bedrock.{Aws.REGION}.amazonaws.com"}},
                ),
                iam.PolicyStatement(
                    sid="CreateCustomizationJobs",
                    actions=["bedrock:CreateModelCustomizationJob", "bedrock:TagResource"],
                    resources=[*foundation_models, *job_resources],
                ),
                iam.PolicyStatement(
                    sid="WaitForCustomizationJobs",  # what `.sync` polls with, and stops on abort
                    actions=["bedrock:GetModelCustomizationJob", "bedrock:StopModelCustomizationJob"],
                    resources=[bedrock_arn("model-customization-job/*")],
                ),
                # The shared job role and each RFT profile's own (stacks/constructs/rft.py), in one statement.
                iam.PolicyStatement(
                    sid="PassBedrockJobRole",
                    actions=["iam:PassRole"],
                    resources=[job_role.role_arn for job_role in job_roles],
                    conditions={"StringEquals": {"iam:PassedToService": "bedrock.amazonaws.com"}},
                ),
            ],
        )
        acknowledge_wildcards(policy, job_resources, "Bedrock job and custom model names are chosen per execution.")


def _rft_config(job: RftJob) -> dict[str, Any]:
    """`customizationConfig.rftConfig` in the integration's spelling: API member names with the first letter
    upper-cased, at every level (docs/bedrock.md §8); the hyperparameters are typed (§3)."""
    config: dict[str, Any] = {"GraderConfig": {"LambdaGrader": {"LambdaArn": job.grader_arn}}}
    if job.hyperparameters:
        config["HyperParameters"] = {name[:1].upper() + name[1:]: value for name, value in job.hyperparameters.items()}
    return {"RftConfig": config}


def _distillation_config() -> dict[str, Any]:
    return {
        "DistillationConfig": {
            "TeacherModelConfig": {
                "TeacherModelIdentifier.$": "$.plan.teacherModelIdentifier",
                "MaxResponseLengthForInference.$": "$.plan.maxResponseLengthForInference",
            }
        }
    }
