"""The line for a profile's job slots in the emulator: upload order, and a deadline on the simulated clock.

Synthesized with `quotaWaitHours: 30` so that twenty 1-hour jobs, one at a time, fit in the wait
(docs/decisions/0015-queue-on-a-deadline.md).
"""

from __future__ import annotations

import itertools
import json
from datetime import datetime, timedelta
from pathlib import Path
from typing import Any

import pytest

from local.emulator import Emulator
from tests.workflow.customize_helpers import Pipeline, example, synthesize, tuneline_context, words

pytestmark = pytest.mark.workflow

WAIT_HOURS = 30
HOUR = 3600.0
SUPPORT_DATA = example("support-bot/train.jsonl")  # cdk.json's support-bot profile runs one job at a time
GUARD = "Check budget and capacity"
# Twenty executions pass through hours of simulated waiting; real time depends on the machine's load.
LONG_WAIT_SECONDS = 900.0


def _context() -> dict[str, Any]:
    context = tuneline_context({})
    context["tuneline"]["quotaWaitHours"] = WAIT_HOURS
    assert context["tuneline"]["profiles"]["support-bot"].get("concurrency", 1) == 1
    return context


@pytest.fixture(scope="module")
def tuneline_cdk_out(tmp_path_factory: pytest.TempPathFactory) -> Path:
    return synthesize(tmp_path_factory.mktemp("tuneline-cdk-out"), _context())


@pytest.fixture
def pipeline(emulator: Emulator, tuneline_cdk_out: Path) -> Pipeline:
    from app import STACK_NAME

    return Pipeline(emulator, emulator.deploy(tuneline_cdk_out, STACK_NAME))


def _all_finished(pipeline: Pipeline, count: int) -> list[dict[str, Any]]:
    return pipeline.emulator.wait_for_executions(pipeline.state_machine_arn, count, timeout=LONG_WAIT_SECONDS)


def _time(value: str) -> datetime:
    return datetime.fromisoformat(value.replace("Z", "+00:00"))


def _capacity_checks(pipeline: Pipeline, execution: dict[str, Any]) -> list[dict[str, Any]]:
    """The payload of every capacity check of `execution`, in order (what the state machine told the Guard)."""
    checks = []
    for event in pipeline.emulator.execution_history(execution["executionArn"]):
        details = event.get("lambdaFunctionScheduledEventDetails") or event.get("taskScheduledEventDetails")
        if details:
            payload = json.loads(details.get("input") or details.get("parameters") or "{}")
            payload = payload.get("Payload", payload)
            if "queue" in payload:
                checks.append(payload)
    return checks


def test_twenty_uploads_to_a_one_at_a_time_profile_all_train_one_after_another_in_upload_order(
    pipeline: Pipeline,
) -> None:
    pipeline.emulator.bedrock.job_duration_seconds = HOUR
    keys = [f"incoming/support-bot/burst-{number:02d}.jsonl" for number in range(20)]
    for key in keys:
        pipeline.upload(key, SUPPORT_DATA)

    executions = _all_finished(pipeline, len(keys))

    assert [e["status"] for e in executions] == ["SUCCEEDED"] * len(keys)
    trained = []
    for execution in executions:
        output = json.loads(execution["output"])
        [job] = [job for job in pipeline.jobs() if job["jobArn"] == output["job"]["JobArn"]]
        trained.append((job, json.loads(execution["input"])["key"]))
    trained.sort(key=lambda pair: pair[0]["creationTime"])
    assert [key for _, key in trained] == keys  # first come, first served, by upload
    for (earlier, _), (later, _) in itertools.pairwise(trained):
        assert later["creationTime"] >= earlier["endTime"], "two jobs of a one-at-a-time profile overlapped"
    # The last upload waited through nineteen jobs in the line, and was never refused.
    last = next(e for e in executions if json.loads(e["input"])["key"] == keys[-1])
    assert pipeline.states_entered(last).count("Wait for a job slot") >= 19  # at least one check an hour


def test_an_upload_that_waits_past_quota_wait_hours_gives_up_at_its_deadline_not_before(pipeline: Pipeline) -> None:
    pipeline.emulator.bedrock.job_duration_seconds = (WAIT_HOURS + 10) * HOUR  # holds the only slot throughout
    pipeline.upload("incoming/support-bot/long.jsonl", SUPPORT_DATA)
    pipeline.wait_for_jobs(1)
    pipeline.upload("incoming/support-bot/waiting.jsonl", SUPPORT_DATA)

    executions = _all_finished(pipeline, 2)

    [waiting] = [e for e in executions if json.loads(e["input"])["key"].endswith("waiting.jsonl")]
    assert waiting["status"] == "FAILED"
    assert len(pipeline.jobs()) == 1
    checks = _capacity_checks(pipeline, waiting)
    since = _time(checks[0]["queue"]["since"])
    assert {check["queue"]["since"] for check in checks} == {checks[0]["queue"]["since"]}  # one deadline
    deadline = since + timedelta(hours=WAIT_HOURS)
    *before, last = [_time(check["queue"]["now"]) for check in checks]
    assert all(moment < deadline for moment in before)
    # The last check came at the deadline (plus the seconds the steps themselves take), not hours before.
    assert deadline <= last < deadline + timedelta(minutes=5)
    assert len(before) >= WAIT_HOURS * 4 - 1  # one check every 15 minutes
    alert = words(pipeline.alert("Tuneline: FAILED")["message"])
    assert f"Failed in: {GUARD}" in alert and f"waited {WAIT_HOURS} hours" in alert
