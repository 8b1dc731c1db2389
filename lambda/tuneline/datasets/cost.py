"""Training cost estimate: dataset tokens x epochs x the model's training price per 1,000 tokens.

Used by `tuneline estimate` and by the pipeline's budget guard, which compares it to the profile's budget.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass

from tuneline.datasets.models import ModelRules
from tuneline.datasets.prices import PRICE_SOURCE


@dataclass(frozen=True)
class CostEstimate:
    tokens: int
    epochs: int
    price_per_1k_tokens_usd: float
    usd: float
    price_source: str

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
