"""Bedrock job state changes, and workflow executions that end without their own alert, become readable alerts
with a subject."""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

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


class FakeStepFunctions:
    """DescribeExecution of one execution: its error and cause, or a refusal."""

    def __init__(self) -> None:
        self.described: dict[str, Any] = {}
        self.refusal: str | None = None
        self.calls = 0

    def describe_execution(self, executionArn: str) -> dict[str, Any]:
        self.calls += 1
        if self.refusal:
            raise client_error(self.refusal)
        return {"executionArn": executionArn, "status": "FAILED", **self.described}


@pytest.fixture
def stepfunctions() -> FakeStepFunctions:
    return FakeStepFunctions()


@pytest.fixture
def serving(monkeypatch: pytest.MonkeyPatch, stepfunctions: FakeStepFunctions) -> FakeBedrock:
    """Bedrock's serving APIs and DescribeExecution for the handler (moto has no Provisioned Throughput, and
    its executions here never ran); SNS stays moto's."""
    bedrock = FakeBedrock()
    real_client = execution_event.client
    fakes: dict[str, Any] = {"bedrock": bedrock, "stepfunctions": stepfunctions}
    monkeypatch.setattr(execution_event, "client", lambda service: fakes.get(service) or real_client(service))
    return bedrock


def failed_event(error: str | None, cause: str | None = None) -> dict[str, Any]:
    event = json.loads((EVENTS / "execution_timed_out.json").read_text())
    event["detail"].update({"status": "FAILED", "error": error, "cause": cause})
    return dict(event)


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


def test_a_failure_past_every_catch_alerts_once_with_its_error_and_releases_the_serving(
    account: Account, serving: FakeBedrock, stepfunctions: FakeStepFunctions
) -> None:
    event = failed_event("States.DataLimitExceeded", "The state/task 'Summarize metrics' returned a result ...")
    bought = serving.add_throughput("aaaaaaaaaaaa", {MANAGED_TAG: "true", EXECUTION_TAG: event["detail"]["name"]})

    result = execution_event.handler(event)

    assert bought not in serving.throughputs
    [alert] = account.read_alerts()
    assert alert["Subject"] == result["subject"] == "Tuneline: training workflow FAILED - support-bot-train-0a1b2c"
    text = " ".join(alert["Message"].split())
    assert "with an error no step could catch" in text
    assert "States.DataLimitExceeded" in text and "'Summarize metrics' returned a result" in text
    assert "throughput pt-aaaaaaaaaaaa: deleted" in text
    assert stepfunctions.calls == 0  # the event carried the error


@pytest.mark.parametrize("error", ["JobFailed", "ImportFailed", "ServingFailed"])
def test_a_failure_the_workflow_already_alerted_on_sends_nothing_and_keeps_the_serving(
    account: Account, serving: FakeBedrock, error: str
) -> None:
    event = failed_event(error, "The failure alert has been sent")
    kept = serving.add_throughput("aaaaaaaaaaaa", {MANAGED_TAG: "true", EXECUTION_TAG: event["detail"]["name"]})

    result = execution_event.handler(event)

    assert result["skipped"]
    assert account.read_alerts() == []
    assert kept in serving.throughputs  # kept on purpose (keepOnSmokeFailure) or released by the workflow


def test_a_failure_whose_alert_could_not_be_sent_is_alerted_here(account: Account, serving: FakeBedrock) -> None:
    execution_event.handler(failed_event("FailureAlertNotSent", "The failure alert could not be sent"))

    [alert] = account.read_alerts()
    text = " ".join(alert["Message"].split())
    assert "its own failure alert could not be sent" in text
    assert "get-execution-history" in text


def test_without_the_error_in_the_event_the_execution_is_described(
    account: Account, serving: FakeBedrock, stepfunctions: FakeStepFunctions
) -> None:
    stepfunctions.described = {"error": "JobFailed", "cause": "The failure alert has been sent"}

    result = execution_event.handler(failed_event(None))

    assert stepfunctions.calls == 1
    assert result["skipped"] and account.read_alerts() == []


def test_when_the_error_cannot_be_read_the_alert_goes_out_anyway(
    account: Account, serving: FakeBedrock, stepfunctions: FakeStepFunctions
) -> None:
    stepfunctions.refusal = "AccessDeniedException"

    result = execution_event.handler(failed_event(None))

    [alert] = account.read_alerts()
    assert alert["Subject"] == result["subject"]
