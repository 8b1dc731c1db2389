"""Serving alerts say what was bought, how to call it, what it costs, and what to do when it fails."""

from __future__ import annotations

import json
import shlex
from typing import Any

from tests.unit.serving.conftest import CUSTOM_MODEL_ARN, make_plan, make_request
from tests.unit.serving.fakes import deployment_arn, throughput_arn
from tuneline.alerts.serving import build_serving_alert, janitor_report, model_served, serving_failed, serving_quota
from tuneline.pipeline.notify import build_alert

ARN = throughput_arn("abcdefabcdef")


def _flat(text: str) -> str:
    """The alert body as one line: wrapping is presentation, the words are the behaviour."""
    return " ".join(text.split())


EXAMPLE_CALL = f"aws bedrock-runtime converse --model-id {ARN} --messages '[]'"
SMOKE: dict[str, Any] = {
    "modelArn": ARN,
    "passed": True,
    "summary": "3 of 3 Converse calls answered",
    "latencyMs": {"min": 200.0, "median": 310.0, "max": 900.0},
    "reportUri": "s3://bucket/reports/job/smoke.json",
    "exampleCall": EXAMPLE_CALL,
    "calls": [{"prompt": "What is my balance?", "answer": "It is 10 dollars.", "error": None}],
}


def test_served_alert_has_the_arn_an_example_call_and_the_expiry() -> None:
    alert = model_served(make_plan(), make_request(), SMOKE)
    assert alert.subject.startswith("Tuneline: model served - ")
    assert ARN in alert.body
    assert EXAMPLE_CALL in alert.body.splitlines()[alert.body.splitlines().index("Call it:") + 1]
    assert "2026-11-20T20:00:00Z" in _flat(alert.body) and "tuneline:expires-at" in _flat(alert.body)
    assert "delete-provisioned-model-throughput" in alert.body
    assert "median 310.0 ms" in alert.body
    assert alert.subject.isascii()


def test_served_alert_for_commitment_and_deployment() -> None:
    committed = model_served(make_plan(), make_request(make_plan(commitment="OneMonth")), SMOKE).body
    assert "OneMonth commitment" in _flat(committed) and "delete-provisioned" not in committed
    deployment = make_request(make_plan(mode="on-demand"))
    body = model_served(make_plan(), deployment, {**SMOKE, "modelArn": deployment_arn("x" * 12)}).body
    assert "on-demand deployment" in _flat(body) and "delete-custom-model-deployment" in body


def test_quota_alert_names_the_quota_to_raise_and_says_nothing_was_bought() -> None:
    error = {"Error": "Bedrock.ServiceQuotaExceededException", "Cause": "Model units exceeded (Service: Bedrock)"}
    alert = serving_quota(make_plan(), make_request(), error)
    assert "quota reached" in alert.subject
    quota = "No-commitment model units for Provisioned Throughput created for base model Amazon Nova Micro"
    assert quota in _flat(alert.body)
    assert "Nothing was bought" in _flat(alert.body)
    assert "aws service-quotas list-service-quotas --service-code bedrock" in alert.body


def test_failed_alert_reports_smoke_answers_and_what_was_deleted_or_kept() -> None:
    failed_smoke = {**SMOKE, "passed": False, "summary": "1 of 1 Converse calls failed; first: empty answer"}
    deleted = serving_failed(
        make_plan(),
        make_request(),
        error={"Error": "SmokeTestFailed", "Cause": failed_smoke["summary"]},
        smoke=failed_smoke,
        release={"action": "deleted", "reason": "the smoke test did not pass", "arn": ARN},
    )
    assert deleted.subject.startswith("Tuneline: FAILED, serving")
    assert "did not pass its smoke test" in _flat(deleted.body) and "was deleted" in _flat(deleted.body)
    kept = serving_failed(
        make_plan(),
        make_request(),
        error={"Error": "SmokeTestFailed", "Cause": "x"},
        smoke=failed_smoke,
        release={"action": "kept", "reason": "the profile sets keepOnSmokeFailure", "arn": ARN},
    )
    assert "KEPT and still bills" in _flat(kept.body) and "Delete the kept serving" in _flat(kept.body)


def test_failed_status_is_explained_with_bedrocks_message() -> None:
    status = {"Status": "Failed", "FailureMessage": "Insufficient capacity"}
    alert = serving_failed(
        make_plan(),
        make_request(),
        error={"Error": "ServingFailed", "Cause": json.dumps(status)},
        smoke=None,
        release={"action": "deleted", "reason": "Bedrock reports it as Failed", "arn": ARN},
    )
    assert "Status Failed: Insufficient capacity" in _flat(alert.body)
    assert CUSTOM_MODEL_ARN in alert.body


def _command_after(body: str, title_start: str) -> list[str]:
    lines = body.splitlines()
    index = next(i for i, line in enumerate(lines) if line.startswith(title_start))
    return shlex.split(lines[index + 1])


def test_the_keep_longer_command_can_be_pasted_as_it_is() -> None:
    alert = model_served(make_plan(), make_request(), SMOKE)
    argv = _command_after(alert.body, "Keep it")
    assert argv[:5] == ["aws", "bedrock", "tag-resource", "--resource-arn", ARN]
    # A day after the expiry (2026-11-20T20:00:00Z), in the tag's own format; no `<placeholder>` for the shell.
    assert argv[5:] == ["--tags", "key=tuneline:expires-at,value=2026-11-21T20:00:00Z"]
    delete = _command_after(alert.body, "Delete it now")
    assert delete == ["aws", "bedrock", "delete-provisioned-model-throughput", "--provisioned-model-id", ARN]


def test_failed_and_quota_alerts_give_a_by_hand_serving_command_instead_of_retraining() -> None:
    failed = serving_failed(
        make_plan(),
        make_request(),
        error={"Error": "ServingNotReady", "Cause": "still Creating"},
        smoke=None,
        release={"action": "deleted", "reason": "it never became ready", "arn": ARN},
    )
    argv = _command_after(failed.body, "Serve the custom model by hand")
    assert argv[:3] == ["aws", "bedrock", "create-provisioned-model-throughput"]
    assert argv[argv.index("--model-id") + 1] == CUSTOM_MODEL_ARN
    assert argv[argv.index("--model-units") + 1] == "1" and "--commitment-duration" not in argv
    assert "rather than uploading the dataset again" in _flat(failed.body)

    committed = make_request(make_plan(commitment="OneMonth"))
    quota = serving_quota(make_plan(), committed, {"Error": "Bedrock.ServiceQuotaExceededException", "Cause": "x"})
    argv = _command_after(quota.body, "Then serve the custom model by hand")
    assert argv[argv.index("--commitment-duration") + 1] == "OneMonth"
    assert "upload the dataset again" not in _flat(quota.body)

    deployment = make_request(make_plan(mode="on-demand"))
    on_demand = serving_quota(make_plan(), deployment, {"Error": "Bedrock.ServiceQuotaExceededException", "Cause": "x"})
    argv = _command_after(on_demand.body, "Then serve the custom model by hand")
    assert argv[:3] == ["aws", "bedrock", "create-custom-model-deployment"]
    assert argv[argv.index("--model-arn") + 1] == CUSTOM_MODEL_ARN


def test_a_failure_after_the_purchase_names_the_serving_still_billing() -> None:
    state = {
        "plan": make_plan(),
        "servingRequest": make_request(),
        "servingResource": {"arn": ARN},
        "error": {"Error": "Bedrock.AccessDeniedException", "Cause": "not allowed to delete"},
    }
    body = _flat(build_alert({"kind": "failed", "state": state}, s3=None).body)
    assert "Serving bought by this run" in body and ARN in body and "may still bill" in body
    assert "2026-11-20T20:00:00Z" in body and "delete-provisioned-model-throughput" in body
    released = {**state, "servingRelease": {"action": "deleted", "arn": ARN}}
    assert "Serving bought by this run" not in build_alert({"kind": "failed", "state": released}, s3=None).body
    before_purchase = {k: v for k, v in state.items() if k != "servingResource"}
    assert "Serving bought" not in build_alert({"kind": "failed", "state": before_purchase}, s3=None).body


def test_serving_left_for_the_janitor_is_named_with_its_expiry_and_the_command_to_delete_it_sooner() -> None:
    release = {
        "action": "left for the janitor",
        "reason": "serving did not get as far as a smoke-test answer (ServingNotReady)",
        "arn": ARN,
        "attempt": 6,
        "attempts": 6,
        "retrySeconds": 300,
        "refusal": "ConflictException: Provisioned model pt cannot be deleted while its status is Creating.",
        "expiresAt": "2026-11-20T20:00:00Z",
    }
    alert = serving_failed(
        make_plan(),
        make_request(),
        error={"Error": "ServingNotReady", "Cause": "Not ready after 24 checks 300 s apart"},
        smoke=None,
        release=release,
    )
    body = _flat(alert.body)
    assert (
        "could NOT be deleted: Bedrock refused while it was still being created (tried 6 times, 5 minutes apart;"
        in body
    )
    assert "The janitor deletes it at its expiry, 2026-11-20T20:00:00Z (tag tuneline:expires-at)" in body
    assert "was deleted" not in body and "not deleted yet (see above)" in body
    delete = _command_after(alert.body, "Delete it sooner")
    assert delete == ["aws", "bedrock", "delete-provisioned-model-throughput", "--provisioned-model-id", ARN]
    no_expiry = serving_failed(
        make_plan(), make_request(), error=None, smoke=None, release={**release, "expiresAt": None}
    )
    assert "It has no expiry tag, so the janitor leaves it alone" in _flat(no_expiry.body)


def test_janitor_report_lists_each_group_and_is_silent_when_idle() -> None:
    assert janitor_report([]) is None
    outcome = {"kind": "provisioned", "arn": ARN, "name": "pt", "due": "2026-11-20T12:00:00Z", "detail": ""}
    alert = janitor_report(
        [
            {**outcome, "action": "delete", "done": True},
            {**outcome, "action": "warn", "done": True, "arn": ARN + "2"},
            {**outcome, "action": "term-ended", "done": True},
            {**outcome, "action": "delete", "done": False, "detail": "ConflictException: busy"},
        ]
    )
    assert alert is not None
    assert alert.subject == "Tuneline: serving janitor - 1 deleted, 1 expiring, 1 term(s) ended, 1 failed"
    assert "ConflictException: busy" in _flat(alert.body) and "tuneline:expires-at" in _flat(alert.body)


def test_janitor_report_names_an_unreadable_expiry_and_how_to_write_one() -> None:
    alert = janitor_report(
        [
            {
                "kind": "deployment",
                "arn": ARN,
                "name": "od",
                "due": "2026-11-20T12:00:00Z",
                "detail": "alerted",
                "action": "bad-expiry",
                "done": True,
                "expiresAtTag": "tomorrow 5pm",
            }
        ]
    )
    assert alert is not None and alert.subject == "Tuneline: serving janitor - 1 unreadable expiry"
    body = _flat(alert.body)
    assert "'tomorrow 5pm'" in body and "NOT deleted" in body and "2026-11-20T14:05:00Z" in body


def test_alert_kind_is_chosen_from_the_workflow_state() -> None:
    state = {"plan": make_plan(), "servingRequest": make_request(), "smoke": SMOKE}
    assert "model served" in build_serving_alert("served", state).subject
    assert "quota" in build_serving_alert("quota", state).subject
    assert "FAILED" in build_serving_alert("failed", state).subject


PERSONAL_CALLS = [
    {
        "prompt": "My card is 4111 1111 1111 1111, mail me at ana@example.com",
        "answer": "Call +44 20 7946 0507.",
        "error": None,
    },
    {"prompt": "Second question from the data", "answer": None, "error": "ThrottlingException: slow down"},
]


def test_smoke_prompts_and_answers_stay_out_of_alerts_by_default() -> None:
    for alert in (
        model_served(make_plan(), make_request(), {**SMOKE, "calls": PERSONAL_CALLS}),
        serving_failed(
            make_plan(),
            make_request(),
            error=None,
            smoke={**SMOKE, "passed": False, "calls": PERSONAL_CALLS},
            release=None,
        ),
    ):
        body = _flat(alert.body)
        assert "1 of 2 answered" in body and "includeSmokeTextInAlerts" in body
        assert "4111" not in body and "ana@example.com" not in body and "7946" not in body
        assert "Second question" not in body
        assert "ThrottlingException: slow down" in body  # the service's error is no training data


def test_with_include_smoke_text_the_calls_are_shown_with_personal_data_redacted() -> None:
    plan = make_plan(includeSmokeTextInAlerts=True)
    body = _flat(model_served(plan, make_request(plan), {**SMOKE, "calls": PERSONAL_CALLS}).body)
    assert "Prompt: My card is [CARD_NUMBER], mail me at [EMAIL]" in body
    assert "Answer: Call [PHONE]." in body
    assert "Prompt: Second question from the data" in body
