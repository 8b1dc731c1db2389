"""Score evaluation: both models' answers -> metrics, paired comparison, gate; reports/<job>/evaluation.json.
Or, before training, the base model's answers against skipTrainingAbove; reports/<job>/baseline.json."""

from __future__ import annotations

from typing import Any

from tuneline.pipeline.clients import client
from tuneline.pipeline.evaluation_score import check_baseline, score_evaluation


def handler(event: dict[str, Any], context: Any = None) -> dict[str, Any]:
    # The check before training scores the base model alone (docs/decisions/0011-evaluation-stage.md).
    score = check_baseline if event.get("baseOnly") else score_evaluation
    return score(event["plan"], event["setup"], event["responses"], s3=client("s3"))
