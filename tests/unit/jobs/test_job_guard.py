"""Guards before a job is created: budget and per-profile concurrency."""

from __future__ import annotations

from datetime import UTC, datetime

import pytest

from tuneline.errors import BudgetExceeded, ConcurrencyLimitReached
from tuneline.jobs.guard import QueuedExecution, check_budget, check_concurrency, count_running_jobs, started_before
from tuneline.jobs.naming import job_names


def _plan(budget: float, *, epochs: str | None = "2", price: float | None = 0.01) -> dict:
    return {
        "jobName": "tuneline-support.chat.0123456789ab",
        "profile": "support",
        "baseModelIdentifier": "amazon.nova-micro-v1:0:128k",
        "hyperParameters": {"epochCount": epochs} if epochs else {},
        "pricePer1kTokensUsd": price,
        "budgetUsd": budget,
    }


def test_a_job_within_budget_returns_its_estimate() -> None:
    # 1,000,000 tokens x 2 epochs at $0.01 per 1,000 tokens = $20.
    estimate = check_budget(_plan(25.0), 1_000_000)

    assert estimate.usd == pytest.approx(20.0)
    assert estimate.epochs == 2
    assert estimate.tokens == 1_000_000


def test_a_job_exactly_at_the_budget_may_run() -> None:
    assert check_budget(_plan(20.0), 1_000_000).usd == pytest.approx(20.0)


def test_a_job_over_budget_is_stopped_with_the_numbers_and_the_fixes() -> None:
    with pytest.raises(BudgetExceeded) as caught:
        check_budget(_plan(19.99), 1_000_000)

    message = str(caught.value)
    assert "$20.00" in message and "$19.99" in message
    assert "1,000,000 tokens x 2 epoch(s)" in message
    assert "raise budgetUsd in the profile" in message
    assert "lower epochCount" in message
    assert "smaller dataset" in message
    assert "tuneline-support.chat.0123456789ab" in message


def test_the_model_default_epochs_count_when_the_plan_sets_none() -> None:
    # Nova's documented default is 2 epochs.
    assert check_budget(_plan(100.0, epochs=None), 1_000_000).epochs == 2


def test_the_price_table_is_used_without_an_override() -> None:
    estimate = check_budget(_plan(1_000_000.0, price=None), 1_000_000)

    assert estimate.price_per_1k_tokens_usd > 0
    assert estimate.usd == pytest.approx(1_000 * 2 * estimate.price_per_1k_tokens_usd)


def _job(profile: str, dataset: str, version: str) -> str:
    key = f"incoming/{profile}/{dataset}.jsonl"
    return job_names(profile=profile, dataset=dataset, bucket="b", key=key, version_id=version).job_name


def test_running_jobs_are_counted_per_profile_exactly() -> None:
    running = [
        _job("team", "chat", "1"),
        _job("team", "chat", "2"),
        _job("team-a", "chat", "1"),  # "team" is a prefix of this profile: not counted for "team"
        _job("a", "team-chat", "1"),  # "team" in the dataset name: not counted either
        "someone-elses-job",
        "tuneline-import-model-abc",
    ]

    assert count_running_jobs(running, "team") == 2
    assert count_running_jobs(running, "team-a") == 1
    assert count_running_jobs(running, "nobody") == 0


def test_a_free_slot_lets_the_job_run() -> None:
    check_concurrency([_job("support", "a", "1")], "support", 2)


def test_a_full_profile_raises_for_the_workflow_to_retry() -> None:
    running = [_job("support", "a", "1"), _job("support", "b", "1")]

    with pytest.raises(ConcurrencyLimitReached) as caught:
        check_concurrency(running, "support", 2)

    assert "already runs 2 job(s), its limit is 2" in str(caught.value)


def test_other_profiles_jobs_do_not_block() -> None:
    check_concurrency([_job("other", "a", "1"), _job("other", "b", "1")], "support", 1)


def test_the_plans_own_job_does_not_block_a_rerun() -> None:
    own = _job("support", "a", "1")

    check_concurrency([own], "support", 1, own_job_name=own)


def test_uploads_waiting_ahead_take_slots_too() -> None:
    waiting = [_job("support", "b", "1")]

    with pytest.raises(ConcurrencyLimitReached, match=r"runs 0 job\(s\) and 1 earlier upload\(s\) wait ahead"):
        check_concurrency([], "support", 1, waiting_ahead=waiting)
    check_concurrency([], "support", 2, waiting_ahead=waiting)


def test_a_job_both_running_and_waiting_takes_one_slot() -> None:
    job = _job("support", "a", "1")
    check_concurrency([job], "support", 2, waiting_ahead=[job])


def test_the_plans_own_job_never_waits_ahead_of_itself() -> None:
    own = _job("support", "a", "1")
    check_concurrency([], "support", 1, own_job_name=own, waiting_ahead=[own])


def _execution(name: str, second: int) -> QueuedExecution:
    return QueuedExecution(arn=f"arn:exec:{name}", name=name, started=datetime(2026, 1, 1, 0, 0, second, tzinfo=UTC))


def test_the_line_is_by_start_time_and_the_name_breaks_ties() -> None:
    early, tied_a, tied_b, late = _execution("z", 1), _execution("a", 2), _execution("b", 2), _execution("c", 3)
    everyone = [early, tied_a, tied_b, late]

    assert started_before(everyone, tied_b) == [early, tied_a]
    assert started_before(everyone, tied_a) == [early]
    assert started_before(everyone, early) == []
    # Of any two, exactly one is ahead of the other.
    for one in everyone:
        for other in everyone:
            if one is not other:
                assert (one in started_before(everyone, other)) != (other in started_before(everyone, one))
