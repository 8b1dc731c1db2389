"""Prepare evaluation: stage the evaluation set and prepare how the custom model is served for it (nothing to
serve when only the base model is asked, or when the model is imported)."""

from __future__ import annotations

from typing import Any

from tuneline.pipeline.clients import client
from tuneline.pipeline.evaluation_prepare import prepare_evaluation
from tuneline.serving.request import request_time


def handler(event: dict[str, Any], context: Any = None) -> dict[str, Any]:
    return prepare_evaluation(
        event["plan"],
        event.get("metrics"),
        event.get("job"),
        execution=str(event.get("execution") or ""),
        now=request_time(event.get("enteredTime")),
        s3=client("s3"),
        base_only=bool(event.get("baseOnly")),
        custom_model_id=event.get("customModelId"),
    )
