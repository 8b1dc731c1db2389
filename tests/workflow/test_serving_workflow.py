"""The real template in the emulator: a dataset is trained, then served, smoke-tested and announced.

Profiles (a context override of cdk.json): no-commitment Provisioned Throughput with a TTL, the same keeping its
throughput after a failed smoke test, a OneMonth commitment, and an on-demand deployment of a Nova model.
Paths: served (with a cold start), committed, on-demand, quota refused, smoke test failed (deleted or kept), and
serving that was still being created when it had to be released (Bedrock refuses to delete it until then).
"""

from __future__ import annotations

import json
import math
import time
from collections.abc import Mapping
from datetime import datetime, timedelta
from pathlib import Path
from typing import Any

import pytest

import app as tuneline_app
from local.emulator import Emulator
from stacks.constructs.serving import SERVING_CHECK_INTERVAL_SECONDS, SERVING_MAX_CHECKS
from tuneline.serving.release import RELEASE_ATTEMPTS, RELEASE_RETRY_SECONDS

pytestmark = pytest.mark.workflow

DATASET = Path(__file__).resolve().parents[2] / "examples" / "support-bot" / "train.jsonl"
NOVA_MICRO = "amazon.nova-micro-v1:0:128k"
NOVA_LITE = "amazon.nova-lite-v1:0:300k"
TTL_HOURS = 4

SERVING_PROFILES: dict[str, dict[str, Any]] = {
    "serve-pt": {"baseModel": NOVA_MICRO, "serving": {"mode": "provisioned", "ttlHours": TTL_HOURS}},
    "serve-pt-keep": {
        "baseModel": NOVA_MICRO,
        "serving": {"mode": "provisioned", "ttlHours": TTL_HOURS, "keepOnSmokeFailure": True},
    },
    "serve-committed": {
        "baseModel": NOVA_MICRO,
        "serving": {"mode": "provisioned", "commitment": "OneMonth", "acknowledgeCommitment": True},
    },
    "serve-od": {"baseModel": NOVA_LITE, "serving": {"mode": "on-demand", "ttlHours": TTL_HOURS}},
}

# The states every serving path enters around its purchase and status loop.
LOOP = ["Wait for serving", "Which serving to check?", "Get throughput status", "Count serving checks"]
NO_COMMITMENT_QUOTA = "No-commitment model units for Provisioned Throughput created for base model Amazon Nova Micro"


@pytest.fixture(scope="module")
def serving_cdk_out(tmp_path_factory: pytest.TempPathFactory) -> Path:
    """The real app with serving profiles, synthesized once for this module (cdk-nag included)."""
    context = tuneline_app.cdk_json_context()
    context["tuneline"]["profiles"] = {
        name: {"customizationType": "FINE_TUNING", "validationSplit": 0.1, "budgetUsd": 50, **body}
        for name, body in SERVING_PROFILES.items()
    }
    outdir = tmp_path_factory.mktemp("serving-cdk-out")
    tuneline_app.build_app(context=context, outdir=str(outdir)).synth()
    return outdir


@pytest.fixture
def stack(emulator: Emulator, serving_cdk_out: Path) -> dict[str, str]:
    return emulator.deploy(serving_cdk_out, tuneline_app.STACK_NAME)


# --- helpers ----------------------------------------------------------------------------------------------------


def run_profile(emulator: Emulator, stack: dict[str, str], profile: str) -> dict[str, Any]:
    """Uploads the example dataset under the profile's prefix; returns the finished execution."""
    emulator.client("s3").put_object(
        Bucket=stack["DataBucketName"], Key=f"incoming/{profile}/train.jsonl", Body=DATASET.read_bytes()
    )
    (execution,) = emulator.wait_for_executions(stack["CustomizeStateMachineArn"], 1, timeout=90)
    return execution


def ended(emulator: Emulator, execution: Mapping[str, Any], status: str) -> bool:
    """Whether the execution ended with `status`; says which states ran and what was caught when not."""
    if execution["status"] == status:
        return True
    caught = [
        json.loads(event["stateEnteredEventDetails"]["input"]).get("error")
        for event in emulator.execution_history(execution["executionArn"])
        if event["type"] == "FailStateEntered"
    ]
    raise AssertionError(
        f"{execution['status']} instead of {status}; states: {emulator.states_entered(execution['executionArn'])}; "
        f"caught: {caught}"
    )


def serving_states(emulator: Emulator, execution: Mapping[str, Any]) -> list[str]:
    """The states the serving part entered: from "Serve the model?" to its last state."""
    states = emulator.states_entered(execution["executionArn"])
    start = states.index("Serve the model?")
    ends = [i for i, state in enumerate(states) if state in ("Serving finished", "Serving failed")]
    return states[start : ends[-1] + 1]


def alert(emulator: Emulator, subject_start: str, timeout: float = 10.0) -> dict[str, Any]:
    """The one alert whose subject starts with `subject_start`, waiting until it has been published."""
    deadline = time.monotonic() + timeout
    while True:
        received = emulator.read_alerts(timeout=0)
        found = [a for a in received if str(a["subject"]).startswith(subject_start)]
        if found or time.monotonic() >= deadline:
            break
        time.sleep(0.1)
    assert len(found) == 1, [a["subject"] for a in received]
    return found[0]


def flat(text: str) -> str:
    """Alert text with its line wrapping undone."""
    return " ".join(text.split())


def smoke_report(emulator: Emulator, stack: dict[str, str]) -> dict[str, Any]:
    s3 = emulator.client("s3")
    listed = s3.list_objects_v2(Bucket=stack["DataBucketName"], Prefix="reports/")["Contents"]
    (key,) = [item["Key"] for item in listed if item["Key"].endswith("/smoke.json")]
    assert key.startswith("reports/tuneline-") and key.count("/") == 2  # reports/<job>/smoke.json
    return dict(json.loads(s3.get_object(Bucket=stack["DataBucketName"], Key=key)["Body"].read()))


def tags_of(emulator: Emulator, arn: str) -> dict[str, str]:
    listed = emulator.client("bedrock").list_tags_for_resource(resourceARN=arn)["tags"]
    return {tag["key"]: tag["value"] for tag in listed}


def throughputs(emulator: Emulator) -> list[dict[str, Any]]:
    return list(emulator.client("bedrock").list_provisioned_model_throughputs()["provisionedModelSummaries"])


def execution_end_handled(emulator: Emulator, timeout: float = 30.0) -> dict[str, Any]:
    """What the execution-status formatter returned for the one execution that ended (waiting for it to run)."""
    deadline = time.monotonic() + timeout
    while True:
        results = [
            json.loads(invocation.payload)
            for name, invocation in list(emulator.runtime.invocations)
            if "ExecutionEvents" in name
        ]
        if results or time.monotonic() >= deadline:
            break
        time.sleep(0.05)
    assert len(results) == 1, results
    return dict(results[0])


def deployments(emulator: Emulator) -> list[dict[str, Any]]:
    return list(emulator.client("bedrock").list_custom_model_deployments()["modelDeploymentSummaries"])


# --- served -----------------------------------------------------------------------------------------------------


def test_provisioned_throughput_goes_in_service_passes_its_smoke_test_and_is_announced(
    emulator: Emulator, stack: dict[str, str]
) -> None:
    emulator.bedrock.model_not_ready(1)  # the first call after InService meets a cold start
    uploaded_at = emulator.clock.now()
    execution = run_profile(emulator, stack, "serve-pt")

    assert ended(emulator, execution, "SUCCEEDED")
    ended_at = emulator.clock.now()
    served = json.loads(execution["output"])["serving"]
    (throughput,) = throughputs(emulator)
    assert throughput["status"] == "InService" and throughput["provisionedModelArn"] == served["modelArn"]
    assert "commitmentDuration" not in throughput
    assert served["passed"] is True and served["api"] == "Converse"

    # Bought with Tuneline's tags: managed, and an expiry TTL hours after the purchase was prepared.
    tags = tags_of(emulator, served["modelArn"])
    assert tags["tuneline:managed"] == "true" and tags["tuneline:execution"] == execution["name"]
    expires_at = datetime.fromisoformat(tags["tuneline:expires-at"].replace("Z", "+00:00"))
    # On the workflow's clock (the emulator's simulated one, which the janitor runs on too).
    assert uploaded_at + timedelta(hours=TTL_HOURS) <= expires_at <= ended_at + timedelta(hours=TTL_HOURS)

    # The status loop ran until InService (the simulated creation time, one check per interval), then one
    # smoke test.
    states = serving_states(emulator, execution)
    checks = states.count("Get throughput status")
    assert states[:5] == [
        "Serve the model?",
        "Prepare serving request",
        "Choose serving purchase",
        "Buy no-commitment throughput",
        "Start serving checks",
    ]
    assert states[5 : 5 + 5 * checks] == [*LOOP, "Is the serving ready?"] * checks
    assert states[5 + 5 * checks :] == [
        "Smoke test served model",
        "Did the smoke test pass?",
        "Notify model served",
        "Record serving result",
        "Serving finished",
    ]
    creation = emulator.bedrock.settings.throughput_duration_seconds
    expected = math.ceil(creation / SERVING_CHECK_INTERVAL_SECONDS)
    assert expected <= checks <= expected + 1
    assert len(states) == 10 + 5 * checks

    # The cold start was retried inside the smoke test; every prompt then got an answer from the throughput.
    calls = emulator.bedrock.inference_calls
    assert {call.model_id for call in calls} == {served["modelArn"]}
    assert calls[0].error is not None and calls[0].error.startswith("ModelNotReadyException")
    assert [call.error for call in calls[1:]] == [None] * len(served["calls"])

    report = smoke_report(emulator, stack)
    assert report["passed"] is True and report["modelArn"] == served["modelArn"]
    assert all(call["answer"].startswith("Simulated answer from") for call in report["calls"])
    assert report["calls"][0]["prompt"] in DATASET.read_text()

    message = alert(emulator, "Tuneline: model served - ")["message"]
    assert served["modelArn"] in message
    assert f"aws bedrock-runtime converse --model-id {served['modelArn']}" in message
    assert "Provisioned Throughput" in flat(message) and tags["tuneline:expires-at"] in flat(message)


def test_committed_throughput_is_bought_with_its_term_and_no_expiry(emulator: Emulator, stack: dict[str, str]) -> None:
    execution = run_profile(emulator, stack, "serve-committed")

    assert ended(emulator, execution, "SUCCEEDED")
    assert "Buy committed throughput" in serving_states(emulator, execution)
    (throughput,) = throughputs(emulator)
    assert throughput["commitmentDuration"] == "OneMonth"
    assert throughput["commitmentExpirationTime"] - throughput["creationTime"] == timedelta(days=30)
    tags = tags_of(emulator, throughput["provisionedModelArn"])
    assert tags["tuneline:managed"] == "true" and "tuneline:expires-at" not in tags
    message = flat(alert(emulator, "Tuneline: model served - ")["message"])
    assert "OneMonth commitment" in message and "cannot be deleted before the term ends" in message


def test_on_demand_deployment_becomes_active_and_is_called_by_its_arn(
    emulator: Emulator, stack: dict[str, str]
) -> None:
    execution = run_profile(emulator, stack, "serve-od")

    assert ended(emulator, execution, "SUCCEEDED")
    served = json.loads(execution["output"])["serving"]
    states = serving_states(emulator, execution)
    assert "Create on-demand deployment" in states and "Get deployment status" in states
    assert "Get throughput status" not in states and throughputs(emulator) == []
    (deployment,) = deployments(emulator)
    assert deployment["status"] == "Active"
    assert deployment["customModelDeploymentArn"] == served["modelArn"]
    custom_model = emulator.client("bedrock").get_custom_model(modelIdentifier=deployment["modelArn"])
    assert custom_model["baseModelArn"].endswith(NOVA_LITE)
    tags = tags_of(emulator, served["modelArn"])
    assert tags["tuneline:managed"] == "true" and "tuneline:expires-at" in tags
    assert {call.model_id for call in emulator.bedrock.inference_calls} == {served["modelArn"]}
    assert smoke_report(emulator, stack)["passed"] is True
    message = alert(emulator, "Tuneline: model served - ")["message"]
    assert "on-demand deployment" in flat(message) and served["modelArn"] in message
    assert "aws bedrock delete-custom-model-deployment" in message


# --- refused, failed ----------------------------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("profile", "operation", "quota"),
    [
        ("serve-pt", "CreateProvisionedModelThroughput", NO_COMMITMENT_QUOTA),
        ("serve-od", "CreateCustomModelDeployment", "On-demand custom model deployments for Amazon Nova Lite"),
    ],
)
def test_a_quota_refusal_buys_nothing_names_the_quota_and_finishes_the_run(
    emulator: Emulator, stack: dict[str, str], profile: str, operation: str, quota: str
) -> None:
    emulator.bedrock.quota_errors_on_create(1, operation)
    execution = run_profile(emulator, stack, profile)

    assert ended(emulator, execution, "SUCCEEDED")
    assert json.loads(execution["output"])["serving"] == {"status": "QuotaExceeded", "quotaName": quota}
    states = serving_states(emulator, execution)
    assert states[-3:] == ["Notify serving quota reached", "Record serving skipped", "Serving finished"]
    assert "Start serving checks" not in states
    assert throughputs(emulator) == [] and deployments(emulator) == []
    assert emulator.bedrock.inference_calls == []
    message = flat(alert(emulator, "Tuneline: serving skipped, quota reached - ")["message"])
    assert quota in message and "Nothing was bought" in message
    assert "aws service-quotas list-service-quotas --service-code bedrock" in message


def test_an_execution_aborted_while_its_throughput_is_created_leaves_it_to_the_janitor_and_says_so(
    emulator: Emulator, stack: dict[str, str]
) -> None:
    machine = stack["CustomizeStateMachineArn"]
    # The throughput never gets ready before the status loop's bound (seconds of real time at the simulated
    # rate), and from the purchase on simulated time runs at the real rate: the run is still waiting on its
    # throughput when it is stopped by hand.
    creation = 30 * 24 * 3600
    emulator.bedrock.settings.throughput_duration_seconds = creation
    emulator.client("s3").put_object(
        Bucket=stack["DataBucketName"], Key="incoming/serve-pt/train.jsonl", Body=DATASET.read_bytes()
    )
    deadline = time.monotonic() + 90
    while not throughputs(emulator):
        assert time.monotonic() < deadline, "no throughput was bought"
        time.sleep(0.05)
    with emulator.clock.busy():
        [running] = emulator.executions(machine)
        # Stopped while it waits between status checks, as a person would find it.
        while "Wait for serving" not in emulator.states_entered(running["executionArn"]):
            assert time.monotonic() < deadline, emulator.states_entered(running["executionArn"])
            time.sleep(0.05)
        assert (
            emulator.client("stepfunctions").describe_execution(executionArn=running["executionArn"])["status"]
            == "RUNNING"
        )
        emulator.client("stepfunctions").stop_execution(executionArn=running["executionArn"], cause="not needed")

        message = flat(alert(emulator, "Tuneline: training workflow ABORTED", timeout=30)["message"])

    # Bedrock refuses to delete it while it is being created: the alert says so, and who deletes it when.
    (throughput,) = throughputs(emulator)
    assert throughput["status"] == "Creating"
    expiry = tags_of(emulator, throughput["provisionedModelArn"])["tuneline:expires-at"]
    assert "could NOT be deleted (ConflictException" in message and "still being created" in message
    assert f"the janitor deletes it at its expiry, {expiry}" in message
    assert (
        f"aws bedrock delete-provisioned-model-throughput --provisioned-model-id {throughput['provisionedModelArn']}"
        in (message)
    )
    [execution] = emulator.wait_for_executions(machine, 1)
    assert execution["status"] == "ABORTED"

    # Created at last and past its expiry: the janitor's next run deletes it.
    emulator.clock.advance(creation)
    run = emulator.run_schedule("ServingJanitorSchedule")
    assert [(o["name"], o["action"], o["done"]) for o in run.payload["outcomes"]] == [
        (throughput["provisionedModelName"], "delete", True)
    ]
    assert throughputs(emulator) == []


def test_a_throughput_still_creating_when_the_wait_ends_is_released_once_bedrock_allows_it(
    emulator: Emulator, stack: dict[str, str]
) -> None:
    # Not InService within the status loop's bound; created 20 minutes later, while the release is retried.
    # (Real work between the waits costs real seconds of simulated time: on a loaded machine the loop ends a
    # few minutes later, hence a range of refusals below rather than an exact count.)
    waited = SERVING_MAX_CHECKS * SERVING_CHECK_INTERVAL_SECONDS
    emulator.bedrock.settings.throughput_duration_seconds = waited + 20 * 60
    execution = run_profile(emulator, stack, "serve-pt")

    assert ended(emulator, execution, "FAILED")
    states = serving_states(emulator, execution)
    tail = states[states.index("Serving not ready in time") :]
    refused = tail.count("Wait to release serving")
    assert 1 <= refused < RELEASE_ATTEMPTS - 1
    assert tail == [
        "Serving not ready in time",
        *["Release serving", "Is the serving released?", "Wait to release serving"] * refused,
        "Release serving",
        "Is the serving released?",
        "Notify serving failed",
        "Serving failed",
    ]
    assert throughputs(emulator) == []  # deleted by the workflow as soon as Bedrock allowed it
    assert emulator.bedrock.inference_calls == []
    message = flat(alert(emulator, "Tuneline: FAILED, serving - ")["message"])
    assert "did not become ready in time" in message and "was deleted" in message


def test_a_throughput_bedrock_refuses_to_delete_on_every_attempt_is_left_to_the_janitor_which_deletes_it_at_expiry(
    emulator: Emulator, stack: dict[str, str]
) -> None:
    # Still Creating through the status loop and every release attempt (with 40 minutes to spare for a loaded
    # machine, where real work between the waits costs simulated time too).
    waited = SERVING_MAX_CHECKS * SERVING_CHECK_INTERVAL_SECONDS + (RELEASE_ATTEMPTS - 1) * RELEASE_RETRY_SECONDS
    creation = waited + 40 * 60
    emulator.bedrock.settings.throughput_duration_seconds = creation
    execution = run_profile(emulator, stack, "serve-pt")

    assert ended(emulator, execution, "FAILED")
    states = serving_states(emulator, execution)
    assert states.count("Release serving") == RELEASE_ATTEMPTS
    assert states.count("Wait to release serving") == RELEASE_ATTEMPTS - 1
    assert states[-2:] == ["Notify serving failed", "Serving failed"]
    (throughput,) = throughputs(emulator)  # by now it may be InService: simulated time runs on when all is idle
    expiry = tags_of(emulator, throughput["provisionedModelArn"])["tuneline:expires-at"]
    message = flat(alert(emulator, "Tuneline: FAILED, serving - ")["message"])
    assert "could NOT be deleted: Bedrock refused while it was still being created" in message
    assert f"tried {RELEASE_ATTEMPTS} times, {RELEASE_RETRY_SECONDS // 60} minutes apart" in message
    assert f"The janitor deletes it at its expiry, {expiry}" in message
    assert "was deleted" not in message

    # The janitor is the backstop: once it is past its expiry (and created), the janitor deletes it.
    emulator.clock.advance(creation)
    assert emulator.clock.now() > datetime.fromisoformat(expiry.replace("Z", "+00:00"))
    run = emulator.run_schedule("ServingJanitorSchedule")
    assert [(o["name"], o["action"], o["done"]) for o in run.payload["outcomes"]] == [
        (throughput["provisionedModelName"], "delete", True)
    ]
    assert throughputs(emulator) == []
    assert "1 deleted" in alert(emulator, "Tuneline: serving janitor")["subject"]


def test_a_failed_smoke_test_deletes_the_throughput_and_fails_the_run(
    emulator: Emulator, stack: dict[str, str]
) -> None:
    emulator.bedrock.fail_all_inference(code="ModelErrorException", message="The model produced no output.")
    execution = run_profile(emulator, stack, "serve-pt")

    assert ended(emulator, execution, "FAILED")
    assert serving_states(emulator, execution)[-7:] == [
        "Smoke test served model",
        "Did the smoke test pass?",
        "Smoke test failed",
        "Release serving",
        "Is the serving released?",
        "Notify serving failed",
        "Serving failed",
    ]
    assert throughputs(emulator) == []  # released: no-commitment throughput stops billing at once
    report = smoke_report(emulator, stack)
    assert report["passed"] is False
    assert all("ModelErrorException" in call["error"] for call in report["calls"])
    message = flat(alert(emulator, "Tuneline: FAILED, serving - ")["message"])
    assert "did not pass its smoke test" in message and "The model produced no output." in message
    assert "was deleted" in message
    # The workflow alerted on its own: the execution-status formatter sends nothing more.
    assert execution_end_handled(emulator)["error"] == "ServingFailed"
    assert [a["subject"] for a in emulator.read_alerts(timeout=0) if "workflow FAILED" in str(a["subject"])] == []


def test_a_failed_smoke_test_keeps_the_throughput_when_the_profile_says_so(
    emulator: Emulator, stack: dict[str, str]
) -> None:
    emulator.bedrock.answer_empty()
    execution = run_profile(emulator, stack, "serve-pt-keep")

    assert ended(emulator, execution, "FAILED")
    (throughput,) = throughputs(emulator)
    assert throughput["status"] == "InService"
    assert "tuneline:expires-at" in tags_of(emulator, throughput["provisionedModelArn"])  # the janitor ends it
    assert smoke_report(emulator, stack)["passed"] is False
    message = flat(alert(emulator, "Tuneline: FAILED, serving - ")["message"])
    assert "KEPT and still bills" in message and "keepOnSmokeFailure" in message
    # The failed execution's status change does not undo the choice to keep it.
    assert execution_end_handled(emulator)["skipped"]
    assert [t["status"] for t in throughputs(emulator)] == ["InService"]


def test_a_failure_past_every_catch_deletes_the_throughput_and_alerts_once(
    emulator: Emulator, stack: dict[str, str], monkeypatch: pytest.MonkeyPatch
) -> None:
    from tuneline.handlers import serve_smoke

    passed_smoke_test = serve_smoke.run_smoke_test

    def oversized_result(*args: Any, **kwargs: Any) -> dict[str, Any]:
        # A step result above Step Functions' 256 KiB quota: States.DataLimitExceeded, which the catch-all
        # into "Release serving" does not catch.
        return {**passed_smoke_test(*args, **kwargs), "summary": "x" * (300 * 1024)}

    monkeypatch.setattr(serve_smoke, "run_smoke_test", oversized_result)
    execution = run_profile(emulator, stack, "serve-pt")

    assert ended(emulator, execution, "FAILED")
    assert execution["error"] == "States.DataLimitExceeded"
    assert emulator.states_entered(execution["executionArn"])[-1] == "Smoke test served model"
    message = flat(alert(emulator, "Tuneline: training workflow FAILED - ", timeout=30)["message"])
    assert "with an error no step could catch" in message and "Error: States.DataLimitExceeded" in message
    assert "deleted so it stops billing" in message and ": deleted" in message
    assert throughputs(emulator) == []
    subjects = [str(a["subject"]) for a in emulator.read_alerts(timeout=0)]
    assert not any(subject.startswith("Tuneline: FAILED") for subject in subjects), subjects
