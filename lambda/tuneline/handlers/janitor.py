"""Janitor (scheduled): delete expired Tuneline serving, warn an hour before, report ended commitment terms."""

from __future__ import annotations

import datetime as dt
import logging
from collections.abc import Sequence
from typing import Any

from tuneline.alerts.serving import janitor_report
from tuneline.pipeline.alert_topic import publish
from tuneline.pipeline.clients import client
from tuneline.pipeline.settings import Settings
from tuneline.serving.janitor import Outcome, run_janitor
from tuneline.serving.tags import parse_time

logger = logging.getLogger(__name__)
logger.setLevel(logging.INFO)


def handler(event: dict[str, Any], context: Any = None) -> dict[str, Any]:
    settings = Settings.from_env()
    now = run_time(event)
    published: list[str] = []

    def report(outcomes: Sequence[Outcome]) -> None:
        # Runs before the "alert sent" marker tags are written: if publishing fails, the next run alerts again.
        alert = janitor_report([outcome.to_dict() for outcome in outcomes])
        if alert:
            published.append(publish(client("sns"), settings.alert_topic_arn, alert))

    outcomes = [outcome.to_dict() for outcome in run_janitor(bedrock=client("bedrock"), now=now, report=report)]
    for outcome in outcomes:
        logger.info("janitor %s %s: %s", outcome["action"], outcome["arn"], outcome["detail"])
    return {"checkedAt": now.isoformat(), "outcomes": outcomes, "messageId": published[0] if published else None}


def run_time(event: dict[str, Any]) -> dt.datetime:
    """The schedule's time (`scheduledTime`), never earlier than the clock: a late retry still sees now."""
    now = dt.datetime.now(dt.UTC)
    scheduled = parse_time(event.get("scheduledTime"))
    return max(scheduled, now) if scheduled else now
