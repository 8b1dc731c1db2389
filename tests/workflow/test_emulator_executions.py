"""Executions as ListExecutions shows them while they start: another thread may list at any moment."""

from __future__ import annotations

import json
from typing import Any

import pytest

from local.emulator import Emulator

pytestmark = pytest.mark.workflow

ROLE = "arn:aws:iam::123456789012:role/executions"


def test_an_execution_being_started_is_listed_as_running(emulator: Emulator, monkeypatch: pytest.MonkeyPatch) -> None:
    sfn = emulator.client("stepfunctions")
    definition = {"StartAt": "Done", "States": {"Done": {"Type": "Pass", "End": True}}}
    machine = sfn.create_state_machine(name="listed", definition=json.dumps(definition), roleArn=ROLE)[
        "stateMachineArn"
    ]
    # List at the moment the emulator learns of the start: moto has added the execution to the machine's list
    # and not yet started it, the window in which a caller polling from another thread lists it.
    seen: list[list[dict[str, Any]]] = []
    started = emulator.clock.execution_started

    def list_then_start(execution_arn: str) -> None:
        seen.append(emulator.executions(machine))
        started(execution_arn)

    monkeypatch.setattr(emulator.clock, "execution_started", list_then_start)
    sfn.start_execution(stateMachineArn=machine, input="{}")

    [listed] = seen
    assert [execution["status"] for execution in listed] == ["RUNNING"]
    (finished,) = emulator.wait_for_executions(machine, 1, timeout=30)
    assert finished["status"] == "SUCCEEDED"
