"""Notify steps of the import workflow: turn its state into an alert (imported, already imported, failed)."""

from __future__ import annotations

import json
import re
from collections.abc import Mapping
from typing import Any

from tuneline.alerts.imports import import_already_exists, import_completed, import_failed
from tuneline.alerts.text import Alert
from tuneline.aws_values import caught_error, split_s3_uri

# The check step's rejection names its report last ("... Full report: s3://bucket/key").
_REPORT_URI = re.compile(r"Full report: (s3://\S+)")


def build_import_alert(event: Mapping[str, Any], *, s3: Any) -> Alert:
    kind = event.get("kind")
    state: Mapping[str, Any] = event.get("state") or {}
    if kind == "completed":
        return import_completed(state.get("check") or {}, state.get("job") or {}, state.get("smoke") or {})
    if kind == "duplicate":
        return import_already_exists(state.get("check") or {})
    if kind == "failed":
        report, uri = _rejection_report(state, s3=s3)
        return import_failed(state, report, uri)
    raise ValueError(f"unknown import alert kind {kind!r}; expected completed, duplicate or failed")


def _rejection_report(state: Mapping[str, Any], *, s3: Any) -> tuple[dict[str, Any] | None, str | None]:
    _, error = caught_error(state)
    if error.get("Error") != "ModelFolderRejected":
        return None, None
    match = _REPORT_URI.search(_error_message(str(error.get("Cause") or "")))
    if not match:
        return None, None
    uri = match.group(1)
    bucket, key = split_s3_uri(uri)
    try:
        report = json.loads(s3.get_object(Bucket=bucket, Key=key)["Body"].read())
    except Exception:  # the alert must still go out, with the error message instead of the report
        return None, uri
    return (report if isinstance(report, dict) else None), uri


def _error_message(cause: str) -> str:
    """A Lambda error's cause is a JSON document; its errorMessage holds our text, unshortened."""
    try:
        document = json.loads(cause)
    except ValueError:
        return cause
    if isinstance(document, dict) and isinstance(document.get("errorMessage"), str):
        return str(document["errorMessage"])
    return cause
