"""Summarize metrics: losses, perplexity and an overfitting flag from Bedrock's CSVs -> reports/<job>/summary.json."""

from __future__ import annotations

from typing import Any

from tuneline.pipeline.clients import client
from tuneline.pipeline.summary import summarize_job


def handler(event: dict[str, Any], context: Any = None) -> dict[str, Any]:
    return summarize_job(event["plan"], event["job"], s3=client("s3"))
