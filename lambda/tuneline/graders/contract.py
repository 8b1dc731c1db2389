"""The grader Lambda's contract with Bedrock (docs/bedrock.md §13).

Bedrock calls the grader with a list of samples, each `{"id", "messages": [... the model's answer last, as an
assistant turn], "metadata": {"reference_answer": ..., <the record's other fields>}}`, and expects a list of
`{"id", "aggregate_reward_score": 0.0-1.0, "metrics_list": [...]}` in return. A sample that cannot be graded
scores 0 and its reason is logged: one malformed answer must not fail a training job that samples thousands.
"""

from __future__ import annotations

import logging
import math
from collections.abc import Mapping
from typing import Any

from tuneline.graders.judge import Ask, judge_score
from tuneline.graders.rules import GradingError, Score, score_answer
from tuneline.graders.spec import RULE_GRADERS, GraderSpec

LOGGER = logging.getLogger(__name__)


def grade_samples(event: Any, spec: GraderSpec, *, ask: Ask | None = None) -> list[dict[str, Any]]:
    """Score every sample of one grader invocation."""
    samples = event if isinstance(event, list) else [event]
    return [_grade_one(sample, index, spec, ask) for index, sample in enumerate(samples)]


def _grade_one(sample: Any, index: int, spec: GraderSpec, ask: Ask | None) -> dict[str, Any]:
    identifier = sample.get("id", str(index)) if isinstance(sample, dict) else str(index)
    try:
        if not isinstance(sample, dict):
            raise GradingError(f"the sample is a {type(sample).__name__}, not an object")
        score = grade(spec, sample, ask)
    except GradingError as error:
        score = Score(0.0, str(error))
        LOGGER.info("score 0 for %s: %s", identifier, error)
    except Exception as error:  # any failure scores 0 so the job goes on; the reason is logged
        score = Score(0.0, f"{type(error).__name__}: {error}")
        LOGGER.warning("grader error for %s, scored 0: %s: %s", identifier, type(error).__name__, error)
    return reward(identifier, score, spec.type)


def grade(spec: GraderSpec, sample: Mapping[str, Any], ask: Ask | None) -> Score:
    """One sample's score; raises GradingError when it cannot be graded."""
    answer = answer_text(sample.get("messages"))
    metadata = sample.get("metadata")
    reference = metadata.get("reference_answer") if isinstance(metadata, dict) else None
    if spec.type in RULE_GRADERS:
        return score_answer(spec.type, spec.options, answer, reference)
    if spec.type == "llmJudge":
        if ask is None:
            raise GradingError("no Bedrock client for the judge")
        return judge_score(spec.options, prompt_text(sample.get("messages")), answer, reference, ask)
    raise GradingError(f"a {spec.type} grader is not built into Tuneline")


def reward(identifier: Any, score: Score, metric: str) -> dict[str, Any]:
    value = score.value if math.isfinite(score.value) else 0.0
    value = min(1.0, max(0.0, value))
    return {
        "id": identifier,
        "aggregate_reward_score": value,
        "metrics_list": [{"name": metric, "value": value, "type": "Reward"}],
        "reason": score.reason,
    }


def answer_text(messages: Any) -> str:
    """The model's answer: the last assistant turn (text content or text blocks)."""
    if not isinstance(messages, list):
        raise GradingError("the sample has no 'messages' list")
    for message in reversed(messages):
        if isinstance(message, dict) and message.get("role") == "assistant":
            return _text(message.get("content"))
    raise GradingError("the sample has no assistant answer")


def prompt_text(messages: Any) -> str:
    """The prompt the answer replies to: the last user turn, after the system message if any."""
    turns = [m for m in messages if isinstance(m, dict)] if isinstance(messages, list) else []
    system = [_text(m.get("content")) for m in turns if m.get("role") == "system"]
    users = [_text(m.get("content")) for m in turns if m.get("role") == "user"]
    return "\n\n".join(system + users[-1:])


def parse_rewards(response: Any, expected_ids: list[Any]) -> dict[Any, float]:
    """A grader's answer as id -> score, checked against the contract; raises GradingError if it breaks it."""
    if not isinstance(response, list):
        raise GradingError(f"the grader returned a {type(response).__name__}, not a list of rewards")
    scores: dict[Any, float] = {}
    for item in response:
        value = item.get("aggregate_reward_score") if isinstance(item, dict) else None
        if isinstance(value, bool) or not isinstance(value, int | float) or not 0.0 <= value <= 1.0:
            raise GradingError(f"a reward is not a score from 0 to 1: {str(item)[:120]}")
        scores[item.get("id")] = float(value)
    missing = [i for i in expected_ids if i not in scores]
    if missing:
        raise GradingError(f"the grader returned no score for {', '.join(map(str, missing[:5]))}")
    return scores


def _text(content: Any) -> str:
    if isinstance(content, str):
        return content
    if isinstance(content, list):
        return "".join(block.get("text", "") for block in content if isinstance(block, dict))
    return ""
