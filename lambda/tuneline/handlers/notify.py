"""Notify: format an alert for the workflow's state (started, completed, failed) and publish it; a run that
ended (completed or failed) first gets its report page, model card and leaderboard row."""

from __future__ import annotations

import datetime as dt
from typing import Any

from tuneline.pipeline.clients import client
from tuneline.pipeline.run_end import notify
from tuneline.pipeline.settings import Settings


def handler(event: dict[str, Any], context: Any = None) -> dict[str, Any]:
    return notify(
        event,
        s3=client("s3"),
        sns=client("sns"),
        stepfunctions=client("stepfunctions"),
        topic_arn=Settings.from_env().alert_topic_arn,
        now=dt.datetime.now(dt.UTC),
    )
