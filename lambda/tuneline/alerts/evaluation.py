"""The verdict of an evaluation in one line, the line the "completed" alert leads with.

"custom beats base on rougeL: 0.41 → 0.52, +0.11 [0.08, 0.14], 142 wins / 31 ties / 27 losses": both means,
the mean difference with its 95% bootstrap interval, and the per-prompt tally (docs/evaluation-scores.md).
"""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

from tuneline.evaluation.comparison import Comparison
from tuneline.evaluation.gate import BELOW_MIN_IMPROVEMENT, NOT_SIGNIFICANT, GateDecision


def verdict_line(comparison: Comparison, gate: GateDecision | None) -> str:
    """What the comparison says, worded by the gate's reason (or by the sign of the difference without one)."""
    return f"{_claim(comparison, gate)}: {_numbers(comparison)}"


def verdict_from_report(report: Mapping[str, Any]) -> str | None:
    """The verdict line of an `evaluation.json` document, or None when it holds no comparison."""
    comparison = report.get("comparison")
    if not isinstance(comparison, Mapping):
        return None
    try:
        parsed = Comparison.from_json(comparison)
    except (KeyError, TypeError, ValueError):
        return None
    gate = report.get("gate")
    decision = GateDecision.from_json(gate, metric=parsed.metric) if isinstance(gate, Mapping) else None
    return verdict_line(parsed, decision)


def _claim(comparison: Comparison, gate: GateDecision | None) -> str:
    candidate, baseline, metric = comparison.candidate, comparison.baseline, comparison.metric
    reason = gate.reason if gate is not None else None
    if reason == BELOW_MIN_IMPROVEMENT and gate is not None:
        required = _signed(gate.min_improvement, _decimals(comparison))
        return f"{candidate} beats {baseline} on {metric} by less than the required {required}"
    if reason == NOT_SIGNIFICANT:
        return f"{candidate} beats {baseline} on {metric}, but not beyond noise (the interval includes 0)"
    if comparison.delta > 0:
        return f"{candidate} beats {baseline} on {metric}"
    if comparison.delta < 0:
        return f"{candidate} is worse than {baseline} on {metric}"
    return f"{candidate} does not beat {baseline} on {metric} (no difference)"


def _numbers(comparison: Comparison) -> str:
    places = _decimals(comparison)
    low, high = comparison.ci95
    return (
        f"{comparison.baseline_mean:.{places}f} → {comparison.candidate_mean:.{places}f}, "
        f"{_signed(comparison.delta, places)} [{low:.{places}f}, {high:.{places}f}], "
        f"{_count(comparison.wins, 'win')} / {_count(comparison.ties, 'tie')} / {_count(comparison.losses, 'loss')}"
    )


def _decimals(comparison: Comparison) -> int:
    # Two places read best; a difference that two places would show as 0.00 gets three.
    return 2 if comparison.delta == 0 or abs(comparison.delta) >= 0.005 else 3


def _signed(value: float, places: int) -> str:
    return f"{value:+.{places}f}"


def _count(number: int, noun: str) -> str:
    plural = noun + ("es" if noun.endswith("s") else "s")
    return f"{number} {noun if number == 1 else plural}"
