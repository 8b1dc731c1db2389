"""Schedules read from a deployed template: lookup, target resolution and the input Scheduler sends."""

from __future__ import annotations

import json
from datetime import UTC, datetime
from typing import Any

import pytest

from local.deploy import DeployedStack
from local.emulator import Emulator
from local.schedules import ScheduleError, find_schedule, render_input, schedules_of

ACCOUNT, REGION = "123456789012", "us-east-1"


def schedule_resource(target_arn: Any, **properties: Any) -> dict[str, Any]:
    return {
        "Type": "AWS::Scheduler::Schedule",
        "Properties": {
            "ScheduleExpression": "rate(15 minutes)",
            "State": "ENABLED",
            "Target": {
                "Arn": target_arn,
                "Input": json.dumps(
                    {"scheduledTime": "<aws.scheduler.scheduled-time>", "attempt": "<aws.scheduler.attempt-number>"}
                ),
                "RoleArn": "arn:aws:iam::123456789012:role/scheduler",
            },
            **properties,
        },
    }


def deployed(resources: dict[str, Any], physical: dict[str, tuple[str, str]]) -> DeployedStack:
    return DeployedStack("Stack", {}, physical, {"Resources": resources}, {})


@pytest.fixture
def stack() -> DeployedStack:
    return deployed(
        {
            "ServingJanitorSchedule156D4995": schedule_resource({"Fn::GetAtt": ["JanitorFn1234", "Arn"]}),
            "NightlySchedule99": schedule_resource({"Ref": "Workflow77"}, Name="nightly", State="DISABLED"),
            "JanitorFn1234": {"Type": "AWS::Lambda::Function"},
            "Workflow77": {"Type": "AWS::StepFunctions::StateMachine"},
        },
        {
            "JanitorFn1234": ("AWS::Lambda::Function", "Stack-JanitorFn-ABC"),
            "Workflow77": ("AWS::StepFunctions::StateMachine", f"arn:aws:states:{REGION}:{ACCOUNT}:stateMachine:wf"),
        },
    )


def test_schedules_resolve_their_targets_to_deployed_arns(stack: DeployedStack) -> None:
    janitor, nightly = schedules_of(stack, ACCOUNT, REGION)
    assert janitor.target_arn == f"arn:aws:lambda:{REGION}:{ACCOUNT}:function:Stack-JanitorFn-ABC"
    assert janitor.name == "ServingJanitorSchedule156D4995" and janitor.state == "ENABLED"
    assert janitor.arn == f"arn:aws:scheduler:{REGION}:{ACCOUNT}:schedule/default/ServingJanitorSchedule156D4995"
    assert nightly.target_arn.endswith(":stateMachine:wf") and nightly.name == "nightly"
    assert nightly.state == "DISABLED"


@pytest.mark.parametrize("key", ["nightly", "NightlySchedule99", "Nightly", "ServingJanitorSchedule"])
def test_a_schedule_is_found_by_name_logical_id_or_the_start_of_its_logical_id(stack: DeployedStack, key: str) -> None:
    found = find_schedule(schedules_of(stack, ACCOUNT, REGION), key)
    assert key in (found.name, found.logical_id) or found.logical_id.startswith(key)


def test_an_ambiguous_or_unknown_name_is_an_error_that_lists_the_schedules(stack: DeployedStack) -> None:
    schedules = schedules_of(stack, ACCOUNT, REGION)
    with pytest.raises(ScheduleError, match="nightly"):
        find_schedule(schedules, "Missing")
    with pytest.raises(ScheduleError, match="2 schedules"):
        find_schedule(schedules, None)
    assert find_schedule(schedules[:1], None) is schedules[0]


def test_the_input_gets_scheduler_context_attributes(stack: DeployedStack) -> None:
    janitor = schedules_of(stack, ACCOUNT, REGION)[0]
    rendered = json.loads(
        render_input(janitor.input_template, schedule=janitor, at=datetime(2026, 11, 20, 14, 5, 7, 900))
    )
    assert rendered == {"scheduledTime": "2026-11-20T14:05:07Z", "attempt": "1"}
    assert render_input(None, schedule=janitor, at=datetime.now(UTC)) == "{}"


def test_a_target_that_is_not_deployed_cannot_be_resolved() -> None:
    stack = deployed({"S": schedule_resource({"Fn::GetAtt": ["Missing", "Arn"]})}, {})
    with pytest.raises(ScheduleError, match="Missing"):
        schedules_of(stack, ACCOUNT, REGION)


def test_the_emulator_starts_a_state_machine_target_and_refuses_a_disabled_schedule() -> None:
    with Emulator() as emulator:
        sfn = emulator.client("stepfunctions")
        machine = sfn.create_state_machine(
            name="wf",
            definition=json.dumps({"StartAt": "Done", "States": {"Done": {"Type": "Succeed"}}}),
            roleArn=f"arn:aws:iam::{ACCOUNT}:role/sfn",
        )["stateMachineArn"]
        emulator.stacks["Stack"] = deployed(
            {
                "Hourly1": schedule_resource({"Ref": "Workflow77"}),
                "Paused2": schedule_resource({"Ref": "Workflow77"}, State="DISABLED"),
            },
            {"Workflow77": ("AWS::StepFunctions::StateMachine", machine)},
        )

        run = emulator.run_schedule("Hourly", at=datetime(2026, 11, 20, 14, 0, tzinfo=UTC))

        assert run.execution_arn is not None
        described = sfn.describe_execution(executionArn=run.execution_arn)
        assert json.loads(described["input"])["scheduledTime"] == "2026-11-20T14:00:00Z"
        with pytest.raises(ScheduleError, match="DISABLED"):
            emulator.run_schedule("Paused")
