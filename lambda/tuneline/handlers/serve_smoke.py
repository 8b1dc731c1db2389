"""Smoke test: call the served model with prompts from its data; write reports/<job>/smoke.json."""

from __future__ import annotations

from typing import Any

from tuneline.pipeline.clients import client
from tuneline.serving import workflow_state as keys
from tuneline.serving.smoke import run_smoke_test


def handler(event: dict[str, Any], context: Any = None) -> dict[str, Any]:
    state = event["state"]
    arn = keys.resource_arn(state)
    if not arn:
        raise ValueError("the workflow state has no served resource ARN to test")
    return run_smoke_test(
        state["plan"], keys.part(state, keys.REQUEST), arn, s3=client("s3"), runtime=client("bedrock-runtime")
    )
