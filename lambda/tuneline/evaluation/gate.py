"""The gate between evaluation and serving (docs/evaluation-scores.md, "The gate").

Serving is kept or bought only when the candidate beats the baseline on the gate metric: the mean
difference is above zero and at least `min_improvement`, and, when significance is required, the whole 95%
interval lies above zero, so a difference the bootstrap cannot tell from noise does not pass.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass
from typing import Any

from tuneline.evaluation.comparison import Comparison

# Why the gate decided as it did; the first unmet condition wins.
PASSED = "passed"
NOT_BETTER = "not-better"
BELOW_MIN_IMPROVEMENT = "below-min-improvement"
NOT_SIGNIFICANT = "not-significant"


@dataclass(frozen=True)
class GateDecision:
    passed: bool
    metric: str
    min_improvement: float
    require_significance: bool
    # PASSED, NOT_BETTER, BELOW_MIN_IMPROVEMENT or NOT_SIGNIFICANT.
    reason: str

    @classmethod
    def from_json(cls, data: Mapping[str, Any], *, metric: str) -> GateDecision:
        """The inverse of `to_json`; `metric` fills in for documents that leave it out."""
        passed = bool(data["passed"]) if "passed" in data else False
        return cls(
            passed=passed,
            metric=str(data.get("metric", metric)),
            min_improvement=float(data.get("minImprovement", 0.0)),
            require_significance=bool(data.get("requireSignificance", False)),
            reason=str(data.get("reason", PASSED if passed else NOT_BETTER)),
        )

    def to_json(self) -> dict[str, Any]:
        return {
            "passed": self.passed,
            "metric": self.metric,
            "minImprovement": self.min_improvement,
            "requireSignificance": self.require_significance,
            "reason": self.reason,
        }


def decide(comparison: Comparison, *, min_improvement: float, require_significance: bool) -> GateDecision:
    """Pass or fail the candidate. The first unmet condition is the reason, so an alert can name it."""
    if min_improvement < 0:
        raise ValueError(f"min_improvement must be 0 or more, got {min_improvement}")
    if comparison.delta <= 0:
        reason = NOT_BETTER
    elif comparison.delta < min_improvement:
        reason = BELOW_MIN_IMPROVEMENT
    elif require_significance and comparison.ci95[0] <= 0:
        reason = NOT_SIGNIFICANT
    else:
        reason = PASSED
    return GateDecision(
        passed=reason == PASSED,
        metric=comparison.metric,
        min_improvement=min_improvement,
        require_significance=require_significance,
        reason=reason,
    )
