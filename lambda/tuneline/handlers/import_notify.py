"""Notify: write a completed import's model card, format the import alert (imported, already imported, failed)
and publish it."""

from __future__ import annotations

from typing import Any

from tuneline.pipeline.alert_topic import publish
from tuneline.pipeline.clients import client
from tuneline.pipeline.import_notify import finish_import
from tuneline.pipeline.settings import Settings


def handler(event: dict[str, Any], context: Any = None) -> dict[str, Any]:
    settings = Settings.from_env()
    alert = finish_import(event, s3=client("s3"))
    message_id = publish(client("sns"), settings.alert_topic_arn, alert)
    return {"messageId": message_id, "subject": alert.subject}
