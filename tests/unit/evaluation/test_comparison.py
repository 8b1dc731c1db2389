"""Paired comparison: means, wins, ties, losses and a reproducible bootstrap interval (docs/evaluation-scores.md)."""

from __future__ import annotations

import random

import numpy
import pytest
from hypothesis import given
from hypothesis import strategies as st

from tuneline.evaluation.comparison import Comparison, bootstrap_interval, compare, percentile


def _compare(baseline: list[float], candidate: list[float], **options: int) -> Comparison:
    return compare(baseline, candidate, metric="rougeL", baseline_name="base", candidate_name="custom", **options)


def test_wins_ties_and_losses_count_prompts_and_a_tie_is_an_equal_score() -> None:
    result = _compare([0.2, 0.5, 0.5, 0.9, 0.0], [0.4, 0.5, 0.3, 0.9, 0.1])
    assert (result.wins, result.ties, result.losses) == (2, 2, 1)
    assert result.baseline_mean == pytest.approx(0.42)
    assert result.candidate_mean == pytest.approx(0.44)
    assert result.delta == pytest.approx(0.02)


def test_the_interval_is_reproducible_with_its_seed_and_moves_with_another() -> None:
    rng = random.Random(7)
    baseline = [rng.random() for _ in range(200)]
    candidate = [min(1.0, score + rng.uniform(-0.2, 0.3)) for score in baseline]
    first = _compare(baseline, candidate, seed=11)
    assert _compare(baseline, candidate, seed=11) == first
    assert _compare(baseline, candidate, seed=12).ci95 != first.ci95


def test_a_clear_improvement_has_an_interval_above_zero_and_noise_one_around_zero() -> None:
    rng = random.Random(3)
    baseline = [rng.random() for _ in range(300)]
    better = _compare(baseline, [score + 0.05 + rng.uniform(-0.05, 0.05) for score in baseline])
    assert 0 < better.ci95[0] < better.delta < better.ci95[1]
    noise = _compare(baseline, [score + rng.uniform(-0.1, 0.1) for score in baseline])
    assert noise.ci95[0] < 0 < noise.ci95[1]


def test_identical_differences_give_a_zero_width_interval() -> None:
    assert bootstrap_interval([0.25, 0.25, 0.25]) == (0.25, 0.25)
    assert _compare([0.5], [0.75]).ci95 == (0.25, 0.25)


def test_unpaired_or_empty_scores_are_refused() -> None:
    with pytest.raises(ValueError, match="differ in length"):
        _compare([0.1, 0.2], [0.1])
    with pytest.raises(ValueError, match="no scores"):
        _compare([], [])


@given(st.lists(st.floats(-1, 1), min_size=1, max_size=50), st.floats(0, 1))
def test_percentile_is_numpys_linear_rule(values: list[float], fraction: float) -> None:
    ordered = sorted(values)
    assert percentile(ordered, fraction) == pytest.approx(float(numpy.percentile(ordered, fraction * 100)), abs=1e-12)


def test_the_json_form_round_trips() -> None:
    result = _compare([0.1, 0.3, 0.2], [0.3, 0.3, 0.5])
    document = result.to_json()
    assert list(document) == [
        "metric", "baseline", "candidate", "baselineMean", "candidateMean", "delta", "ci95", "wins", "ties", "losses",
    ]  # fmt: skip
    assert Comparison.from_json(document) == result
