"""Validate dataset: every record against the model's rules; stage the copy Bedrock will read."""

from __future__ import annotations

from typing import Any

from tuneline.pipeline.clients import client
from tuneline.pipeline.staging import validate_and_stage


def handler(event: dict[str, Any], context: Any = None) -> dict[str, Any]:
    return validate_and_stage(event["plan"], s3=client("s3"))
