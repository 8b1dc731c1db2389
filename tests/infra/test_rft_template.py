"""Reinforcement fine-tuning in the template (docs/bedrock.md §13): one `.sync` job state per RFT profile with
`customizationConfig.rftConfig`, a job role per profile that may invoke only that profile's grader, the grader
the stack builds, and the checks before the job."""

from __future__ import annotations

import json
from typing import Any

from aws_cdk.assertions import Template

from tests.infra.synth import OWN_GRADER, render, resources_of_type


def _grader_function(template_json: dict[str, Any]) -> tuple[str, dict[str, Any]]:
    [(logical_id, resource)] = [
        (k, v)
        for k, v in resources_of_type(template_json, "AWS::Lambda::Function").items()
        if v["Properties"]["Handler"] == "tuneline.handlers.grader.handler"
    ]
    return logical_id, resource


def test_the_example_profiles_job_state_carries_rft_config_with_its_grader(
    customize_definition: dict[str, Any], template_json: dict[str, Any]
) -> None:
    state = customize_definition["States"]["Create RFT job for math-rft"]
    grader_id, _ = _grader_function(template_json)
    assert state["Resource"].endswith(":states:::bedrock:createModelCustomizationJob.sync")
    parameters = state["Parameters"]
    assert parameters["CustomizationType.$"] == "$.plan.customizationType"
    assert "HyperParameters.$" not in parameters  # RFT's hyperparameters live in rftConfig
    assert parameters["CustomizationConfig"] == {
        "RftConfig": {
            "GraderConfig": {"LambdaGrader": {"LambdaArn": f"ATT_{grader_id}_Arn"}},
            "HyperParameters": {
                "EpochCount": 1,
                "BatchSize": 32,
                "LearningRate": 5e-05,
                "TrainingSamplePerPrompt": 4,
                "EvalInterval": 10,
                "InferenceMaxTokens": 750,
                "MaxPromptLength": 310,
                "ReasoningEffort": "high",
            },
        }
    }
    assert {c["ErrorEquals"][0] for c in state["Catch"]} == {"States.ALL"}


def test_each_rft_profile_is_chosen_by_its_name_and_has_its_own_role(customize_definition: dict[str, Any]) -> None:
    choices = customize_definition["States"]["Choose job request"]["Choices"]
    rft = {c["Next"]: c["And"][1]["StringEquals"] for c in choices if "And" in c}
    assert rft == {"Create RFT job for math-rft": "math-rft", "Create RFT job for rft-own": "rft-own"}
    roles = {
        name: customize_definition["States"][f"Create RFT job for {name}"]["Parameters"]["RoleArn"]
        for name in rft.values()
    }
    shared = customize_definition["States"]["Create customization job"]["Parameters"]["RoleArn"]
    assert len({*roles.values(), shared}) == 3
    own = customize_definition["States"]["Create RFT job for rft-own"]["Parameters"]["CustomizationConfig"]
    assert own["RftConfig"]["GraderConfig"]["LambdaGrader"]["LambdaArn"] == OWN_GRADER


def test_a_job_role_may_invoke_only_its_profiles_grader(template_json: dict[str, Any]) -> None:
    grader_id, _ = _grader_function(template_json)
    invokes: dict[str, list[Any]] = {}
    for policy in resources_of_type(template_json, "AWS::IAM::Policy").values():
        for statement in policy["Properties"]["PolicyDocument"]["Statement"]:
            if statement.get("Sid") == "InvokeThisProfilesGrader":
                [role] = policy["Properties"]["Roles"]
                invokes[role["Ref"]] = (
                    statement["Resource"] if isinstance(statement["Resource"], list) else [statement["Resource"]]
                )
    assert sorted(map(str, invokes.values())) == sorted([str([{"Fn::GetAtt": [grader_id, "Arn"]}]), str([OWN_GRADER])])
    # Besides the job roles, only the function that checks the graders before a job may invoke them.
    graders = {str({"Fn::GetAtt": [grader_id, "Arn"]}), str(OWN_GRADER)}
    for logical_id, policy in resources_of_type(template_json, "AWS::IAM::Policy").items():
        for statement in policy["Properties"]["PolicyDocument"]["Statement"]:
            resources = statement["Resource"] if isinstance(statement["Resource"], list) else [statement["Resource"]]
            if graders & {str(r) for r in resources}:
                assert statement["Sid"] in ("InvokeThisProfilesGrader", "CallTheGraders"), logical_id
                assert statement["Action"] == "lambda:InvokeFunction"


def test_the_grader_has_timeout_and_reserved_concurrency_for_rft_fan_out(template_json: dict[str, Any]) -> None:
    _, grader = _grader_function(template_json)
    properties = grader["Properties"]
    assert properties["Timeout"] == 300
    assert properties["ReservedConcurrentExecutions"] == 20
    assert json.loads(properties["Environment"]["Variables"]["GRADER"]) == {
        "type": "numeric",
        "tolerance": 0.001,
        "referenceField": "final_answer",
        "timeoutSeconds": 300,
        "reservedConcurrency": 20,
    }


def test_rft_executions_dry_run_the_grader_and_score_the_base_model_before_joining_the_queue(
    customize_definition: dict[str, Any],
) -> None:
    states = customize_definition["States"]
    assert states["Validate dataset"]["Next"] == "Reinforcement fine-tuning?"
    choice = states["Reinforcement fine-tuning?"]
    assert [c["Next"] for c in choice["Choices"]] == ["Use the grader of math-rft", "Use the grader of rft-own"]
    # Checked before the run waits for a job slot: a grader that cannot grade never holds a place in line.
    assert choice["Default"] == "Join the queue"
    assert states["Use the grader of rft-own"]["Result"] == {"graderArn": OWN_GRADER}
    assert states["Use the grader of math-rft"]["Next"] == "Dry-run grader"
    assert states["Dry-run grader"]["Next"] == "Score base model"
    assert states["Score base model"]["Next"] == "Join the queue"
    assert states["Dry-run grader"]["Parameters"]["check"] == "grader"
    for name in ("Dry-run grader", "Score base model"):
        assert states[name]["Catch"][0]["Next"] == "Notify failure"


def test_the_state_machine_may_pass_the_rft_job_roles(template: Template, template_json: dict[str, Any]) -> None:
    passed = set()
    # The customization-job grants are the state machine's managed policy (stacks/constructs/customize_workflow.py).
    policies = {
        **resources_of_type(template_json, "AWS::IAM::Policy"),
        **resources_of_type(template_json, "AWS::IAM::ManagedPolicy"),
    }
    for policy in policies.values():
        for statement in policy["Properties"]["PolicyDocument"]["Statement"]:
            if statement["Action"] == "iam:PassRole":
                resources = (
                    statement["Resource"] if isinstance(statement["Resource"], list) else [statement["Resource"]]
                )
                passed.update(render(r) for r in resources)
    assert sum(1 for r in passed if "RftMathRftJobRole" in r or "RftRftOwnJobRole" in r) == 2
