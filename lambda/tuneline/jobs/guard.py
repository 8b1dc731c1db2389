"""Guards that run before a job is created: the estimated cost against the budget, and the profile's
concurrency limit, with the line of uploads waiting for a slot ordered and bounded by a deadline
(docs/decisions/0015-queue-on-a-deadline.md).
"""

from __future__ import annotations

import math
from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass
from datetime import datetime, timedelta
from typing import TYPE_CHECKING, Any

from tuneline.errors import BudgetExceeded, ConcurrencyLimitReached
from tuneline.jobs.naming import profile_of_job_name

if TYPE_CHECKING:
    from tuneline.datasets.cost import CostEstimate


def check_budget(plan_state: Mapping[str, Any], training_tokens: int, records: int | None = None) -> CostEstimate:
    """The cost estimate for a planned job; raises BudgetExceeded when it is above the plan's budget.

    With evaluation on, its estimate (`estimate.evaluation`: the answers and any no-commitment throughput, docs/
    decisions/0011-evaluation-stage.md) counts against the budget too; `records` gives its tokens per call."""
    from dataclasses import replace

    from tuneline.datasets.cost import estimate_cost, estimate_evaluation_cost
    from tuneline.datasets.models import resolve_model

    rules = resolve_model(plan_state["baseModelIdentifier"])
    estimate = estimate_cost(
        rules,
        training_tokens,
        plan_state.get("hyperParameters") or {},
        plan_state.get("pricePer1kTokensUsd"),
    )
    evaluation = estimate_evaluation_cost(
        rules,
        plan_state.get("evaluation") or {},
        plan_state.get("serving") or {},
        tokens_per_record=training_tokens // records if records else 0,
    )
    estimate = replace(estimate, evaluation=evaluation)
    budget = float(plan_state["budgetUsd"])
    if evaluation is not None and estimate.usd + evaluation.usd > budget:
        raise BudgetExceeded(
            f"Estimated cost ${estimate.usd + evaluation.usd:,.2f} is above the budget of ${budget:,.2f} for job "
            f"{plan_state['jobName']} (profile {plan_state['profile']}): training ${estimate.usd:,.2f} and "
            f"evaluation ${evaluation.usd:,.2f}, of which ${evaluation.throughput_usd:,.2f} is "
            f"{evaluation.throughput_hours} hours of no-commitment throughput. Nothing was started. To run it, raise "
            "budgetUsd in the profile, or lower evaluation.prompts or turn off evaluation.allowThroughput."
        )
    if estimate.usd > budget:
        epochs_hint = (
            f", lower {rules.epochs_hyperparameter} (now {estimate.epochs})" if rules.epochs_hyperparameter else ""
        )
        raise BudgetExceeded(
            f"Estimated training cost ${estimate.usd:,.2f} is above the budget of ${budget:,.2f} for job "
            f"{plan_state['jobName']} (profile {plan_state['profile']}): {estimate.tokens:,} tokens x "
            f"{estimate.epochs} epoch(s) at ${estimate.price_per_1k_tokens_usd:g} per 1,000 tokens "
            f"({estimate.price_source}). Nothing was started. To run it, raise budgetUsd in the profile"
            f"{epochs_hint}, or train on a smaller dataset."
        )
    return estimate


def count_running_jobs(running_job_names: Iterable[str], profile: str) -> int:
    """How many of the running jobs belong to `profile` (exact match on the name's profile part)."""
    return sum(1 for name in running_job_names if profile_of_job_name(name) == profile)


def check_concurrency(
    running_job_names: list[str],
    profile: str,
    limit: int,
    *,
    own_job_name: str | None = None,
    waiting_ahead: Sequence[str] = (),
) -> None:
    """Raise ConcurrencyLimitReached when `profile` has no free job slot for this plan (the caller waits in line).

    A slot is taken by each running job of the profile and by each job that `waiting_ahead` names: jobs of
    executions that started before this one and have not been created yet. Counting those makes the
    check a first-come, first-served queue, so executions that reach it at the same moment never all
    see a free slot and create jobs together.

    `own_job_name` is left out of the count: when a job was already created for this plan (a re-run of the
    same execution), it must not queue behind itself.
    """
    others = [name for name in running_job_names if name != own_job_name]
    running = count_running_jobs(others, profile)
    queued = len({name for name in waiting_ahead if name != own_job_name and name not in others})
    if running + queued >= limit:
        ahead = f" and {queued} earlier upload(s) wait ahead of this one" if queued else ""
        raise ConcurrencyLimitReached(
            f"Profile {profile} already runs {running} job(s){ahead}, its limit is {limit}. Uploads wait for a "
            "slot in upload order, up to quotaWaitHours; raise concurrency in the profile to run more at once."
        )


@dataclass(frozen=True)
class QueuedExecution:
    """A running execution of the customize workflow, as the capacity check sees it."""

    arn: str
    name: str
    started: datetime
    uploaded: datetime | None = None  # the upload's time, from the execution input (`uploadedAt`)

    @property
    def place(self) -> tuple[datetime, datetime, str]:
        """Its place in line: upload time first (start time when unknown), then start time, then name."""
        return (self.uploaded or self.started, self.started, self.name)


def started_before(executions: Iterable[QueuedExecution], own: QueuedExecution) -> list[QueuedExecution]:
    """The executions that come before `own` in line: uploaded earlier; start time, then the name, break ties.

    Every execution orders the same set the same way, so of two executions exactly one is ahead
    (docs/decisions/0015-queue-on-a-deadline.md).
    """
    return [execution for execution in executions if execution.place < own.place]


# How often a waiting execution checks for a free slot. Each check is 3 state transitions (check, choice,
# wait). The first in line checks every 15 minutes (12 transitions per waiting hour), so a freed slot is taken
# at most 15 minutes after it frees; an upload with others ahead cannot be admitted before they are, and
# checks 15 minutes more rarely per upload ahead, at least hourly (3 transitions per hour): a long line costs
# little while its head stays quick.
QUEUE_CHECK_SECONDS = 15 * 60
QUEUE_MAX_CHECK_SECONDS = 60 * 60


@dataclass(frozen=True)
class QueueWait:
    """Where a waiting execution stands against its deadline."""

    deadline: datetime
    hours: float  # how long the line may be waited in (quotaWaitHours)
    wait_seconds: int  # until the next check, never past the deadline
    expired: bool


def queue_wait(since: datetime, now: datetime, wait_hours: float, *, ahead: int = 0) -> QueueWait:
    """The deadline is `since` (when the execution joined the line) plus `wait_hours`, the same on every check;
    `ahead` is how many uploads wait before this one."""
    deadline = since + timedelta(hours=wait_hours)
    left = (deadline - now).total_seconds()
    interval = min(QUEUE_CHECK_SECONDS * (1 + max(0, ahead)), QUEUE_MAX_CHECK_SECONDS)
    return QueueWait(
        deadline=deadline,
        hours=wait_hours,
        wait_seconds=max(1, min(interval, math.ceil(left))),
        expired=left <= 0,
    )


def parse_time(value: str) -> datetime:
    """An ISO 8601 time as Step Functions writes it (`...Z`), timezone-aware."""
    return datetime.fromisoformat(value.replace("Z", "+00:00"))
