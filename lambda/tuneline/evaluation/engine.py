"""Scores, summaries and the comparison of models, as one JSON document (docs/evaluation-scores.md).

The evaluation Lambda and `tuneline evaluate` both call `evaluate`, so a model is judged the same way in the
pipeline and on a laptop.
"""

from __future__ import annotations

import math
from collections.abc import Callable, Iterable, Mapping, Sequence
from typing import Any

from tuneline.evaluation.comparison import DEFAULT_RESAMPLES, DEFAULT_SEED, compare
from tuneline.evaluation.gate import decide
from tuneline.evaluation.metrics import GATE_METRICS, JSON_VALID, LENGTH_RATIO, METRICS, score_response
from tuneline.evaluation.records import EvalItem, Scored

# Records without a category are summarized under this name once any record has one.
UNCATEGORIZED = "(none)"
SUMMARY_METRICS: tuple[str, ...] = (*METRICS, LENGTH_RATIO, JSON_VALID)


class NoPairedScores(ValueError):
    """The gate metric is on no record of both models (jsonValid without JSON references)."""


def score_items(
    items: Sequence[EvalItem], responses: Sequence[str], *, progress: Callable[[int], None] | None = None
) -> list[Scored]:
    """Score one model's responses, `responses[i]` answering `items[i]`.

    `progress(done)` hears the characters scored so far (response plus reference), the measure of the work.
    """
    if len(items) != len(responses):
        raise ValueError(f"{len(items)} items but {len(responses)} responses")
    scored: list[Scored] = []
    done = 0
    for item, response in zip(items, responses, strict=True):
        scored.append(Scored(item, response, score_response(response, item.reference)))
        if progress is not None:
            done += scored_characters(item, response)
            progress(done)
    return scored


def scored_characters(item: EvalItem, response: str) -> int:
    """The work of scoring one response, for progress: the characters compared."""
    return len(response) + len(item.reference)


def summarize(scored: Sequence[Scored]) -> dict[str, Any]:
    """`{"count", "exactMatch", "tokenF1", "rougeL", "lengthRatio", ["jsonValid"], "byCategory": {...}}`.

    Each metric is its mean over the records that have it (`jsonValid` only over JSON references, and only
    present when there are some). `byCategory` holds the same summary per category, empty when no record has
    one.
    """
    summary = _means(scored)
    categories: dict[str, list[Scored]] = {}
    if any(record.item.category is not None for record in scored):
        for record in scored:
            categories.setdefault(record.item.category or UNCATEGORIZED, []).append(record)
    summary["byCategory"] = {name: _means(records) for name, records in sorted(categories.items())}
    return summary


def evaluate(
    responses: Mapping[str, Sequence[Scored]],
    *,
    baseline: str | None,
    gate_metric: str = "rougeL",
    min_improvement: float = 0.0,
    require_significance: bool = False,
    seed: int = DEFAULT_SEED,
    resamples: int = DEFAULT_RESAMPLES,
) -> dict[str, Any]:
    """`{"models": {NAME: summary}, "comparison": {...}, "gate": {...}}`, the contract of `tuneline evaluate`.

    Comparison and gate appear only with exactly two models: the baseline is `baseline` (or the first name)
    and the other is the candidate. Every model must have scored the same items in the same order.
    """
    if not responses:
        raise ValueError("no models to evaluate")
    if baseline is not None and baseline not in responses:
        raise ValueError(f"baseline {baseline!r} is not one of the models: {', '.join(responses)}")
    if gate_metric not in GATE_METRICS:
        raise ValueError(f"gate metric {gate_metric!r} is not one of {', '.join(GATE_METRICS)}")
    result: dict[str, Any] = {"models": {name: summarize(scored) for name, scored in responses.items()}}
    if len(responses) != 2:
        return result
    baseline_name = baseline or next(iter(responses))
    candidate_name = next(name for name in responses if name != baseline_name)
    before, after = paired_scores(responses[baseline_name], responses[candidate_name], gate_metric)
    comparison = compare(
        before,
        after,
        metric=gate_metric,
        baseline_name=baseline_name,
        candidate_name=candidate_name,
        seed=seed,
        resamples=resamples,
    )
    gate = decide(comparison, min_improvement=min_improvement, require_significance=require_significance)
    result["comparison"] = comparison.to_json()
    result["gate"] = gate.to_json()
    return result


def paired_scores(
    baseline: Sequence[Scored], candidate: Sequence[Scored], metric: str
) -> tuple[list[float], list[float]]:
    """Both models' `metric` on the records where both have it (`jsonValid`: the JSON references)."""
    if len(baseline) != len(candidate):
        raise ValueError(f"the models scored different numbers of records: {len(baseline)} and {len(candidate)}")
    pairs = [
        (first.scores[metric], second.scores[metric])
        for first, second in zip(baseline, candidate, strict=True)
        if metric in first.scores and metric in second.scores
    ]
    if not pairs:
        raise NoPairedScores(f"no record has {metric} (jsonValid needs references that are JSON objects or arrays)")
    return [pair[0] for pair in pairs], [pair[1] for pair in pairs]


def _means(records: Sequence[Scored]) -> dict[str, Any]:
    summary: dict[str, Any] = {"count": len(records)}
    for metric in SUMMARY_METRICS:
        values = [record.scores[metric] for record in records if metric in record.scores]
        if values or metric != JSON_VALID:
            summary[metric] = _mean(values)
    return summary


def _mean(values: Iterable[float]) -> float:
    listed = list(values)
    return math.fsum(listed) / len(listed) if listed else 0.0
