"""The EventBridge patterns match the events they are for, and not their near misses.

Patterns are evaluated with moto's EventBridge pattern engine, on the patterns as rendered in the template.
"""

from __future__ import annotations

import copy
import json
from pathlib import Path
from typing import Any

import pytest

from tests.infra.events import matches, object_created
from tests.infra.synth import render, resources_of_type

EVENTS = Path(__file__).resolve().parent.parent / "data" / "events"


def _load(name: str) -> dict[str, Any]:
    return json.loads((EVENTS / name).read_text())


def _rules(template_json: dict[str, Any], source: str) -> list[dict[str, Any]]:
    return [
        r["Properties"]
        for r in resources_of_type(template_json, "AWS::Events::Rule").values()
        if source in r["Properties"]["EventPattern"]["source"]
    ]


def _concrete(pattern: Any, placeholders: dict[str, str]) -> Any:
    """Replace CloudFormation references in a pattern with the values the tests use."""
    if isinstance(pattern, dict) and ("Ref" in pattern or "Fn::GetAtt" in pattern or "Fn::Join" in pattern):
        rendered = render(pattern)
        return placeholders.get(rendered, rendered)
    if isinstance(pattern, dict):
        return {k: _concrete(v, placeholders) for k, v in pattern.items()}
    if isinstance(pattern, list):
        return [_concrete(v, placeholders) for v in pattern]
    return pattern


@pytest.fixture(scope="module")
def bedrock_pattern(template_json: dict[str, Any]) -> dict[str, Any]:
    [rule] = _rules(template_json, "aws.bedrock")
    return rule["EventPattern"]


def test_bedrock_rule_matches_a_completed_tuneline_job(bedrock_pattern: dict[str, Any]) -> None:
    assert matches(bedrock_pattern, _load("bedrock_job_completed.json"))


@pytest.mark.parametrize("status", ["Failed", "Stopped"])
def test_bedrock_rule_matches_other_terminal_statuses(bedrock_pattern: dict[str, Any], status: str) -> None:
    event = _load("bedrock_job_completed.json")
    event["detail"]["jobStatus"] = status
    assert matches(bedrock_pattern, event)


def test_bedrock_rule_ignores_status_in_the_wrong_field(bedrock_pattern: dict[str, Any]) -> None:
    event = _load("bedrock_job_completed.json")
    event["detail"]["status"] = event["detail"].pop("jobStatus")
    assert not matches(bedrock_pattern, event)


def test_bedrock_rule_ignores_other_teams_jobs(bedrock_pattern: dict[str, Any]) -> None:
    event = _load("bedrock_job_completed.json")
    event["detail"]["jobName"] = "someone-elses-job"
    assert not matches(bedrock_pattern, event)


def test_bedrock_rule_ignores_the_wrong_detail_type(bedrock_pattern: dict[str, Any]) -> None:
    event = _load("bedrock_job_completed.json")
    event["detail-type"] = "Bedrock Model Customization Job State Change"
    assert not matches(bedrock_pattern, event)


def test_bedrock_rule_ignores_in_progress(bedrock_pattern: dict[str, Any]) -> None:
    event = _load("bedrock_job_completed.json")
    event["detail"]["jobStatus"] = "InProgress"
    assert not matches(bedrock_pattern, event)


def test_execution_rule_matches_timeouts_of_our_machines_only(template_json: dict[str, Any]) -> None:
    [rule] = _rules(template_json, "aws.states")
    arns = rule["EventPattern"]["detail"]["stateMachineArn"]
    placeholders = {
        render(arn): f"arn:aws:states:us-east-1:123456789012:stateMachine:M{i}" for i, arn in enumerate(arns)
    }
    pattern = _concrete(rule["EventPattern"], placeholders)
    event = _load("execution_timed_out.json")
    event["detail"]["stateMachineArn"] = "arn:aws:states:us-east-1:123456789012:stateMachine:M0"
    assert matches(pattern, event)
    other = copy.deepcopy(event)
    other["detail"]["stateMachineArn"] = "arn:aws:states:us-east-1:123456789012:stateMachine:Other"
    assert not matches(pattern, other)
    succeeded = copy.deepcopy(event)
    succeeded["detail"]["status"] = "SUCCEEDED"
    assert not matches(pattern, succeeded)


def _incoming_rule(template_json: dict[str, Any]) -> dict[str, Any]:
    """The one rule for uploads under incoming/ (datasets in any letter case, companions, mistakes)."""
    rules = [_concrete(r["EventPattern"], {}) for r in _rules(template_json, "aws.s3")]
    [incoming] = [p for p in rules if p["detail"]["object"]["key"] == [{"prefix": "incoming/"}]]
    return incoming


@pytest.mark.parametrize(
    ("key", "reaches"),
    [
        ("incoming/support-bot/train.jsonl", True),
        ("incoming/support-bot/Train.JSONL", True),
        ("incoming/support-bot/data.JsonL", True),  # EventBridge wildcards are case-sensitive; a prefix is not
        ("incoming/support-bot/sub/folder/train.jsonl", True),
        ("incoming/support-bot/train.validation.jsonl", True),  # the intake ignores companions quietly
        ("incoming/support-bot/train.job.json", True),
        ("incoming/support-bot/train.csv", True),  # the intake explains it by alert
        ("incoming/support-bot/../x/train.jsonl", True),
        ("staged/tuneline-x/train.jsonl", False),
        ("reports/tuneline-x/validation.json", False),
        ("output/tuneline-x/model-customization-job-1/training_artifacts/step_wise_training_metrics.csv", False),
        ("imports/my-model/config.json", False),
        ("media/cats/incoming/cat.png", False),
    ],
)
def test_every_upload_under_incoming_and_nothing_the_pipeline_writes_reaches_the_intake(
    template_json: dict[str, Any], key: str, reaches: bool
) -> None:
    rule = _incoming_rule(template_json)
    assert matches(rule, object_created(rule["detail"]["bucket"]["name"][0], key)) is reaches


def test_bedrock_events_go_to_the_alert_formatter_with_retries(template_json: dict[str, Any]) -> None:
    [rule] = _rules(template_json, "aws.bedrock")
    [target] = rule["Targets"]
    function_id = target["Arn"]["Fn::GetAtt"][0]
    function = template_json["Resources"][function_id]["Properties"]
    assert function["Handler"] == "tuneline.handlers.bedrock_event.handler"
    assert target["RetryPolicy"]["MaximumRetryAttempts"] >= 1


def test_timeouts_and_aborts_go_to_the_alert_formatter_with_retries(template_json: dict[str, Any]) -> None:
    [rule] = _rules(template_json, "aws.states")
    [target] = rule["Targets"]
    function_id = target["Arn"]["Fn::GetAtt"][0]
    function = template_json["Resources"][function_id]["Properties"]
    assert function["Handler"] == "tuneline.handlers.execution_event.handler"
    assert target["RetryPolicy"]["MaximumRetryAttempts"] >= 1
    assert "InputTransformer" not in target  # the formatter reads the whole event


@pytest.mark.parametrize(
    ("status", "alerted"), [("TIMED_OUT", True), ("ABORTED", True), ("FAILED", True), ("SUCCEEDED", False)]
)
def test_every_end_that_may_lack_its_own_alert_reaches_the_formatter(
    template_json: dict[str, Any], status: str, alerted: bool
) -> None:
    # FAILED too: States.Runtime and States.DataLimitExceeded fail an execution past its States.ALL catch-all.
    # The formatter skips the failures whose Fail state says the workflow alerted.
    [rule] = _rules(template_json, "aws.states")
    arns = rule["EventPattern"]["detail"]["stateMachineArn"]
    pattern = _concrete(rule["EventPattern"], {render(arns[0]): "arn:aws:states:us-east-1:123456789012:stateMachine:M"})
    event = _load("execution_timed_out.json")
    event["detail"]["stateMachineArn"] = "arn:aws:states:us-east-1:123456789012:stateMachine:M"
    event["detail"]["status"] = status
    assert matches(pattern, event) is alerted
