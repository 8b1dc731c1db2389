"""Import alerts, published through the real handler to SNS (moto) and read back: what each one must say."""

from __future__ import annotations

import json
from typing import Any

import pytest

from tests.unit.pipeline.conftest import Account
from tuneline.alerts.text import MAX_SUBJECT_LENGTH
from tuneline.handlers import import_notify

MODEL_ARN = "arn:aws:bedrock:us-east-1:123456789012:imported-model/abcdef123456"
JOB_NAME = "tuneline-import-llama-support-0123456789ab"


def _check(account: Account) -> dict[str, Any]:
    return {
        "modelName": "llama-support",
        "modelDataUri": f"s3://{account.bucket}/imports/llama-support/",
        "jobName": JOB_NAME,
        "importedModelName": "tuneline-llama-support-0123456789ab",
        "family": "Llama",
        "architecture": "LlamaForCausalLM",
        "weightBytes": 16_060_000_000,
        "parameterCount": 8_030_000_000,
        "warnings": ["tokenizer_config.json: [chat-template-missing] no chat template"],
    }


def _state(account: Account, **extra: Any) -> dict[str, Any]:
    return {
        "bucket": account.bucket,
        "key": "imports/llama-support/_READY",
        "versionId": "v1",
        "modelName": "llama-support",
        "folder": "imports/llama-support/",
        **extra,
    }


def _flat(body: str) -> str:
    """The body with line wrapping undone, so assertions do not depend on where lines break."""
    return " ".join(body.split())


def _publish(account: Account, event: dict[str, Any]) -> dict[str, str]:
    import_notify.handler(event)
    [alert] = account.read_alerts()
    assert len(alert["Subject"]) <= MAX_SUBJECT_LENGTH and alert["Subject"].isascii()
    return alert


def test_completed_alert_gives_the_arn_and_a_call_to_copy(account: Account) -> None:
    command = f"aws bedrock-runtime invoke-model --model-id {MODEL_ARN} --body '{{}}' answer.json"
    state = _state(
        account,
        check=_check(account),
        job={
            "Status": "Completed",
            "ImportedModelArn": MODEL_ARN,
            "CreationTime": "2026-11-20T10:00:00Z",
            "EndTime": "2026-11-20T10:14:30Z",
        },
        smoke={"modelArn": MODEL_ARN, "prompt": "Say hello.", "answer": "Hello!", "invokeCommand": command},
    )
    alert = _publish(account, {"kind": "completed", "state": state})
    assert alert["Subject"] == "Tuneline: model imported - tuneline-llama-support-0123456789ab"
    body = alert["Message"]
    assert MODEL_ARN in body and f"  {command}" in body.splitlines()
    assert "Took: 14m" in body and "Answer: Hello!" in body
    assert "Llama (LlamaForCausalLM)" in body and "16.1 GB, 8.03B parameters" in body
    assert "chat-template-missing" in body
    assert f"aws bedrock delete-imported-model --model-identifier {MODEL_ARN}" in body


def test_completed_alert_lists_the_first_warnings_and_counts_the_rest(account: Account) -> None:
    check = {
        **_check(account),
        "warnings": [f"copy-{n:03d}.safetensors: [safetensors-shard-unreferenced] not named" for n in range(10)],
        "warningCount": 30,
        "reportUri": f"s3://{account.bucket}/reports/imports/{JOB_NAME}/check.json",
    }
    state = _state(
        account,
        check=check,
        job={"Status": "Completed", "ImportedModelArn": MODEL_ARN},
        smoke={"modelArn": MODEL_ARN, "prompt": "Say hello.", "answer": "Hello!"},
    )
    body = _flat(_publish(account, {"kind": "completed", "state": state})["Message"])
    assert "copy-009.safetensors" in body
    assert f"... and 20 more in the full report: s3://{account.bucket}/reports/imports/{JOB_NAME}/check.json" in body


@pytest.mark.parametrize(
    ("status", "subject"), [("Completed", "already imported"), ("InProgress", "import already running")]
)
def test_duplicate_alert_points_at_the_earlier_import(account: Account, status: str, subject: str) -> None:
    existing = {
        "jobName": JOB_NAME,
        "status": status,
        "importedModelName": "support-bot",
        "importedModelArn": MODEL_ARN,
    }
    state = _state(account, check={**_check(account), "duplicate": True, "existingJob": existing})
    alert = _publish(account, {"kind": "duplicate", "state": state})
    assert alert["Subject"] == f"Tuneline: {subject} - support-bot"
    assert JOB_NAME in alert["Message"] and "Nothing new" in alert["Message"]


def test_a_rejected_folder_lists_file_and_rule_from_the_report(account: Account) -> None:
    report_key = f"reports/imports/{JOB_NAME}/check.json"
    errors = [
        {
            "line": None,
            "rule": "architecture-unsupported",
            "message": "BertModel is not importable",
            "file": "config.json",
        },
        {"line": None, "rule": "dtype-unsupported", "message": "tensor x is I64", "file": "model.safetensors"},
    ]
    account.upload(report_key, json.dumps({"valid": False, "errors": errors, "warnings": [], "stats": {}}).encode())
    cause = json.dumps(
        {
            "errorType": "ModelFolderRejected",
            "errorMessage": "Model folder s3://b/imports/llama-support/ cannot be imported: 2 error(s). ... "
            f"Full report: s3://{account.bucket}/{report_key}",
        }
    )
    # As the Catch of "Check model folder" writes it: under the state's name (tuneline.aws_values.caught_error_path).
    state = _state(account, caught={"Check_model_folder": {"Error": "ModelFolderRejected", "Cause": cause}})
    alert = _publish(account, {"kind": "failed", "state": state})
    assert alert["Subject"] == "Tuneline: import FAILED, model folder rejected - llama-support"
    body = _flat(alert["Message"])
    assert "1. config.json: [architecture-unsupported] BertModel is not importable" in body
    assert "2. model.safetensors: [dtype-unsupported]" in body
    assert f"s3://{account.bucket}/{report_key}" in body
    assert "Failed in: Check model folder" in body and "tuneline validate-model" in body
    assert "\n  tuneline validate-model <folder>\n" in alert["Message"]  # whole, on its own line


def test_a_failed_import_job_quotes_bedrocks_failure_message(account: Account) -> None:
    state = _state(
        account,
        check=_check(account),
        created={"JobArn": "arn:aws:bedrock:us-east-1:123456789012:model-import-job/abcdef123456"},
        job={"Status": "Failed", "FailureMessage": "The model architecture MyArch is not supported."},
        error={"Error": "ImportJobFailed", "Cause": "Bedrock reported the import job as Failed"},
    )
    alert = _publish(account, {"kind": "failed", "state": state})
    assert "import job failed" in alert["Subject"]
    body = _flat(alert["Message"])
    assert "The model architecture MyArch is not supported." in body
    assert "Failed in: Wait for the import job" in body and f"Import job: {JOB_NAME}" in body


def test_a_long_import_says_how_to_check_on_the_job(account: Account) -> None:
    state = _state(
        account,
        check=_check(account),
        created={"JobArn": "arn"},
        job={"Status": "InProgress"},
        poll={"count": 240},
        error={"Error": "ImportTimedOut", "Cause": "still running"},
    )
    alert = _publish(account, {"kind": "failed", "state": state})
    assert "import still running" in alert["Subject"]
    assert f"aws bedrock get-model-import-job --job-identifier {JOB_NAME}" in alert["Message"]


def test_a_failed_smoke_test_gives_the_model_to_try_and_to_delete(account: Account) -> None:
    cause = json.dumps({"errorType": "SmokeTestFailed", "errorMessage": f"{MODEL_ARN} answered ModelErrorException"})
    state = _state(
        account,
        check=_check(account),
        created={"JobArn": "arn"},
        job={"Status": "Completed", "ImportedModelArn": MODEL_ARN},
        poll={"count": 3},
        caught={"Smoke_test_imported_model": {"Error": "SmokeTestFailed", "Cause": cause}},
    )
    body = _publish(account, {"kind": "failed", "state": state})["Message"]
    assert "Failed in: Smoke test imported model" in body
    assert f"aws bedrock-runtime invoke-model --model-id {MODEL_ARN}" in body
    assert f"aws bedrock delete-imported-model --model-identifier {MODEL_ARN}" in body


def test_an_unknown_error_still_alerts_with_the_details(account: Account) -> None:
    state = _state(account, error={"Error": "States.Runtime", "Cause": "JSONPath '$.check' could not be found"})
    body = _flat(_publish(account, {"kind": "failed", "state": state})["Message"])
    assert "could not be found" in body and "_READY marker again" in body


def test_an_unknown_kind_is_a_programming_error(account: Account) -> None:
    with pytest.raises(ValueError, match="unknown import alert kind"):
        import_notify.handler({"kind": "started", "state": {}})


def _completed_state(account: Account, bucket: str | None = None) -> dict[str, Any]:
    check = {
        **_check(account),
        "marker": {"bucket": bucket or account.bucket, "key": "imports/llama-support/_READY", "versionId": "v1"},
        "identity": "9f" * 32,
        "contextLength": 131072,
        "tags": [{"Key": "tuneline:description", "Value": "Support answers in our tone"}],
        "reportUri": f"s3://{account.bucket}/reports/imports/{JOB_NAME}/check.json",
    }
    job = {
        "JobArn": f"arn:aws:bedrock:us-east-1:123456789012:model-import-job/{JOB_NAME}",
        "Status": "Completed",
        "ImportedModelArn": MODEL_ARN,
        "CreationTime": "2026-11-20T10:00:00Z",
        "EndTime": "2026-11-20T10:14:30Z",
    }
    smoke = {"modelArn": MODEL_ARN, "prompt": "Say hello.", "answer": "Hello!"}
    return _state(account, check=check, job=job, smoke=smoke)


def test_a_completed_import_gets_a_model_card_beside_its_check_report(account: Account) -> None:
    alert = _publish(account, {"kind": "completed", "state": _completed_state(account)})
    prefix = f"reports/imports/{JOB_NAME}/"
    assert set(account.keys(prefix)) >= {f"{prefix}model-card.json", f"{prefix}model-card.md"}
    card = json.loads(account.s3.get_object(Bucket=account.bucket, Key=f"{prefix}model-card.json")["Body"].read())
    # The same SageMaker Model Card sections as a trained model's card.
    assert set(card) == {
        "model_overview",
        "intended_uses",
        "business_details",
        "training_details",
        "additional_information",
    }
    overview, custom = card["model_overview"], card["additional_information"]["custom_details"]
    assert overview["model_id"] == MODEL_ARN
    assert overview["model_description"] == "Support answers in our tone"
    assert overview["model_artifact"] == [f"s3://{account.bucket}/imports/llama-support/"]
    assert card["intended_uses"]["purpose_of_model"] == "TO BE FILLED IN BY THE MODEL OWNER"
    assert "Trained outside Tuneline" in card["training_details"]["training_observations"]
    assert custom["content_sha256"] == "9f" * 32 and custom["marker_version"] == "v1"
    assert custom["parameter_count"] == "8030000000" and custom["completed_at"] == "2026-11-20T10:14:30Z"
    assert all(isinstance(value, str) for value in custom.values())
    markdown = account.s3.get_object(Bucket=account.bucket, Key=f"{prefix}model-card.md")["Body"].read().decode()
    assert markdown.startswith("# Model card: tuneline-llama-support-0123456789ab\n")
    assert f"- import job arn: arn:aws:bedrock:us-east-1:123456789012:model-import-job/{JOB_NAME}" in markdown
    assert f"Model card: s3://{account.bucket}/{prefix}model-card.json" in _flat(alert["Message"])


def test_a_card_that_cannot_be_written_leaves_the_alert_without_its_link(account: Account) -> None:
    alert = _publish(account, {"kind": "completed", "state": _completed_state(account, bucket="no-such-bucket")})
    assert alert["Subject"] == "Tuneline: model imported - tuneline-llama-support-0123456789ab"
    assert "Model card" not in alert["Message"]
    assert account.keys("reports/imports/") == []


def test_only_a_completed_import_writes_a_card(account: Account) -> None:
    state = _state(account, check={**_check(account), "duplicate": True, "existingJob": {"jobName": JOB_NAME}})
    _publish(account, {"kind": "duplicate", "state": state})
    assert account.keys("reports/imports/") == []
