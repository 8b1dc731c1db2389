"""Smoke test imported model: one short prompt through InvokeModel in the format the model's family reads."""

from __future__ import annotations

from typing import Any

from tuneline.alerts.text import lookup
from tuneline.imports.smoke import smoke_test
from tuneline.pipeline.clients import client


def handler(event: dict[str, Any], context: Any = None) -> dict[str, Any]:
    model_arn = lookup(event["job"], "importedModelArn")
    return smoke_test(event["check"], str(model_arn), runtime=client("bedrock-runtime"))
