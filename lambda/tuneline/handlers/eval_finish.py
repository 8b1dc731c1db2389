"""Finish evaluation: keep the evaluation's serving only when it passed the gate and is what the profile serves."""

from __future__ import annotations

from typing import Any

from tuneline.pipeline.clients import client
from tuneline.pipeline.evaluation_finish import finish_evaluation


def handler(event: dict[str, Any], context: Any = None) -> dict[str, Any]:
    return finish_evaluation(event["state"], bedrock=client("bedrock"))
