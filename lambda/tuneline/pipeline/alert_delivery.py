"""Delivering a workflow alert without letting the alert decide the job's fate.

Publishing is tried once per invocation (the SDK's own retries aside). An error worth retrying (throttling,
the topic's KMS key, a 5xx, a dropped connection) raises AlertNotDelivered, which the Notify state retries
with backoff. On the state's last attempt, or at once for an error that retrying cannot fix (the topic is
gone, the role may not publish), the alert is written to reports/<job>/alerts/ and counted in the
AlertsNotDelivered metric, whose alarm points an operator there; the workflow then goes on
(docs/decisions/0014-alerts-never-decide-a-job.md).
"""

from __future__ import annotations

import json
import logging
from collections.abc import Mapping
from dataclasses import dataclass
from datetime import UTC, datetime
from typing import Any

from botocore.exceptions import BotoCoreError, ClientError

from tuneline.alerts.text import Alert
from tuneline.errors import ALERT_PUBLISH_RETRIES, AlertNotDelivered
from tuneline.layout import (
    ALERTS_NOT_DELIVERED_METRIC,
    METRIC_NAMESPACE,
    REPORTS_PREFIX,
    UNDELIVERED_ALERTS_FOLDER,
)
from tuneline.pipeline.alert_topic import publish

logger = logging.getLogger(__name__)

# SNS Publish errors that may pass: throttling, and every error about the topic's KMS key (a throttled key,
# a grant still propagating, a key being re-enabled). 5xx answers are recognized by their status code.
_RETRYABLE_CODES = frozenset(
    {
        "Throttled",
        "Throttling",
        "ThrottlingException",
        "KMSThrottling",
        "KMSThrottlingException",
        "KMSDisabled",
        "KMSDisabledException",
        "KMSInvalidState",
        "KMSInvalidStateException",
        "KMSNotFound",
        "KMSNotFoundException",
        "KMSAccessDenied",
        "KMSAccessDeniedException",
        "KMSOptInRequired",
        "InternalError",
        "InternalFailure",
        "ServiceUnavailable",
    }
)


@dataclass(frozen=True)
class AlertChannels:
    """Where an alert goes (the topic) and where it is kept when it cannot go (the data bucket)."""

    sns: Any
    s3: Any
    cloudwatch: Any
    topic_arn: str
    bucket: str


def is_retryable(error: Exception) -> bool:
    """Whether publishing again later may succeed."""
    if isinstance(error, ClientError):
        code = str(error.response.get("Error", {}).get("Code") or "")
        status = int(error.response.get("ResponseMetadata", {}).get("HTTPStatusCode") or 0)
        return code in _RETRYABLE_CODES or code.startswith("KMS") or status >= 500
    return isinstance(error, BotoCoreError)  # connection and read timeouts, endpoint errors


def undelivered_alert_key(job_folder: str, kind: str, at: datetime) -> str:
    """reports/<job>/alerts/<kind>-<UTC time>.json: one object per alert, in the order they failed."""
    return f"{REPORTS_PREFIX}{job_folder}/{UNDELIVERED_ALERTS_FOLDER}{kind}-{at.strftime('%Y%m%dT%H%M%S%fZ')}.json"


def deliver(
    alert: Alert, channels: AlertChannels, *, kind: str, job_folder: str, attempt: int, now: datetime | None = None
) -> dict[str, Any]:
    """Publish `alert`; raise AlertNotDelivered to be retried, or keep it in S3 on the last attempt.

    `attempt` is the Notify state's retry count (0 on the first try). Returns what happened, for the state's
    history: `{"delivered": true, "messageId"}` or `{"delivered": false, "storedAt", "error"}`.
    """
    try:
        return {
            "delivered": True,
            "messageId": publish(channels.sns, channels.topic_arn, alert),
            "subject": alert.subject,
        }
    except (ClientError, BotoCoreError) as error:
        failure = _describe(error)
        if is_retryable(error) and attempt < ALERT_PUBLISH_RETRIES:
            raise AlertNotDelivered(
                f"Publishing the {kind} alert failed ({failure}); attempt {attempt + 1} of "
                f"{ALERT_PUBLISH_RETRIES + 1}, retried with backoff."
            ) from error
        stored_at = keep_undelivered(alert, channels, kind=kind, job_folder=job_folder, failure=failure, now=now)
        return {"delivered": False, "storedAt": stored_at, "error": failure, "subject": alert.subject}


def keep_undelivered(
    alert: Alert,
    channels: AlertChannels,
    *,
    kind: str,
    job_folder: str,
    failure: str,
    now: datetime | None = None,
) -> str:
    """Write the alert where an operator finds it, and count it; returns its S3 URI."""
    at = now or datetime.now(UTC)
    key = undelivered_alert_key(job_folder, kind, at)
    record = {
        "kind": kind,
        "subject": alert.subject,
        "message": alert.body,
        "topicArn": channels.topic_arn,
        "error": failure,
        "attempts": ALERT_PUBLISH_RETRIES + 1,
        "failedAt": at.isoformat(),
    }
    channels.s3.put_object(
        Bucket=channels.bucket, Key=key, Body=json.dumps(record, indent=2).encode(), ContentType="application/json"
    )
    uri = f"s3://{channels.bucket}/{key}"
    try:
        channels.cloudwatch.put_metric_data(
            Namespace=METRIC_NAMESPACE,
            MetricData=[{"MetricName": ALERTS_NOT_DELIVERED_METRIC, "Value": 1.0, "Unit": "Count", "Timestamp": at}],
        )
    except (ClientError, BotoCoreError):  # the stored alert is the record; the metric only raises the alarm
        logger.exception("could not count the undelivered alert %s", uri)
    logger.warning("alert not delivered (%s); kept at %s", failure, uri)
    return uri


def job_folder_of(event: Mapping[str, Any]) -> str:
    """The folder under reports/ an undelivered alert of this Notify event goes to: the job's, or the
    execution's name when the run failed before a job name was planned."""
    plan = event.get("plan") or (event.get("state") or {}).get("plan") or {}
    # `execution` is the execution's ARN; its name is the part after the last colon.
    return str(plan.get("jobName") or str(event.get("execution") or "").rsplit(":", 1)[-1] or "unplanned")


def _describe(error: Exception) -> str:
    if isinstance(error, ClientError):
        details = error.response.get("Error", {})
        return f"{details.get('Code')}: {details.get('Message')}"
    return f"{type(error).__name__}: {error}"
