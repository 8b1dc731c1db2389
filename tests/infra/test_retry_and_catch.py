"""Every Task of every state machine retries transient errors and catches the rest into an alert.

Checked across the whole template, so a state added later (serving, imports, ...) is covered without a new test.
"""

from __future__ import annotations

from typing import Any

import pytest

from tests.infra.synth import state_machine_definitions
from tuneline.aws_values import caught_error
from tuneline.errors import ALERT_PUBLISH_RETRIES, FAILURE_ALERT_NOT_SENT, FAILURE_ALERT_SENT_ERRORS

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


def test_a_fail_state_says_whether_the_failure_alert_went_out(template_json: dict[str, Any]) -> None:
    """The execution-status handler skips a FAILED execution whose error is in FAILURE_ALERT_SENT_ERRORS: such a
    Fail state must be reached only from a notify step that succeeded, and every other Fail state must not use
    those errors, or an execution would end FAILED with nobody told."""
    alerted_fail_states = 0
    for definition in state_machine_definitions(template_json).values():
        states = definition["States"]
        for name, state in states.items():
            if state["Type"] != "Fail":
                continue
            after_success = [s for s, st in states.items() if st.get("Next") == name]
            after_catch = [s for s, st in states.items() for c in st.get("Catch", []) if c["Next"] == name]
            if state.get("Error") in FAILURE_ALERT_SENT_ERRORS:
                alerted_fail_states += 1
                assert after_catch == [], name
                assert after_success and all(s.startswith("Notify") for s in after_success), (name, after_success)
            else:
                assert state.get("Error"), f"{name}: an execution failed here must carry an error for the handler"
    assert alerted_fail_states == 3  # Job failed, Serving failed, Import failed


def test_a_failure_alert_that_cannot_be_sent_ends_in_its_own_fail_state(template_json: dict[str, Any]) -> None:
    for definition in state_machine_definitions(template_json).values():
        states = definition["States"]
        for name in ("Notify failure", "Notify import failure"):
            if name in states:
                [catch] = states[name]["Catch"]
                assert states[catch["Next"]]["Error"] == FAILURE_ALERT_NOT_SENT


FAILURE_ALERTS = ("Notify failure", "Notify import failure")


def test_a_catch_into_a_failure_alert_records_the_error_under_the_failing_states_own_name(
    template_json: dict[str, Any],
) -> None:
    checked = 0
    for definition in state_machine_definitions(template_json).values():
        states = definition["States"]
        for name, state in states.items():
            for catch in state.get("Catch", []):
                if catch["Next"] not in FAILURE_ALERTS or catch["ErrorEquals"] != ["States.ALL"]:
                    continue
                path = catch["ResultPath"]
                assert path.startswith("$.caught."), (name, path)
                checked += 1
                # The alert reads the key back as the state's name (tuneline.aws_values.caught_error).
                assert caught_error({"caught": {path.removeprefix("$.caught."): {}}})[0] == name, (name, path)
    assert checked > 20


def test_the_customize_alerts_retry_refused_publishes_and_never_fail_the_run(
    template_json: dict[str, Any],
) -> None:
    [states] = [
        d["States"] for d in state_machine_definitions(template_json).values() if "Notify job starting" in d["States"]
    ]
    for name in ("Notify job starting", "Notify job completed", "Notify failure"):
        [retry] = [r for r in states[name]["Retry"] if r["ErrorEquals"] == ["AlertNotDelivered"]]
        assert retry["MaxAttempts"] == ALERT_PUBLISH_RETRIES  # the function stores the alert on the last one
        assert states[name]["Parameters"]["attempt.$"] == "$$.State.RetryCount"
    # A starting or completed alert that fails even so lets the job train and the run succeed.
    [starting_catch] = states["Notify job starting"]["Catch"]
    assert starting_catch["Next"] == "Choose job request" and starting_catch["ErrorEquals"] == ["States.ALL"]
    [completed_catch] = states["Notify job completed"]["Catch"]
    assert states[completed_catch["Next"]]["Type"] == "Succeed"
