"""The real template in the emulator: a model folder and its `_READY` marker in S3 -> Bedrock imported model.

Happy path with a cold start, a rejected folder, a failed import job, and a marker written twice.
"""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

import pytest

import app as tuneline_app
from local.emulator import Emulator
from tests.unit.imports.model_folder_builder import LLAMA_CONFIG, write_model_folder

pytestmark = pytest.mark.workflow

FOLDER = "imports/llama-support/"
MARKER = f"{FOLDER}_READY"
ANSWER_START = "Simulated answer from support-bot-v3."


@pytest.fixture(scope="module")
def tuneline_cdk_out(tmp_path_factory: pytest.TempPathFactory) -> Path:
    """The real app, synthesized once for this module (cdk-nag included)."""
    outdir = tmp_path_factory.mktemp("tuneline-cdk-out")
    tuneline_app.build_app(outdir=str(outdir)).synth()
    return outdir


@pytest.fixture
def stack(emulator: Emulator, tuneline_cdk_out: Path) -> dict[str, str]:
    return emulator.deploy(tuneline_cdk_out, tuneline_app.STACK_NAME)


def upload_folder(emulator: Emulator, stack: dict[str, str], local: Path) -> None:
    s3 = emulator.client("s3")
    for path in sorted(local.rglob("*")):
        if path.is_file():
            s3.put_object(
                Bucket=stack["DataBucketName"], Key=FOLDER + path.relative_to(local).as_posix(), Body=path.read_bytes()
            )


def write_marker(emulator: Emulator, stack: dict[str, str], body: bytes = b"") -> str:
    response = emulator.client("s3").put_object(Bucket=stack["DataBucketName"], Key=MARKER, Body=body)
    return str(response["VersionId"])


def import_jobs(emulator: Emulator) -> list[dict[str, Any]]:
    return emulator.client("bedrock").list_model_import_jobs()["modelImportJobSummaries"]


def test_a_marker_imports_the_folder_smoke_tests_it_and_alerts_with_the_arn(
    emulator: Emulator, stack: dict[str, str], tmp_path: Path
) -> None:
    emulator.bedrock.model_not_ready(1)  # a cold start: the first call answers ModelNotReadyException
    upload_folder(emulator, stack, write_model_folder(tmp_path / "model", shards=2))
    write_marker(
        emulator, stack, json.dumps({"importedModelName": "support-bot-v3", "tags": {"team": "support"}}).encode()
    )

    (execution,) = emulator.wait_for_executions(stack["ImportStateMachineArn"], 1, timeout=60)

    assert execution["status"] == "SUCCEEDED", execution.get("cause")
    states = emulator.states_entered(execution["executionArn"])
    assert states[:4] == ["Check model folder", "Already imported?", "Create import job", "Start polling"]
    assert states[-3:] == ["Smoke test imported model", "Notify import completed", "Model imported"]
    assert states.count("Smoke test imported model") == 1  # the cold start was retried inside the state
    [job] = import_jobs(emulator)
    assert job["status"] == "Completed" and job["importedModelName"] == "support-bot-v3"
    described = emulator.client("bedrock").get_model_import_job(jobIdentifier=job["jobArn"])
    assert described["modelDataSource"]["s3DataSource"]["s3Uri"] == f"s3://{stack['DataBucketName']}/{FOLDER}"
    assert described["importedModelKmsKeyArn"].startswith("arn:aws:kms:")
    assert len(described["vpcConfig"]["subnetIds"]) == 2
    model_arn = job["importedModelArn"]
    calls = emulator.bedrock.inference_calls
    assert [(call.model_id, call.error is None) for call in calls] == [(model_arn, False), (model_arn, True)]
    assert calls[0].error is not None and calls[0].error.startswith("ModelNotReadyException")
    [alert] = emulator.read_alerts(expected=1)
    assert alert["subject"] == "Tuneline: model imported - support-bot-v3"
    assert model_arn in alert["message"] and ANSWER_START in " ".join(alert["message"].split())
    assert f"aws bedrock-runtime invoke-model --model-id {model_arn}" in alert["message"]


def test_a_folder_that_breaks_the_rules_is_rejected_before_any_job(
    emulator: Emulator, stack: dict[str, str], tmp_path: Path
) -> None:
    local = write_model_folder(tmp_path / "model", config={**LLAMA_CONFIG, "architectures": ["BertModel"]})
    upload_folder(emulator, stack, local)
    write_marker(emulator, stack)

    (execution,) = emulator.wait_for_executions(stack["ImportStateMachineArn"], 1, timeout=60)

    assert execution["status"] == "FAILED"
    assert emulator.states_entered(execution["executionArn"]) == [
        "Check model folder",
        "Notify import failure",
        "Import failed",
    ]
    assert import_jobs(emulator) == []
    [alert] = emulator.read_alerts(expected=1)
    assert "model folder rejected" in alert["subject"]
    assert "config.json: [" in alert["message"]


def test_an_import_job_that_fails_alerts_with_bedrocks_message(
    emulator: Emulator, stack: dict[str, str], tmp_path: Path
) -> None:
    emulator.bedrock.fail_next_import("Amazon Bedrock could not load the model weights.")
    upload_folder(emulator, stack, write_model_folder(tmp_path / "model"))
    write_marker(emulator, stack)

    (execution,) = emulator.wait_for_executions(stack["ImportStateMachineArn"], 1, timeout=60)

    assert execution["status"] == "FAILED"
    states = emulator.states_entered(execution["executionArn"])
    assert states[-3:] == ["Import job failed", "Notify import failure", "Import failed"]
    assert "Smoke test imported model" not in states
    [alert] = emulator.read_alerts(expected=1)
    assert "import job failed" in alert["subject"]
    assert "could not load the model weights" in " ".join(alert["message"].split())


def test_a_marker_written_twice_imports_once(emulator: Emulator, stack: dict[str, str], tmp_path: Path) -> None:
    upload_folder(emulator, stack, write_model_folder(tmp_path / "model"))
    write_marker(emulator, stack)
    emulator.wait_for_executions(stack["ImportStateMachineArn"], 1, timeout=60)
    write_marker(emulator, stack)

    executions = emulator.wait_for_executions(stack["ImportStateMachineArn"], 2, timeout=60)

    assert [e["status"] for e in executions] == ["SUCCEEDED", "SUCCEEDED"]
    entered = sorted(emulator.states_entered(e["executionArn"])[-1] for e in executions)
    assert entered == ["Model imported", "Nothing new to import"]
    assert len(import_jobs(emulator)) == 1
    subjects = sorted(alert["subject"] for alert in emulator.read_alerts(expected=2))
    assert subjects[0].startswith("Tuneline: already imported - ")
    assert subjects[1].startswith("Tuneline: model imported - ")
