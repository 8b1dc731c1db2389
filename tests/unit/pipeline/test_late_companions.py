"""A companion that lands after its dataset's job was planned gets an alert saying it was not used."""

from __future__ import annotations

import json
from datetime import UTC, datetime
from typing import Any

from tests.unit.pipeline.conftest import Account
from tuneline.pipeline.late_companions import alert_late_companion

TRAINING_KEY = "incoming/support-bot/train.jsonl"
MANIFEST_KEY = "incoming/support-bot/train.job.json"
JOB = "tuneline-support-bot-train-0a1b2c"


PLANNED_AT = datetime(2027, 1, 4, 9, 0, tzinfo=UTC)


class RunningExecutions:
    """The three Step Functions reads the check makes, answering for executions given as (dataset key, the
    plan's recorded manifest or None): what a running customize execution shows before its Plan step (the
    string "not planned") and after it."""

    def __init__(self, runs: list[tuple[str, Any]]) -> None:
        self.runs = {
            f"arn:aws:states:us-east-1:123456789012:execution:customize:run-{n}": run for n, run in enumerate(runs)
        }

    def get_paginator(self, name: str) -> Any:
        assert name == "list_executions"
        runs = self.runs

        class Pages:
            def paginate(self, **kwargs: Any) -> list[dict[str, Any]]:
                assert kwargs["statusFilter"] == "RUNNING"
                return [{"executions": [{"executionArn": arn, "name": arn.rsplit(":", 1)[1]} for arn in runs]}]

        return Pages()

    def describe_execution(self, executionArn: str) -> dict[str, Any]:
        return {"input": json.dumps({"key": self.runs[executionArn][0]})}

    def get_execution_history(self, executionArn: str, maxResults: int) -> dict[str, Any]:
        events: list[dict[str, Any]] = [{"timestamp": PLANNED_AT, "type": "ExecutionStarted"}]
        manifest = self.runs[executionArn][1]
        if manifest != "not planned":
            output = json.dumps({"plan": {"jobName": JOB, "manifestSource": manifest}})
            events.append(
                {
                    "timestamp": PLANNED_AT,
                    "type": "TaskStateExited",
                    "stateExitedEventDetails": {"name": "Plan job", "output": output},
                }
            )
        return {"events": events}


def _check(account: Account, sfn: RunningExecutions, key: str = MANIFEST_KEY) -> int:
    topic = account.sns.list_topics()["Topics"][0]["TopicArn"]
    return alert_late_companion(
        s3=account.s3,
        sfn=sfn,
        sns=account.sns,
        topic_arn=topic,
        state_machine_arn="arn:sm",
        bucket=account.bucket,
        key=key,
    )


def _manifest(account: Account, version: str) -> dict[str, str]:
    return {"bucket": account.bucket, "key": MANIFEST_KEY, "versionId": version}


def test_a_manifest_the_running_job_was_planned_without_gets_an_alert_naming_it_and_saying_it_was_not_used(
    account: Account,
) -> None:
    account.upload(MANIFEST_KEY, b'{"budgetUsd": 5}')

    sent = _check(account, RunningExecutions([(TRAINING_KEY, None)]))

    assert sent == 1
    [alert] = account.read_alerts()
    assert "train.job.json NOT USED" in alert["Subject"] and JOB in alert["Subject"]
    text = " ".join(alert["Message"].split())
    assert f"s3://{account.bucket}/{MANIFEST_KEY}" in text and "none of this manifest's values" in text
    assert "aws stepfunctions stop-execution --execution-arn arn:aws:states:" in text


def test_a_new_version_of_a_manifest_the_job_read_is_not_used_either(account: Account) -> None:
    first = account.upload(MANIFEST_KEY, b'{"budgetUsd": 50}')
    account.upload(MANIFEST_KEY, b'{"budgetUsd": 5}')

    assert _check(account, RunningExecutions([(TRAINING_KEY, _manifest(account, first))])) == 1


def test_the_version_the_job_read_and_a_job_not_planned_yet_get_nothing(account: Account) -> None:
    version = account.upload(MANIFEST_KEY, b'{"budgetUsd": 5}')

    # Planned with this very version, and not planned yet (it will read it).
    runs = RunningExecutions([(TRAINING_KEY, _manifest(account, version)), (TRAINING_KEY, "not planned")])
    assert _check(account, runs) == 0
    assert account.read_alerts() == []


def test_only_the_companions_own_dataset_counts_and_training_files_are_not_companions(account: Account) -> None:
    account.upload(MANIFEST_KEY, b"{}")
    account.upload(TRAINING_KEY, b"{}\n")
    assert _check(account, RunningExecutions([("incoming/support-bot/other.jsonl", None)])) == 0
    assert _check(account, RunningExecutions([(TRAINING_KEY, None)]), key=TRAINING_KEY) == 0
