"""Bedrock job state change (EventBridge) -> a readable alert on the topic."""

from __future__ import annotations

from typing import Any

from tuneline.alerts.messages import format_bedrock_event
from tuneline.pipeline.alert_topic import publish
from tuneline.pipeline.clients import client
from tuneline.pipeline.settings import Settings


def handler(event: dict[str, Any], context: Any = None) -> dict[str, Any]:
    alert = format_bedrock_event(event)
    message_id = publish(client("sns"), Settings.from_env().alert_topic_arn, alert)
    return {"messageId": message_id, "subject": alert.subject}
