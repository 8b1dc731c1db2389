"""Guard step: the estimated cost must fit the budget and the profile must have a free job slot."""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

from tuneline.jobs.guard import check_budget, check_concurrency
from tuneline.jobs.naming import JOB_NAME_PREFIX


def running_job_names(bedrock: Any) -> list[str]:
    names: list[str] = []
    paginator = bedrock.get_paginator("list_model_customization_jobs")
    for page in paginator.paginate(statusEquals="InProgress", nameContains=JOB_NAME_PREFIX):
        names.extend(job["jobName"] for job in page.get("modelCustomizationJobSummaries", []))
    return names


def guard(plan: Mapping[str, Any], validation: Mapping[str, Any], *, bedrock: Any) -> dict[str, Any]:
    estimate = check_budget(plan, int(validation.get("trainingTokens") or 0))
    check_concurrency(
        running_job_names(bedrock), plan["profile"], int(plan["concurrency"]), own_job_name=plan["jobName"]
    )
    return {
        "estimatedCostUsd": round(estimate.usd, 2),
        "tokens": estimate.tokens,
        "epochs": estimate.epochs,
        "pricePer1kTokensUsd": estimate.price_per_1k_tokens_usd,
        "priceSource": estimate.price_source,
        "budgetUsd": plan["budgetUsd"],
    }
