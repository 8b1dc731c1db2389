"""The customize workflow's Notify step: at the end of a run, write its reports first, then alert with links.

"started" only alerts. "completed" and "failed" are the two ways a run ends through the workflow (a timeout or
an abort bypasses it; see docs/decisions/0007-formatter-for-execution-ends.md): they write the report page, the
model card and the leaderboard row (`run_reports.py`), then publish the alert with the page's URI. A report
that cannot be written is logged and left out; the alert still goes out.

The alert is delivered by `alert_delivery.deliver`: a refused publish is retried by the Notify state (the reports
are written again on each attempt, which overwrites them with the same content), and on the last attempt the
alert is kept under reports/<job>/alerts/ instead (docs/decisions/0014-alerts-never-decide-a-job.md).
"""

from __future__ import annotations

import datetime as dt
import logging
from collections.abc import Mapping
from typing import Any

from tuneline.alerts.messages import with_report_links
from tuneline.pipeline.alert_delivery import AlertChannels, deliver, job_folder_of
from tuneline.pipeline.notify import build_alert
from tuneline.pipeline.run_reports import write_run_reports

logger = logging.getLogger(__name__)

RUN_ENDS = ("completed", "failed")


def notify(
    event: Mapping[str, Any], *, channels: AlertChannels, stepfunctions: Any, now: dt.datetime
) -> dict[str, Any]:
    """Write the run's reports when it ended, then deliver the alert; `event["attempt"]` is the Notify state's
    retry count."""
    kind = str(event.get("kind") or "")
    s3 = channels.s3
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
    delivered = deliver(
        alert,
        channels,
        kind=kind,
        job_folder=job_folder_of(event),
        attempt=int(event.get("attempt") or 0),
        now=now,
    )
    return {**delivered, **written}
