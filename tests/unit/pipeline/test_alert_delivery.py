"""A Notify step's delivery: publish, raise to be retried, or keep the alert and count it."""

from __future__ import annotations

import json
from datetime import UTC, datetime
from typing import Any

import boto3
import pytest
from botocore.exceptions import ClientError, EndpointConnectionError

from tests.unit.pipeline.conftest import Account
from tuneline.alerts.text import Alert
from tuneline.errors import ALERT_PUBLISH_RETRIES, AlertNotDelivered
from tuneline.layout import ALERTS_NOT_DELIVERED_METRIC, METRIC_NAMESPACE
from tuneline.pipeline.alert_delivery import AlertChannels, deliver, is_retryable, job_folder_of

ALERT = Alert(subject="Tuneline: training completed - tuneline-support-bot-train-abc", body="Loss 1.2\n")
JOB = "tuneline-support-bot-train-abc"


def _client_error(code: str, status: int = 400) -> ClientError:
    return ClientError(
        {"Error": {"Code": code, "Message": f"{code} happened"}, "ResponseMetadata": {"HTTPStatusCode": status}},
        "Publish",
    )


class RefusingSns:
    """An SNS client whose Publish always fails with `error`."""

    def __init__(self, error: Exception) -> None:
        self.error = error
        self.calls = 0

    def publish(self, **_: Any) -> dict[str, Any]:
        self.calls += 1
        raise self.error


def _channels(account: Account, sns: Any) -> AlertChannels:
    topic = account.sns.list_topics()["Topics"][0]["TopicArn"]
    return AlertChannels(
        sns=sns, s3=account.s3, cloudwatch=boto3.client("cloudwatch"), topic_arn=topic, bucket=account.bucket
    )


def _metric_sum() -> float:
    cloudwatch = boto3.client("cloudwatch")
    stats = cloudwatch.get_metric_statistics(
        Namespace=METRIC_NAMESPACE,
        MetricName=ALERTS_NOT_DELIVERED_METRIC,
        StartTime=datetime(2000, 1, 1, tzinfo=UTC),
        EndTime=datetime(2100, 1, 1, tzinfo=UTC),
        Period=86400 * 365,
        Statistics=["Sum"],
    )
    return float(sum(point["Sum"] for point in stats["Datapoints"]))


@pytest.mark.parametrize(
    ("error", "retryable"),
    [
        (_client_error("KMSThrottling"), True),
        (_client_error("KMSDisabled"), True),
        (_client_error("Throttled"), True),
        (_client_error("InternalError", 500), True),
        (_client_error("SomethingNew", 503), True),
        (EndpointConnectionError(endpoint_url="https://sns"), True),
        (_client_error("AuthorizationError", 403), False),
        (_client_error("NotFound", 404), False),
        (_client_error("InvalidParameter"), False),
    ],
)
def test_throttling_kms_and_5xx_errors_are_worth_retrying_and_configuration_errors_are_not(
    error: Exception, retryable: bool
) -> None:
    assert is_retryable(error) is retryable


def test_a_published_alert_reaches_the_topic_and_nothing_is_kept(account: Account) -> None:
    result = deliver(ALERT, _channels(account, account.sns), kind="completed", job_folder=JOB, attempt=0)

    assert result["delivered"] is True and result["messageId"]
    [received] = account.read_alerts()
    assert received["Subject"] == ALERT.subject
    assert account.keys("reports/") == []


def test_a_throttled_publish_raises_to_be_retried_until_the_last_attempt(account: Account) -> None:
    sns = RefusingSns(_client_error("KMSThrottling"))
    for attempt in range(ALERT_PUBLISH_RETRIES):
        with pytest.raises(AlertNotDelivered, match="KMSThrottling"):
            deliver(ALERT, _channels(account, sns), kind="completed", job_folder=JOB, attempt=attempt)
    assert account.keys("reports/") == []
    assert _metric_sum() == 0


def test_on_the_last_attempt_the_alert_is_kept_in_the_jobs_report_folder_and_counted(account: Account) -> None:
    sns = RefusingSns(_client_error("InternalError", 500))
    at = datetime(2027, 3, 1, 12, 0, tzinfo=UTC)

    result = deliver(
        ALERT, _channels(account, sns), kind="completed", job_folder=JOB, attempt=ALERT_PUBLISH_RETRIES, now=at
    )

    assert result["delivered"] is False
    [key] = account.keys(f"reports/{JOB}/alerts/")
    assert key.startswith(f"reports/{JOB}/alerts/completed-20270301T120000")
    assert result["storedAt"] == f"s3://{account.bucket}/{key}"
    kept = json.loads(account.s3.get_object(Bucket=account.bucket, Key=key)["Body"].read())
    assert (kept["subject"], kept["message"], kept["kind"]) == (ALERT.subject, ALERT.body, "completed")
    assert "InternalError" in kept["error"]
    assert _metric_sum() == 1


def test_an_error_retrying_cannot_fix_keeps_the_alert_at_once(account: Account) -> None:
    sns = RefusingSns(_client_error("AuthorizationError", 403))

    result = deliver(ALERT, _channels(account, sns), kind="started", job_folder=JOB, attempt=0)

    assert result["delivered"] is False and sns.calls == 1
    assert [key.split("/")[-1].split("-")[0] for key in account.keys(f"reports/{JOB}/alerts/")] == ["started"]


def test_an_alert_from_before_the_plan_is_kept_under_the_executions_name() -> None:
    assert (
        job_folder_of({"kind": "failed", "state": {}, "execution": "support-bot-train-0a1b"})
        == "support-bot-train-0a1b"
    )
    assert job_folder_of({"kind": "started", "plan": {"jobName": JOB}, "execution": "x"}) == JOB
    assert job_folder_of({"kind": "completed", "state": {"plan": {"jobName": JOB}}}) == JOB
