"""A workflow execution that timed out or was aborted (EventBridge) -> a readable alert on the topic."""

from __future__ import annotations

from typing import Any

from tuneline.alerts.messages import format_execution_end
from tuneline.pipeline.clients import client
from tuneline.pipeline.notify import publish
from tuneline.pipeline.settings import Settings


def handler(event: dict[str, Any], context: Any = None) -> dict[str, Any]:
    alert = format_execution_end(event)
    message_id = publish(client("sns"), Settings.from_env().alert_topic_arn, alert)
    return {"messageId": message_id, "subject": alert.subject}
