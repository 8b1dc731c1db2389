"""The capacity check as a queue: uploads of one profile take job slots first come, first served (moto)."""

from __future__ import annotations

import json
from typing import Any

import pytest

from tests.unit.pipeline.conftest import Account
from tuneline.errors import ConcurrencyLimitReached
from tuneline.handlers import guard, plan
from tuneline.pipeline.intake import start_request

TOKENS = {"trainingTokens": 10_000}


class Upload:
    """One dataset upload with its running execution and its plan, as the guard step receives them."""

    def __init__(self, account: Account, key: str, example: str) -> None:
        self.account = account
        version = account.upload_example(key, example)
        request = start_request(account.bucket, key, version)
        assert request is not None
        self.execution_arn = account.sfn.start_execution(
            stateMachineArn=account.state_machine_arn, name=request.name, input=json.dumps(request.input)
        )["executionArn"]
        self.plan: dict[str, Any] = plan.handler(request.input)

    def check_capacity(self) -> dict[str, Any]:
        return guard.handler(
            {
                "plan": self.plan,
                "validation": TOKENS,
                "execution": {"id": self.execution_arn, "stateMachine": self.account.state_machine_arn},
            }
        )

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
