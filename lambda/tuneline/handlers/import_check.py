"""Check model folder: marker options, folder identity and names, earlier imports, Bedrock's folder rules."""

from __future__ import annotations

from typing import Any

from tuneline.pipeline.clients import client
from tuneline.pipeline.model_import import check_import


def handler(event: dict[str, Any], context: Any = None) -> dict[str, Any]:
    # The state machine passes the execution input (the marker's bucket, key and version) as `marker`.
    return check_import(event["marker"], s3=client("s3"), bedrock=client("bedrock"))
