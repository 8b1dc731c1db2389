"""Alerts never decide the fate of a job: a refused SNS publish is retried, then kept, and the run goes on.

The emulator's SNS refuses publishes on request (local/sns_faults.py), as AWS does when the topic's KMS key is
throttled or the service fails.
"""

from __future__ import annotations

import json
from pathlib import Path

import pytest

from local.emulator import Emulator
from local.sns_faults import INTERNAL_ERROR, KMS_THROTTLING
from tests.workflow.customize_helpers import Pipeline, example, synthesize, tuneline_context, words
from tuneline.layout import ALERTS_NOT_DELIVERED_METRIC, METRIC_NAMESPACE

pytestmark = pytest.mark.workflow

SUPPORT_KEY = "incoming/support-bot/train.jsonl"
SUPPORT_DATA = example("support-bot/train.jsonl")


@pytest.fixture(scope="module")
def tuneline_cdk_out(tmp_path_factory: pytest.TempPathFactory) -> Path:
    return synthesize(tmp_path_factory.mktemp("tuneline-cdk-out"), tuneline_context({}))


@pytest.fixture
def pipeline(emulator: Emulator, tuneline_cdk_out: Path) -> Pipeline:
    from app import STACK_NAME

    return Pipeline(emulator, emulator.deploy(tuneline_cdk_out, STACK_NAME))


def _undelivered_metric_points(pipeline: Pipeline) -> int:
    listed = pipeline.emulator.client("cloudwatch").list_metrics(
        Namespace=METRIC_NAMESPACE, MetricName=ALERTS_NOT_DELIVERED_METRIC
    )
    return len(listed["Metrics"])


def test_one_refused_starting_alert_is_retried_and_the_job_trains(pipeline: Pipeline) -> None:
    pipeline.emulator.sns_faults.fail_next(1, error=KMS_THROTTLING, subject_contains="training started")
    pipeline.upload(SUPPORT_KEY, SUPPORT_DATA)

    execution = pipeline.only_execution()

    assert execution["status"] == "SUCCEEDED"
    assert pipeline.only_job()["status"] == "Completed"
    assert pipeline.emulator.sns_faults.refused == [(pipeline.alert("training started")["subject"], KMS_THROTTLING)]
    states = pipeline.states_entered(execution)
    assert states.count("Notify job starting") == 1 and "Notify failure" not in states
    history = pipeline.emulator.execution_history(execution["executionArn"])
    failures = [e for e in history if e["type"].endswith("Failed")]
    assert len(failures) == 1 and "AlertNotDelivered" in json.dumps(failures, default=str)  # retried, then sent
    assert pipeline.object_keys("reports/") and not [k for k in pipeline.object_keys("reports/") if "/alerts/" in k]


def test_a_completed_alert_the_topic_keeps_refusing_is_kept_and_the_run_succeeds(pipeline: Pipeline) -> None:
    pipeline.emulator.sns_faults.fail_always(error=INTERNAL_ERROR, subject_contains="training completed")
    pipeline.upload(SUPPORT_KEY, SUPPORT_DATA)

    execution = pipeline.only_execution()

    assert execution["status"] == "SUCCEEDED"
    job = pipeline.only_job()
    assert job["status"] == "Completed"
    assert pipeline.states_entered(execution)[-2:] == ["Notify job completed", "Done"]
    assert not [a for a in pipeline.alerts() if "training completed" in str(a["subject"])]
    # Every attempt was refused (the first and the state's retries), then the alert was kept for an operator.
    assert len(pipeline.emulator.sns_faults.refused) == 5
    [kept_key] = [k for k in pipeline.object_keys(f"reports/{job['jobName']}/alerts/")]
    kept = json.loads(pipeline.read(kept_key))
    assert kept["kind"] == "completed" and "InternalError" in kept["error"]
    assert job["outputModelArn"] in words(kept["message"])
    assert _undelivered_metric_points(pipeline) == 1


def test_with_the_topic_down_for_the_whole_run_the_job_trains_and_every_alert_is_kept(pipeline: Pipeline) -> None:
    pipeline.emulator.sns_faults.fail_always(error=KMS_THROTTLING)
    pipeline.upload(SUPPORT_KEY, SUPPORT_DATA)

    execution = pipeline.only_execution()

    assert execution["status"] == "SUCCEEDED"
    job = pipeline.only_job()
    kept = pipeline.object_keys(f"reports/{job['jobName']}/alerts/")
    assert sorted(key.rsplit("/", 1)[1].split("-")[0] for key in kept) == ["completed", "started"]


def test_a_manifest_uploaded_after_the_job_was_planned_gets_an_alert_saying_it_was_not_used(
    pipeline: Pipeline,
) -> None:
    manifest_key = "incoming/support-bot/train.job.json"
    pipeline.emulator.bedrock.job_duration_seconds = 2 * 3600.0
    pipeline.upload(SUPPORT_KEY, SUPPORT_DATA)
    # Simulated time runs at the real rate while the test uploads, so the job is still training.
    with pipeline.emulator.clock.busy():
        [job] = pipeline.wait_for_jobs(1)
        pipeline.upload(manifest_key, json.dumps({"budgetUsd": 1}).encode())
        pipeline.wait_until_intake_is_idle()

    execution = pipeline.only_execution()

    assert execution["status"] == "SUCCEEDED"  # the run goes on with what it planned
    alert = pipeline.alert("NOT USED")
    assert "train.job.json" in alert["subject"] and job["jobName"] in alert["subject"]
    text = words(alert["message"])
    assert f"s3://{pipeline.bucket}/{manifest_key}" in text and "does not use it" in text


def test_a_manifest_uploaded_before_the_dataset_is_used_and_gets_no_late_alert(pipeline: Pipeline) -> None:
    pipeline.upload("incoming/support-bot/train.job.json", json.dumps({"description": "first"}).encode())
    pipeline.upload(SUPPORT_KEY, SUPPORT_DATA)

    assert pipeline.only_execution()["status"] == "SUCCEEDED"
    pipeline.wait_until_intake_is_idle()
    assert not [a for a in pipeline.alerts() if "NOT USED" in str(a["subject"])]
