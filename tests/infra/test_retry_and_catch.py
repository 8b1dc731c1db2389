"""Every Task of every state machine retries transient errors and catches the rest into an alert.

Checked across the whole template, so a state added later (serving, imports, ...) is covered without a new test.
"""

from __future__ import annotations

from typing import Any

import pytest

from tests.infra.synth import state_machine_definitions

LAMBDA_TRANSIENT = {
    "Lambda.ServiceException",
    "Lambda.AWSLambdaException",
    "Lambda.SdkClientException",
    "Lambda.TooManyRequestsException",
}
BEDROCK_TRANSIENT = {
    "Bedrock.ThrottlingException",
    "Bedrock.InternalServerException",
    "Bedrock.ServiceUnavailableException",
}


def _all_tasks(template_json: dict[str, Any]) -> list[tuple[str, dict[str, Any]]]:
    tasks = []
    for definition in state_machine_definitions(template_json).values():
        tasks += [(name, state) for name, state in definition["States"].items() if state["Type"] == "Task"]
    return tasks


def _retried(state: dict[str, Any]) -> set[str]:
    return {error for retry in state.get("Retry", []) for error in retry["ErrorEquals"]}


@pytest.fixture(scope="module")
def all_tasks(template_json: dict[str, Any]) -> list[tuple[str, dict[str, Any]]]:
    tasks = _all_tasks(template_json)
    assert len(tasks) > 20
    return tasks


def test_every_lambda_task_retries_lambda_faults_and_throttling(all_tasks: list[tuple[str, dict[str, Any]]]) -> None:
    lambda_tasks = [(n, s) for n, s in all_tasks if s["Resource"].startswith("ATT_Functions")]
    assert len(lambda_tasks) >= 15
    for name, state in lambda_tasks:
        assert _retried(state) >= LAMBDA_TRANSIENT, f"{name} does not retry {LAMBDA_TRANSIENT - _retried(state)}"
        assert "Lambda.Unknown" not in _retried(state), f"{name} would repeat an out-of-memory crash"


def test_every_bedrock_task_retries_throttling_and_internal_errors(all_tasks: list[tuple[str, dict[str, Any]]]) -> None:
    bedrock_tasks = [(n, s) for n, s in all_tasks if ":bedrock:" in s["Resource"]]
    assert len(bedrock_tasks) >= 8
    for name, state in bedrock_tasks:
        assert _retried(state) >= BEDROCK_TRANSIENT, f"{name} does not retry {BEDROCK_TRANSIENT - _retried(state)}"


def test_every_task_catches_everything_last(all_tasks: list[tuple[str, dict[str, Any]]]) -> None:
    for name, state in all_tasks:
        catches = state.get("Catch") or []
        assert catches, f"{name} has no Catch"
        assert catches[-1]["ErrorEquals"] == ["States.ALL"], f"{name}: the last Catch is not States.ALL"
        assert all("States.ALL" not in c["ErrorEquals"] for c in catches[:-1]), name
