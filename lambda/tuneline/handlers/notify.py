"""Notify: format an alert for the workflow's state (started, completed, failed) and deliver it."""

from __future__ import annotations

from typing import Any

from tuneline.pipeline.alert_delivery import AlertChannels, deliver, job_folder_of
from tuneline.pipeline.clients import client, single_attempt_client
from tuneline.pipeline.notify import build_alert
from tuneline.pipeline.settings import Settings


def handler(event: dict[str, Any], context: Any = None) -> dict[str, Any]:
    settings = Settings.from_env()
    s3 = client("s3")
    alert = build_alert(event, s3=s3)
    channels = AlertChannels(
        # One SDK attempt per invocation: the Notify state retries with backoff (tuneline.pipeline.alert_delivery).
        sns=single_attempt_client("sns"),
        s3=s3,
        cloudwatch=client("cloudwatch"),
        topic_arn=settings.alert_topic_arn,
        bucket=settings.data_bucket,
    )
    return deliver(
        alert,
        channels,
        kind=str(event.get("kind")),
        job_folder=job_folder_of(event),
        attempt=int(event.get("attempt") or 0),
    )
