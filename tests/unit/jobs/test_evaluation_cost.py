"""The evaluation's share of the cost estimate and the budget check (docs/decisions/0011-evaluation-stage.md)."""

from __future__ import annotations

from typing import Any

import pytest

from tuneline.datasets.cost import estimate_evaluation_cost
from tuneline.datasets.models import resolve_model
from tuneline.errors import BudgetExceeded
from tuneline.jobs.guard import check_budget

NOVA_MICRO = "amazon.nova-micro-v1:0:128k"
LLAMA_8B = "meta.llama3-1-8b-instruct-v1:0:128k"


def plan(base_model: str, evaluation: dict[str, Any], budget: float = 100.0) -> dict[str, Any]:
    return {
        "baseModelIdentifier": base_model,
        "hyperParameters": {"epochCount": "1"},
        "budgetUsd": budget,
        "jobName": "tuneline-p-data-1",
        "profile": "p",
        "serving": {"mode": "none", "modelUnits": 1},
        "evaluation": {"enabled": True, "prompts": 200, **evaluation},
    }


def test_two_hundred_prompts_of_nova_micro_cost_cents_and_baseline_first_asks_the_base_once_more() -> None:
    rules = resolve_model(NOVA_MICRO)
    both = estimate_evaluation_cost(rules, {"enabled": True, "prompts": 200}, {}, tokens_per_record=500)
    first = estimate_evaluation_cost(
        rules, {"enabled": True, "prompts": 200, "baselineFirst": True}, {}, tokens_per_record=500
    )
    assert both is not None and first is not None
    assert both.calls == 400 and first.calls == 600
    # 400 calls x 500 tokens each way at $0.000035 + $0.00014 per 1,000.
    assert both.inference_usd == pytest.approx(400 * 0.5 * 0.000175)
    assert both.throughput_usd == 0 and both.usd < 0.05


def test_no_commitment_throughput_is_counted_only_when_it_is_the_way_the_custom_model_answers() -> None:
    evaluation = {"enabled": True, "prompts": 10, "allowThroughput": True, "throughputPricePerHourUsd": 20.0}
    llama = estimate_evaluation_cost(resolve_model(LLAMA_8B), evaluation, {"modelUnits": 1}, tokens_per_record=100)
    nova = estimate_evaluation_cost(resolve_model(NOVA_MICRO), evaluation, {}, tokens_per_record=100)
    assert llama is not None and llama.throughput_usd == 40.0 and llama.throughput_hours == 2
    assert nova is not None and nova.throughput_usd == 0  # Nova Micro has an on-demand deployment


def test_the_budget_check_counts_the_evaluation_and_names_both_parts() -> None:
    evaluation = {"allowThroughput": True, "throughputPricePerHourUsd": 30.0}
    estimate = check_budget(plan(LLAMA_8B, evaluation, budget=100), 1000, 10)
    assert estimate.evaluation is not None and estimate.evaluation.throughput_usd == 60.0
    with pytest.raises(BudgetExceeded, match=r"training \$0\.\d\d and evaluation \$60\.\d\d"):
        check_budget(plan(LLAMA_8B, evaluation, budget=50), 1000, 10)


def test_without_evaluation_nothing_is_added() -> None:
    estimate = check_budget({**plan(NOVA_MICRO, {}), "evaluation": {"enabled": False}}, 1000, 10)
    assert estimate.evaluation is None
