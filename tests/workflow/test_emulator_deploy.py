"""Deploying a synthesized CDK stack: assets, bootstrap parameter, stack, and the gaps filled after it."""

from __future__ import annotations

import json
from pathlib import Path

import pytest

from local.deploy import DeploymentError, check_definitions, check_supported, find_stack
from local.emulator import Emulator

pytestmark = pytest.mark.workflow


def test_outputs_name_the_deployed_resources(emulator: Emulator, fixture_stack: dict[str, str]) -> None:
    s3, sfn = emulator.client("s3"), emulator.client("stepfunctions")
    assert fixture_stack["DataBucketName"] in {b["Name"] for b in s3.list_buckets()["Buckets"]}
    described = sfn.describe_state_machine(stateMachineArn=fixture_stack["StateMachineArn"])
    assert json.loads(described["definition"])["StartAt"] == "Plan job"


def test_file_assets_are_published_to_the_bootstrap_bucket(emulator: Emulator, fixture_stack: dict[str, str]) -> None:
    s3 = emulator.client("s3")
    bucket = f"cdk-hnb659fds-assets-{emulator.account_id}-{emulator.region}"
    keys = [o["Key"] for o in s3.list_objects_v2(Bucket=bucket)["Contents"]]
    assert any(key.endswith(".zip") for key in keys)
    assert any(key.endswith(".json") for key in keys)


def test_bootstrap_version_parameter_exists(emulator: Emulator, fixture_stack: dict[str, str]) -> None:
    parameter = emulator.client("ssm").get_parameter(Name="/cdk-bootstrap/hnb659fds/version")
    assert int(parameter["Parameter"]["Value"]) >= 6


def test_bucket_versioning_is_applied(emulator: Emulator, fixture_stack: dict[str, str]) -> None:
    s3, bucket = emulator.client("s3"), fixture_stack["DataBucketName"]
    assert s3.get_bucket_versioning(Bucket=bucket)["Status"] == "Enabled"


def test_objects_created_reach_eventbridge_rules_with_their_version(
    emulator: Emulator, fixture_stack: dict[str, str]
) -> None:
    events, sqs, s3 = emulator.client("events"), emulator.client("sqs"), emulator.client("s3")
    queue_url = sqs.create_queue(QueueName="observer")["QueueUrl"]
    queue_arn = sqs.get_queue_attributes(QueueUrl=queue_url, AttributeNames=["QueueArn"])["Attributes"]["QueueArn"]
    events.put_rule(Name="observe", EventPattern=json.dumps({"source": ["aws.s3"], "detail-type": ["Object Created"]}))
    events.put_targets(Rule="observe", Targets=[{"Id": "observer", "Arn": queue_arn}])
    version = s3.put_object(Bucket=fixture_stack["DataBucketName"], Key="staged/x.jsonl", Body=b"{}")["VersionId"]
    (message,) = sqs.receive_message(QueueUrl=queue_url, WaitTimeSeconds=1)["Messages"]
    detail = json.loads(message["Body"])["detail"]
    assert detail["object"]["key"] == "staged/x.jsonl"
    assert detail["object"]["version-id"] == version


def test_state_machines_from_cloudformation_execute(emulator: Emulator, fixture_stack: dict[str, str]) -> None:
    sfn = emulator.client("stepfunctions")
    arn = sfn.start_execution(
        stateMachineArn=fixture_stack["StateMachineArn"],
        input=json.dumps({"bucket": "b", "key": "incoming/reject.jsonl", "version": "1"}),
    )["executionArn"]
    (finished,) = emulator.wait_for_executions(fixture_stack["StateMachineArn"], 1, timeout=30)
    assert finished["executionArn"] == arn
    assert finished["status"] == "FAILED"
    assert emulator.states_entered(arn) == ["Plan job", "Pipeline failed"]


def test_custom_resources_are_refused_with_their_ids() -> None:
    template = {
        "Resources": {"Notifications": {"Type": "Custom::S3BucketNotifications"}, "Queue": {"Type": "AWS::SQS::Queue"}}
    }
    with pytest.raises(DeploymentError, match="Notifications"):
        check_supported(template)


def test_unknown_stack_names_are_reported(fixture_cdk_out: Path) -> None:
    with pytest.raises(DeploymentError, match="NoSuchStack"):
        find_stack(fixture_cdk_out, "NoSuchStack")


def test_definitions_step_functions_would_reject_are_reported_before_deploying() -> None:
    definition = {
        "Fn::Join": [
            "",
            [
                '{"StartAt":"Plan","States":{"Plan":{"Type":"Task","Resource":"',
                {"Fn::GetAtt": ["Fn", "Arn"]},
                '","Parameters":"$","End":true}}}',
            ],
        ]
    }
    template = {
        "Resources": {
            "Machine": {"Type": "AWS::StepFunctions::StateMachine", "Properties": {"DefinitionString": definition}}
        }
    }
    with pytest.raises(DeploymentError, match="Machine"):
        check_definitions(template)
