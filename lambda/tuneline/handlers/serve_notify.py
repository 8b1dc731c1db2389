"""Serving alerts: model served, serving failed, or purchase refused by a quota."""

from __future__ import annotations

from typing import Any

from tuneline.alerts.serving import build_serving_alert
from tuneline.pipeline.alert_topic import publish
from tuneline.pipeline.clients import client
from tuneline.pipeline.settings import Settings


def handler(event: dict[str, Any], context: Any = None) -> dict[str, Any]:
    settings = Settings.from_env()
    alert = build_serving_alert(str(event.get("kind")), event.get("state") or {})
    message_id = publish(client("sns"), settings.alert_topic_arn, alert)
    return {"messageId": message_id, "subject": alert.subject}
