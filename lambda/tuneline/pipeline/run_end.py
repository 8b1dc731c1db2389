"""The customize workflow's Notify step: at the end of a run, write its reports first, then alert with links.

"started" only alerts. "completed" and "failed" are the two ways a run ends through the workflow (a timeout or
an abort bypasses it; see docs/decisions/0007-formatter-for-execution-ends.md): they write the report page, the
model card and the leaderboard row (`run_reports.py`), then publish the alert with the page's URI. A report
that cannot be written is logged and left out; the alert still goes out.
"""

from __future__ import annotations

import datetime as dt
import logging
from collections.abc import Mapping
from typing import Any

from tuneline.alerts.messages import with_report_links
from tuneline.pipeline.alert_topic import publish
from tuneline.pipeline.notify import build_alert
from tuneline.pipeline.run_reports import write_run_reports

logger = logging.getLogger(__name__)

RUN_ENDS = ("completed", "failed")


def notify(
    event: Mapping[str, Any], *, s3: Any, sns: Any, stepfunctions: Any, topic_arn: str, now: dt.datetime
) -> dict[str, Any]:
    kind = str(event.get("kind") or "")
    written: dict[str, str] = {}
    if kind in RUN_ENDS:
        try:
            written = write_run_reports(
                kind,
                event.get("state") or {},
                s3=s3,
                stepfunctions=stepfunctions,
                execution_arn=event.get("execution"),
                now=now,
            )
        except Exception:  # the alert must go out even when a report cannot be written
            logger.exception("could not write the run's reports")
    alert = with_report_links(build_alert(event, s3=s3), written)
    message_id = publish(sns, topic_arn, alert)
    return {"messageId": message_id, "subject": alert.subject, **written}
