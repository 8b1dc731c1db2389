"""Training cost estimate: dataset tokens x epochs x the model's training price per 1,000 tokens.

Used by `tuneline estimate` and by the pipeline's budget guard, which compares it to the profile's budget.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass, field
from typing import Any

from tuneline.datasets.models import ModelRules
from tuneline.datasets.prices import INFERENCE_PRICE_PER_1K_TOKENS_USD, PRICE_SOURCE

# No-commitment throughput bought to evaluate is billed by the hour from its creation until it is deleted: up to
# two hours of readiness checks (stacks/constructs/evaluation.py) and the answers, which take minutes.
EVALUATION_THROUGHPUT_HOURS = 2


@dataclass(frozen=True)
class EvaluationCost:
    """What evaluating a model is expected to cost (docs/decisions/0011-evaluation-stage.md): the two models'
    answers to the evaluation set (and the base model's once more before training with baselineFirst), plus the
    hours of no-commitment throughput when the custom model is reached that way. The LLM judge is not counted."""

    prompts: int
    calls: int
    tokens_per_call: int
    inference_usd: float | None
    throughput_hours: int
    throughput_usd: float

    @property
    def usd(self) -> float:
        return round((self.inference_usd or 0.0) + self.throughput_usd, 6)

    def to_dict(self) -> dict[str, Any]:
        return {
            "prompts": self.prompts,
            "calls": self.calls,
            "tokensPerCall": self.tokens_per_call,
            "inferenceUsd": self.inference_usd,
            "throughputHours": self.throughput_hours,
            "throughputUsd": self.throughput_usd,
            "usd": self.usd,
        }


@dataclass(frozen=True)
class CostEstimate:
    tokens: int
    epochs: int
    price_per_1k_tokens_usd: float
    usd: float
    price_source: str
    evaluation: EvaluationCost | None = field(default=None)

    @property
    def tokens_seen(self) -> int:
        """Tokens the job trains on: every epoch reads the whole training set again."""
        return self.tokens * self.epochs

    def to_dict(self) -> dict[str, float | int | str]:
        return {
            "tokens": self.tokens,
            "epochs": self.epochs,
            "tokens_seen": self.tokens_seen,
            "price_per_1k_tokens_usd": self.price_per_1k_tokens_usd,
            "usd": self.usd,
            "price_source": self.price_source,
        }


def epochs_for(rules: ModelRules, hyperparameters: Mapping[str, str] | None = None) -> int:
    """Epochs from the job's hyperparameters, else the model's default (1 for step-based models)."""
    name = rules.epochs_hyperparameter
    if name and hyperparameters and name in hyperparameters:
        try:
            value = float(hyperparameters[name])
        except (TypeError, ValueError):
            value = 0.0
        # "Auto" or nonsense: fall back to the default rather than guess low.
        if value >= 1 and value.is_integer():
            return int(value)
    return rules.default_epochs()


def estimate_cost(
    rules: ModelRules,
    training_tokens: int,
    hyperparameters: Mapping[str, str] | None = None,
    price_override_per_1k_tokens_usd: float | None = None,
) -> CostEstimate:
    epochs = epochs_for(rules, hyperparameters)
    if price_override_per_1k_tokens_usd is not None:
        price = float(price_override_per_1k_tokens_usd)
        source = "override from configuration"
    else:
        price = rules.training_price_per_1k_tokens_usd
        source = PRICE_SOURCE
    tokens = max(0, int(training_tokens))
    usd = round(tokens * epochs / 1000.0 * price, 6)
    return CostEstimate(tokens=tokens, epochs=epochs, price_per_1k_tokens_usd=price, usd=usd, price_source=source)


def estimate_evaluation_cost(
    rules: ModelRules,
    evaluation: Mapping[str, Any],
    serving: Mapping[str, Any],
    *,
    tokens_per_record: int,
) -> EvaluationCost | None:
    """The evaluation's cost for a planned job (`evaluation` and `serving` as the plan holds them), or None.

    Each call sends about one record's tokens and gets at most as many back (the answer's token limit follows the
    reference's length); throughput counts only when the custom model has no on-demand deployment and the profile
    allows throughput for evaluation (pipeline/evaluation_prepare.py decides the same way)."""
    if not evaluation.get("enabled"):
        return None
    prompts = int(evaluation.get("prompts") or 0)
    calls = prompts * (3 if evaluation.get("baselineFirst") else 2)
    tokens = max(0, int(tokens_per_record))
    price = INFERENCE_PRICE_PER_1K_TOKENS_USD.get(rules.family)
    inference = None if price is None else round(calls * tokens / 1000.0 * (price[0] + price[1]), 6)
    on_demand = rules.on_demand_deployment or serving.get("mode") == "on-demand"
    hours, throughput = 0, 0.0
    if not on_demand and evaluation.get("allowThroughput"):
        hours = EVALUATION_THROUGHPUT_HOURS
        units = int(serving.get("modelUnits") or 1)
        throughput = round(hours * units * float(evaluation.get("throughputPricePerHourUsd") or 0.0), 6)
    return EvaluationCost(
        prompts=prompts,
        calls=calls,
        tokens_per_call=tokens,
        inference_usd=inference,
        throughput_hours=hours,
        throughput_usd=throughput,
    )
