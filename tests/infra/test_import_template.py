"""The import workflow in the synthesized template: its state machine, its Bedrock role, its trigger and IAM."""

from __future__ import annotations

import copy
import json
from collections.abc import Iterator
from typing import Any

import pytest

from stacks.constructs.import_workflow import (
    IMPORT_MAX_POLLS,
    IMPORT_POLL_SECONDS,
)
from tests.infra.events import matches, object_created
from tests.infra.synth import render, resources_of_type, state_machine_definitions
from tuneline.aws_values import caught_error_path
from tuneline.imports.smoke import LOAD_CHECK_SECONDS, LOAD_CHECKS, LOAD_DEADLINE_SECONDS

FAILURE_ALERT = "Notify import failure"
CREATE = "Create import job"
GET = "Get import job"


@pytest.fixture(scope="module")
def import_definition(template_json: dict[str, Any]) -> dict[str, Any]:
    matches = [d for d in state_machine_definitions(template_json).values() if "Check model folder" in d["States"]]
    assert len(matches) == 1
    return matches[0]


@pytest.fixture(scope="module")
def import_machine(template_json: dict[str, Any]) -> tuple[str, dict[str, Any]]:
    [(logical_id, machine)] = [
        (logical_id, machine)
        for logical_id, machine in resources_of_type(template_json, "AWS::StepFunctions::StateMachine").items()
        if "Check model folder" in render(machine["Properties"]["DefinitionString"])
    ]
    return logical_id, machine


def _tasks(definition: dict[str, Any]) -> dict[str, dict[str, Any]]:
    return {name: state for name, state in definition["States"].items() if state["Type"] == "Task"}


def _as_list(value: Any) -> list[Any]:
    return value if isinstance(value, list) else [value]


def _import_role(template_json: dict[str, Any]) -> tuple[str, dict[str, Any]]:
    roles = [
        (logical_id, role)
        for logical_id, role in resources_of_type(template_json, "AWS::IAM::Role").items()
        for statement in role["Properties"]["AssumeRolePolicyDocument"]["Statement"]
        if render(statement.get("Condition", {}).get("ArnEquals", {}).get("aws:SourceArn", "")).endswith(
            ":model-import-job/*"
        )
    ]
    assert len(roles) == 1
    return roles[0]


def _role_statements(template_json: dict[str, Any], role_logical_id: str) -> Iterator[dict[str, Any]]:
    for policy in resources_of_type(template_json, "AWS::IAM::Policy").values():
        if {"Ref": role_logical_id} in policy["Properties"]["Roles"]:
            yield from policy["Properties"]["PolicyDocument"]["Statement"]


# --- the state machine -------------------------------------------------------------------------------------


def test_the_import_starts_by_checking_the_folder_named_in_the_execution_input(
    import_definition: dict[str, Any],
) -> None:
    assert import_definition["StartAt"] == "Check model folder"
    assert import_definition["States"]["Check model folder"]["Parameters"] == {"marker.$": "$"}


def test_every_task_retries_and_catches_into_the_failure_alert(import_definition: dict[str, Any]) -> None:
    tasks = _tasks(import_definition)
    assert {CREATE, GET, "Smoke test imported model", "Notify import completed"} <= set(tasks)
    for name, state in tasks.items():
        assert state.get("Retry"), f"{name} has no Retry"
        assert state.get("Catch"), f"{name} has no Catch"
        if name != FAILURE_ALERT:
            assert state["Catch"][0]["ErrorEquals"] == ["States.ALL"]
            assert state["Catch"][0]["Next"] == FAILURE_ALERT
            # Under the state's own name, so the alert names it (tuneline.aws_values.caught_error_path).
            assert state["Catch"][0]["ResultPath"] == caught_error_path(name)


def test_the_failure_alert_ends_the_execution_as_failed(import_definition: dict[str, Any]) -> None:
    states = import_definition["States"]
    assert states[states[FAILURE_ALERT]["Next"]]["Type"] == "Fail"
    assert states[states[FAILURE_ALERT]["Catch"][0]["Next"]]["Type"] == "Fail"


def test_create_import_job_is_an_sdk_call_with_token_key_role_and_vpc(
    import_definition: dict[str, Any], template_json: dict[str, Any]
) -> None:
    state = import_definition["States"][CREATE]
    assert state["Resource"].endswith(":states:::aws-sdk:bedrock:createModelImportJob")
    params = state["Parameters"]
    assert params["ClientRequestToken.$"] == "$.check.clientRequestToken"
    assert params["JobName.$"] == "$.check.jobName"
    assert params["ImportedModelName.$"] == "$.check.importedModelName"
    assert params["ModelDataSource"]["S3DataSource"]["S3Uri.$"] == "$.check.modelDataUri"
    assert params["JobTags.$"] == params["ImportedModelTags.$"] == "$.check.tags"
    assert "DataKey" in params["ImportedModelKmsKeyId"]
    role_logical_id, _ = _import_role(template_json)
    assert params["RoleArn"] == f"ATT_{role_logical_id}_Arn"
    # cdk.json deploys the isolated VPC: the job's ENIs go into both of its subnets.
    assert len(params["VpcConfig"]["SubnetIds"]) == 2
    assert len(params["VpcConfig"]["SecurityGroupIds"]) == 1


def test_bedrock_calls_retry_transient_errors(import_definition: dict[str, Any]) -> None:
    for name in (CREATE, GET):
        retried = {error for retry in import_definition["States"][name]["Retry"] for error in retry["ErrorEquals"]}
        assert {"Bedrock.ThrottlingException", "Bedrock.InternalServerException"} <= retried, name


def test_polling_is_a_bounded_loop(import_definition: dict[str, Any]) -> None:
    states = import_definition["States"]
    assert states[CREATE]["Next"] == "Start polling"
    assert states["Start polling"]["Result"] == {"count": 0}
    wait = states[states["Start polling"]["Next"]]
    assert wait["Type"] == "Wait" and wait["Seconds"] == IMPORT_POLL_SECONDS
    assert wait["Next"] == GET
    assert states[GET]["Resource"].endswith(":states:::aws-sdk:bedrock:getModelImportJob")
    assert states[GET]["Parameters"] == {"JobIdentifier.$": "$.created.JobArn"}
    counter = states[states[GET]["Next"]]
    assert counter["Parameters"] == {"count.$": "States.MathAdd($.poll.count, 1)"}
    choice = states[counter["Next"]]
    bound = [c for c in choice["Choices"] if c.get("Variable") == "$.poll.count"]
    assert bound[0]["NumericGreaterThanEquals"] == IMPORT_MAX_POLLS
    assert states[bound[0]["Next"]]["Next"] == FAILURE_ALERT
    assert states[choice["Default"]] is wait
    # The loop ends by itself before the machine's own timeout would cut it.
    assert import_definition["TimeoutSeconds"] > IMPORT_MAX_POLLS * IMPORT_POLL_SECONDS


@pytest.mark.parametrize(
    ("status", "next_state"),
    [("Completed", "Start smoke tests"), ("Failed", "Import job failed")],
)
def test_job_status_picks_the_branch(import_definition: dict[str, Any], status: str, next_state: str) -> None:
    choice = import_definition["States"]["Import finished?"]
    [branch] = [c for c in choice["Choices"] if c.get("StringEquals") == status]
    assert branch["Variable"] == "$.job.Status"
    assert branch["Next"] == next_state


def test_a_failed_job_alerts_with_its_own_error_name(import_definition: dict[str, Any]) -> None:
    state = import_definition["States"]["Import job failed"]
    assert state["ResultPath"] == "$.error"
    assert state["Result"]["Error"] == "ImportJobFailed"
    assert state["Next"] == FAILURE_ALERT


def test_an_earlier_import_of_the_same_content_skips_the_job(import_definition: dict[str, Any]) -> None:
    states = import_definition["States"]
    choice = states[states["Check model folder"]["Next"]]
    [duplicate] = choice["Choices"]
    assert duplicate == {"Variable": "$.check.duplicate", "BooleanEquals": True, "Next": "Notify import already exists"}
    assert choice["Default"] == CREATE
    assert states[states["Notify import already exists"]["Next"]]["Type"] == "Succeed"


def test_the_smoke_test_waits_out_cold_starts_on_a_fixed_clock_then_alerts_with_the_model(
    import_definition: dict[str, Any],
) -> None:
    states = import_definition["States"]
    start = states["Start smoke tests"]
    assert start["Result"] == {"count": 0} and start["Next"] == "Smoke test imported model"
    smoke = states["Smoke test imported model"]
    assert smoke["Parameters"] == {"check.$": "$.check", "job.$": "$.job"}
    # No Retry counts out the cold start: only transient Lambda errors are retried inside the state.
    assert not any("ImportedModelNotReady" in r["ErrorEquals"] for r in smoke["Retry"])
    answered = states[smoke["Next"]]
    assert answered["Type"] == "Choice"
    [done, gave_up] = answered["Choices"]
    assert done == {"Variable": "$.smoke.answered", "BooleanEquals": True, "Next": "Notify import completed"}
    assert gave_up["Variable"] == "$.loadWait.count" and gave_up["NumericGreaterThanEquals"] == LOAD_CHECKS
    # The deadline is elapsed time: fixed waits (no jitter), LOAD_CHECKS of them.
    wait = states[answered["Default"]]
    assert wait["Type"] == "Wait" and wait["Seconds"] == LOAD_CHECK_SECONDS
    assert LOAD_CHECKS * LOAD_CHECK_SECONDS == LOAD_DEADLINE_SECONDS >= 10 * 60
    count = states[wait["Next"]]
    assert count["Parameters"] == {"count.$": "States.MathAdd($.loadWait.count, 1)"}
    assert count["Next"] == "Smoke test imported model"
    did_not_load = states[gave_up["Next"]]
    assert did_not_load["Parameters"] == {"Error.$": "$.smoke.error", "Cause.$": "$.smoke.cause"}
    assert did_not_load["ResultPath"] == "$.error" and did_not_load["Next"] == FAILURE_ALERT
    assert states[states["Notify import completed"]["Next"]]["Type"] == "Succeed"
    # Polling the job and waiting for the model both end by themselves before the machine's own timeout.
    assert import_definition["TimeoutSeconds"] > IMPORT_MAX_POLLS * IMPORT_POLL_SECONDS + LOAD_DEADLINE_SECONDS


def test_the_machine_is_standard_with_timeout_logs_and_tracing(import_machine: tuple[str, dict[str, Any]]) -> None:
    _, machine = import_machine
    properties = machine["Properties"]
    assert properties.get("StateMachineType", "STANDARD") == "STANDARD"
    assert properties["TracingConfiguration"] == {"Enabled": True}
    assert properties["LoggingConfiguration"]["Level"] == "ALL"
    definition = json.loads(render(properties["DefinitionString"]))
    assert 3600 <= definition["TimeoutSeconds"] <= 24 * 3600


# --- IAM ---------------------------------------------------------------------------------------------------


def test_import_role_trusts_only_import_jobs_of_this_account(template_json: dict[str, Any]) -> None:
    _, role = _import_role(template_json)
    [statement] = role["Properties"]["AssumeRolePolicyDocument"]["Statement"]
    assert statement["Principal"] == {"Service": "bedrock.amazonaws.com"}
    assert statement["Condition"]["StringEquals"]["aws:SourceAccount"] == {"Ref": "AWS::AccountId"}
    source_arn = render(statement["Condition"]["ArnEquals"]["aws:SourceArn"])
    assert source_arn.endswith(":REF_AWS::AccountId:model-import-job/*")


def test_import_role_reads_only_model_folders_and_writes_nothing(template_json: dict[str, Any]) -> None:
    role_logical_id, _ = _import_role(template_json)
    statements = list(_role_statements(template_json, role_logical_id))
    actions = {a for s in statements for a in _as_list(s["Action"])}
    assert "s3:PutObject" not in actions and "s3:DeleteObject" not in actions
    reads = [render(r) for s in statements if "s3:GetObject" in _as_list(s["Action"]) for r in _as_list(s["Resource"])]
    assert reads and all(r.endswith("/imports/*") for r in reads)
    eni_creates = [s for s in statements if s["Action"] == "ec2:CreateNetworkInterface" and "Condition" in s]
    tagged = eni_creates[0]["Condition"]["ArnEquals"]["aws:RequestTag/BedrockModelImportJobArn"]
    assert render(tagged).endswith(":model-import-job/*")


def test_the_import_machine_may_create_read_and_tag_imports_and_pass_only_the_import_role(
    template_json: dict[str, Any], import_machine: tuple[str, dict[str, Any]]
) -> None:
    _, machine = import_machine
    role_ref = machine["Properties"]["RoleArn"]["Fn::GetAtt"][0]
    statements = list(_role_statements(template_json, role_ref))
    granted = {a: s for s in statements for a in _as_list(s["Action"])}
    for action in ("bedrock:CreateModelImportJob", "bedrock:GetModelImportJob", "bedrock:TagResource"):
        resources = [render(r) for r in _as_list(granted[action]["Resource"])]
        assert resources and all(":model-import-job/*" in r or ":imported-model/*" in r for r in resources), action
    pass_role = granted["iam:PassRole"]
    import_role_logical_id, _ = _import_role(template_json)
    assert pass_role["Resource"] == {"Fn::GetAtt": [import_role_logical_id, "Arn"]}
    assert pass_role["Condition"]["StringEquals"]["iam:PassedToService"] == "bedrock.amazonaws.com"


def _resources_of_statement(template_json: dict[str, Any], sid: str) -> list[str]:
    return [
        render(r)
        for policy in resources_of_type(template_json, "AWS::IAM::Policy").values()
        for s in policy["Properties"]["PolicyDocument"]["Statement"]
        if s.get("Sid") == sid
        for r in _as_list(s["Resource"])
    ]


def test_the_smoke_test_may_invoke_only_imported_models(template_json: dict[str, Any]) -> None:
    invokes = _resources_of_statement(template_json, "InvokeImportedModels")
    assert invokes and all(r.endswith(":imported-model/*") for r in invokes)


def test_the_import_notify_step_writes_model_cards_only_under_the_import_reports(
    template_json: dict[str, Any],
) -> None:
    writes = _resources_of_statement(template_json, "WriteModelCards")
    assert writes and all(r.endswith("/reports/imports/*") for r in writes)


# --- trigger, alerts, outputs ------------------------------------------------------------------------------


def _marker_rule(template_json: dict[str, Any]) -> dict[str, Any]:
    [rule] = [
        r["Properties"]
        for r in resources_of_type(template_json, "AWS::Events::Rule").values()
        if "aws.s3" in r["Properties"]["EventPattern"]["source"]
        and "imports/" in json.dumps(r["Properties"]["EventPattern"])
    ]
    return rule


@pytest.mark.parametrize(
    ("key", "starts"),
    [
        ("imports/llama-support/_READY", True),
        ("imports/llama-support/config.json", False),
        ("imports/llama-support/model-00001-of-00002.safetensors", False),
        ("imports/llama-support/_READY.tmp", False),
        ("incoming/support-bot/_READY", False),
        ("reports/imports/tuneline-import-x/check.json", False),
    ],
)
def test_only_a_ready_marker_under_imports_reaches_the_import_intake(
    template_json: dict[str, Any], key: str, starts: bool
) -> None:
    # A copy: the template is shared by the session's tests.
    pattern = copy.deepcopy(_marker_rule(template_json)["EventPattern"])
    pattern["detail"]["bucket"]["name"] = ["data-bucket"]
    event = object_created("data-bucket", key, size=0)
    assert matches(pattern, event) is starts


def test_the_marker_rule_feeds_its_own_queue_with_a_dead_letter_queue(template_json: dict[str, Any]) -> None:
    [target] = _marker_rule(template_json)["Targets"]
    queue_logical_id = target["Arn"]["Fn::GetAtt"][0]
    queue = template_json["Resources"][queue_logical_id]
    assert queue["Type"] == "AWS::SQS::Queue"
    assert "deadLetterTargetArn" in queue["Properties"]["RedrivePolicy"]


def test_timeouts_and_aborts_of_both_machines_alert(
    template_json: dict[str, Any], import_machine: tuple[str, dict[str, Any]]
) -> None:
    import_logical_id, _ = import_machine
    [rule] = [
        r["Properties"]
        for r in resources_of_type(template_json, "AWS::Events::Rule").values()
        if "aws.states" in r["Properties"]["EventPattern"]["source"]
    ]
    machines = rule["EventPattern"]["detail"]["stateMachineArn"]
    assert len(machines) == 2
    assert {"Ref": import_logical_id} in machines


def test_the_import_machine_arn_is_an_output(
    template_json: dict[str, Any], import_machine: tuple[str, dict[str, Any]]
) -> None:
    import_logical_id, _ = import_machine
    assert template_json["Outputs"]["ImportStateMachineArn"]["Value"] == {"Ref": import_logical_id}
