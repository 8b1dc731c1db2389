"""Guard step: the estimated cost must fit the budget and the profile must have a free job slot.

The slot check is a first-come, first-served queue. Executions of the same profile whose upload came earlier
and that have not created their job yet hold a place ahead of this one, so several uploads that reach the
check at the same moment cannot all see a free slot and all create jobs. A waiting execution checks again
until its deadline (docs/decisions/0015-queue-on-a-deadline.md).

Only Tuneline's own jobs take slots: the jobs whose deterministic names the workflow's running executions
determine. Anyone who may create jobs in the account can name one `tuneline-<profile>-...`; such a job
blocks nothing. A job left running after its execution ended is stopped by the execution-end handler, so it
is not counted either.
"""

from __future__ import annotations

import json
from collections.abc import Mapping
from dataclasses import dataclass, replace
from datetime import UTC, datetime
from typing import Any

from tuneline.errors import ConcurrencyLimitReached
from tuneline.jobs.guard import (
    QueuedExecution,
    check_budget,
    check_concurrency,
    parse_time,
    queue_wait,
    started_before,
)
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


@dataclass(frozen=True)
class ExecutionJob:
    """A running execution of the customize workflow and the job it creates (the name is deterministic)."""

    execution: QueuedExecution
    profile: str | None
    job_name: str


def _with_upload_time(execution: QueuedExecution, started_with: Mapping[str, Any]) -> QueuedExecution:
    uploaded = started_with.get("uploadedAt")
    if not isinstance(uploaded, str):
        return execution
    try:
        return replace(execution, uploaded=parse_time(uploaded))
    except ValueError:
        return execution


def execution_jobs(sfn: Any, state_machine_arn: str) -> list[ExecutionJob]:
    """Every running execution with the profile, upload time and job name its input determines: Tuneline's
    own record of which jobs are its own (a job merely named `tuneline-...` by someone else is none of them)."""
    found: list[ExecutionJob] = []
    for listed in running_executions(sfn, state_machine_arn):
        started_with = json.loads(sfn.describe_execution(executionArn=listed.arn)["input"])
        profile = started_with.get("profile")
        execution = _with_upload_time(listed, started_with)
        job_name = job_names(
            profile=str(profile),
            dataset=str(started_with.get("dataset") or ""),
            bucket=str(started_with["bucket"]),
            key=str(started_with["key"]),
            version_id=started_with.get("versionId"),
        ).job_name
        found.append(ExecutionJob(execution=execution, profile=profile, job_name=job_name))
    return found


def jobs_waiting_ahead(
    jobs: list[ExecutionJob], *, sfn: Any, bedrock: Any, execution_arn: str, profile: str, known_jobs: set[str]
) -> list[str]:
    """Job names of this profile's executions ahead of `execution_arn` that have not created their job yet.

    Ahead means uploaded earlier (docs/decisions/0015-queue-on-a-deadline.md): every running execution's input
    gives its profile and upload time.
    """
    line = [job for job in jobs if job.profile == profile and job.execution.arn != execution_arn]
    own = next((job.execution for job in jobs if job.execution.arn == execution_arn), None)
    if own is None:
        # Not listed yet (the list can lag a just-started execution): it is the newest, so all are ahead.
        own = QueuedExecution(
            arn=execution_arn,
            name=execution_arn.rsplit(":", 1)[-1],
            started=datetime.now(UTC),
            uploaded=datetime.max.replace(tzinfo=UTC),
        )
    ahead = {execution.arn for execution in started_before([job.execution for job in line], own)}
    waiting: list[str] = []
    for job in line:
        if job.job_name in known_jobs or job_exists(bedrock, job.job_name):
            continue
        if job.execution.arn in ahead or (job.execution.started < own.started and was_admitted(sfn, job.execution.arn)):
            waiting.append(job.job_name)
    return waiting


def was_admitted(sfn: Any, execution_arn: str) -> bool:
    """Whether the execution's last capacity check let it through: the state it is in now carries the
    check's answer (`guard.admitted`) in its input."""
    history = sfn.get_execution_history(executionArn=execution_arn, reverseOrder=True, maxResults=20)
    for event in history.get("events", []):
        details = event.get("stateEnteredEventDetails")
        if details:
            try:
                entered_with = json.loads(details.get("input") or "{}")
            except ValueError:
                return False
            return bool((entered_with.get("guard") or {}).get("admitted"))
    return False


def guard(
    plan: Mapping[str, Any],
    validation: Mapping[str, Any],
    *,
    bedrock: Any,
    sfn: Any = None,
    execution: Mapping[str, str] | None = None,
    queue: Mapping[str, Any] | None = None,
    s3: Any = None,
) -> dict[str, Any]:
    """Staged data unchanged, budget, then the profile's slot; `execution` ({"id", "stateMachine"}) places this
    run in the line.

    A slot is taken only by a running job that one of the workflow's own running executions created: a job
    someone else named `tuneline-<profile>-...` holds none. (Without `execution`, as in a direct call, every
    running job with a Tuneline name counts.)

    Every attempt checks the staged data again, so the one that lets the job start checks it last
    (tuneline.pipeline.staged_integrity).

    With `queue` ({"since", "now", "waitHours"}: when the run joined the line, the time of this check, both
    from the state machine) a full profile answers `admitted: false` with the seconds to wait before the next
    check, until the deadline; then, or without `queue`, it raises ConcurrencyLimitReached.
    """
    if s3 is not None and validation.get("staged"):
        check_staged_unchanged(s3, plan["source"]["bucket"], validation["staged"])
    estimate = check_budget(
        plan, int(validation.get("trainingTokens") or 0), int(validation.get("records") or 0) or None
    )
    result: dict[str, Any] = {
        "estimatedCostUsd": round(estimate.usd, 2),
        "tokens": estimate.tokens,
        "epochs": estimate.epochs,
        "pricePer1kTokensUsd": estimate.price_per_1k_tokens_usd,
        "priceSource": estimate.price_source,
        "budgetUsd": plan["budgetUsd"],
        **({"evaluation": estimate.evaluation.to_dict()} if estimate.evaluation else {}),
        "admitted": True,
    }
    running = running_job_names(bedrock)
    waiting: list[str] = []
    if sfn is not None and execution:
        jobs = execution_jobs(sfn, execution["stateMachine"])
        own_names = {job.job_name for job in jobs} | {plan["jobName"]}
        running = [name for name in running if name in own_names]
        waiting = jobs_waiting_ahead(
            jobs,
            sfn=sfn,
            bedrock=bedrock,
            execution_arn=execution["id"],
            profile=plan["profile"],
            known_jobs=set(running),
        )
        # An execution ahead may create its job while the line is read: then it was not waiting when looked
        # at, and was not running when the jobs were listed. Listing again afterwards counts it either way
        # (still only the workflow's own jobs).
        listed_again = [name for name in running_job_names(bedrock) if name in own_names]
        running = sorted(set(running) | set(listed_again))
    try:
        check_concurrency(
            running, plan["profile"], int(plan["concurrency"]), own_job_name=plan["jobName"], waiting_ahead=waiting
        )
    except ConcurrencyLimitReached as full:
        if not queue:
            raise
        wait = queue_wait(
            parse_time(str(queue["since"])),
            parse_time(str(queue["now"])),
            float(queue["waitHours"]),
            ahead=len(waiting),
        )
        if wait.expired:
            raise ConcurrencyLimitReached(
                f"{full} This upload waited {wait.hours:g} hours (quotaWaitHours) for a slot and gave up; nothing "
                "was started. Upload it again to join the end of the line."
            ) from None
        deadline = wait.deadline.isoformat().replace("+00:00", "Z")
        return {
            **result,
            "admitted": False,
            "waitSeconds": wait.wait_seconds,
            "deadline": deadline,
            "waiting": str(full),
        }
    return result
