"""Notify: format an alert for the workflow's state (started, completed, failed) and deliver it; a run that
ended (completed or failed) first gets its report page, model card and leaderboard row."""

from __future__ import annotations

import datetime as dt
from typing import Any

from tuneline.pipeline.alert_delivery import AlertChannels
from tuneline.pipeline.clients import client, single_attempt_client
from tuneline.pipeline.run_end import notify
from tuneline.pipeline.settings import Settings


def handler(event: dict[str, Any], context: Any = None) -> dict[str, Any]:
    settings = Settings.from_env()
    channels = AlertChannels(
        # One SDK attempt per invocation: the Notify state retries with backoff (tuneline.pipeline.alert_delivery).
        sns=single_attempt_client("sns"),
        s3=client("s3"),
        cloudwatch=client("cloudwatch"),
        topic_arn=settings.alert_topic_arn,
        bucket=settings.data_bucket,
    )
    return notify(event, channels=channels, stepfunctions=client("stepfunctions"), now=dt.datetime.now(dt.UTC))
