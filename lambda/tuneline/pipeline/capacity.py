"""Guard step: the estimated cost must fit the budget and the profile must have a free job slot.

The slot check is a first-come, first-served queue. Executions that started earlier for the same profile
and have not created their job yet hold a place ahead of this one, so several uploads that reach the
check at the same moment cannot all see a free slot and all create jobs.
"""

from __future__ import annotations

import json
from collections.abc import Mapping
from datetime import UTC, datetime
from typing import Any

from tuneline.jobs.guard import QueuedExecution, check_budget, check_concurrency, started_before
from tuneline.jobs.naming import job_names
from tuneline.layout import JOB_NAME_PREFIX
from tuneline.pipeline.staged_integrity import check_staged_unchanged


def running_job_names(bedrock: Any) -> list[str]:
    names: list[str] = []
    paginator = bedrock.get_paginator("list_model_customization_jobs")
    for page in paginator.paginate(statusEquals="InProgress", nameContains=JOB_NAME_PREFIX):
        names.extend(job["jobName"] for job in page.get("modelCustomizationJobSummaries", []))
    return names


def job_exists(bedrock: Any, job_name: str) -> bool:
    """Whether Bedrock knows a customization job of exactly this name, in any status."""
    paginator = bedrock.get_paginator("list_model_customization_jobs")
    for page in paginator.paginate(nameContains=job_name):
        if any(job["jobName"] == job_name for job in page.get("modelCustomizationJobSummaries", [])):
            return True
    return False


def running_executions(sfn: Any, state_machine_arn: str) -> list[QueuedExecution]:
    executions: list[QueuedExecution] = []
    paginator = sfn.get_paginator("list_executions")
    for page in paginator.paginate(stateMachineArn=state_machine_arn, statusFilter="RUNNING"):
        executions.extend(
            QueuedExecution(arn=item["executionArn"], name=item["name"], started=item["startDate"])
            for item in page.get("executions", [])
        )
    return executions


def jobs_waiting_ahead(
    *, sfn: Any, bedrock: Any, state_machine_arn: str, execution_arn: str, profile: str, known_jobs: set[str]
) -> list[str]:
    """Job names of this profile's executions ahead of `execution_arn` that have not created their job yet."""
    executions = running_executions(sfn, state_machine_arn)
    own = next((execution for execution in executions if execution.arn == execution_arn), None)
    if own is None:
        # Not listed yet (the list can lag a just-started execution): it is the newest, so all are ahead.
        own = QueuedExecution(arn=execution_arn, name=execution_arn.rsplit(":", 1)[-1], started=datetime.now(UTC))
    waiting: list[str] = []
    for execution in started_before(executions, own):
        started_with = json.loads(sfn.describe_execution(executionArn=execution.arn)["input"])
        if started_with.get("profile") != profile:
            continue
        job_name = job_names(
            profile=profile,
            dataset=str(started_with.get("dataset") or ""),
            bucket=str(started_with["bucket"]),
            key=str(started_with["key"]),
            version_id=started_with.get("versionId"),
        ).job_name
        if job_name not in known_jobs and not job_exists(bedrock, job_name):
            waiting.append(job_name)
    return waiting


def guard(
    plan: Mapping[str, Any],
    validation: Mapping[str, Any],
    *,
    bedrock: Any,
    sfn: Any = None,
    execution: Mapping[str, str] | None = None,
    s3: Any = None,
) -> dict[str, Any]:
    """Staged data unchanged, budget, then the profile's slot; `execution` ({"id", "stateMachine"}) places this
    run in the queue. Every attempt checks the staged data again, so the one that lets the job start checks it
    last (tuneline.pipeline.staged_integrity)."""
    if s3 is not None and validation.get("staged"):
        check_staged_unchanged(s3, plan["source"]["bucket"], validation["staged"])
    estimate = check_budget(
        plan, int(validation.get("trainingTokens") or 0), int(validation.get("records") or 0) or None
    )
    running = running_job_names(bedrock)
    waiting: list[str] = []
    if sfn is not None and execution:
        waiting = jobs_waiting_ahead(
            sfn=sfn,
            bedrock=bedrock,
            state_machine_arn=execution["stateMachine"],
            execution_arn=execution["id"],
            profile=plan["profile"],
            known_jobs=set(running),
        )
    check_concurrency(
        running, plan["profile"], int(plan["concurrency"]), own_job_name=plan["jobName"], waiting_ahead=waiting
    )
    return {
        "estimatedCostUsd": round(estimate.usd, 2),
        "tokens": estimate.tokens,
        "epochs": estimate.epochs,
        "pricePer1kTokensUsd": estimate.price_per_1k_tokens_usd,
        "priceSource": estimate.price_source,
        "budgetUsd": plan["budgetUsd"],
        **({"evaluation": estimate.evaluation.to_dict()} if estimate.evaluation else {}),
    }
