"""The real template in the emulator: a model folder and its `_READY` marker in S3 -> Bedrock imported model.

Happy path with a cold start of simulated minutes, a model that never loads, a rejected folder, a failed import
job, and a marker written twice.
"""

from __future__ import annotations

import json
import math
from pathlib import Path
from typing import Any

import pytest

import app as tuneline_app
from local.emulator import Emulator
from tests.unit.imports.model_folder_builder import LLAMA_CONFIG, write_model_folder
from tuneline.imports.smoke import LOAD_CHECK_SECONDS, LOAD_CHECKS, LOAD_DEADLINE_SECONDS

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


def test_a_marker_imports_the_folder_waits_out_its_cold_start_smoke_tests_it_and_alerts_with_the_arn(
    emulator: Emulator, stack: dict[str, str], tmp_path: Path
) -> None:
    # Bedrock loads the model on its first call; here that takes 8 simulated minutes, longer than the product's
    # old jittered retries could be sure to wait.
    load_minutes = 8
    emulator.bedrock.settings.imported_model_load_seconds = load_minutes * 60
    upload_folder(emulator, stack, write_model_folder(tmp_path / "model", shards=2))
    write_marker(
        emulator, stack, json.dumps({"importedModelName": "support-bot-v3", "tags": {"team": "support"}}).encode()
    )

    (execution,) = emulator.wait_for_executions(stack["ImportStateMachineArn"], 1, timeout=60)

    assert execution["status"] == "SUCCEEDED", execution.get("cause")
    states = emulator.states_entered(execution["executionArn"])
    assert states[:4] == ["Check model folder", "Already imported?", "Create import job", "Start polling"]
    smoke_tests = states.count("Smoke test imported model")
    # One call a minute until the model has loaded, then the answer. (Each call's real work also moves
    # simulated time a little, so on a loaded machine the load can end a call or two earlier.)
    assert load_minutes - 2 <= smoke_tests <= load_minutes + 1
    loop = states[states.index("Start smoke tests") :]
    assert loop == [
        "Start smoke tests",
        *["Smoke test imported model", "Did the model answer?", "Wait for the model to load", "Count smoke tests"]
        * (smoke_tests - 1),
        "Smoke test imported model",
        "Did the model answer?",
        "Notify import completed",
        "Model imported",
    ]
    [job] = import_jobs(emulator)
    assert job["status"] == "Completed" and job["importedModelName"] == "support-bot-v3"
    described = emulator.client("bedrock").get_model_import_job(jobIdentifier=job["jobArn"])
    assert described["modelDataSource"]["s3DataSource"]["s3Uri"] == f"s3://{stack['DataBucketName']}/{FOLDER}"
    assert described["importedModelKmsKeyArn"].startswith("arn:aws:kms:")
    assert len(described["vpcConfig"]["subnetIds"]) == 2
    model_arn = job["importedModelArn"]
    calls = emulator.bedrock.inference_calls
    # One call per smoke test (no SDK retries inside the Lambda): every one but the last met the cold start.
    assert len(calls) == smoke_tests and {call.model_id for call in calls} == {model_arn}
    assert all(call.error is not None and call.error.startswith("ModelNotReadyException") for call in calls[:-1])
    assert calls[-1].error is None
    [alert] = emulator.read_alerts(expected=1)
    assert alert["subject"] == "Tuneline: model imported - support-bot-v3"
    assert model_arn in alert["message"] and ANSWER_START in " ".join(alert["message"].split())
    assert f"aws bedrock-runtime invoke-model --model-id {model_arn}" in alert["message"]


def test_a_model_that_never_loads_fails_with_the_did_not_load_alert_after_the_deadline(
    emulator: Emulator, stack: dict[str, str], tmp_path: Path
) -> None:
    emulator.bedrock.settings.imported_model_load_seconds = math.inf
    upload_folder(emulator, stack, write_model_folder(tmp_path / "model"))
    write_marker(emulator, stack, json.dumps({"importedModelName": "support-bot-v4"}).encode())

    (execution,) = emulator.wait_for_executions(stack["ImportStateMachineArn"], 1, timeout=60)

    assert execution["status"] == "FAILED"
    states = emulator.states_entered(execution["executionArn"])
    assert states.count("Smoke test imported model") == LOAD_CHECKS + 1
    assert states.count("Wait for the model to load") == LOAD_CHECKS
    assert states[-4:] == [
        "Did the model answer?",
        "Model did not load in time",
        "Notify import failure",
        "Import failed",
    ]
    [job] = import_jobs(emulator)
    calls = emulator.bedrock.inference_calls
    assert len(calls) == LOAD_CHECKS + 1 and all(str(call.error).startswith("ModelNotReadyException") for call in calls)
    [alert] = emulator.read_alerts(expected=1)
    assert alert["subject"] == "Tuneline: import FAILED, imported model did not load - support-bot-v4"
    message = " ".join(alert["message"].split())
    assert f"still loading it (ModelNotReadyException) {LOAD_DEADLINE_SECONDS // 60} minutes after" in message
    assert "Failed in: Smoke test imported model" in message
    assert f"aws bedrock-runtime invoke-model --model-id {job['importedModelArn']}" in alert["message"]
    assert LOAD_CHECKS * LOAD_CHECK_SECONDS == LOAD_DEADLINE_SECONDS


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
