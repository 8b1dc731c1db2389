"""Intake: one execution per training-file version, nothing for companions or duplicates."""

from __future__ import annotations

import json
from urllib.parse import quote_plus

from tests.unit.pipeline.conftest import Account, s3_event, sqs_batch
from tuneline.handlers import intake
from tuneline.pipeline.intake import upload_time


def _executions(account: Account) -> list[dict[str, str]]:
    return account.sfn.list_executions(stateMachineArn=account.state_machine_arn)["executions"]


def test_a_training_file_starts_one_execution_named_for_its_version(account: Account) -> None:
    version = account.upload_example("incoming/support-bot/train.jsonl", "support-bot/train.jsonl")
    result = intake.handler(sqs_batch(s3_event(account.bucket, "incoming/support-bot/train.jsonl", version)))
    assert result == {"batchItemFailures": []}
    [execution] = _executions(account)
    assert execution["name"].startswith("support-bot")


def test_the_same_version_delivered_three_times_starts_one_execution(account: Account) -> None:
    version = account.upload_example("incoming/support-bot/train.jsonl", "support-bot/train.jsonl")
    event = s3_event(account.bucket, "incoming/support-bot/train.jsonl", version)
    intake.handler(sqs_batch(event, event))
    intake.handler(sqs_batch(event))
    assert len(_executions(account)) == 1


def test_a_new_version_of_the_same_key_starts_a_new_execution(account: Account) -> None:
    key = "incoming/support-bot/train.jsonl"
    first = account.upload_example(key, "support-bot/train.jsonl")
    second = account.upload(key, (b"\n").join([b"{}"] * 3))
    intake.handler(sqs_batch(s3_event(account.bucket, key, first), s3_event(account.bucket, key, second)))
    assert len({e["name"] for e in _executions(account)}) == 2


def test_companion_files_start_nothing(account: Account) -> None:
    key = "incoming/support-bot/train.validation.jsonl"
    version = account.upload_example(key, "support-bot/train.jsonl")
    intake.handler(sqs_batch(s3_event(account.bucket, key, version)))
    assert _executions(account) == []


def test_url_encoded_keys_from_events_are_resolved(account: Account) -> None:
    real_key = "incoming/support-bot/my data+v2.jsonl"
    version = account.upload_example(real_key, "support-bot/train.jsonl")
    delivered = quote_plus(real_key, safe="/")
    intake.handler(sqs_batch(s3_event(account.bucket, delivered, version)))
    [execution] = _executions(account)
    detail = account.sfn.describe_execution(executionArn=execution["executionArn"])
    assert f'"key": "{real_key}"' in detail["input"]


def test_an_object_deleted_before_intake_starts_nothing_and_is_not_retried(account: Account) -> None:
    result = intake.handler(sqs_batch(s3_event(account.bucket, "incoming/support-bot/gone.jsonl", "v-missing")))
    assert result == {"batchItemFailures": []}
    assert _executions(account) == []


def test_a_failing_message_is_reported_alone_for_retry(account: Account, monkeypatch) -> None:
    version = account.upload_example("incoming/support-bot/train.jsonl", "support-bot/train.jsonl")
    good = s3_event(account.bucket, "incoming/support-bot/train.jsonl", version)
    broken = {"detail": {}}
    result = intake.handler(sqs_batch(broken, good))
    assert result == {"batchItemFailures": [{"itemIdentifier": "m0"}]}
    assert len(_executions(account)) == 1


def test_a_csv_where_a_dataset_belongs_is_explained_by_alert_and_starts_nothing(account: Account) -> None:
    key = "incoming/support-bot/faq.csv"
    version = account.upload(key, b"question,answer\nHi?,Hello.\n")
    result = intake.handler(sqs_batch(s3_event(account.bucket, key, version)))
    assert result == {"batchItemFailures": []}
    assert _executions(account) == []
    [alert] = account.read_alerts()
    assert alert["Subject"] == "Tuneline: upload ignored - faq.csv is not a .jsonl dataset"
    assert f"s3://{account.bucket}/{key}" in alert["Message"]
    assert "tuneline convert faq.csv --from csv" in alert["Message"]
    # The file is left as it was.
    assert account.s3.get_object(Bucket=account.bucket, Key=key)["VersionId"] == version


def test_a_manifest_or_hidden_file_gets_no_alert(account: Account) -> None:
    for key in ("incoming/support-bot/train.job.json", "incoming/support-bot/._faq.csv"):
        version = account.upload(key, b"{}")
        intake.handler(sqs_batch(s3_event(account.bucket, key, version)))
    assert account.read_alerts() == []
    assert _executions(account) == []


def test_a_dataset_with_an_upper_case_extension_starts_its_job(account: Account) -> None:
    key = "incoming/support-bot/Train.JSONL"
    version = account.upload_example(key, "support-bot/train.jsonl")
    intake.handler(sqs_batch(s3_event(account.bucket, key, version)))
    [execution] = _executions(account)
    assert execution["name"].startswith("support-bot-train-")
    assert account.read_alerts() == []


def test_the_execution_carries_the_uploads_time_for_the_capacity_line(account: Account) -> None:
    version = account.upload_example("incoming/support-bot/train.jsonl", "support-bot/train.jsonl")
    event = {**s3_event(account.bucket, "incoming/support-bot/train.jsonl", version), "time": "2027-01-04T09:00:01Z"}
    intake.handler(sqs_batch(event))
    [execution] = _executions(account)
    started = json.loads(account.sfn.describe_execution(executionArn=execution["executionArn"])["input"])
    assert started["uploadedAt"] == "2027-01-04T09:00:01Z"


def test_an_event_time_given_in_seconds_is_written_as_iso_utc() -> None:
    assert upload_time({"time": 1799053201.25}) == "2027-01-04T09:00:01.250000Z"
    assert upload_time({"time": "2027-01-04T10:00:01+01:00"}) == "2027-01-04T09:00:01Z"
    assert upload_time({"time": "yesterday"}) is None and upload_time({}) is None
