"""Check that the staged data is unchanged, the budget and the capacity before any money is spent."""

from __future__ import annotations

from typing import Any

from tuneline.pipeline.capacity import guard
from tuneline.pipeline.clients import client


def handler(event: dict[str, Any], context: Any = None) -> dict[str, Any]:
    execution = event.get("execution")
    return guard(
        event["plan"],
        event["validation"],
        bedrock=client("bedrock"),
        sfn=client("stepfunctions") if execution else None,
        execution=execution,
        queue=event.get("queue"),
        s3=client("s3"),
    )
