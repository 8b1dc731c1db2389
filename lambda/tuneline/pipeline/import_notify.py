"""Notify steps of the import workflow: turn its state into an alert (imported, already imported, failed).

An import that completed first gets its model card, `reports/imports/<import job>/model-card.json` and `.md`,
beside the check step's report, rendered by the same code as a trained model's (`tuneline.reports.model_card`).
A card that cannot be written makes an alert without its link: the alert matters more.
"""

from __future__ import annotations

import json
import logging
import re
from collections.abc import Mapping
from typing import Any

from botocore.exceptions import ClientError

from tuneline.alerts.imports import import_already_exists, import_completed, import_failed
from tuneline.alerts.text import Alert
from tuneline.aws_values import caught_error, split_s3_uri
from tuneline.layout import IMPORT_REPORTS_PREFIX
from tuneline.pipeline.run_reports import MODEL_CARD_MARKDOWN_NAME, MODEL_CARD_NAME
from tuneline.reports.model_card import build_import_model_card, model_card_json, model_card_markdown

logger = logging.getLogger(__name__)

# The check step's rejection names its report last ("... Full report: s3://bucket/key").
_REPORT_URI = re.compile(r"Full report: (s3://\S+)")


def finish_import(event: Mapping[str, Any], *, s3: Any) -> Alert:
    """The Notify step: write the model card of a completed import, then build the alert that links it."""
    card_uri = None
    if event.get("kind") == "completed":
        card_uri = write_import_model_card(event.get("state") or {}, s3=s3)
    return build_import_alert(event, s3=s3, model_card_uri=card_uri)


def write_import_model_card(state: Mapping[str, Any], *, s3: Any) -> str | None:
    """Store the card as JSON and Markdown; returns the JSON's S3 URI, or None when it could not be written."""
    check: Mapping[str, Any] = state.get("check") or {}
    bucket = (check.get("marker") or {}).get("bucket") or state.get("bucket")
    job_name = check.get("jobName")
    if not bucket or not job_name:
        return None
    card = build_import_model_card(check, state.get("job") or {}, state.get("smoke") or {})
    prefix = f"{IMPORT_REPORTS_PREFIX}{job_name}/"
    try:
        for name, text, content_type in (
            (MODEL_CARD_NAME, model_card_json(card), "application/json"),
            (MODEL_CARD_MARKDOWN_NAME, model_card_markdown(card), "text/markdown"),
        ):
            s3.put_object(
                Bucket=bucket,
                Key=f"{prefix}{name}",
                Body=text.encode("utf-8"),
                ContentType=f"{content_type}; charset=utf-8",
            )
    except ClientError:
        logger.exception("could not write the model card of %s; the alert goes out without it", job_name)
        return None
    return f"s3://{bucket}/{prefix}{MODEL_CARD_NAME}"


def build_import_alert(event: Mapping[str, Any], *, s3: Any, model_card_uri: str | None = None) -> Alert:
    kind = event.get("kind")
    state: Mapping[str, Any] = event.get("state") or {}
    if kind == "completed":
        return import_completed(
            state.get("check") or {}, state.get("job") or {}, state.get("smoke") or {}, model_card_uri=model_card_uri
        )
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
