"""Check model folder step: a real tiny safetensors folder in moto S3, Bedrock's import jobs as an in-memory fake."""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

import pytest
from botocore.exceptions import ClientError

from tests.unit.imports.model_folder_builder import LLAMA_CONFIG, SMALL_TENSORS, write_model_folder, write_safetensors
from tests.unit.pipeline.conftest import Account
from tuneline.alerts.imports import MAX_LISTED_FINDINGS
from tuneline.errors import ManifestInvalid, ModelFolderRejected
from tuneline.imports.errors import ImportNameTaken
from tuneline.jobs.naming import CLIENT_REQUEST_TOKEN_PATTERN, CUSTOM_MODEL_NAME_PATTERN, JOB_NAME_PATTERN
from tuneline.pipeline.model_import import check_import

FOLDER = "imports/llama-support/"
MARKER = f"{FOLDER}_READY"


class FakeBedrock:
    """GetModelImportJob / GetImportedModel over jobs and models a test sets up (moto has no model import)."""

    def __init__(self) -> None:
        self.jobs: dict[str, dict[str, Any]] = {}
        self.models: set[str] = set()
        self.job_lookups: list[str] = []

    def add_job(self, name: str, status: str, model_name: str | None = None) -> dict[str, Any]:
        job: dict[str, Any] = {
            "jobArn": f"arn:aws:bedrock:us-east-1:123456789012:model-import-job/{len(self.jobs):012d}",
            "jobName": name,
            "status": status,
            "importedModelName": model_name,
        }
        if status == "Completed" and model_name:
            job["importedModelArn"] = f"arn:aws:bedrock:us-east-1:123456789012:imported-model/{len(self.jobs):012d}"
            self.models |= {model_name, job["importedModelArn"]}
        if status == "Failed":
            job["failureMessage"] = "The model data is missing the required config.json file."
        self.jobs[name] = job
        return job

    def get_model_import_job(self, *, jobIdentifier: str) -> dict[str, Any]:
        self.job_lookups.append(jobIdentifier)
        for job in self.jobs.values():
            if jobIdentifier in (job["jobName"], job["jobArn"]):
                return dict(job)
        raise _not_found("GetModelImportJob")

    def get_imported_model(self, *, modelIdentifier: str) -> dict[str, Any]:
        if modelIdentifier in self.models:
            return {"modelName": modelIdentifier}
        raise _not_found("GetImportedModel")


def _not_found(operation: str) -> ClientError:
    return ClientError({"Error": {"Code": "ResourceNotFoundException", "Message": "not found"}}, operation)


def upload_folder(account: Account, local: Path, folder: str = FOLDER) -> None:
    for path in sorted(local.rglob("*")):
        if path.is_file():
            account.upload(folder + path.relative_to(local).as_posix(), path.read_bytes())


def write_marker(account: Account, body: bytes = b"", key: str = MARKER) -> dict[str, Any]:
    version = account.upload(key, body)
    return {"bucket": account.bucket, "key": key, "versionId": version}


@pytest.fixture
def bedrock() -> FakeBedrock:
    return FakeBedrock()


@pytest.fixture
def model_folder(account: Account, tmp_path: Path) -> Path:
    local = write_model_folder(tmp_path / "model", shards=2)
    upload_folder(account, local)
    return local


def test_an_importable_folder_yields_valid_names_tags_and_a_report(
    account: Account, bedrock: FakeBedrock, model_folder: Path
) -> None:
    marker = write_marker(
        account, json.dumps({"description": "QLoRA on tickets", "tags": {"team": "support"}}).encode()
    )

    state = check_import(marker, s3=account.s3, bedrock=bedrock)

    assert state["duplicate"] is False and state["existingJob"] is None
    assert state["modelDataUri"] == f"s3://{account.bucket}/{FOLDER}"
    assert JOB_NAME_PATTERN.match(state["jobName"]) and len(state["jobName"]) <= 63
    assert CUSTOM_MODEL_NAME_PATTERN.match(state["importedModelName"])
    assert CLIENT_REQUEST_TOKEN_PATTERN.match(state["clientRequestToken"])
    assert {"Key": "team", "Value": "support"} in state["tags"]
    assert {"Key": "tuneline:description", "Value": "QLoRA on tickets"} in state["tags"]
    assert {"Key": "tuneline:source", "Value": f"{account.bucket}/{FOLDER}"} in state["tags"]
    assert state["family"] == "Llama" and state["architecture"] == "LlamaForCausalLM"
    assert state["parameterCount"] > 0
    report_key = f"reports/imports/{state['jobName']}/check.json"
    assert account.keys("reports/") == [report_key]
    assert state["reportUri"] == f"s3://{account.bucket}/{report_key}"
    report = json.loads(account.s3.get_object(Bucket=account.bucket, Key=report_key)["Body"].read())
    assert report["valid"] is True


def test_an_empty_marker_takes_the_default_smoke_prompt_and_a_generated_model_name(
    account: Account, bedrock: FakeBedrock, model_folder: Path
) -> None:
    state = check_import(write_marker(account), s3=account.s3, bedrock=bedrock)
    assert state["importedModelName"].startswith("tuneline-llama-support-")
    assert state["smokePrompt"] and 1 <= state["smokeMaxTokens"] <= 4096


def test_the_manifest_names_the_model_and_sets_the_smoke_prompt(
    account: Account, bedrock: FakeBedrock, model_folder: Path
) -> None:
    body = {"importedModelName": "support-bot-v3", "smokePrompt": "Say hi.", "smokeMaxTokens": 8}
    state = check_import(write_marker(account, json.dumps(body).encode()), s3=account.s3, bedrock=bedrock)
    assert state["importedModelName"] == "support-bot-v3"
    assert (state["smokePrompt"], state["smokeMaxTokens"]) == ("Say hi.", 8)


def test_a_broken_folder_is_rejected_naming_file_and_rule_and_keeps_the_report(
    account: Account, bedrock: FakeBedrock, tmp_path: Path
) -> None:
    local = write_model_folder(tmp_path / "model", config={**LLAMA_CONFIG, "architectures": ["BertModel"]})
    (local / "model.safetensors").write_bytes((2**20).to_bytes(8, "little") + b"{}")
    upload_folder(account, local)

    with pytest.raises(ModelFolderRejected) as rejected:
        check_import(write_marker(account), s3=account.s3, bedrock=bedrock)

    message = str(rejected.value)
    assert "config.json: [" in message and "model.safetensors: [safetensors-header-corrupt]" in message
    assert "Nothing was imported" in message
    [report_key] = account.keys("reports/imports/")
    assert message.endswith(f"Full report: s3://{account.bucket}/{report_key}")
    report = json.loads(account.s3.get_object(Bucket=account.bucket, Key=report_key)["Body"].read())
    assert report["valid"] is False
    assert {(e["file"], e["rule"]) for e in report["errors"]} >= {("model.safetensors", "safetensors-header-corrupt")}


def test_a_marker_written_before_the_upload_names_every_missing_file(account: Account, bedrock: FakeBedrock) -> None:
    with pytest.raises(ModelFolderRejected) as rejected:
        check_import(write_marker(account), s3=account.s3, bedrock=bedrock)
    message = str(rejected.value)
    for missing in ("config.json: [config-missing]", "tokenizer_config.json: [tokenizer-missing]", "[weights-missing]"):
        assert missing in message


def test_a_folder_name_bedrock_cannot_read_is_rejected(account: Account, bedrock: FakeBedrock, tmp_path: Path) -> None:
    folder = "imports/llama support/"
    upload_folder(account, write_model_folder(tmp_path / "model"), folder)
    with pytest.raises(ModelFolderRejected, match=r"\[folder-name-invalid\].*no spaces"):
        check_import(write_marker(account, key=f"{folder}_READY"), s3=account.s3, bedrock=bedrock)


def test_an_invalid_marker_names_the_marker_and_the_option(
    account: Account, bedrock: FakeBedrock, model_folder: Path
) -> None:
    with pytest.raises(ManifestInvalid, match=r"_READY: smokeMaxTokens"):
        check_import(write_marker(account, b'{"smokeMaxTokens": 0}'), s3=account.s3, bedrock=bedrock)


def test_a_key_that_is_not_a_marker_imports_nothing(account: Account, bedrock: FakeBedrock, model_folder: Path) -> None:
    with pytest.raises(ManifestInvalid, match="not an import marker"):
        check_import(write_marker(account, key=f"{FOLDER}config.json"), s3=account.s3, bedrock=bedrock)


def test_rewriting_the_marker_over_unchanged_files_gives_the_same_names(
    account: Account, bedrock: FakeBedrock, model_folder: Path
) -> None:
    first = check_import(write_marker(account), s3=account.s3, bedrock=bedrock)
    second = check_import(write_marker(account), s3=account.s3, bedrock=bedrock)
    assert first["marker"]["versionId"] != second["marker"]["versionId"]
    names = ("jobName", "importedModelName", "clientRequestToken", "identity")
    assert [first[n] for n in names] == [second[n] for n in names]


@pytest.mark.parametrize("change", ["weights", "config", "model name", "tags"])
def test_changed_files_or_model_options_give_new_names(
    account: Account, bedrock: FakeBedrock, model_folder: Path, tmp_path: Path, change: str
) -> None:
    before = check_import(write_marker(account), s3=account.s3, bedrock=bedrock)
    body = b""
    if change == "weights":
        retrained = {**SMALL_TENSORS, "model.norm.weight": ("BF16", [8])}
        upload_folder(account, write_model_folder(tmp_path / "retrained", shards=2, tensors=retrained))
    elif change == "config":
        account.upload(f"{FOLDER}config.json", json.dumps({**LLAMA_CONFIG, "max_position_embeddings": 4096}).encode())
    elif change == "model name":
        body = b'{"importedModelName": "support-bot-v4"}'
    else:
        body = b'{"tags": {"team": "search"}}'
    after = check_import(write_marker(account, body), s3=account.s3, bedrock=bedrock)
    assert after["jobName"] != before["jobName"]
    assert after["clientRequestToken"] != before["clientRequestToken"]


def test_the_smoke_options_do_not_make_a_new_import(account: Account, bedrock: FakeBedrock, model_folder: Path) -> None:
    before = check_import(write_marker(account), s3=account.s3, bedrock=bedrock)
    after = check_import(write_marker(account, b'{"smokePrompt": "Ping?"}'), s3=account.s3, bedrock=bedrock)
    assert after["jobName"] == before["jobName"]


@pytest.mark.parametrize("status", ["InProgress", "Completed"])
def test_an_import_of_the_same_content_that_stands_is_a_duplicate(
    account: Account, bedrock: FakeBedrock, model_folder: Path, status: str
) -> None:
    first = check_import(write_marker(account), s3=account.s3, bedrock=bedrock)
    job = bedrock.add_job(first["jobName"], status, first["importedModelName"])
    reports_before = account.keys("reports/")

    again = check_import(write_marker(account), s3=account.s3, bedrock=bedrock)

    assert again["duplicate"] is True
    assert again["existingJob"]["jobArn"] == job["jobArn"]
    assert again["existingJob"]["status"] == status
    assert again["jobName"] == first["jobName"]
    assert account.keys("reports/") == reports_before  # no second check of a folder already imported


@pytest.mark.parametrize("earlier", ["failed", "model deleted"])
def test_after_a_failed_import_or_a_deleted_model_the_marker_is_a_new_attempt(
    account: Account, bedrock: FakeBedrock, model_folder: Path, earlier: str
) -> None:
    first = check_import(write_marker(account), s3=account.s3, bedrock=bedrock)
    if earlier == "failed":
        bedrock.add_job(first["jobName"], "Failed", first["importedModelName"])
    else:
        job = bedrock.add_job(first["jobName"], "Completed", first["importedModelName"])
        bedrock.models -= {first["importedModelName"], job["importedModelArn"]}

    retry = check_import(write_marker(account), s3=account.s3, bedrock=bedrock)

    assert retry["duplicate"] is False
    assert retry["jobName"] != first["jobName"]
    assert retry["importedModelName"] != first["importedModelName"]
    assert retry["clientRequestToken"] != first["clientRequestToken"]
    assert JOB_NAME_PATTERN.match(retry["jobName"]) and CUSTOM_MODEL_NAME_PATTERN.match(retry["importedModelName"])


def test_a_model_name_taken_by_another_model_is_refused(
    account: Account, bedrock: FakeBedrock, model_folder: Path
) -> None:
    bedrock.models.add("support-bot-v3")
    with pytest.raises(ImportNameTaken, match=r"support-bot-v3 already exists.*delete-imported-model"):
        check_import(write_marker(account, b'{"importedModelName": "support-bot-v3"}'), s3=account.s3, bedrock=bedrock)


def test_the_state_carries_the_first_warnings_and_their_count_and_the_report_all_of_them(
    account: Account, bedrock: FakeBedrock, model_folder: Path, tmp_path: Path
) -> None:
    strays = 30  # each a warning of its own (safetensors-shard-unreferenced)
    for number in range(strays):
        stray = write_safetensors(
            tmp_path / f"stray-{number:03d}.safetensors", {f"extra.{number}.weight": ("F32", [2])}
        )
        account.upload(f"{FOLDER}stray-{number:03d}.safetensors", stray.read_bytes())

    state = check_import(write_marker(account), s3=account.s3, bedrock=bedrock)

    assert state["warningCount"] == strays
    assert len(state["warnings"]) == MAX_LISTED_FINDINGS < strays
    assert all("[safetensors-shard-unreferenced]" in warning for warning in state["warnings"])
    report = json.loads(
        account.s3.get_object(Bucket=account.bucket, Key=f"reports/imports/{state['jobName']}/check.json")[
            "Body"
        ].read()
    )
    assert len(report["warnings"]) == strays
