"""Smoke test imported model: one short prompt through InvokeModel in the format the model's family reads.

One attempt per call: the state machine calls again while the model is still loading (imports/smoke.py)."""

from __future__ import annotations

from typing import Any

from tuneline.aws_values import lookup
from tuneline.imports.smoke import smoke_test
from tuneline.pipeline.clients import single_attempt_client


def handler(event: dict[str, Any], context: Any = None) -> dict[str, Any]:
    model_arn = lookup(event["job"], "importedModelArn")
    return smoke_test(event["check"], str(model_arn), runtime=single_attempt_client("bedrock-runtime"))
