"""Bedrock job state changes and workflow executions that time out become readable alerts with a subject."""

from __future__ import annotations

import json
from pathlib import Path

import pytest

from tests.unit.pipeline.conftest import Account
from tests.unit.serving.fakes import FakeBedrock, client_error
from tuneline.handlers import bedrock_event, execution_event
from tuneline.layout import EXECUTION_TAG, MANAGED_TAG

EVENTS = Path(__file__).resolve().parents[2] / "data" / "events"


def test_completed_event_alert_names_job_status_and_model(account: Account) -> None:
    event = json.loads((EVENTS / "bedrock_job_completed.json").read_text())
    result = bedrock_event.handler(event)
    [alert] = account.read_alerts()
    assert alert["Subject"] == result["subject"]
    assert "tuneline-support-bot.train-3f9c2a1b7d4e" in alert["Subject"]
    assert event["detail"]["outputModelArn"] in alert["Message"]


def test_failed_event_alert_carries_bedrocks_message(account: Account) -> None:
    event = json.loads((EVENTS / "bedrock_job_completed.json").read_text())
    event["detail"]["jobStatus"] = "Failed"
    event["detail"]["failureMessage"] = (
        "Unable to parse Amazon S3 file: train.jsonl. Data files must conform to JSONL format."
    )
    bedrock_event.handler(event)
    [alert] = account.read_alerts()
    assert "Unable to parse Amazon S3 file" in " ".join(alert["Message"].split())
    assert "custom-model/" not in alert["Message"]


@pytest.fixture
def serving(monkeypatch: pytest.MonkeyPatch) -> FakeBedrock:
    """Bedrock's serving APIs for the handler (moto has no Provisioned Throughput); SNS stays moto's."""
    bedrock = FakeBedrock()
    real_client = execution_event.client
    monkeypatch.setattr(
        execution_event, "client", lambda service: bedrock if service == "bedrock" else real_client(service)
    )
    return bedrock


def test_a_timed_out_execution_is_published_with_a_subject(account: Account, serving: FakeBedrock) -> None:
    event = json.loads((EVENTS / "execution_timed_out.json").read_text())
    event["detail"]["input"] = json.dumps({"bucket": account.bucket, "key": "incoming/support-bot/train.jsonl"})
    result = execution_event.handler(event)
    [alert] = account.read_alerts()
    assert alert["Subject"] == result["subject"] == "Tuneline: training workflow TIMED OUT - train.jsonl"
    assert event["detail"]["executionArn"] in alert["Message"]
    assert result["released"] == [] and "stops billing" not in " ".join(alert["Message"].split())


def test_an_aborted_execution_deletes_the_throughput_it_bought_and_says_so(
    account: Account, serving: FakeBedrock
) -> None:
    event = json.loads((EVENTS / "execution_timed_out.json").read_text())
    event["detail"]["status"] = "ABORTED"
    name = event["detail"]["name"]
    bought = serving.add_throughput("aaaaaaaaaaaa", {MANAGED_TAG: "true", EXECUTION_TAG: name})
    stuck = serving.add_deployment("bbbbbbbbbbbb", {MANAGED_TAG: "true", EXECUTION_TAG: name})
    serving.delete_errors[stuck] = "ConflictException"

    result = execution_event.handler(event)

    assert bought not in serving.throughputs
    [alert] = account.read_alerts()
    text = " ".join(alert["Message"].split())
    assert "throughput pt-aaaaaaaaaaaa: deleted" in text
    assert "deployment od-bbbbbbbbbbbb could NOT be deleted (ConflictException" in text
    assert "deleted so it stops billing" in text
    assert (
        f"aws bedrock delete-custom-model-deployment --custom-model-deployment-identifier {stuck}" in alert["Message"]
    )
    assert [entry["done"] for entry in result["released"]] == [True, False]


def test_when_serving_cannot_be_listed_the_alert_still_goes_out(account: Account, serving: FakeBedrock) -> None:
    def refuse(**_: object) -> None:
        raise client_error("AccessDeniedException")

    serving.list_provisioned_model_throughputs = refuse  # type: ignore[method-assign]
    event = json.loads((EVENTS / "execution_timed_out.json").read_text())
    result = execution_event.handler(event)
    assert result["released"] == []
    assert len(account.read_alerts()) == 1
