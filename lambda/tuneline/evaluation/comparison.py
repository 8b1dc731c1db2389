"""Paired comparison of two models on one metric (docs/evaluation-scores.md, "Comparing two models").

Both models answered the same prompts, so the comparison works on the per-prompt differences: the mean
difference, a 95% percentile bootstrap interval of it, and wins, ties and losses. Resampling pairs (not each
model's scores apart) removes the prompts' own difficulty from the noise, so a real but small improvement
shows and a lucky draw does not. The seed is fixed: the same scores always give the same interval.
"""

from __future__ import annotations

import math
import random
from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from typing import Any

DEFAULT_SEED = 20240229
DEFAULT_RESAMPLES = 2000
CONFIDENCE = 0.95


@dataclass(frozen=True)
class Comparison:
    """Candidate against baseline on `metric`; `delta` and `ci95` are candidate minus baseline."""

    metric: str
    baseline: str
    candidate: str
    baseline_mean: float
    candidate_mean: float
    delta: float
    ci95: tuple[float, float]
    wins: int
    ties: int
    losses: int

    @property
    def count(self) -> int:
        return self.wins + self.ties + self.losses

    @classmethod
    def from_json(cls, data: Mapping[str, Any]) -> Comparison:
        """The inverse of `to_json` (reports and alerts read the stored document back)."""
        low, high = data["ci95"]
        return cls(
            metric=str(data["metric"]),
            baseline=str(data["baseline"]),
            candidate=str(data["candidate"]),
            baseline_mean=float(data["baselineMean"]),
            candidate_mean=float(data["candidateMean"]),
            delta=float(data["delta"]),
            ci95=(float(low), float(high)),
            wins=int(data["wins"]),
            ties=int(data["ties"]),
            losses=int(data["losses"]),
        )

    def to_json(self) -> dict[str, Any]:
        return {
            "metric": self.metric,
            "baseline": self.baseline,
            "candidate": self.candidate,
            "baselineMean": self.baseline_mean,
            "candidateMean": self.candidate_mean,
            "delta": self.delta,
            "ci95": [self.ci95[0], self.ci95[1]],
            "wins": self.wins,
            "ties": self.ties,
            "losses": self.losses,
        }


def compare(
    baseline: Sequence[float],
    candidate: Sequence[float],
    *,
    metric: str,
    baseline_name: str,
    candidate_name: str,
    seed: int = DEFAULT_SEED,
    resamples: int = DEFAULT_RESAMPLES,
) -> Comparison:
    """Compare paired scores: `baseline[i]` and `candidate[i]` are the two models' scores on prompt i.

    A win is a prompt where the candidate scores higher, a tie one where the scores are equal.
    """
    if len(baseline) != len(candidate):
        raise ValueError(f"paired scores differ in length: {len(baseline)} and {len(candidate)}")
    if not baseline:
        raise ValueError("no scores to compare")
    if resamples < 1:
        raise ValueError(f"resamples must be 1 or more, got {resamples}")
    differences = [after - before for before, after in zip(baseline, candidate, strict=True)]
    wins = sum(1 for difference in differences if difference > 0)
    losses = sum(1 for difference in differences if difference < 0)
    count = len(differences)
    return Comparison(
        metric=metric,
        baseline=baseline_name,
        candidate=candidate_name,
        baseline_mean=math.fsum(baseline) / count,
        candidate_mean=math.fsum(candidate) / count,
        delta=math.fsum(differences) / count,
        ci95=bootstrap_interval(differences, seed=seed, resamples=resamples),
        wins=wins,
        ties=count - wins - losses,
        losses=losses,
    )


def bootstrap_interval(
    differences: Sequence[float], *, seed: int = DEFAULT_SEED, resamples: int = DEFAULT_RESAMPLES
) -> tuple[float, float]:
    """The 95% percentile bootstrap interval of the mean of `differences`.

    Each resample draws len(differences) values with replacement using `random.Random(seed)`; the bounds are
    the 2.5th and 97.5th percentiles of the resampled means, interpolated linearly between order statistics
    (the "linear" rule of numpy.percentile).
    """
    rng = random.Random(seed)
    values = list(differences)
    if min(values) == max(values):
        return values[0], values[0]  # every resample has the same mean
    count = len(values)
    draw = rng.choices  # uniform draws with replacement; faster here than any bulk draw in pure Python
    means = sorted(sum(draw(values, k=count)) / count for _ in range(resamples))
    tail = (1 - CONFIDENCE) / 2
    return percentile(means, tail), percentile(means, 1 - tail)


def percentile(ordered: Sequence[float], fraction: float) -> float:
    """Linear interpolation between the order statistics of `ordered` (sorted), at `fraction` in [0, 1]."""
    position = (len(ordered) - 1) * fraction
    low = math.floor(position)
    high = min(low + 1, len(ordered) - 1)
    weight = position - low
    return ordered[low] + (ordered[high] - ordered[low]) * weight
