"""Notify: format an alert for the workflow's state (started, completed, failed) and publish it."""

from __future__ import annotations

from typing import Any

from tuneline.pipeline.alert_topic import publish
from tuneline.pipeline.clients import client
from tuneline.pipeline.notify import build_alert
from tuneline.pipeline.settings import Settings


def handler(event: dict[str, Any], context: Any = None) -> dict[str, Any]:
    settings = Settings.from_env()
    alert = build_alert(event, s3=client("s3"))
    message_id = publish(client("sns"), settings.alert_topic_arn, alert)
    return {"messageId": message_id, "subject": alert.subject}
