"""A workflow execution that ended without its own alert (EventBridge) -> release what it bought, then a readable
alert on the topic. Timeouts, aborts, and failures past every Catch; a failure the workflow already alerted on is
skipped."""

from __future__ import annotations

import datetime as dt
import logging
from typing import Any

from botocore.exceptions import ClientError

from tuneline.alerts.messages import format_execution_end
from tuneline.pipeline.alert_topic import publish
from tuneline.pipeline.clients import client
from tuneline.pipeline.execution_end import read_execution_end
from tuneline.pipeline.settings import Settings
from tuneline.serving.janitor import release_for_ended_execution

logger = logging.getLogger(__name__)


def handler(event: dict[str, Any], context: Any = None) -> dict[str, Any]:
    detail = event.get("detail") or {}
    end = read_execution_end(detail, stepfunctions=client("stepfunctions"))
    if end.alert_sent:
        # Its failure branch alerted, and released (or kept, as its profile says) what it bought.
        return {"skipped": "the workflow sent its own failure alert", "status": end.status, "error": end.error}
    execution_name = str(detail.get("name") or "")
    # The execution never reached its own release step: delete its no-commitment serving now rather than at
    # its expiry. Failures to delete are reported in the alert with the command, never raised.
    try:
        outcomes = release_for_ended_execution(
            bedrock=client("bedrock"), execution_name=execution_name, now=dt.datetime.now(dt.UTC)
        )
    except ClientError:
        # The alert matters more: it still tells how to find and delete what may be billing.
        logger.exception("could not look up the serving of execution %s", execution_name)
        outcomes = []
    released = [outcome.to_dict() for outcome in outcomes]
    alert = format_execution_end({**event, "detail": {**detail, "error": end.error, "cause": end.cause}}, released)
    message_id = publish(client("sns"), Settings.from_env().alert_topic_arn, alert)
    return {"messageId": message_id, "subject": alert.subject, "released": released}
