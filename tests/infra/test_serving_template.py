"""Serving in the rendered template: SDK purchase tasks with Retry/Catch, a bounded status loop, the quota and
failure branches, the janitor's schedule and permissions, and profile errors that stop the synth."""

from __future__ import annotations

import copy
import json
from pathlib import Path
from typing import Any

import pytest
from aws_cdk.assertions import Match, Template

import app as tuneline_app
from tests.infra.synth import resources_of_type
from tuneline.serving.release import RELEASE_ATTEMPTS, RELEASE_RETRY_SECONDS, RETRYING
from tuneline.serving.workflow_state import POLL

SDK = "states:::aws-sdk:bedrock:"
PURCHASES = {
    "Buy no-commitment throughput": "createProvisionedModelThroughput",
    "Buy committed throughput": "createProvisionedModelThroughput",
    "Create on-demand deployment": "createCustomModelDeployment",
}
STATUS_CHECKS = {
    "Get throughput status": "getProvisionedModelThroughput",
    "Get deployment status": "getCustomModelDeployment",
}
SERVING_LAMBDAS = (
    "Prepare serving request",
    "Smoke test served model",
    "Release serving",
    "Notify serving failed",
    "Notify model served",
    "Notify serving quota reached",
)


def _next_states(state: dict[str, Any]) -> set[str]:
    found = {state["Next"]} if "Next" in state else set()
    found |= {choice["Next"] for choice in state.get("Choices", [])}
    found |= {catch["Next"] for catch in state.get("Catch", [])}
    if "Default" in state:
        found.add(state["Default"])
    return found


def _reachable(states: dict[str, Any], start: str, *, stop: set[str] = frozenset()) -> set[str]:  # type: ignore[assignment]
    seen, todo = set(), [start]
    while todo:
        name = todo.pop()
        if name in seen:
            continue
        seen.add(name)
        if name not in stop:
            todo.extend(_next_states(states[name]))
    return seen


def test_purchases_and_status_checks_are_sdk_tasks(customize_definition: dict[str, Any]) -> None:
    states = customize_definition["States"]
    for name, action in {**PURCHASES, **STATUS_CHECKS}.items():
        assert states[name]["Type"] == "Task"
        assert states[name]["Resource"].endswith(f"{SDK}{action}")


def test_purchases_are_idempotent_tagged_and_commitment_only_when_asked(customize_definition: dict[str, Any]) -> None:
    states = customize_definition["States"]
    for name in PURCHASES:
        params = states[name]["Parameters"]
        assert params["ClientRequestToken.$"] == "$.servingRequest.clientRequestToken"
        assert params["Tags.$"] == "$.servingRequest.tags"
    assert "CommitmentDuration" not in str(states["Buy no-commitment throughput"]["Parameters"])
    assert states["Buy committed throughput"]["Parameters"]["CommitmentDuration.$"] == "$.servingRequest.commitment"
    choose = states["Choose serving purchase"]
    assert choose["Default"] == "Buy no-commitment throughput"


def test_every_serving_task_retries_transient_errors_and_catches(customize_definition: dict[str, Any]) -> None:
    states = customize_definition["States"]
    for name in [*PURCHASES, *STATUS_CHECKS, *SERVING_LAMBDAS]:
        state = states[name]
        assert state.get("Retry"), f"{name} has no Retry"
        assert state["Catch"][-1]["ErrorEquals"] == ["States.ALL"], f"{name} does not catch everything"
    for name in [*PURCHASES, *STATUS_CHECKS]:
        retried = {e for r in states[name]["Retry"] for e in r["ErrorEquals"]}
        assert {"Bedrock.ThrottlingException", "Bedrock.InternalServerException"} <= retried
        assert "Bedrock.ServiceQuotaExceededException" not in retried  # a refused purchase is not retried


def test_a_refused_purchase_alerts_and_ends_cleanly_without_buying(customize_definition: dict[str, Any]) -> None:
    states = customize_definition["States"]
    for name in PURCHASES:
        quota = [c for c in states[name]["Catch"] if c["ErrorEquals"] == ["Bedrock.ServiceQuotaExceededException"]]
        assert quota and quota[0]["Next"] == "Notify serving quota reached"
    after = _reachable(states, "Notify serving quota reached", stop={"Notify job completed"})
    assert "Notify job completed" in after
    assert not any(states[s]["Type"] == "Task" and SDK in states[s]["Resource"] for s in after)
    assert not any(
        states[s]["Type"] == "Fail" for s in after - {"Notify failure", "Job failed", "Failure alert not sent"}
    )


def test_status_loop_is_bounded_by_a_counter(customize_definition: dict[str, Any]) -> None:
    states = customize_definition["States"]
    count = states["Count serving checks"]
    assert count["Type"] == "Pass" and "States.MathAdd" in count["Parameters"]["count.$"]
    ready = states["Is the serving ready?"]
    bound = [c for c in ready["Choices"] if c.get("Variable") == f"$.{POLL}.count"]
    assert len(bound) == 1 and 1 <= bound[0]["NumericGreaterThanEquals"] <= 1000
    # The limit's branch leaves the loop: nothing after it comes back to the Wait.
    assert "Wait for serving" not in _reachable(states, bound[0]["Next"], stop={"Notify job completed"})
    # The loop itself: Wait -> check -> count -> ready? -> Wait, and every way round passes the counter.
    wait = states["Wait for serving"]
    assert wait["Type"] == "Wait" and wait["Seconds"] >= 30
    assert ready["Default"] == "Wait for serving"
    for check in STATUS_CHECKS:
        assert states[check]["Next"] == "Count serving checks"
    failed = [c for c in ready["Choices"] if c.get("StringEquals") == "Failed"]
    assert failed and "Release serving" in _reachable(states, failed[0]["Next"], stop={"Release serving"})


def test_failures_after_buying_release_then_alert_then_fail(customize_definition: dict[str, Any]) -> None:
    states = customize_definition["States"]
    for name in [*STATUS_CHECKS, "Smoke test served model"]:
        assert states[name]["Catch"][-1]["Next"] == "Release serving"
    smoke_choice = states["Did the smoke test pass?"]
    assert smoke_choice["Default"] == "Smoke test failed"
    assert states["Smoke test failed"]["Next"] == "Release serving"
    released = states[states["Release serving"]["Next"]]
    assert released["Default"] == "Notify serving failed"
    assert states[states["Notify serving failed"]["Next"]]["Type"] == "Fail"


def test_a_release_bedrock_refuses_is_tried_again_after_a_wait(customize_definition: dict[str, Any]) -> None:
    states = customize_definition["States"]
    released = states[states["Release serving"]["Next"]]
    [refused] = released["Choices"]
    assert refused["Variable"] == "$.servingRelease.action" and refused["StringEquals"] == RETRYING
    wait = states[refused["Next"]]
    assert wait["Type"] == "Wait" and wait["Seconds"] == RELEASE_RETRY_SECONDS
    assert wait["Next"] == "Release serving"
    # Bounded by the release function (RELEASE_ATTEMPTS), well inside the workflow's own timeout.
    assert customize_definition["TimeoutSeconds"] / 10 > RELEASE_ATTEMPTS * RELEASE_RETRY_SECONDS


def test_smoke_test_waits_out_a_model_that_is_not_ready(customize_definition: dict[str, Any]) -> None:
    retry = [
        r
        for r in customize_definition["States"]["Smoke test served model"]["Retry"]
        if r["ErrorEquals"] == ["ServedModelNotReady"]
    ]
    assert retry and retry[0]["IntervalSeconds"] >= 30 and retry[0]["MaxAttempts"] <= 10


def test_mode_none_skips_straight_to_the_completion_alert(customize_definition: dict[str, Any]) -> None:
    states = customize_definition["States"]
    # The evaluation stage comes first; without an evaluation setting it goes straight to serving.
    assert states["Summarize metrics"]["Next"] == "Evaluate the model?"
    assert states["Evaluate the model?"]["Default"] == "Serve the model?"
    serve = states["Serve the model?"]
    assert {c["StringEquals"] for c in serve["Choices"]} == {"provisioned", "on-demand"}
    assert states[serve["Default"]]["Next"] == "Serving finished"
    assert states["Serving finished"]["Next"] == "Notify job completed"
    assert states["Record serving result"]["ResultPath"] == "$.serving"


def test_janitor_runs_on_a_schedule_with_the_scheduled_time(template: Template, template_json: dict[str, Any]) -> None:
    template.has_resource_properties(
        "AWS::Scheduler::Schedule",
        {
            "ScheduleExpression": "rate(15 minutes)",
            "State": "ENABLED",
            "Target": Match.object_like(
                {"Input": Match.string_like_regexp("aws.scheduler.scheduled-time"), "RetryPolicy": Match.any_value()}
            ),
        },
    )
    functions = resources_of_type(template_json, "AWS::Lambda::Function")
    handlers = {f["Properties"]["Handler"] for f in functions.values()}
    assert {
        "tuneline.handlers.janitor.handler",
        "tuneline.handlers.serve_prepare.handler",
        "tuneline.handlers.serve_smoke.handler",
        "tuneline.handlers.serve_release.handler",
        "tuneline.handlers.serve_notify.handler",
    } <= handlers


def _statements(template_json: dict[str, Any]) -> list[dict[str, Any]]:
    return [
        statement
        for policy in resources_of_type(template_json, "AWS::IAM::Policy").values()
        for statement in policy["Properties"]["PolicyDocument"]["Statement"]
    ]


def _actions(statement: dict[str, Any]) -> list[str]:
    actions = statement["Action"]
    return [actions] if isinstance(actions, str) else list(actions)


def _resources(statement: dict[str, Any]) -> str:
    return str(statement["Resource"])


def test_serving_permissions_are_explicit_and_scoped(template_json: dict[str, Any]) -> None:
    statements = _statements(template_json)
    serving_actions = {
        "bedrock:CreateProvisionedModelThroughput",
        "bedrock:CreateCustomModelDeployment",
        "bedrock:GetProvisionedModelThroughput",
        "bedrock:GetCustomModelDeployment",
        "bedrock:DeleteProvisionedModelThroughput",
        "bedrock:DeleteCustomModelDeployment",
        "bedrock:TagResource",
        "bedrock:ListTagsForResource",
        "bedrock:InvokeModel",
    }
    granted = {a for s in statements for a in _actions(s)}
    assert serving_actions - {"bedrock:InvokeModel"} <= granted
    for statement in statements:
        for action in set(_actions(statement)) & serving_actions:
            resources = _resources(statement)
            assert resources != "*" and "'*'" not in resources, f"{action} on every resource"
            if action.startswith(("bedrock:Delete", "bedrock:Get", "bedrock:Create")):
                assert "provisioned-model/*" in resources or "custom-model-deployment/*" in resources
    list_statements = [s for s in statements if "bedrock:ListProvisionedModelThroughputs" in _actions(s)]
    assert list_statements and all(
        set(_actions(s)) <= {"bedrock:ListProvisionedModelThroughputs", "bedrock:ListCustomModelDeployments"}
        for s in list_statements
    )


def _context_with_serving(serving: Any, profile: str = "support-bot") -> dict[str, Any]:
    context = copy.deepcopy(tuneline_app.cdk_json_context())
    context["tuneline"]["profiles"][profile]["serving"] = serving
    return context


def test_commitment_without_acknowledgement_fails_synth_with_the_reason(tmp_path: Path) -> None:
    context = _context_with_serving({"mode": "provisioned", "commitment": "OneMonth"})
    with pytest.raises(SystemExit) as raised:
        tuneline_app.build_app(context=context, outdir=str(tmp_path))
    message = str(raised.value)
    assert "tuneline.profiles.support-bot.serving.acknowledgeCommitment" in message
    assert "cannot be deleted before the term ends" in message


def test_on_demand_on_an_unsupported_model_fails_synth_listing_supported_ones(tmp_path: Path) -> None:
    context = _context_with_serving({"mode": "on-demand"}, profile="llama-instruct")
    with pytest.raises(SystemExit) as raised:
        tuneline_app.build_app(context=context, outdir=str(tmp_path))
    message = str(raised.value)
    assert "tuneline.profiles.llama-instruct.serving.mode" in message
    assert "amazon.nova-micro-v1:0:128k" in message and "meta.llama3-3-70b-instruct-v1:0:128k" in message


@pytest.mark.parametrize(
    ("serving", "key"),
    [
        ({"mode": "always"}, "serving.mode"),
        ({"mode": "provisioned", "modelUnits": 0}, "serving.modelUnits"),
        ({"mode": "provisioned", "ttlHours": 10_000}, "serving.ttlHours"),
        ({"mode": "on-demand", "commitment": "OneMonth", "acknowledgeCommitment": True}, "serving.commitment"),
        ({"mode": "provisioned", "keepOnSmokeFailure": "yes"}, "serving.keepOnSmokeFailure"),
    ],
)
def test_bad_serving_settings_fail_synth_naming_the_key(tmp_path: Path, serving: Any, key: str) -> None:
    with pytest.raises(SystemExit, match=key.replace(".", r"\.")):
        tuneline_app.build_app(context=_context_with_serving(serving), outdir=str(tmp_path))


def test_deleting_and_marking_serving_needs_the_tuneline_tag(template_json: dict[str, Any]) -> None:
    """Release, janitor and the ended-execution handler may delete or tag only serving tagged
    tuneline:managed=true; reading tags is open."""
    guarded = {"bedrock:DeleteProvisionedModelThroughput", "bedrock:DeleteCustomModelDeployment", "bedrock:TagResource"}
    lambda_statements = [
        s for s in _statements(template_json) if set(_actions(s)) & guarded and "provisioned-model/*" in _resources(s)
    ]
    deleting = [s for s in lambda_statements if set(_actions(s)) & (guarded - {"bedrock:TagResource"})]
    assert len(deleting) >= 3  # the release function, the janitor and the handler of ended executions
    for statement in deleting:
        assert statement["Condition"]["StringEquals"] == {"aws:ResourceTag/tuneline:managed": "true"}
    marking = [s for s in lambda_statements if s.get("Sid") == "MarkServingAlerted"]
    assert len(marking) == 1
    assert marking[0]["Condition"]["StringEquals"] == {"aws:ResourceTag/tuneline:managed": "true"}
    assert set(marking[0]["Condition"]["ForAllValues:StringEquals"]["aws:TagKeys"]) == {
        "tuneline:expiry-warned",
        "tuneline:term-end-alerted",
        "tuneline:expiry-unreadable",
    }
    reading = [s for s in _statements(template_json) if "bedrock:ListTagsForResource" in _actions(s)]
    assert reading and all("Condition" not in s for s in reading)


def test_the_janitor_may_write_exactly_the_marker_tags_its_code_writes() -> None:
    from stacks.constructs.janitor import JANITOR_MARKER_TAGS
    from tuneline.serving.janitor import MARKER_TAGS

    assert sorted(JANITOR_MARKER_TAGS) == sorted(MARKER_TAGS.values())


def _synth_without_serving(outdir: Path, *, evaluating: bool) -> dict[str, Any]:
    """cdk.json's profiles with serving turned off everywhere; with or without the ones that evaluate."""
    context = tuneline_app.cdk_json_context()
    profiles = context["tuneline"]["profiles"]
    for name, body in list(profiles.items()):
        body.pop("serving", None)
        if "evaluation" in body and not evaluating:
            del profiles[name]
    assert any("evaluation" in body for body in profiles.values()) == evaluating
    tuneline_app.build_app(context=context, outdir=str(outdir)).synth()
    return dict(json.loads((outdir / f"{tuneline_app.STACK_NAME}.template.json").read_text()))


def _assert_no_serving_states(template: dict[str, Any]) -> str:
    """The customize workflow's definition, once checked to hold no serving state."""
    [machine] = [
        r
        for r in resources_of_type(template, "AWS::StepFunctions::StateMachine").values()
        if "Plan job" in json.dumps(r["Properties"]["DefinitionString"])
    ]
    definition = json.dumps(machine["Properties"]["DefinitionString"])
    assert "Serve the model?" not in definition and "Notify job completed" in definition
    handlers = {f["Properties"]["Handler"] for f in resources_of_type(template, "AWS::Lambda::Function").values()}
    assert not {h for h in handlers if ".serve_" in h}
    # The janitor stays: serving bought before a profile stopped serving must still expire.
    assert "tuneline.handlers.janitor.handler" in handlers
    return definition


def test_without_a_serving_profile_neither_serving_states_nor_purchase_permissions_are_deployed(
    tmp_path: Path,
) -> None:
    template = _synth_without_serving(tmp_path, evaluating=False)
    text = json.dumps(template)
    for purchase in ("CreateProvisionedModelThroughput", "CreateCustomModelDeployment"):
        assert f"bedrock:{purchase}" not in text
    _assert_no_serving_states(template)


def test_an_evaluating_profile_without_serving_may_serve_only_its_evaluation(tmp_path: Path) -> None:
    # The evaluation asks the custom model through serving of its own (docs/decisions/0011-evaluation-stage.md),
    # so the purchase is granted, to the state machine only, but no serving state or function is deployed.
    template = _synth_without_serving(tmp_path, evaluating=True)
    purchasers = {
        role["Ref"]
        for policy in resources_of_type(template, "AWS::IAM::Policy").values()
        for statement in policy["Properties"]["PolicyDocument"]["Statement"]
        if "bedrock:CreateCustomModelDeployment" in json.dumps(statement["Action"])
        for role in policy["Properties"]["Roles"]
    }
    assert [role.startswith("CustomizeStateMachineRole") for role in purchasers] == [True]
    assert "Create evaluation deployment" in _assert_no_serving_states(template)
