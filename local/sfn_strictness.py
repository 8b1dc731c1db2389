"""Two Step Functions rules moto's interpreter relaxes: what `States.ALL` catches, and the payload quota.

AWS (https://docs.aws.amazon.com/step-functions/latest/dg/concepts-error-handling.html):

- `States.ALL` "can't catch the States.DataLimitExceeded terminal error type and runtime error types". A Catch or
  Retry that names `States.DataLimitExceeded` itself still matches it.
- "A States.Runtime error is not retriable, and will always cause the execution to fail": no Catch or Retry
  matches it, not even one naming it.
- `States.DataLimitExceeded` is reported when a connector's output, a state's output, or a state's input after
  `Parameters` is larger than the payload quota: 256 KiB of data as a UTF-8 encoded string.

moto 5.2.5 lets `States.ALL` (and an explicit name) catch and retry both errors, refuses a payload of exactly
256 KiB, and never checks the input a task builds from its `Parameters`.
"""

from __future__ import annotations

import json
from collections.abc import Callable
from typing import Any, Final

from moto.stepfunctions.parser.api import HistoryEventType, TaskFailedEventDetails
from moto.stepfunctions.parser.asl.component.common.error_name.error_equals_decl import ErrorEqualsDecl
from moto.stepfunctions.parser.asl.component.common.error_name.failure_event import (
    FailureEvent,
    FailureEventException,
)
from moto.stepfunctions.parser.asl.component.common.error_name.states_error_name import StatesErrorName
from moto.stepfunctions.parser.asl.component.common.error_name.states_error_name_type import (
    StatesErrorNameType,
)
from moto.stepfunctions.parser.asl.eval.environment import Environment
from moto.stepfunctions.parser.asl.eval.event.event_detail import EventDetails

DATA_LIMIT_EXCEEDED: Final = StatesErrorNameType.StatesStatesDataLimitExceeded.to_name()
RUNTIME: Final = StatesErrorNameType.StatesRuntime.to_name()
# Matched by no Catch or Retry at all.
NEVER_MATCHED: Final = frozenset({RUNTIME})
# Matched only by a Catch or Retry that names them, never by the States.ALL wildcard.
MATCHED_BY_NAME_ONLY: Final = frozenset({DATA_LIMIT_EXCEEDED})
MAX_PAYLOAD_BYTES: Final = 256 * 1024


def error_matches(error_equals: list[str | None], error: str | None) -> bool | None:
    """Whether `ErrorEquals` matches `error` where AWS is stricter than moto; None leaves it to moto's rule."""
    if error in NEVER_MATCHED:
        return False
    if error in MATCHED_BY_NAME_ONLY:
        return error in error_equals
    return None


def strict_error_equals(original: Callable[[ErrorEqualsDecl, Environment], None]) -> Callable[..., None]:
    """A replacement for `ErrorEqualsDecl._eval_body` (Catch and Retry both use it) applying `error_matches`."""

    def eval_body(decl: ErrorEqualsDecl, env: Environment) -> None:
        error_name = env.stack[-1]
        verdict = error_matches([name.error_name for name in decl.error_names], error_name.error_name)
        if verdict is None:
            original(decl, env)
            return
        env.stack.pop()
        env.stack.append(verdict)

    return eval_body


def payload_bytes(value: Any) -> int:
    """A payload's size as Step Functions counts it: its compact JSON text, UTF-8 encoded. (moto measures
    `json.dumps` with its default `", "` separators and ASCII escapes, which counts bytes the payload lacks.)"""
    text = (
        value if isinstance(value, str) else json.dumps(value, separators=(",", ":"), ensure_ascii=False, default=str)
    )
    return len(text.encode("utf-8"))


def is_within_size_quota(value: Any) -> bool:
    """Replacement for moto's check, which refuses a payload of exactly the quota ("256 KiB" is allowed)."""
    return payload_bytes(value) <= MAX_PAYLOAD_BYTES


def check_parameters_size(env: Environment, state_name: str, parameters: Any) -> None:
    """Fails the task with States.DataLimitExceeded when the input it built from `Parameters` is too large."""
    size = payload_bytes(parameters)
    if size <= MAX_PAYLOAD_BYTES:
        return
    cause = (
        f"The state/task '{state_name}' has an input of {size} bytes after Parameters processing, above the "
        f"maximum of {MAX_PAYLOAD_BYTES} bytes."
    )
    raise FailureEventException(
        FailureEvent(
            env=env,
            error_name=StatesErrorName(typ=StatesErrorNameType.StatesStatesDataLimitExceeded),
            event_type=HistoryEventType.TaskFailed,
            event_details=EventDetails(  # type: ignore[typeddict-item]
                taskFailedEventDetails=TaskFailedEventDetails(error=DATA_LIMIT_EXCEEDED, cause=cause)
            ),
        )
    )


def checked_parameters(
    original: Callable[..., dict[str, Any]], *, payload_key: str | None = None
) -> Callable[..., Any]:
    """Wraps a task's `_eval_parameters` with the input-size check (of `payload_key` alone when given: a Lambda
    function ARN task sends only its payload)."""

    def eval_parameters(task: Any, env: Environment) -> dict[str, Any]:
        parameters = original(task, env)
        check_parameters_size(env, task.name, parameters.get(payload_key) if payload_key else parameters)
        return parameters

    return eval_parameters
