"""The capacity check as a queue: uploads of one profile take job slots first come, first served (moto)."""

from __future__ import annotations

import json
from typing import Any

import pytest

from tests.unit.pipeline.conftest import Account
from tuneline.errors import ConcurrencyLimitReached
from tuneline.handlers import guard, plan
from tuneline.jobs.guard import QUEUE_CHECK_SECONDS
from tuneline.pipeline import capacity
from tuneline.pipeline.intake import start_request

TOKENS = {"trainingTokens": 10_000}


class Upload:
    """One dataset upload with its running execution and its plan, as the guard step receives them."""

    def __init__(self, account: Account, key: str, example: str, *, uploaded_at: str | None = None) -> None:
        self.account = account
        version = account.upload_example(key, example)
        request = start_request(account.bucket, key, version)
        assert request is not None
        if uploaded_at:
            request.input["uploadedAt"] = uploaded_at  # as the intake writes it from the S3 event's time
        self.execution_arn = account.sfn.start_execution(
            stateMachineArn=account.state_machine_arn, name=request.name, input=json.dumps(request.input)
        )["executionArn"]
        self.plan: dict[str, Any] = plan.handler(request.input)

    def check_capacity(self, queue: dict[str, Any] | None = None) -> dict[str, Any]:
        event: dict[str, Any] = {
            "plan": self.plan,
            "validation": TOKENS,
            "execution": {"id": self.execution_arn, "stateMachine": self.account.state_machine_arn},
        }
        if queue:
            event["queue"] = queue
        return guard.handler(event)

    def create_job(self, job_name: str | None = None, model_name: str | None = None) -> None:
        self.account.bedrock.create_model_customization_job(
            jobName=job_name or self.plan["jobName"],
            customModelName=model_name or self.plan["customModelName"],
            roleArn="arn:aws:iam::123456789012:role/bedrock",
            baseModelIdentifier=self.plan["baseModelIdentifier"],
            trainingDataConfig={"s3Uri": self.plan["trainingDataUri"]},
            outputDataConfig={"s3Uri": self.plan["outputDataUri"]},
            hyperParameters=self.plan["hyperParameters"],
        )

    def finish_job(self) -> None:
        self.account.bedrock.stop_model_customization_job(jobIdentifier=self.plan["jobName"])


def support_bot(account: Account, name: str) -> Upload:
    return Upload(account, f"incoming/support-bot/{name}.jsonl", "support-bot/train.jsonl")


def test_of_two_uploads_waiting_together_only_the_first_gets_the_slot(account: Account) -> None:
    first, second = support_bot(account, "team-a"), support_bot(account, "team-b")

    with pytest.raises(ConcurrencyLimitReached, match=r"1 earlier upload\(s\) wait ahead of this one"):
        second.check_capacity()
    assert first.check_capacity()["estimatedCostUsd"] > 0


def test_the_next_upload_waits_while_the_first_job_runs_and_goes_when_it_ends(account: Account) -> None:
    first, second = support_bot(account, "team-a"), support_bot(account, "team-b")
    first.check_capacity()
    first.create_job()

    with pytest.raises(ConcurrencyLimitReached, match="already runs 1 job"):
        second.check_capacity()
    first.finish_job()  # its execution may still be running (serving, alerts): the slot is free anyway
    assert second.check_capacity()["epochs"] == 2


def test_a_third_upload_queues_behind_both_earlier_ones(account: Account) -> None:
    first, second, third = (support_bot(account, name) for name in ("team-a", "team-b", "team-c"))
    first.check_capacity()
    first.create_job()
    first.finish_job()

    with pytest.raises(ConcurrencyLimitReached, match=r"1 earlier upload\(s\) wait ahead"):
        third.check_capacity()
    second.check_capacity()


def test_uploads_for_another_profile_hold_no_place_in_this_profiles_line(account: Account) -> None:
    Upload(account, "incoming/llama/train.jsonl", "llama-instruct/train.jsonl")
    later = support_bot(account, "team-a")
    assert later.check_capacity()["budgetUsd"] == 50


def test_a_re_run_of_the_check_after_its_own_job_exists_does_not_wait_for_itself(account: Account) -> None:
    first = support_bot(account, "team-a")
    first.check_capacity()
    first.create_job()
    assert first.check_capacity()["epochs"] == 2


def test_a_job_someone_else_named_like_the_profiles_jobs_takes_no_slot(account: Account) -> None:
    upload = support_bot(account, "team-a")
    # Anyone allowed to create jobs in the account can pick a Tuneline-looking name; no execution created it.
    upload.create_job(upload.plan["jobName"].rsplit("-", 1)[0] + "-0000000000", "someone-elses-model")

    assert upload.check_capacity()["budgetUsd"] == 50


# --- the line is ordered by upload time and bounded by a deadline ----------------------------------------

SINCE = "2027-01-04T09:00:00.000Z"


def test_the_line_is_ordered_by_upload_time_not_by_when_the_executions_started(account: Account) -> None:
    # The later upload's execution happened to start first (an intake retry, a slow batch).
    later = Upload(
        account, "incoming/support-bot/team-b.jsonl", "support-bot/train.jsonl", uploaded_at="2027-01-04T09:00:05Z"
    )
    earlier = Upload(
        account, "incoming/support-bot/team-a.jsonl", "support-bot/train.jsonl", uploaded_at="2027-01-04T09:00:01Z"
    )

    with pytest.raises(ConcurrencyLimitReached, match=r"1 earlier upload\(s\) wait ahead"):
        later.check_capacity()
    assert earlier.check_capacity()["admitted"] is True


def test_a_waiting_upload_is_told_to_check_again_until_its_deadline(account: Account) -> None:
    first, second = support_bot(account, "team-a"), support_bot(account, "team-b")
    first.check_capacity()
    first.create_job()

    waiting = second.check_capacity(queue={"since": SINCE, "now": "2027-01-04T09:00:30.000Z", "waitHours": 24})

    assert waiting["admitted"] is False and waiting["waitSeconds"] == QUEUE_CHECK_SECONDS
    assert waiting["deadline"] == "2027-01-05T09:00:00Z"
    # The last check before the deadline waits only for what is left.
    last = second.check_capacity(queue={"since": SINCE, "now": "2027-01-05T08:55:00Z", "waitHours": 24})
    assert last["admitted"] is False and last["waitSeconds"] == 300


def test_at_the_deadline_a_waiting_upload_gives_up_and_not_before(account: Account) -> None:
    first, second = support_bot(account, "team-a"), support_bot(account, "team-b")
    first.check_capacity()
    first.create_job()

    just_before = second.check_capacity(queue={"since": SINCE, "now": "2027-01-05T08:59:59Z", "waitHours": 24})
    assert just_before["admitted"] is False and just_before["waitSeconds"] == 1
    with pytest.raises(ConcurrencyLimitReached, match=r"waited 24 hours \(quotaWaitHours\)"):
        second.check_capacity(queue={"since": SINCE, "now": "2027-01-05T09:00:00Z", "waitHours": 24})


def test_a_free_slot_admits_the_first_in_line_however_long_it_waited(account: Account) -> None:
    first = support_bot(account, "team-a")
    admitted = first.check_capacity(queue={"since": SINCE, "now": "2027-01-06T00:00:00Z", "waitHours": 24})
    assert admitted["admitted"] is True


def test_an_upload_with_others_ahead_checks_less_often_and_the_first_in_line_every_quarter_hour(
    account: Account,
) -> None:
    first, second, third = (support_bot(account, name) for name in ("team-a", "team-b", "team-c"))
    first.check_capacity()
    first.create_job()
    now = {"since": SINCE, "now": "2027-01-04T09:00:30Z", "waitHours": 24}

    assert second.check_capacity(queue=now)["waitSeconds"] == QUEUE_CHECK_SECONDS
    assert third.check_capacity(queue=now)["waitSeconds"] == 2 * QUEUE_CHECK_SECONDS


def test_an_earlier_upload_listed_late_does_not_take_a_slot_already_given_to_a_later_one(
    account: Account, monkeypatch: pytest.MonkeyPatch
) -> None:
    # The later upload's execution started first and was admitted before the earlier upload's event arrived.
    later = Upload(
        account, "incoming/support-bot/team-b.jsonl", "support-bot/train.jsonl", uploaded_at="2027-01-04T09:00:05Z"
    )
    assert later.check_capacity()["admitted"] is True
    earlier = Upload(
        account, "incoming/support-bot/team-a.jsonl", "support-bot/train.jsonl", uploaded_at="2027-01-04T09:00:01Z"
    )
    # What Step Functions shows for the admitted one: its current state was entered with the check's answer.
    admitted_state = {"guard": {"admitted": True}}
    history = {
        "events": [
            {
                "type": "TaskStateEntered",
                "stateEnteredEventDetails": {"name": "Notify job starting", "input": json.dumps(admitted_state)},
            }
        ]
    }
    monkeypatch.setattr(account.sfn, "get_execution_history", lambda **_: history, raising=False)
    monkeypatch.setattr(guard, "client", lambda name: account.sfn if name == "stepfunctions" else account.bedrock)

    with pytest.raises(ConcurrencyLimitReached, match=r"1 earlier upload\(s\) wait ahead"):
        earlier.check_capacity()
    later.create_job()  # once its job exists it is counted as running instead
    with pytest.raises(ConcurrencyLimitReached, match="already runs 1 job"):
        earlier.check_capacity()


def test_a_job_created_by_the_upload_ahead_while_the_line_is_read_still_holds_its_slot(
    account: Account, monkeypatch: pytest.MonkeyPatch
) -> None:
    first, second = support_bot(account, "team-a"), support_bot(account, "team-b")
    assert first.check_capacity()["admitted"] is True
    # The first creates its job right after the second listed the running jobs, before it reads the line.
    reads_of_the_line = 0
    original = capacity.jobs_waiting_ahead

    def create_during_the_read(*args: Any, **kwargs: Any) -> list[str]:
        nonlocal reads_of_the_line
        reads_of_the_line += 1
        first.create_job()
        return original(*args, **kwargs)

    monkeypatch.setattr(capacity, "jobs_waiting_ahead", create_during_the_read)
    with pytest.raises(ConcurrencyLimitReached, match="already runs 1 job"):
        second.check_capacity()
    assert reads_of_the_line == 1
