"""Least privilege: explicit actions, scoped PassRole, and a Bedrock role only Bedrock jobs of this account assume."""

from __future__ import annotations

from collections.abc import Iterator
from typing import Any

from tests.infra.synth import render, resources_of_type, state_machine_definitions


def _statements(template_json: dict[str, Any]) -> Iterator[dict[str, Any]]:
    for resource_type in ("AWS::IAM::Policy", "AWS::IAM::ManagedPolicy"):
        for policy in resources_of_type(template_json, resource_type).values():
            yield from policy["Properties"]["PolicyDocument"]["Statement"]
    for role in resources_of_type(template_json, "AWS::IAM::Role").values():
        for inline in role["Properties"].get("Policies", []):
            yield from inline["PolicyDocument"]["Statement"]


def _as_list(value: Any) -> list[Any]:
    return value if isinstance(value, list) else [value]


def _bedrock_role(
    template_json: dict[str, Any], job_kind: str = "model-customization-job"
) -> tuple[str, dict[str, Any]]:
    """The role Bedrock assumes for one kind of job (customization or import)."""
    roles = []
    for logical_id, role in resources_of_type(template_json, "AWS::IAM::Role").items():
        statement = role["Properties"]["AssumeRolePolicyDocument"]["Statement"][0]
        if statement["Principal"].get("Service") != "bedrock.amazonaws.com":
            continue
        source_arn = render(statement.get("Condition", {}).get("ArnEquals", {}).get("aws:SourceArn", ""))
        # RFT profiles have job roles of their own (tests/infra/test_rft_template.py).
        shared = "RFT" not in role["Properties"].get("Description", "")
        if source_arn.endswith(f":{job_kind}/*") and shared:
            roles.append((logical_id, role))
    assert len(roles) == 1
    return roles[0]


def _bedrock_role_statements(template_json: dict[str, Any]) -> list[dict[str, Any]]:
    logical_id, _ = _bedrock_role(template_json)
    statements = []
    for policy in resources_of_type(template_json, "AWS::IAM::Policy").values():
        if {"Ref": logical_id} in policy["Properties"]["Roles"]:
            statements.extend(policy["Properties"]["PolicyDocument"]["Statement"])
    return statements


def test_no_statement_has_a_wildcard_action(template_json: dict[str, Any]) -> None:
    actions = [a for s in _statements(template_json) for a in _as_list(s["Action"])]
    assert actions
    assert [a for a in actions if "*" in a] == []


def test_pass_role_is_never_on_star_and_names_its_service(template_json: dict[str, Any]) -> None:
    pass_role = [s for s in _statements(template_json) if "iam:PassRole" in _as_list(s["Action"])]
    assert pass_role
    for statement in pass_role:
        assert "*" not in _as_list(statement["Resource"])
        assert statement["Condition"]["StringEquals"]["iam:PassedToService"] == "bedrock.amazonaws.com"


def test_bedrock_role_trust_has_confused_deputy_conditions(template_json: dict[str, Any]) -> None:
    _, role = _bedrock_role(template_json)
    [statement] = role["Properties"]["AssumeRolePolicyDocument"]["Statement"]
    assert statement["Condition"]["StringEquals"]["aws:SourceAccount"] == {"Ref": "AWS::AccountId"}
    assert render(statement["Condition"]["ArnEquals"]["aws:SourceArn"]).endswith(":model-customization-job/*")


def test_bedrock_role_reads_only_staged_and_writes_only_output(template_json: dict[str, Any]) -> None:
    statements = _bedrock_role_statements(template_json)
    reads = [render(r) for s in statements if "s3:GetObject" in _as_list(s["Action"]) for r in _as_list(s["Resource"])]
    writes = [render(r) for s in statements if "s3:PutObject" in _as_list(s["Action"]) for r in _as_list(s["Resource"])]
    assert writes and all(r.endswith("/output/*") for r in writes)
    assert {r.rsplit("/", 2)[-2] for r in reads} == {"staged", "output"}
    assert not [r for r in reads + writes if "/incoming/" in r]


def test_bedrock_role_can_use_the_data_key_and_place_enis(template_json: dict[str, Any]) -> None:
    actions = {a for s in _bedrock_role_statements(template_json) for a in _as_list(s["Action"])}
    assert {"kms:Decrypt", "kms:GenerateDataKey", "kms:DescribeKey", "kms:CreateGrant"} <= actions
    assert {"ec2:CreateNetworkInterface", "ec2:DeleteNetworkInterface", "ec2:CreateTags"} <= actions
    eni_create = [
        s
        for s in _bedrock_role_statements(template_json)
        if s["Action"] == "ec2:CreateNetworkInterface" and "Condition" in s
    ]
    assert eni_create[0]["Condition"]["StringEquals"]["aws:RequestTag/BedrockManaged"] == "true"


def test_state_machine_may_wait_on_and_stop_its_jobs(template_json: dict[str, Any]) -> None:
    actions = {a for s in _statements(template_json) for a in _as_list(s["Action"])}
    assert {
        "bedrock:CreateModelCustomizationJob",
        "bedrock:GetModelCustomizationJob",
        "bedrock:StopModelCustomizationJob",
    } <= actions


def test_pipeline_functions_never_delete_or_write_incoming(template_json: dict[str, Any]) -> None:
    # The stack's roles, not the upload policies it offers for people and systems outside it (test_data_access).
    role_statements = [
        s
        for policy in resources_of_type(template_json, "AWS::IAM::Policy").values()
        for s in policy["Properties"]["PolicyDocument"]["Statement"]
    ]
    assert role_statements
    for statement in role_statements:
        resources = [render(r) for r in _as_list(statement["Resource"])]
        if any("/incoming/" in r for r in resources):
            assert set(_as_list(statement["Action"])) <= {"s3:GetObject", "s3:GetObjectVersion"}
        assert "s3:DeleteObject" not in _as_list(statement["Action"])


def test_the_capacity_check_reads_only_the_customize_machines_executions(template_json: dict[str, Any]) -> None:
    [machine_id] = [
        logical_id
        for logical_id, definition in state_machine_definitions(template_json).items()
        if "Plan job" in definition["States"]
    ]
    statements = {s.get("Sid"): s for s in _statements(template_json)}
    listing = statements["ListQueuedExecutions"]
    assert listing["Action"] == "states:ListExecutions"
    assert listing["Resource"] == {"Ref": machine_id}
    reading = statements["ReadQueuedExecutions"]
    # Inputs (profile, upload time) and, for a run admitted before this one was listed, its last state.
    assert reading["Action"] == ["states:DescribeExecution", "states:GetExecutionHistory"]
    assert render(reading["Resource"]).endswith(f":execution:ATT_{machine_id}_Name:*")


def test_dataset_media_are_read_only_to_copy_them_and_bedrock_still_reads_only_staged(
    template_json: dict[str, Any],
) -> None:
    statements = {s.get("Sid"): s for s in _statements(template_json)}
    media = statements["CopyDatasetMedia"]
    assert media["Action"] == "s3:GetObject"
    assert render(media["Resource"]).endswith("/*")
    bedrock_reads = [
        render(resource)
        for s in _bedrock_role_statements(template_json)
        if "s3:GetObject" in _as_list(s["Action"])
        for resource in _as_list(s["Resource"])
    ]
    assert bedrock_reads and all("/staged/" in resource or "/output/" in resource for resource in bedrock_reads), (
        bedrock_reads
    )


def test_the_execution_end_alert_reads_only_the_two_workflows_executions(template_json: dict[str, Any]) -> None:
    machines = set(state_machine_definitions(template_json))
    reading = [s for s in _statements(template_json) if s.get("Sid") == "ReadExecutionErrors"]
    [statement] = reading
    assert statement["Action"] == "states:DescribeExecution"
    assert sorted(render(r) for r in statement["Resource"]) == sorted(
        f"arn:REF_AWS::Partition:states:REF_AWS::Region:REF_AWS::AccountId:execution:ATT_{machine}_Name:*"
        for machine in machines
    )
    # Only the formatter of the execution-status rule holds it.
    [function] = [
        f
        for f in resources_of_type(template_json, "AWS::Lambda::Function").values()
        if f["Properties"]["Handler"] == "tuneline.handlers.execution_event.handler"
    ]
    role_id = function["Properties"]["Role"]["Fn::GetAtt"][0]
    holders = [
        policy["Properties"]["Roles"]
        for policy in resources_of_type(template_json, "AWS::IAM::Policy").values()
        if any(s.get("Sid") == "ReadExecutionErrors" for s in policy["Properties"]["PolicyDocument"]["Statement"])
    ]
    assert holders == [[{"Ref": role_id}]]
