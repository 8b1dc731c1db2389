"""Serving inside the customize workflow: buy Provisioned Throughput or an on-demand deployment, wait until it
serves, smoke-test it, and alert; give back what a failed attempt bought.

    Serve the model? --none--> Serving not requested ----------------------------------------> Serving finished
      | provisioned / on-demand                                                                   ^
    Prepare serving request -> Choose serving purchase -> Buy ... / Create deployment             |
      (quota error) -> Notify serving quota reached -> Record serving skipped --------------------|
    Start serving checks -> Wait -> Get status -> Count -> Is the serving ready?                   |
      InService/Active -> Smoke test -> passed -> Notify model served -> Record serving result ---'
      Failed / too many checks / smoke failed / any error after buying
        -> Release serving -> Is the serving released? -> Notify serving failed -> Serving failed (Fail)
             ^                  | refused while Creating (bounded; then left for the janitor)
             '--- Wait to release serving

The purchases are AWS SDK tasks (docs/bedrock.md §8: PascalCase parameters, errors `Bedrock.<Name>`); a
commitment is its own task because CommitmentDuration must be left out, not set to "none", for no commitment.
"""

from __future__ import annotations

import functools
from dataclasses import dataclass
from typing import Any

from aws_cdk import Duration
from aws_cdk import aws_iam as iam
from aws_cdk import aws_kms as kms
from aws_cdk import aws_lambda as lambda_
from aws_cdk import aws_s3 as s3
from aws_cdk import aws_sns as sns
from aws_cdk import aws_stepfunctions as sfn
from aws_cdk import aws_stepfunctions_tasks as tasks
from constructs import Construct

from stacks import constants
from stacks.constructs.bedrock_role import bedrock_arn
from stacks.constructs.functions import Functions
from stacks.constructs.workflow_parts import (
    BEDROCK_QUOTA_ERROR,
    BEDROCK_TRANSIENT_ERRORS,
    ERRORS_ALL,
    CatchableT,
    FailureBranch,
    add_transient_retry,
    count_step,
    lambda_step,
)
from stacks.nag import acknowledge_wildcards, allow_function
from tuneline.errors import SERVING_FAILED
from tuneline.serving.release import RELEASE_RETRY_SECONDS
from tuneline.serving.release import RETRYING as RELEASE_RETRYING

# Throughput takes 20-30 minutes to reach InService, a deployment a few minutes (docs/bedrock.md §6): check every
# five minutes (each check costs five state transitions), for at most two hours, then give up and release
# what was bought.
SERVING_CHECK_INTERVAL_SECONDS = 300
SERVING_MAX_CHECKS = 24
# Right after InService a model can still answer ModelNotReadyException for a little while.
SMOKE_NOT_READY_RETRY_SECONDS = 60
SMOKE_NOT_READY_RETRIES = 5

THROUGHPUT_RESOURCES = "provisioned-model/*"
DEPLOYMENT_RESOURCES = "custom-model-deployment/*"
CUSTOM_MODEL_RESOURCES = "custom-model/*"

# Where the serving steps keep their results (tuneline.serving.workflow_state names the same keys).
REQUEST = "$.servingRequest"
RESOURCE = "$.servingResource"
STATUS = "$.servingStatus"
POLL = "$.servingPoll"
SMOKE = "$.smoke"
SERVING_ERROR = "$.servingError"
RELEASE = "$.servingRelease"
RESULT = "$.serving"


@dataclass(frozen=True)
class ServingFunctions:
    prepare: lambda_.IFunction
    smoke: lambda_.IFunction
    release: lambda_.IFunction
    notify: lambda_.IFunction


@dataclass(frozen=True)
class _ServingChecks:
    """The status loop's states; Wait -> Get status -> Count is wired, the decision after Count is not yet."""

    start: sfn.Pass
    wait: sfn.Wait
    count: sfn.Pass
    creation_failed: sfn.IChainable
    not_ready: sfn.IChainable


class Serving(Construct):
    """The serving Lambdas with their permissions, and the serving sub-chain for the customize workflow."""

    def __init__(
        self,
        scope: Construct,
        construct_id: str,
        *,
        functions: Functions,
        bucket: s3.IBucket,
        key: kms.IKey,
        topic: sns.ITopic,
    ) -> None:
        super().__init__(scope, construct_id)
        self.functions = ServingFunctions(
            prepare=functions.create(
                "ServePrepare", handler_module="serve_prepare", description="Prepare the serving purchase"
            ),
            smoke=functions.create(
                "ServeSmokeTest", handler_module="serve_smoke", description="Smoke-test the served model"
            ),
            release=functions.create(
                "ServeRelease", handler_module="serve_release", description="Delete serving a failed attempt bought"
            ),
            notify=functions.create("ServeNotify", handler_module="serve_notify", description="Send serving alerts"),
        )
        self._grant_functions(bucket, key, topic)

    # --- the workflow part ----------------------------------------------------------------------------------

    def build_chain(self, workflow: Construct) -> tuple[sfn.IChainable, sfn.INextable]:
        """Build the serving states inside `workflow` (a CustomizeWorkflow); returns (first, last) state.

        The pieces are the rows of the diagram in the module docstring. They are built in this order and wired
        afterwards because the template depends on the order: CDK visits a state's incoming transitions in the
        order they were made, which orders the states in the definition (Serving finished, Release serving and
        the workflow's Notify failure each have several), and the stack's CDK metadata lists construct types in
        the order they first appear (the checks' Wait comes before any Choice).
        """
        failure: FailureBranch = workflow.failure  # type: ignore[attr-defined]

        finished = sfn.Pass(workflow, "Serving finished", comment="$.serving holds the outcome")
        not_requested = sfn.Pass(
            workflow,
            "Serving not requested",
            result=sfn.Result.from_object({"mode": "none", "status": "NotRequested"}),
            result_path=RESULT,
        ).next(finished)
        prepare = self._prepare_request(workflow, failure=failure)
        # Failure branch for everything after a purchase: give back what was bought, alert, fail.
        release = self._release_chain(workflow, failure=failure)
        checks = self._serving_checks(workflow, release=release)
        purchase = self._serving_purchase_chain(workflow, failure=failure, skipped=finished)
        smoke_test = self._smoke_test_chain(workflow, failure=failure, release=release)

        smoke_test.next(finished)
        serve = prepare.next(purchase).next(self._wait_until_ready(workflow, checks=checks, ready=smoke_test))
        start = (
            sfn.Choice(workflow, "Serve the model?")
            .when(sfn.Condition.string_equals("$.plan.serving.mode", "provisioned"), serve)
            .when(sfn.Condition.string_equals("$.plan.serving.mode", "on-demand"), serve)
            .otherwise(not_requested)
        )
        return start, finished

    def _prepare_request(self, workflow: Construct, *, failure: FailureBranch) -> sfn.TaskStateBase:
        """Prepare serving request: what the purchase will be called, its token, tags and expiry."""
        return failure.caught(
            lambda_step(
                workflow,
                "Prepare serving request",
                self.functions.prepare,
                payload={
                    "plan.$": "$.plan",
                    "metrics.$": "$.metrics",
                    "job.$": "$.job",
                    "execution.$": "$$.Execution.Name",
                    "enteredTime.$": "$$.State.EnteredTime",
                },
                result_path=REQUEST,
                comment="Name, idempotency token, tags and expiry of what to buy",
            )
        )

    def _release_chain(self, workflow: Construct, *, failure: FailureBranch) -> sfn.TaskStateBase:
        """Release serving -> Is the serving released? -> Notify serving failed -> Serving failed (Fail): the
        diagram's last row. While Bedrock refuses the delete (still Creating), the release is tried again after
        a wait; the Lambda counts the attempts and gives up after RELEASE_ATTEMPTS (serving/release.py)."""
        serving_failed = sfn.Fail(
            workflow, "Serving failed", error=SERVING_FAILED, cause="The serving failure alert has been sent"
        )
        notify_serving_failed = failure.caught(
            lambda_step(
                workflow,
                "Notify serving failed",
                self.functions.notify,
                payload={"kind": "failed", "state.$": "$"},
                result_path=sfn.JsonPath.DISCARD,
                comment="Alert: what failed, the smoke answers, what was deleted or kept",
            )
        )
        release = failure.caught(
            lambda_step(
                workflow,
                "Release serving",
                self.functions.release,
                payload={"state.$": "$"},
                result_path=RELEASE,
                comment="Delete the no-commitment throughput or deployment this execution bought, unless kept",
            )
        )
        wait_to_release = sfn.Wait(
            workflow,
            "Wait to release serving",
            time=sfn.WaitTime.duration(Duration.seconds(RELEASE_RETRY_SECONDS)),
            comment="Bedrock refuses to delete serving that is still being created",
        )
        released = (
            sfn.Choice(workflow, "Is the serving released?")
            .when(sfn.Condition.string_equals(f"{RELEASE}.action", RELEASE_RETRYING), wait_to_release)
            .otherwise(notify_serving_failed)
        )
        wait_to_release.next(release)
        release.next(released)
        notify_serving_failed.next(serving_failed)
        return release

    def _serving_purchase_chain(
        self, workflow: Construct, *, failure: FailureBranch, skipped: sfn.IChainable
    ) -> sfn.Chain:
        """Choose serving purchase -> Buy committed / no-commitment throughput, or Create on-demand deployment.

        The chain ends in the three purchases. Its side exit is the quota row of the diagram: Notify serving
        quota reached -> Record serving skipped -> `skipped`.
        """
        # Quota: nothing was bought; say which quota to raise and finish the execution normally.
        record_skipped = sfn.Pass(
            workflow,
            "Record serving skipped",
            parameters={"status": "QuotaExceeded", "quotaName.$": f"{REQUEST}.quotaName"},
            result_path=RESULT,
        ).next(skipped)
        notify_quota = failure.caught(
            lambda_step(
                workflow,
                "Notify serving quota reached",
                self.functions.notify,
                payload={"kind": "quota", "state.$": "$"},
                result_path=sfn.JsonPath.DISCARD,
                comment="Alert naming the Service Quota to raise; nothing was bought",
            )
        ).next(record_skipped)

        purchases = {
            "committed": self._purchase(
                workflow,
                "Buy committed throughput",
                "createProvisionedModelThroughput",
                {**_throughput_parameters(), "CommitmentDuration.$": f"{REQUEST}.commitment"},
                [THROUGHPUT_RESOURCES, CUSTOM_MODEL_RESOURCES],
                result_selector={"arn.$": "$.ProvisionedModelArn"},
            ),
            "no_commitment": self._purchase(
                workflow,
                "Buy no-commitment throughput",
                "createProvisionedModelThroughput",
                _throughput_parameters(),
                [THROUGHPUT_RESOURCES, CUSTOM_MODEL_RESOURCES],
                result_selector={"arn.$": "$.ProvisionedModelArn"},
            ),
            "deployment": self._purchase(
                workflow,
                "Create on-demand deployment",
                "createCustomModelDeployment",
                {
                    "ModelDeploymentName.$": f"{REQUEST}.name",
                    "ModelArn.$": f"{REQUEST}.modelArn",
                    "Description.$": f"{REQUEST}.description",
                    "ClientRequestToken.$": f"{REQUEST}.clientRequestToken",
                    "Tags.$": f"{REQUEST}.tags",
                },
                [DEPLOYMENT_RESOURCES, CUSTOM_MODEL_RESOURCES],
                result_selector={"arn.$": "$.CustomModelDeploymentArn"},
            ),
        }
        for purchase in purchases.values():
            purchase.add_catch(notify_quota, errors=[BEDROCK_QUOTA_ERROR], result_path=SERVING_ERROR)
            failure.caught(purchase)

        choose = (
            sfn.Choice(workflow, "Choose serving purchase")
            .when(sfn.Condition.string_equals(f"{REQUEST}.kind", "deployment"), purchases["deployment"])
            .when(sfn.Condition.boolean_equals(f"{REQUEST}.hasCommitment", True), purchases["committed"])
            .otherwise(purchases["no_commitment"])
        )
        return sfn.Chain.custom(choose, list(purchases.values()), choose)

    def _serving_checks(self, workflow: Construct, *, release: sfn.IChainable) -> _ServingChecks:
        """The states of the status loop: Start serving checks, Wait -> Get status -> Count, and the two ways
        the wait ends badly (-> `release`). `_wait_until_ready` closes the loop once the smoke test exists.
        """
        # The status loop: bounded by a counter, so a resource stuck in Creating cannot keep the execution alive.
        start_checks = sfn.Pass(
            workflow, "Start serving checks", result=sfn.Result.from_object({"count": 0}), result_path=POLL
        )
        wait = sfn.Wait(
            workflow,
            "Wait for serving",
            time=sfn.WaitTime.duration(Duration.seconds(SERVING_CHECK_INTERVAL_SECONDS)),
        )
        get_status = self._get_serving_status(workflow, release=release)
        count = count_step(workflow, "Count serving checks", POLL)
        creation_failed = sfn.Pass(
            workflow,
            "Serving creation failed",
            parameters={"Error": "ServingFailed", "Cause.$": f"States.JsonToString({STATUS})"},
            result_path=SERVING_ERROR,
        ).next(release)
        not_ready = sfn.Pass(
            workflow,
            "Serving not ready in time",
            parameters={
                "Error": "ServingNotReady",
                "Cause": f"Not ready after {SERVING_MAX_CHECKS} checks {SERVING_CHECK_INTERVAL_SECONDS} s apart",
            },
            result_path=SERVING_ERROR,
        ).next(release)
        wait.next(get_status).next(count)
        return _ServingChecks(
            start=start_checks, wait=wait, count=count, creation_failed=creation_failed, not_ready=not_ready
        )

    def _get_serving_status(self, workflow: Construct, *, release: sfn.IChainable) -> sfn.Chain:
        """Which serving to check? -> Get throughput status / Get deployment status (the "Get status" box)."""
        get_throughput = _release_on_error(
            self._status_task(
                workflow,
                "Get throughput status",
                "getProvisionedModelThroughput",
                {"ProvisionedModelId.$": f"{RESOURCE}.arn"},
                THROUGHPUT_RESOURCES,
            ),
            release,
        )
        get_deployment = _release_on_error(
            self._status_task(
                workflow,
                "Get deployment status",
                "getCustomModelDeployment",
                {"CustomModelDeploymentIdentifier.$": f"{RESOURCE}.arn"},
                DEPLOYMENT_RESOURCES,
            ),
            release,
        )
        which = (
            sfn.Choice(workflow, "Which serving to check?")
            .when(sfn.Condition.string_equals(f"{REQUEST}.kind", "deployment"), get_deployment)
            .otherwise(get_throughput)
        )
        return sfn.Chain.custom(which, [get_throughput, get_deployment], which)

    def _smoke_test_chain(self, workflow: Construct, *, failure: FailureBranch, release: sfn.IChainable) -> sfn.Chain:
        """Smoke test served model -> Did the smoke test pass? -> Notify model served -> Record serving result.

        The chain ends in Record serving result; a failed smoke test or any error goes to `release`.
        """
        smoke = _release_on_error(
            lambda_step(
                workflow,
                "Smoke test served model",
                self.functions.smoke,
                payload={"state.$": "$"},
                result_path=SMOKE,
                comment="Call the model with prompts from its data; write reports/<job>/smoke.json",
            ),
            release,
        )
        smoke.add_retry(
            errors=["ServedModelNotReady"],
            interval=Duration.seconds(SMOKE_NOT_READY_RETRY_SECONDS),
            backoff_rate=2,
            max_attempts=SMOKE_NOT_READY_RETRIES,
        )
        smoke_failed = sfn.Pass(
            workflow,
            "Smoke test failed",
            parameters={"Error": "SmokeTestFailed", "Cause.$": f"{SMOKE}.summary"},
            result_path=SERVING_ERROR,
        ).next(release)
        record_served = sfn.Pass(workflow, "Record serving result", input_path=SMOKE, result_path=RESULT)
        notify_served = failure.caught(
            lambda_step(
                workflow,
                "Notify model served",
                self.functions.notify,
                payload={"kind": "served", "state.$": "$"},
                result_path=sfn.JsonPath.DISCARD,
                comment="Alert with the ARN to call, an example call and the expiry",
            )
        ).next(record_served)

        smoke.next(
            sfn.Choice(workflow, "Did the smoke test pass?")
            .when(sfn.Condition.boolean_equals(f"{SMOKE}.passed", True), notify_served)
            .otherwise(smoke_failed)
        )
        return sfn.Chain.custom(smoke, [record_served], record_served)

    def _wait_until_ready(self, workflow: Construct, *, checks: _ServingChecks, ready: sfn.IChainable) -> sfn.Pass:
        """Start serving checks -> Wait -> Get status -> Count -> Is the serving ready? -> `ready`."""
        checks.count.next(
            sfn.Choice(workflow, "Is the serving ready?")
            .when(
                sfn.Condition.or_(
                    sfn.Condition.string_equals(f"{STATUS}.Status", "InService"),
                    sfn.Condition.string_equals(f"{STATUS}.Status", "Active"),
                ),
                ready,
            )
            .when(sfn.Condition.string_equals(f"{STATUS}.Status", "Failed"), checks.creation_failed)
            .when(sfn.Condition.number_greater_than_equals(f"{POLL}.count", SERVING_MAX_CHECKS), checks.not_ready)
            .otherwise(checks.wait)
        )
        checks.start.next(checks.wait)
        return checks.start

    def grant_state_machine(self, state_machine: sfn.StateMachine) -> None:
        """The SDK tasks add their own statements; tagging at create time needs TagResource too."""
        state_machine.add_to_role_policy(
            iam.PolicyStatement(
                sid="TagServingAtCreation",
                actions=["bedrock:TagResource"],
                resources=[bedrock_arn(THROUGHPUT_RESOURCES), bedrock_arn(DEPLOYMENT_RESOURCES)],
            )
        )
        # On the state machine, not only its default policy: a long role policy overflows into managed policies.
        acknowledge_wildcards(
            state_machine,
            [bedrock_arn(r) for r in (THROUGHPUT_RESOURCES, DEPLOYMENT_RESOURCES, CUSTOM_MODEL_RESOURCES)]
            + [f"{fn.function_arn}:*" for fn in vars(self.functions).values()],
            "Throughput, deployment and custom model IDs are assigned by Bedrock per execution; invoking a "
            "function's versions needs `<function ARN>:*`. Actions are listed one by one.",
        )

    # --- states ---------------------------------------------------------------------------------------------

    def _purchase(
        self,
        workflow: Construct,
        name: str,
        action: str,
        parameters: dict[str, Any],
        resources: list[str],
        *,
        result_selector: dict[str, Any],
    ) -> tasks.CallAwsService:
        task = tasks.CallAwsService(
            workflow,
            name,
            service="bedrock",
            action=action,
            iam_action=f"bedrock:{action[:1].upper()}{action[1:]}",
            iam_resources=[bedrock_arn(r) for r in resources],
            parameters=parameters,
            result_selector=result_selector,
            result_path=RESOURCE,
            comment="Idempotent: the token is the same on every retry of this execution",
        )
        add_transient_retry(task, BEDROCK_TRANSIENT_ERRORS)
        return task

    def _status_task(
        self, workflow: Construct, name: str, action: str, parameters: dict[str, Any], resources: str
    ) -> tasks.CallAwsService:
        task = tasks.CallAwsService(
            workflow,
            name,
            service="bedrock",
            action=action,
            iam_action=f"bedrock:{action[:1].upper()}{action[1:]}",
            iam_resources=[bedrock_arn(resources)],
            parameters=parameters,
            result_path=STATUS,
        )
        add_transient_retry(task, BEDROCK_TRANSIENT_ERRORS)
        return task

    # --- permissions ----------------------------------------------------------------------------------------

    def _grant_functions(self, bucket: s3.IBucket, key: kms.IKey, topic: sns.ITopic) -> None:
        fns = self.functions
        served = [bedrock_arn(THROUGHPUT_RESOURCES), bedrock_arn(DEPLOYMENT_RESOURCES)]

        allow = functools.partial(
            allow_function,
            why_wildcards=(
                "objects under one pipeline prefix, or serving whose ID Bedrock assigns at run time; "
                "the actions are listed one by one."
            ),
        )

        allow(fns.smoke, "ReadStagedData", ["s3:GetObject"], [bucket.arn_for_objects(f"{constants.STAGED_PREFIX}*")])
        allow(fns.smoke, "WriteSmokeReport", ["s3:PutObject"], [bucket.arn_for_objects(f"{constants.REPORTS_PREFIX}*")])
        # Converse is authorized as bedrock:InvokeModel.
        allow(fns.smoke, "CallServedModel", ["bedrock:InvokeModel"], served)
        allow(
            fns.release,
            "DeleteFailedServing",
            ["bedrock:DeleteProvisionedModelThroughput", "bedrock:DeleteCustomModelDeployment"],
            served,
            constants.MANAGED_CONDITION,
        )
        allow(fns.notify, "PublishAlerts", ["sns:Publish"], [topic.topic_arn])
        for fn in (fns.smoke, fns.notify):
            allow(fn, "UseDataKey", ["kms:Decrypt", "kms:GenerateDataKey"], [key.key_arn])


def _release_on_error(task: CatchableT, release: sfn.IChainable) -> CatchableT:
    """Any error of a step after a purchase goes to Release serving, with the error at $.servingError."""
    task.add_catch(release, errors=ERRORS_ALL, result_path=SERVING_ERROR)
    return task


def _throughput_parameters() -> dict[str, Any]:
    return {
        "ProvisionedModelName.$": f"{REQUEST}.name",
        "ModelId.$": f"{REQUEST}.modelArn",
        "ModelUnits.$": f"{REQUEST}.modelUnits",
        "ClientRequestToken.$": f"{REQUEST}.clientRequestToken",
        "Tags.$": f"{REQUEST}.tags",
    }
