"""EventBridge Scheduler schedules of a deployed stack, run on demand.

moto's CloudFormation skips `AWS::Scheduler::Schedule`, so nothing fires on its own. The emulator reads each
schedule from the deployed template instead (expression, state, target ARN, input) and runs one firing when a
test or the demo asks for it (`Emulator.run_schedule`), the way Scheduler would: the target gets the schedule's
Input with its context attributes (`<aws.scheduler.scheduled-time>` and the others) filled in.

Targets supported: a Lambda function (invoked synchronously, so the caller sees its result) and a Step
Functions state machine (an execution is started). Scheduler's retry policy is not simulated: a firing is
invoked once.
"""

from __future__ import annotations

import uuid
from dataclasses import dataclass
from datetime import UTC, datetime
from typing import Any

from local.deploy import DeployedStack

SCHEDULE_TYPE = "AWS::Scheduler::Schedule"
ENABLED = "ENABLED"


class ScheduleError(LookupError):
    pass


@dataclass(frozen=True)
class Schedule:
    logical_id: str
    name: str
    expression: str
    state: str
    target_arn: str
    input_template: str | None
    arn: str


@dataclass(frozen=True)
class ScheduledRun:
    """One firing: what the target received and, for a Lambda target, what it returned."""

    schedule: Schedule
    at: datetime
    input: str
    payload: Any
    errored: bool
    execution_arn: str | None = None


def schedules_of(stack: DeployedStack, account_id: str, region: str) -> list[Schedule]:
    found = []
    for logical_id, resource in stack.template.get("Resources", {}).items():
        if resource.get("Type") != SCHEDULE_TYPE:
            continue
        properties = resource.get("Properties", {})
        target = properties.get("Target") or {}
        name = str(properties.get("Name") or logical_id)
        group = str(properties.get("GroupName") or "default")
        found.append(
            Schedule(
                logical_id=logical_id,
                name=name,
                expression=str(properties.get("ScheduleExpression", "")),
                state=str(properties.get("State") or ENABLED),
                target_arn=resolve_arn(target.get("Arn"), stack, account_id, region),
                input_template=target.get("Input"),
                arn=f"arn:aws:scheduler:{region}:{account_id}:schedule/{group}/{name}",
            )
        )
    return found


def find_schedule(schedules: list[Schedule], name_or_logical_id: str | None) -> Schedule:
    """By name, logical ID or the start of a logical ID (CDK appends a hash); None picks the only schedule."""
    if name_or_logical_id is None:
        if len(schedules) == 1:
            return schedules[0]
        raise ScheduleError(f"{len(schedules)} schedules are deployed; name one of: {_names(schedules)}")
    for matches in (
        [s for s in schedules if name_or_logical_id in (s.name, s.logical_id)],
        [s for s in schedules if s.logical_id.startswith(name_or_logical_id)],
    ):
        if len(matches) == 1:
            return matches[0]
        if len(matches) > 1:
            raise ScheduleError(f"{name_or_logical_id!r} matches several schedules: {_names(matches)}")
    raise ScheduleError(f"No schedule {name_or_logical_id!r} is deployed; deployed: {_names(schedules) or 'none'}")


def render_input(template: str | None, *, schedule: Schedule, at: datetime, attempt: int = 1) -> str:
    """The target input with Scheduler's context attributes replaced; no Input means an empty object."""
    if template is None:
        return "{}"
    values = {
        "<aws.scheduler.scheduled-time>": scheduled_time(at),
        "<aws.scheduler.schedule-arn>": schedule.arn,
        "<aws.scheduler.execution-id>": str(uuid.uuid4()),
        "<aws.scheduler.attempt-number>": str(attempt),
    }
    text = template
    for placeholder, value in values.items():
        text = text.replace(placeholder, value)
    return text


def scheduled_time(at: datetime) -> str:
    """Scheduler's format: `2026-11-20T14:05:00Z` (UTC, whole seconds)."""
    moment = at if at.tzinfo else at.replace(tzinfo=UTC)
    return moment.astimezone(UTC).strftime("%Y-%m-%dT%H:%M:%SZ")


def resolve_arn(value: Any, stack: DeployedStack, account_id: str, region: str) -> str:
    """A target ARN from the template: a literal, or a `Fn::GetAtt [<id>, Arn]` / `Ref` of a stack resource."""
    if isinstance(value, str):
        return value.replace("${AWS::AccountId}", account_id).replace("${AWS::Region}", region)
    if isinstance(value, dict):
        logical_id = None
        if "Fn::GetAtt" in value:
            logical_id = value["Fn::GetAtt"][0]
        elif "Ref" in value:
            logical_id = value["Ref"]
        if logical_id in stack.resources:
            kind, physical_id = stack.resources[logical_id]
            return _arn_of(kind, physical_id, account_id, region)
    raise ScheduleError(f"Cannot resolve the schedule target {value!r} to a deployed resource")


def _arn_of(kind: str, physical_id: str, account_id: str, region: str) -> str:
    if physical_id.startswith("arn:"):
        return physical_id
    if kind == "AWS::Lambda::Function":
        return f"arn:aws:lambda:{region}:{account_id}:function:{physical_id}"
    raise ScheduleError(f"Schedules targeting {kind} are not supported by the emulator")


def _names(schedules: list[Schedule]) -> str:
    return ", ".join(s.logical_id if s.name == s.logical_id else f"{s.name} ({s.logical_id})" for s in schedules)
