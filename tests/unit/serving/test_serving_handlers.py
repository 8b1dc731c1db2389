"""The serving Lambdas called the way the workflow and the schedule call them."""

from __future__ import annotations

import datetime as dt
import json
from collections.abc import Iterator
from typing import Any

import boto3
import pytest
from moto import mock_aws

from tests.unit.serving.conftest import CUSTOM_MODEL_ARN, make_plan, make_request
from tests.unit.serving.fakes import FakeBedrock, throughput_arn
from tuneline.handlers import janitor, serve_notify, serve_prepare, serve_release
from tuneline.layout import EXPIRES_AT_TAG, MANAGED_TAG
from tuneline.pipeline import clients


@pytest.fixture
def alerts(monkeypatch: pytest.MonkeyPatch) -> Iterator[Any]:
    """A topic read back through SQS; returns a function giving the published messages."""
    with mock_aws():
        clients.cache_clear()
        sns, sqs = boto3.client("sns"), boto3.client("sqs")
        topic = sns.create_topic(Name="alerts")["TopicArn"]
        queue = sqs.create_queue(QueueName="alerts")["QueueUrl"]
        queue_arn = sqs.get_queue_attributes(QueueUrl=queue, AttributeNames=["QueueArn"])["Attributes"]["QueueArn"]
        sns.subscribe(TopicArn=topic, Protocol="sqs", Endpoint=queue_arn)
        monkeypatch.setenv("ALERT_TOPIC_ARN", topic)

        def read() -> list[dict[str, Any]]:
            messages = sqs.receive_message(QueueUrl=queue, MaxNumberOfMessages=10).get("Messages", [])
            return [json.loads(m["Body"]) for m in messages]

        yield read
        clients.cache_clear()


def test_release_counts_its_attempts_through_the_state_while_bedrock_refuses(monkeypatch: pytest.MonkeyPatch) -> None:
    bedrock = FakeBedrock()
    arn = bedrock.add_throughput("aaaaaaaaaaaa")
    bedrock.delete_errors[arn] = "ConflictException"
    monkeypatch.setattr(serve_release, "client", lambda service: bedrock)
    state: dict[str, Any] = {
        "servingRequest": make_request(),
        "servingResource": {"arn": arn},
        "servingStatus": {"Status": "Creating"},
        "servingError": {"Error": "ServingNotReady"},
    }
    first = serve_release.handler({"state": state})
    second = serve_release.handler({"state": {**state, "servingRelease": first}})
    assert (first["action"], first["attempt"]) == ("not deleted yet", 1)
    assert (second["action"], second["attempt"]) == ("not deleted yet", 2)


def test_prepare_uses_the_time_the_workflow_entered_the_step() -> None:
    request = serve_prepare.handler(
        {
            "plan": make_plan(ttlHours=2),
            "metrics": {"customModelArn": CUSTOM_MODEL_ARN},
            "job": {},
            "execution": "support-bot-train-abc",
            "enteredTime": "2026-11-20T10:00:00.123Z",
        }
    )
    assert request["expiresAt"] == "2026-11-20T12:00:00Z"
    assert {"Key": "tuneline:execution", "Value": "support-bot-train-abc"} in request["tags"]


def test_release_reads_the_bought_arn_and_status_from_the_state(monkeypatch: pytest.MonkeyPatch) -> None:
    bedrock = FakeBedrock()
    arn = bedrock.add_throughput("aaaaaaaaaaaa")
    monkeypatch.setattr(serve_release, "client", lambda service: bedrock)
    state = {"servingRequest": make_request(), "servingResource": {"arn": arn}, "servingStatus": {"Status": "Failed"}}
    assert serve_release.handler({"state": state})["action"] == "deleted"
    assert arn not in bedrock.throughputs


def test_release_keeps_only_after_a_smoke_failure_when_the_profile_says_so(monkeypatch: pytest.MonkeyPatch) -> None:
    bedrock = FakeBedrock()
    arn = bedrock.add_throughput("aaaaaaaaaaaa")
    monkeypatch.setattr(serve_release, "client", lambda service: bedrock)
    state = {
        "servingRequest": make_request(make_plan(keepOnSmokeFailure=True)),
        "servingResource": {"arn": arn},
        "servingStatus": {"Status": "InService"},
        "servingError": {"Error": "SmokeTestFailed", "Cause": "1 of 3 Converse calls failed"},
    }
    assert serve_release.handler({"state": state})["action"] == "kept"
    state["servingStatus"] = {"Status": "Creating"}
    state["servingError"] = {"Error": "ServingNotReady", "Cause": "Not ready after 24 checks"}
    assert serve_release.handler({"state": state})["action"] == "deleted"
    assert arn not in bedrock.throughputs


def test_notify_publishes_the_serving_alert(alerts: Any) -> None:
    state = {"plan": make_plan(), "servingRequest": make_request(), "servingError": {"Error": "x", "Cause": "y"}}
    result = serve_notify.handler({"kind": "quota", "state": state})
    assert "quota reached" in result["subject"]
    published = alerts()
    assert len(published) == 1 and "Quota to raise" in published[0]["Message"]


def test_janitor_alerts_once_per_run_with_work(alerts: Any, monkeypatch: pytest.MonkeyPatch) -> None:
    bedrock = FakeBedrock()
    expired = bedrock.add_throughput("aaaaaaaaaaaa", {MANAGED_TAG: "true", EXPIRES_AT_TAG: "2026-11-20T11:00:00Z"})
    monkeypatch.setattr(janitor, "client", lambda service: bedrock if service == "bedrock" else clients.client(service))
    result = janitor.handler({"scheduledTime": "2099-01-01T00:00:00Z"})
    assert [o["arn"] for o in result["outcomes"]] == [expired] and result["messageId"]
    assert "1 deleted" in alerts()[0]["Subject"]
    idle = janitor.handler({"scheduledTime": "2099-01-01T00:15:00Z"})
    assert idle["outcomes"] == [] and idle["messageId"] is None and alerts() == []


def test_janitor_marks_a_warning_sent_only_after_it_was_published(alerts: Any, monkeypatch: pytest.MonkeyPatch) -> None:
    bedrock = FakeBedrock()
    soon = (dt.datetime.now(dt.UTC) + dt.timedelta(minutes=30)).strftime("%Y-%m-%dT%H:%M:%SZ")
    expiring = bedrock.add_throughput("aaaaaaaaaaaa", {MANAGED_TAG: "true", EXPIRES_AT_TAG: soon})
    monkeypatch.setattr(janitor, "client", lambda service: bedrock if service == "bedrock" else clients.client(service))

    def broken_publish(*args: Any) -> str:
        raise RuntimeError("SNS unavailable")

    publish = janitor.publish
    monkeypatch.setattr(janitor, "publish", broken_publish)
    with pytest.raises(RuntimeError):
        janitor.handler({})
    assert "tuneline:expiry-warned" not in bedrock.tags[expiring]
    monkeypatch.setattr(janitor, "publish", publish)
    retried = janitor.handler({})
    assert [o["action"] for o in retried["outcomes"]] == ["warn"] and "1 expiring" in alerts()[0]["Subject"]
    assert bedrock.tags[expiring]["tuneline:expiry-warned"] == soon


def test_janitor_time_is_the_schedule_time_but_never_in_the_past() -> None:
    future = janitor.run_time({"scheduledTime": "2099-01-01T00:00:00Z"})
    assert future == dt.datetime(2099, 1, 1, tzinfo=dt.UTC)
    past = janitor.run_time({"scheduledTime": "2000-01-01T00:00:00Z"})
    assert past.year >= 2026
    assert janitor.run_time({}).tzinfo is not None
    assert throughput_arn("x").endswith("provisioned-model/x")
