"""Building blocks shared by Tuneline's state machines: Lambda steps, retries, and the failure branch."""

from __future__ import annotations

from collections.abc import Sequence

from aws_cdk import Duration
from aws_cdk import aws_lambda as lambda_
from aws_cdk import aws_stepfunctions as sfn
from aws_cdk import aws_stepfunctions_tasks as tasks

from stacks import constants

# Transient AWS errors as Step Functions reports them for optimized and SDK integrations (BEDROCK.md §8, §10).
BEDROCK_TRANSIENT_ERRORS = (
    "Bedrock.ThrottlingException",
    "Bedrock.InternalServerException",
    "Bedrock.ServiceUnavailableException",
    "Bedrock.TooManyRequestsException",
)
BEDROCK_QUOTA_ERROR = "Bedrock.ServiceQuotaExceededException"


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

    retry_on_service_exceptions (on by default) retries Lambda.ServiceException, AWSLambdaException,
    SdkClientException and TooManyRequestsException with backoff.
    """
    return tasks.LambdaInvoke(
        scope,  # type: ignore[arg-type]
        name,
        lambda_function=function,
        comment=comment,
        # No payload: the whole state is passed as the event (a Parameters of "$" would be invalid ASL).
        payload=sfn.TaskInput.from_object(payload) if payload else None,
        payload_response_only=True,
        result_path=result_path,
        retry_on_service_exceptions=True,
    )
