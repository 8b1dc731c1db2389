"""The gate: serving only when the candidate beats the baseline by the margin, and beyond noise when asked."""

from __future__ import annotations

import pytest

from tuneline.evaluation.comparison import Comparison
from tuneline.evaluation.gate import GateDecision, decide


def _comparison(delta: float, low: float, high: float) -> Comparison:
    return Comparison("rougeL", "base", "custom", 0.4, 0.4 + delta, delta, (low, high), 10, 5, 5)


@pytest.mark.parametrize(
    ("delta", "low", "minimum", "significance", "reason"),
    [
        (0.11, 0.08, 0.0, False, "passed"),
        (0.11, 0.08, 0.10, True, "passed"),
        (0.0, -0.01, 0.0, False, "not-better"),  # a tie does not beat the base
        (-0.05, -0.08, 0.0, False, "not-better"),
        (0.03, 0.01, 0.05, False, "below-min-improvement"),
        (0.03, -0.01, 0.0, True, "not-significant"),
        (0.03, 0.0, 0.0, True, "not-significant"),  # the lower bound must be above 0, not at it
        (0.03, -0.01, 0.0, False, "passed"),  # without significance the interval does not matter
    ],
)
def test_the_gate_decides_by_the_first_unmet_condition(
    delta: float, low: float, minimum: float, significance: bool, reason: str
) -> None:
    decision = decide(_comparison(delta, low, 0.2), min_improvement=minimum, require_significance=significance)
    assert (decision.passed, decision.reason) == (reason == "passed", reason)
    assert decision.to_json()["minImprovement"] == minimum


def test_a_negative_margin_is_refused() -> None:
    with pytest.raises(ValueError, match="0 or more"):
        decide(_comparison(0.1, 0.05, 0.2), min_improvement=-0.01, require_significance=False)


def test_the_json_form_round_trips() -> None:
    decision = decide(_comparison(0.03, 0.01, 0.05), min_improvement=0.05, require_significance=True)
    assert GateDecision.from_json(decision.to_json(), metric="ignored") == decision
