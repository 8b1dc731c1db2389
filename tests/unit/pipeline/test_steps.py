"""The workflow's Lambda steps, each called as Step Functions calls it, against moto."""

from __future__ import annotations

import json
from typing import Any

import pytest

from tests.unit.pipeline.conftest import Account
from tuneline.errors import BudgetExceeded, DatasetRejected, ManifestInvalid, UnknownProfile
from tuneline.handlers import guard, notify, plan, summarize, validate

TRAINING_CSV = "step_number,epoch_number,training_loss,perplexity\n" + "\n".join(
    f"{step},{step // 10},{2.5 - step * 0.05:.3f},{12 - step * 0.3:.2f}" for step in range(20)
)
VALIDATION_CSV = "step_number,epoch_number,validation_loss,perplexity\n0,0,2.10,8.2\n10,1,1.70,5.5\n19,2,1.55,4.7\n"


def _input(account: Account, key: str, version: str) -> dict[str, Any]:
    return {"bucket": account.bucket, "key": key, "versionId": version, "profile": key.split("/")[1]}


def _plan(account: Account, key: str, example: str) -> dict[str, Any]:
    version = account.upload_example(key, example)
    return plan.handler(_input(account, key, version))


def test_plan_names_paths_and_hyperparameters(account: Account) -> None:
    state = _plan(account, "incoming/support-bot/train.jsonl", "support-bot/train.jsonl")
    assert state["jobName"].startswith("tuneline-support-bot")
    assert state["trainingDataUri"] == f"s3://{account.bucket}/staged/{state['jobName']}/train.jsonl"
    assert state["outputDataUri"] == f"s3://{account.bucket}/output/{state['jobName']}/"
    assert state["hyperParameters"]["epochCount"] == "2"
    assert state["hasValidation"] is True  # the profile asks for a 20% split
    assert {"Key": "tuneline:profile", "Value": "support-bot"} in state["jobTags"]


def test_plan_applies_the_manifest_beside_the_dataset(account: Account) -> None:
    manifest = "incoming/support-bot/train.job.json"
    version = account.upload(manifest, json.dumps({"hyperParameters": {"epochCount": 1}}).encode())
    state = _plan(account, "incoming/support-bot/train.jsonl", "support-bot/train.jsonl")
    assert state["hyperParameters"]["epochCount"] == "1"
    # The version it followed, so a later manifest is reported as not used.
    assert state["manifestSource"] == {"bucket": account.bucket, "key": manifest, "versionId": version}


def test_plan_rejects_a_bad_manifest_naming_file_and_key(account: Account) -> None:
    account.upload("incoming/support-bot/train.job.json", json.dumps({"hyperParameters": {"epochs": 1}}).encode())
    with pytest.raises(ManifestInvalid, match=r"train\.job\.json.*epochs"):
        _plan(account, "incoming/support-bot/train.jsonl", "support-bot/train.jsonl")


def test_plan_rejects_an_unknown_profile_listing_the_configured_ones(account: Account) -> None:
    with pytest.raises(UnknownProfile, match="llama, support-bot"):
        _plan(account, "incoming/marketing/train.jsonl", "support-bot/train.jsonl")


def test_validate_stages_a_split_copy_and_leaves_the_original_alone(account: Account) -> None:
    key = "incoming/support-bot/train.jsonl"
    state = _plan(account, key, "support-bot/train.jsonl")
    original = account.s3.get_object(Bucket=account.bucket, Key=key)
    result = validate.handler({"plan": state})
    assert result["valid"] is True and result["trainingTokens"] > 0
    staged = account.keys("staged/")
    assert staged == sorted([state["stagedTrainingKey"], state["stagedValidationKey"]])
    train_lines = account.s3.get_object(Bucket=account.bucket, Key=state["stagedTrainingKey"])["Body"].read()
    val_lines = account.s3.get_object(Bucket=account.bucket, Key=state["stagedValidationKey"])["Body"].read()
    assert train_lines.count(b"\n") + val_lines.count(b"\n") == 60
    after = account.s3.get_object(Bucket=account.bucket, Key=key)
    assert after["VersionId"] == original["VersionId"] and after["ETag"] == original["ETag"]
    assert account.keys("reports/") == [f"{state['reportPrefix']}validation.json"]


def test_validate_rejects_a_bad_dataset_with_line_and_rule_and_stages_nothing(account: Account) -> None:
    state = _plan(account, "incoming/support-bot/broken.jsonl", "support-bot/broken.jsonl")
    with pytest.raises(DatasetRejected) as rejected:
        validate.handler({"plan": state})
    message = str(rejected.value)
    assert "broken.jsonl line 4" in message and "message.first-role" in message
    assert "Nothing was started" in message
    assert account.keys("staged/") == []
    report = json.loads(
        account.s3.get_object(Bucket=account.bucket, Key=f"{state['reportPrefix']}validation.json")["Body"].read()
    )
    assert report["valid"] is False
    assert {(e["line"], e["rule"]) for e in report["errors"]} >= {(4, "message.first-role"), (8, "jsonl.invalid-json")}


def test_guard_estimates_cost_and_stops_over_budget(account: Account) -> None:
    state = _plan(account, "incoming/support-bot/train.jsonl", "support-bot/train.jsonl")
    result = guard.handler({"plan": state, "validation": {"trainingTokens": 10_000}})
    assert 0 < result["estimatedCostUsd"] <= 50 and result["epochs"] == 2
    llama = _plan(account, "incoming/llama/train.jsonl", "llama-instruct/train.jsonl")
    with pytest.raises(BudgetExceeded, match="budget"):
        guard.handler({"plan": llama, "validation": {"trainingTokens": 5_000_000}})


def test_summarize_reads_metrics_wherever_bedrock_put_them(account: Account) -> None:
    state = _plan(account, "incoming/support-bot/train.jsonl", "support-bot/train.jsonl")
    out = state["outputDataUri"].removeprefix(f"s3://{account.bucket}/")
    job_dir = f"{out}model-customization-job-abc123def456/"
    account.upload(f"{job_dir}training_artifacts/step_wise_training_metrics.csv", TRAINING_CSV.encode())
    account.upload(
        f"{job_dir}validation_artifacts/post_fine_tuning_validation/validation/validation_metrics.csv",
        VALIDATION_CSV.encode(),
    )
    job = {
        "jobArn": "arn:aws:bedrock:us-east-1:123456789012:model-customization-job/x/abc123def456",
        "status": "Completed",
    }
    summary = summarize.handler({"plan": state, "job": job})
    assert summary["metrics"]["finalTrainingLoss"] == pytest.approx(1.55)
    assert summary["metrics"]["bestValidationLoss"] == pytest.approx(1.55)
    assert summary["metrics"]["overfitting"] is False
    assert f"{state['reportPrefix']}summary.json" in account.keys("reports/")


def test_summarize_without_metrics_still_reports(account: Account) -> None:
    state = _plan(account, "incoming/support-bot/train.jsonl", "support-bot/train.jsonl")
    summary = summarize.handler({"plan": state, "job": {"JobArn": "arn:x", "Status": "Completed"}})
    assert summary["metrics"] is None and summary["jobArn"] == "arn:x"


def test_notify_rejection_alert_names_file_line_and_rule(account: Account) -> None:
    key = "incoming/support-bot/broken.jsonl"
    state = _plan(account, key, "support-bot/broken.jsonl")
    with pytest.raises(DatasetRejected) as rejected:
        validate.handler({"plan": state})
    notify.handler(
        {
            "kind": "failed",
            "state": {
                "bucket": account.bucket,
                "key": key,
                "plan": state,
                "error": {"Error": "DatasetRejected", "Cause": json.dumps({"errorMessage": str(rejected.value)})},
            },
        }
    )
    [alert] = account.read_alerts()
    assert "broken.jsonl" in alert["Subject"] or "broken" in alert["Message"]
    assert "line 4" in alert["Message"] and "message.first-role" in alert["Message"]


def test_notify_bedrock_failure_passes_on_bedrock_message(account: Account) -> None:
    state = _plan(account, "incoming/support-bot/train.jsonl", "support-bot/train.jsonl")
    cause = json.dumps({"FailureMessage": "Maximum input token count 4097 exceeds limit of 4096", "Status": "Failed"})
    notify.handler(
        {
            "kind": "failed",
            "state": {
                "plan": state,
                "validation": {},
                "guard": {},
                # As the state's Catch writes it (tuneline.aws_values.caught_error_path).
                "caught": {
                    "Create_customization_job_with_validation_data": {"Error": "States.TaskFailed", "Cause": cause}
                },
            },
        }
    )
    [alert] = account.read_alerts()
    assert "4097 exceeds limit of 4096" in " ".join(alert["Message"].split())
    assert "Failed in: Create customization job with validation data" in " ".join(alert["Message"].split())


def test_the_failure_alert_names_the_state_the_error_came_from_not_the_first_missing_key(account: Account) -> None:
    state = _plan(account, "incoming/support-bot/train.jsonl", "support-bot/train.jsonl")
    # Guard and validation results are missing (as when a step before them failed in an older layout), but the
    # error says it came from Summarize metrics: the alert believes the error.
    notify.handler(
        {
            "kind": "failed",
            "state": {
                "plan": state,
                "caught": {"Summarize_metrics": {"Error": "Lambda.Unknown", "Cause": "out of memory"}},
            },
        }
    )
    [alert] = account.read_alerts()
    text = " ".join(alert["Message"].split())
    assert "Failed in: Summarize metrics" in text
    assert "Validate dataset" not in text and "Check budget" not in text
