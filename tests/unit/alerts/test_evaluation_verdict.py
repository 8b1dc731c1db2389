"""The verdict line the "completed" alert leads with: the claim, both means, the interval and the tally."""

from __future__ import annotations

import pytest

from tuneline.alerts.evaluation import verdict_from_report, verdict_line
from tuneline.evaluation.comparison import Comparison
from tuneline.evaluation.gate import decide


def _comparison(before: float, after: float, low: float, high: float, tally: tuple[int, int, int]) -> Comparison:
    return Comparison("rougeL", "base", "custom", before, after, after - before, (low, high), *tally)


def test_a_passing_gate_reads_custom_beats_base_with_the_numbers() -> None:
    comparison = _comparison(0.41, 0.52, 0.08, 0.14, (142, 31, 27))
    gate = decide(comparison, min_improvement=0.05, require_significance=True)
    assert verdict_line(comparison, gate) == (
        "custom beats base on rougeL: 0.41 → 0.52, +0.11 [0.08, 0.14], 142 wins / 31 ties / 27 losses"
    )


@pytest.mark.parametrize(
    ("after", "low", "high", "minimum", "significance", "claim"),
    [
        (0.30, -0.14, -0.08, 0.0, False, "custom is worse than base on rougeL: 0.41 → 0.30, -0.11 [-0.14, -0.08]"),
        (0.41, -0.02, 0.02, 0.0, False, "custom does not beat base on rougeL (no difference): 0.41 → 0.41, +0.00"),
        (0.44, 0.01, 0.05, 0.05, False, "custom beats base on rougeL by less than the required +0.05: 0.41 → 0.44"),
        (0.44, -0.01, 0.07, 0.0, True, "custom beats base on rougeL, but not beyond noise (the interval includes 0)"),
    ],
)
def test_a_failing_gate_says_why(
    after: float, low: float, high: float, minimum: float, significance: bool, claim: str
) -> None:
    comparison = _comparison(0.41, after, low, high, (27, 31, 142))
    gate = decide(comparison, min_improvement=minimum, require_significance=significance)
    assert verdict_line(comparison, gate).startswith(claim)


def test_a_tiny_difference_gets_a_third_decimal_and_one_of_each_is_singular() -> None:
    comparison = _comparison(0.500, 0.503, 0.001, 0.006, (1, 1, 1))
    assert verdict_line(comparison, None) == (
        "custom beats base on rougeL: 0.500 → 0.503, +0.003 [0.001, 0.006], 1 win / 1 tie / 1 loss"
    )


def test_the_verdict_is_read_back_from_the_stored_document() -> None:
    comparison = _comparison(0.41, 0.52, 0.08, 0.14, (142, 31, 27))
    gate = decide(comparison, min_improvement=0.0, require_significance=False)
    report = {"models": {}, "comparison": comparison.to_json(), "gate": gate.to_json()}
    assert verdict_from_report(report) == verdict_line(comparison, gate)
    assert verdict_from_report({"models": {}}) is None
    assert verdict_from_report({"comparison": {"metric": "rougeL"}}) is None
