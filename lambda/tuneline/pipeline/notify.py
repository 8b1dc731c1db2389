"""Notify steps: turn workflow state into a readable alert and publish it to the alert topic."""

from __future__ import annotations

import json
from collections.abc import Mapping
from typing import Any

from tuneline.alerts.messages import dataset_rejected, job_completed, job_started, pipeline_failed, training_skipped
from tuneline.alerts.serving import serving_left_running
from tuneline.alerts.text import Alert
from tuneline.aws_values import caught_error, split_s3_uri
from tuneline.pipeline.staging import REPORT_NAME


def build_alert(event: Mapping[str, Any], *, s3: Any) -> Alert:
    kind = event.get("kind")
    if kind == "started":
        plan = dict(event["plan"])
        plan["estimate"] = event.get("guard")
        plan["validationStats"] = event.get("validation")
        return job_started(plan, None)
    state = event.get("state") or {}
    if kind == "completed":
        return job_completed(
            state["plan"],
            state.get("metrics") or {},
            state.get("job") or {},
            evaluation=state.get("evaluation"),
            serving=state.get("serving"),
            judge=state.get("judge"),
        )
    if kind == "failed":
        return _failure_alert(state, s3=s3)
    if kind == "baselineSufficient":
        return training_skipped(state["plan"], state.get("baseline") or {})
    raise ValueError(f"unknown alert kind {kind!r}; expected started, completed, failed or baselineSufficient")


def _failure_alert(state: Mapping[str, Any], *, s3: Any) -> Alert:
    failed_state, error = caught_error(state)
    name, cause = str(error.get("Error", "Unknown")), str(error.get("Cause", ""))
    plan = state.get("plan")
    source = {k: state[k] for k in ("bucket", "key", "versionId", "profile") if k in state} or None
    if name == "DatasetRejected" and plan:
        report, uri = _read_report(plan, s3=s3)
        if report is not None:
            return dataset_rejected(plan, report, uri)
    # A failed `.sync` job's cause is the job description: parse_cause reads its status and failureMessage.
    alert = pipeline_failed(plan=plan, source=source, error=name, cause=cause, state=failed_state)
    # A step after a serving purchase failed (release, or an alert): say what is still up and may bill.
    left_running = serving_left_running(state)
    if left_running:
        alert = Alert(subject=alert.subject, body=f"{alert.body}\n" + "\n".join(left_running) + "\n")
    return alert


def _read_report(plan: Mapping[str, Any], *, s3: Any) -> tuple[dict[str, Any] | None, str | None]:
    bucket = plan.get("source", {}).get("bucket") or split_s3_uri(plan["outputDataUri"])[0]
    key = f"{plan['reportPrefix']}{REPORT_NAME}"
    try:
        body = s3.get_object(Bucket=bucket, Key=key)["Body"].read()
        return json.loads(body), f"s3://{bucket}/{key}"
    except Exception:  # the alert must still go out, with the error message instead of the report
        return None, None
