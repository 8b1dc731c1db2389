"""Import intake: one import execution per `_READY` marker version, nothing for the folder's other files."""

from __future__ import annotations

import json
from urllib.parse import quote_plus

import pytest

from tests.unit.pipeline.conftest import Account, s3_event, sqs_batch
from tuneline.handlers import import_intake
from tuneline.jobs.naming import EXECUTION_NAME_PATTERN
from tuneline.pipeline.import_intake import import_execution_name

MARKER = "imports/llama-support/_READY"


def _executions(account: Account) -> list[dict[str, str]]:
    return account.sfn.list_executions(stateMachineArn=account.state_machine_arn)["executions"]


def test_a_marker_starts_one_execution_with_the_folder_as_input(account: Account) -> None:
    version = account.upload(MARKER, b"")
    result = import_intake.handler(sqs_batch(s3_event(account.bucket, MARKER, version)))
    assert result == {"batchItemFailures": []}
    [execution] = _executions(account)
    assert execution["name"].startswith("import-llama-support-")
    started = json.loads(account.sfn.describe_execution(executionArn=execution["executionArn"])["input"])
    assert started == {
        "bucket": account.bucket,
        "key": MARKER,
        "versionId": version,
        "modelName": "llama-support",
        "folder": "imports/llama-support/",
    }


def test_the_same_marker_version_delivered_three_times_starts_one_execution(account: Account) -> None:
    event = s3_event(account.bucket, MARKER, account.upload(MARKER, b""))
    import_intake.handler(sqs_batch(event, event))
    import_intake.handler(sqs_batch(event))
    assert len(_executions(account)) == 1


def test_a_marker_written_again_starts_a_new_execution_for_the_check_to_dedupe(account: Account) -> None:
    first, second = account.upload(MARKER, b""), account.upload(MARKER, b"")
    import_intake.handler(sqs_batch(s3_event(account.bucket, MARKER, first), s3_event(account.bucket, MARKER, second)))
    assert len({e["name"] for e in _executions(account)}) == 2


@pytest.mark.parametrize(
    "key",
    [
        "imports/llama-support/config.json",
        "imports/llama-support/sub/_READY",
        "imports/_READY",
        "imports/llama-support/_READY.txt",
    ],
)
def test_other_objects_start_nothing(account: Account, key: str) -> None:
    version = account.upload(key, b"{}")
    assert import_intake.handler(sqs_batch(s3_event(account.bucket, key, version))) == {"batchItemFailures": []}
    assert _executions(account) == []


def test_url_encoded_marker_keys_are_resolved(account: Account) -> None:
    real_key = "imports/llama support+v2/_READY"
    version = account.upload(real_key, b"")
    import_intake.handler(sqs_batch(s3_event(account.bucket, quote_plus(real_key, safe="/"), version)))
    [execution] = _executions(account)
    started = json.loads(account.sfn.describe_execution(executionArn=execution["executionArn"])["input"])
    assert started["key"] == real_key and started["folder"] == "imports/llama support+v2/"


def test_a_deleted_marker_starts_nothing_and_a_broken_message_is_retried_alone(account: Account) -> None:
    good = s3_event(account.bucket, MARKER, account.upload(MARKER, b""))
    gone = s3_event(account.bucket, "imports/other/_READY", "v-missing")
    result = import_intake.handler(sqs_batch({"detail": {}}, gone, good))
    assert result == {"batchItemFailures": [{"itemIdentifier": "m0"}]}
    assert len(_executions(account)) == 1


@pytest.mark.parametrize("model_name", ["llama-support", "Ünïcödé model", "x" * 200, "...", "Qwen2.5_7B+LoRA (v2)"])
def test_execution_names_are_valid_and_differ_per_version(model_name: str) -> None:
    key = f"imports/{model_name}/_READY"
    first, second = import_execution_name("b", key, "v1"), import_execution_name("b", key, "v2")
    assert EXECUTION_NAME_PATTERN.match(first) and EXECUTION_NAME_PATTERN.match(second)
    assert first != second
    assert import_execution_name("b", key, "v1") == first
