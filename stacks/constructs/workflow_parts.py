"""Building blocks shared by Tuneline's state machines: Lambda steps, retries, and the failure branch."""

from __future__ import annotations

from collections.abc import Sequence
from typing import TypeVar

from aws_cdk import Duration
from aws_cdk import aws_lambda as lambda_
from aws_cdk import aws_stepfunctions as sfn
from aws_cdk import aws_stepfunctions_tasks as tasks
from constructs import Construct

from stacks import constants
from tuneline.aws_values import caught_error_path
from tuneline.errors import ALERT_PUBLISH_RETRIES, FAILURE_ALERT_NOT_SENT, TRANSIENT_LAMBDA_ERRORS

# Transient AWS errors as Step Functions reports them for optimized and SDK integrations (docs/bedrock.md §8, §10).
BEDROCK_TRANSIENT_ERRORS = (
    "Bedrock.ThrottlingException",
    "Bedrock.InternalServerException",
    "Bedrock.ServiceUnavailableException",
    "Bedrock.TooManyRequestsException",
)
BEDROCK_QUOTA_ERROR = "Bedrock.ServiceQuotaExceededException"
ERRORS_ALL = ["States.ALL"]
CatchableT = TypeVar("CatchableT", sfn.TaskStateBase, sfn.CustomState, sfn.Parallel, sfn.Map)


def quota_retry_attempts(total_wait_hours: int) -> int:
    """How many retries with backoff fit in `total_wait_hours` (first 5 min, x1.5, capped at 1 h each)."""
    waited, delay, attempts = 0.0, float(constants.QUOTA_RETRY_FIRST_SECONDS), 0
    while waited + delay <= total_wait_hours * 3600:
        waited += delay
        attempts += 1
        delay = min(delay * constants.QUOTA_RETRY_BACKOFF, constants.QUOTA_RETRY_MAX_DELAY_SECONDS)
    return max(attempts, 1)


def add_transient_retry(task: sfn.TaskStateBase | sfn.CustomState, errors: Sequence[str]) -> None:
    task.add_retry(
        errors=list(errors),
        interval=Duration.seconds(5),
        backoff_rate=2,
        max_attempts=6,
        jitter_strategy=sfn.JitterType.FULL,
    )


def add_queue_retry(task: sfn.TaskStateBase | sfn.CustomState, errors: Sequence[str], total_wait_hours: int) -> None:
    """Wait for capacity: long, growing, bounded retries turn a quota error into a queue."""
    task.add_retry(
        errors=list(errors),
        interval=Duration.seconds(constants.QUOTA_RETRY_FIRST_SECONDS),
        backoff_rate=constants.QUOTA_RETRY_BACKOFF,
        max_delay=Duration.seconds(constants.QUOTA_RETRY_MAX_DELAY_SECONDS),
        max_attempts=quota_retry_attempts(total_wait_hours),
        jitter_strategy=sfn.JitterType.FULL,
    )


def count_step(scope: Construct, name: str, counter_path: str) -> sfn.Pass:
    """A Pass that adds one to `<counter_path>.count`: the counter of a polling loop that a Choice bounds."""
    return sfn.Pass(
        scope,
        name,
        parameters={"count": sfn.JsonPath.math_add(sfn.JsonPath.number_at(f"{counter_path}.count"), 1)},
        result_path=counter_path,
    )


def lambda_step(
    scope: sfn.StateMachineFragment | object,
    name: str,
    function: lambda_.IFunction,
    *,
    payload: dict[str, object] | None = None,
    result_path: str | None,
    comment: str,
) -> tasks.LambdaInvoke:
    """A Lambda task whose result is the function's return value (payload_response_only: no Invoke envelope).

    It retries Lambda service faults and Lambda throttling with backoff (TRANSIENT_LAMBDA_ERRORS). CDK's own
    retry_on_service_exceptions is off because it leaves out Lambda.TooManyRequestsException.
    """
    task = tasks.LambdaInvoke(
        scope,  # type: ignore[arg-type]
        name,
        lambda_function=function,
        comment=comment,
        # No payload: the whole state is passed as the event (a Parameters of "$" would be invalid ASL).
        payload=sfn.TaskInput.from_object(payload) if payload else None,
        payload_response_only=True,
        result_path=result_path,
        retry_on_service_exceptions=False,
    )
    add_transient_retry(task, TRANSIENT_LAMBDA_ERRORS)
    return task


def alert_step(
    scope: Construct,
    name: str,
    function: lambda_.IFunction,
    *,
    payload: dict[str, object],
    comment: str,
) -> tasks.LambdaInvoke:
    """A Notify step whose alert never decides the run (docs/decisions/0014-alerts-never-decide-a-job.md).

    The function is told its attempt number and the execution's ARN: publishing errors worth retrying raise
    AlertNotDelivered, retried here with backoff, and on the last attempt the function keeps the alert under
    reports/<job>/alerts/ and returns normally.
    """
    task = lambda_step(
        scope,
        name,
        function,
        payload={**payload, "attempt.$": "$$.State.RetryCount", "execution.$": "$$.Execution.Id"},
        result_path=sfn.JsonPath.DISCARD,
        comment=comment,
    )
    task.add_retry(
        errors=["AlertNotDelivered"],
        interval=Duration.seconds(constants.ALERT_RETRY_FIRST_SECONDS),
        backoff_rate=2,
        max_attempts=ALERT_PUBLISH_RETRIES,
        jitter_strategy=sfn.JitterType.FULL,
    )
    return task


def _plain_alert_step(
    scope: Construct, name: str, function: lambda_.IFunction, *, payload: dict[str, object], comment: str
) -> tasks.LambdaInvoke:
    return lambda_step(scope, name, function, payload=payload, result_path=sfn.JsonPath.DISCARD, comment=comment)


def continue_despite_alert_failure(task: sfn.TaskStateBase, after: sfn.IChainable) -> None:
    """An alert step that fails even so (its function crashed) lets the run go on to `after`."""
    task.add_catch(after, errors=ERRORS_ALL, result_path=sfn.JsonPath.DISCARD)


class FailureBranch:
    """The one place a workflow's errors go: an alert step, then a Fail state.

    `caught(task)` adds a catch-all into the alert step, with the error at `$.caught.<the task's name>`
    (tuneline.aws_values.caught_error_path), so the alert names the state that failed from the error itself.
    After the alert the execution fails with `error`, which tells the execution-status handler the alert went
    out. If even the alert cannot be sent, the execution
    fails with FAILURE_ALERT_NOT_SENT instead, and that handler alerts in its place (the Lambda-errors alarm
    reports the notifier too).
    """

    def __init__(
        self,
        scope: Construct,
        *,
        notify: lambda_.IFunction,
        notify_name: str,
        fail_name: str,
        error: str,
        keeps_undelivered_alerts: bool = False,
    ) -> None:
        # A notifier that keeps what it cannot publish (the customize Notify function) retries publishing;
        # the others fail into "Failure alert not sent" below.
        step = alert_step if keeps_undelivered_alerts else _plain_alert_step
        self.notify = step(
            scope,
            notify_name,
            notify,
            # The execution, so the alert step can read its history (the report page's timeline).
            payload={"kind": "failed", "state.$": "$", "execution.$": "$$.Execution.Id"},
            comment="Alert with what failed, why, and what to do",
        )
        failed = sfn.Fail(scope, fail_name, error=error, cause="The failure alert has been sent")
        alert_not_sent = sfn.Fail(
            scope,
            "Failure alert not sent",
            error=FAILURE_ALERT_NOT_SENT,
            cause="The failure alert could not be sent; the execution-status alert reports this failure instead",
        )
        self.notify.add_catch(alert_not_sent, errors=ERRORS_ALL, result_path="$.alertError")
        self.notify.next(failed)

    def caught(self, task: CatchableT) -> CatchableT:
        task.add_catch(self.notify, errors=ERRORS_ALL, result_path=caught_error_path(task.state_id))
        return task
