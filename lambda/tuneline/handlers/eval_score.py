"""Score evaluation: both models' answers -> metrics, paired comparison, gate; reports/<job>/evaluation.json."""

from __future__ import annotations

from typing import Any

from tuneline.pipeline.clients import client
from tuneline.pipeline.evaluation_score import score_evaluation


def handler(event: dict[str, Any], context: Any = None) -> dict[str, Any]:
    return score_evaluation(event["plan"], event["setup"], event["responses"], s3=client("s3"))
