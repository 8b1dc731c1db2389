"""Read judge results: the two Bedrock evaluation jobs' scores, merged into the evaluation reports."""

from __future__ import annotations

from typing import Any

from tuneline.pipeline.clients import client
from tuneline.pipeline.evaluation_judge import read_judge_results


def handler(event: dict[str, Any], context: Any = None) -> dict[str, Any]:
    return read_judge_results(event["plan"], event["evaluation"], s3=client("s3"))
