"""The end of every customize run (succeeded, rejected or failed): the report page, the model card and the
leaderboard row, written under reports/ before the final alert goes out.

`build_run_record` gathers the run record (`tuneline.reports.record`) from the workflow's state, the reports the
earlier steps wrote and the execution history; `write_run_reports` renders and stores everything. Parts that
cannot be read make a shorter page: the alert matters more than the page, so nothing here may stop it.
"""

from __future__ import annotations

import datetime as dt
import json
import logging
from collections.abc import Mapping
from typing import Any

from botocore.exceptions import ClientError

from tuneline.alerts.explain import explain, parse_cause
from tuneline.aws_values import caught_error
from tuneline.errors import DatasetRejected
from tuneline.layout import LEADERBOARD_KEY, LEADERBOARD_PAGE_KEY
from tuneline.pipeline.leaderboard_store import update_leaderboard
from tuneline.pipeline.staging import REPORT_NAME
from tuneline.pipeline.summary import SERIES_NAME, SUMMARY_NAME
from tuneline.reports import record as rec
from tuneline.reports.job_page import render_job_report
from tuneline.reports.leaderboard import REPORT_PAGE_NAME, leaderboard_row
from tuneline.reports.model_card import build_model_card, model_card_json, model_card_markdown
from tuneline.reports.timeline import timeline

logger = logging.getLogger(__name__)

# Written by the evaluation workflow when it ran: {"models", "comparison", "gate"}.
EVALUATION_NAME = "evaluation.json"
SMOKE_NAME = "smoke.json"
MODEL_CARD_NAME = "model-card.json"
MODEL_CARD_MARKDOWN_NAME = "model-card.md"
# The run record itself, for `tuneline report` and for anyone who wants the numbers behind the page.
RUN_RECORD_NAME = "run.json"
# A long queue wait or serving poll adds events; the timeline needs the states, not every retry of a poll.
MAX_HISTORY_PAGES = 20


def outcome(kind: str, state: Mapping[str, Any]) -> str:
    if kind == "completed":
        return rec.SUCCEEDED
    _, error = caught_error(state)
    return rec.REJECTED if error.get("Error") == DatasetRejected.__name__ else rec.FAILED


def build_run_record(
    kind: str,
    state: Mapping[str, Any],
    *,
    s3: Any,
    stepfunctions: Any | None,
    execution_arn: str | None,
    now: dt.datetime,
) -> dict[str, Any] | None:
    """The run record, or None when the run failed before it had a plan (no job name, so no reports/<job>/)."""
    plan = state.get("plan")
    if not isinstance(plan, Mapping) or not plan.get("jobName"):
        return None
    bucket = str(plan["source"]["bucket"])
    prefix = str(plan["reportPrefix"])
    events = _history(stepfunctions, execution_arn) if stepfunctions and execution_arn else []
    steps = timeline(events)
    record: dict[str, Any] = {
        "jobName": plan["jobName"],
        "outcome": outcome(kind, state),
        "profile": plan.get("profile"),
        "startedAt": steps[0]["enteredAt"] if steps else None,
        "endedAt": _iso(now),
        "plan": dict(plan),
        "source": {**plan["source"], "eTag": (state.get("validation") or {}).get("sourceETag")},
        "validation": state.get("validation"),
        "validationReport": _read_json(s3, bucket, f"{prefix}{REPORT_NAME}"),
        "estimate": state.get("guard"),
        "job": state.get("job"),
        "summary": state.get("metrics"),
        "series": _read_json(s3, bucket, f"{prefix}{SERIES_NAME}"),
        "evaluation": _read_json(s3, bucket, f"{prefix}{EVALUATION_NAME}"),
        "serving": state.get("serving"),
        "timeline": steps,
    }
    if record["outcome"] != rec.SUCCEEDED:
        record["error"] = _error(state)
    record["artifacts"] = _artifacts(record, bucket, prefix)
    return {k: v for k, v in record.items() if v is not None}


def write_run_reports(
    kind: str,
    state: Mapping[str, Any],
    *,
    s3: Any,
    stepfunctions: Any | None,
    execution_arn: str | None,
    now: dt.datetime,
) -> dict[str, str]:
    """Renders and stores the run's page, card (when a model was made) and leaderboard row; returns their URIs."""
    record = build_run_record(kind, state, s3=s3, stepfunctions=stepfunctions, execution_arn=execution_arn, now=now)
    if record is None:
        return {}
    bucket, prefix = str(record["plan"]["source"]["bucket"]), str(record["plan"]["reportPrefix"])
    written = {
        "reportUri": _put(s3, bucket, f"{prefix}{REPORT_PAGE_NAME}", render_job_report(record), "text/html"),
        "runUri": _put(s3, bucket, f"{prefix}{RUN_RECORD_NAME}", json.dumps(record, indent=1), "application/json"),
    }
    if rec.custom_model_arn(record):
        card = build_model_card(record)
        written["modelCardUri"] = _put(
            s3, bucket, f"{prefix}{MODEL_CARD_NAME}", model_card_json(card), "application/json"
        )
        _put(s3, bucket, f"{prefix}{MODEL_CARD_MARKDOWN_NAME}", model_card_markdown(card), "text/markdown")
    update_leaderboard(s3, bucket, leaderboard_row(record))
    written["leaderboardUri"] = f"s3://{bucket}/{LEADERBOARD_PAGE_KEY}"
    return written


def _error(state: Mapping[str, Any]) -> dict[str, Any]:
    # The Catch that led here wrote the error under the failing state's name (tuneline.aws_values).
    failed_state, error = caught_error(state)
    name, cause = str(error.get("Error") or "Unknown"), str(error.get("Cause") or "")
    explanation = explain(name, parse_cause(cause))
    command = f"{explanation.command[0]} {explanation.command[1]}" if explanation.command else None
    return {
        "error": name,
        "cause": cause,
        "step": failed_state,
        "meaning": explanation.meaning,
        "action": explanation.action,
        "command": command,
    }


def _artifacts(record: Mapping[str, Any], bucket: str, prefix: str) -> list[dict[str, str]]:
    plan = rec.part(record, "plan")
    source, validation_source = rec.part(plan, "source"), rec.part(plan, "validationSource")
    candidates = [
        ("uploaded dataset", _uri(source.get("bucket"), source.get("key"))),
        ("uploaded validation set", _uri(validation_source.get("bucket"), validation_source.get("key"))),
        ("validation report", f"s3://{bucket}/{prefix}{REPORT_NAME}" if record.get("validationReport") else None),
    ]
    if record.get("outcome") != rec.REJECTED and record.get("estimate"):
        candidates += [
            ("staged training data", plan.get("trainingDataUri")),
            ("staged validation data", plan.get("validationDataUri") if plan.get("hasValidation") else None),
        ]
    if record.get("summary"):
        candidates += [
            ("Bedrock output (metric CSVs)", plan.get("outputDataUri")),
            ("metrics summary", f"s3://{bucket}/{prefix}{SUMMARY_NAME}"),
        ]
    if record.get("evaluation"):
        candidates.append(("evaluation", f"s3://{bucket}/{prefix}{EVALUATION_NAME}"))
    if rec.part(record, "serving").get("reportUri"):
        candidates.append(("smoke test", rec.part(record, "serving")["reportUri"]))
    candidates += [
        ("this page", f"s3://{bucket}/{prefix}{REPORT_PAGE_NAME}"),
        ("run record", f"s3://{bucket}/{prefix}{RUN_RECORD_NAME}"),
    ]
    if rec.custom_model_arn(record):
        candidates += [
            ("model card (JSON)", f"s3://{bucket}/{prefix}{MODEL_CARD_NAME}"),
            ("model card (Markdown)", f"s3://{bucket}/{prefix}{MODEL_CARD_MARKDOWN_NAME}"),
        ]
    candidates.append(("leaderboard", f"s3://{bucket}/{LEADERBOARD_KEY}"))
    return [{"name": name, "uri": uri} for name, uri in candidates if uri]


def _history(stepfunctions: Any, execution_arn: str) -> list[dict[str, Any]]:
    events: list[dict[str, Any]] = []
    kwargs: dict[str, Any] = {"executionArn": execution_arn, "maxResults": 1000, "includeExecutionData": False}
    try:
        for _ in range(MAX_HISTORY_PAGES):
            page = stepfunctions.get_execution_history(**kwargs)
            events.extend(page.get("events") or [])
            if not page.get("nextToken"):
                break
            kwargs["nextToken"] = page["nextToken"]
    except ClientError:
        logger.exception("could not read the history of %s; the report has no timeline", execution_arn)
    return events


def _read_json(s3: Any, bucket: str, key: str) -> Any:
    try:
        body = s3.get_object(Bucket=bucket, Key=key)["Body"].read()
    except ClientError:
        return None  # this run never wrote it (rejected before metrics, no evaluation, ...)
    try:
        return json.loads(body)
    except ValueError:
        logger.warning("s3://%s/%s is not JSON; left out of the report", bucket, key)
        return None


def _put(s3: Any, bucket: str, key: str, text: str, content_type: str) -> str:
    s3.put_object(Bucket=bucket, Key=key, Body=text.encode("utf-8"), ContentType=f"{content_type}; charset=utf-8")
    return f"s3://{bucket}/{key}"


def _uri(bucket: Any, key: Any) -> str | None:
    return f"s3://{bucket}/{key}" if bucket and key else None


def _iso(value: dt.datetime) -> str:
    return value.astimezone(dt.UTC).isoformat(timespec="seconds").replace("+00:00", "Z")
