"""Companions that come too late: a validation set or manifest uploaded after the Plan step of its dataset's
running execution read the companions is not used by that job. The intake finds those executions so the
uploader hears it at once instead of finding out from the model.

Versions decide, not clocks: the plan records the version of each companion it read (`validationSource`,
`manifestSource`), and a companion whose current version is not that one came too late for that run.
"""

from __future__ import annotations

import json
import logging
from collections.abc import Iterator, Mapping
from dataclasses import dataclass
from datetime import datetime
from typing import Any

from tuneline.alerts.late_companions import companion_not_used
from tuneline.jobs.keys import classify_key
from tuneline.pipeline.alert_topic import publish

logger = logging.getLogger(__name__)

# The state that reads the companions (stacks/constructs/customize_workflow.py).
PLAN_STATE = "Plan job"
# Plan is among the first states an execution enters; its exit is within the history's first page.
_HISTORY_PAGE = 100
# Where the plan records the companion of each kind it read.
_PLANNED_SOURCE = {"validation": "validationSource", "manifest": "manifestSource"}


@dataclass(frozen=True)
class PlannedRun:
    """A running execution whose Plan step has finished: what it planned, and when."""

    execution_arn: str
    execution_name: str
    plan: Mapping[str, Any]
    planned_at: datetime

    @property
    def job_name(self) -> str:
        return str(self.plan.get("jobName") or self.execution_name)

    def read_version(self, kind: str, key: str) -> str | None:
        """The version of `key` this run planned with, or None when it read no such companion."""
        source = self.plan.get(_PLANNED_SOURCE.get(kind, "")) or {}
        return source.get("versionId") if source.get("key") == key else None


def planned_runs(sfn: Any, state_machine_arn: str, training_key: str) -> Iterator[PlannedRun]:
    """The running executions of `training_key` whose Plan step has read the companions already."""
    paginator = sfn.get_paginator("list_executions")
    for page in paginator.paginate(stateMachineArn=state_machine_arn, statusFilter="RUNNING"):
        for item in page.get("executions", []):
            started_with = json.loads(sfn.describe_execution(executionArn=item["executionArn"])["input"])
            if started_with.get("key") != training_key:
                continue
            planned = _plan_exit(sfn, item["executionArn"])
            if planned is not None:
                planned_at, plan = planned
                yield PlannedRun(
                    execution_arn=item["executionArn"], execution_name=item["name"], plan=plan, planned_at=planned_at
                )


def _plan_exit(sfn: Any, execution_arn: str) -> tuple[datetime, Mapping[str, Any]] | None:
    history = sfn.get_execution_history(executionArn=execution_arn, maxResults=_HISTORY_PAGE)
    for event in history.get("events", []):
        details = event.get("stateExitedEventDetails") or {}
        if details.get("name") != PLAN_STATE:
            continue
        try:
            plan = json.loads(details.get("output") or "{}").get("plan") or {}
        except ValueError:
            plan = {}
        return event["timestamp"], plan
    return None


def alert_late_companion(
    *, s3: Any, sfn: Any, sns: Any, topic_arn: str, state_machine_arn: str, bucket: str, key: str
) -> int:
    """Alert once per running execution of the companion's dataset that planned without this version of it;
    returns how many alerts went out. Anything but a validation set or manifest under incoming/ is left
    alone."""
    incoming = classify_key(key, url_encoded=False)
    if incoming is None or incoming.kind not in _PLANNED_SOURCE:
        return 0
    current = s3.head_object(Bucket=bucket, Key=key).get("VersionId")
    sent = 0
    for run in planned_runs(sfn, state_machine_arn, incoming.training_key):
        if run.read_version(incoming.kind, key) == current:
            continue  # it read this very version
        publish(
            sns,
            topic_arn,
            companion_not_used(
                bucket=bucket,
                companion_key=key,
                kind=incoming.kind,
                training_key=incoming.training_key,
                job_name=run.job_name,
                execution_arn=run.execution_arn,
                planned_at=run.planned_at,
            ),
        )
        logger.info("s3://%s/%s is not the version %s planned with: alert sent", bucket, key, run.execution_name)
        sent += 1
    return sent
