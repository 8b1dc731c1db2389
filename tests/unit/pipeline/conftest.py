"""A moto account with the pieces the pipeline steps touch: a versioned bucket, a topic read back through SQS,
and a state machine for the intake to start."""

from __future__ import annotations

import json
from collections.abc import Iterator, Mapping
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import boto3
import pytest
from moto import mock_aws

from tuneline.pipeline import clients
from tuneline.profiles import PROFILES_FILE, parse_profiles, profiles_document

EXAMPLES = Path(__file__).resolve().parents[3] / "examples"
PROFILES = {
    "support-bot": {
        "baseModel": "amazon.nova-micro-v1:0:128k",
        "hyperParameters": {"epochCount": 2},
        "validationSplit": 0.2,
        "budgetUsd": 50,
    },
    "llama": {"baseModel": "meta.llama3-1-8b-instruct-v1:0:128k", "budgetUsd": 0.01},
}


@dataclass
class Account:
    s3: Any
    sns: Any
    sqs: Any
    sfn: Any
    bedrock: Any
    bucket: str
    alerts_queue_url: str
    state_machine_arn: str
    monkeypatch: pytest.MonkeyPatch
    tmp_path_factory: pytest.TempPathFactory

    def use_profiles(self, profiles: Mapping[str, Any]) -> None:
        """Deploy `profiles` as the stack does: a document in a new code folder of the functions'
        (docs/decisions/0010-profiles-at-run-time.md), where the Plan function is told to read it."""
        parse_profiles(profiles)  # the synth-time check: a test cannot deploy what cdk synth would refuse
        task_root = self.tmp_path_factory.mktemp("task-root")
        (task_root / PROFILES_FILE).write_text(profiles_document(profiles), encoding="utf-8")
        self.monkeypatch.setenv("LAMBDA_TASK_ROOT", str(task_root))
        self.monkeypatch.setenv("PROFILES_FILE", PROFILES_FILE)

    def upload(self, key: str, body: bytes) -> str:
        return str(self.s3.put_object(Bucket=self.bucket, Key=key, Body=body)["VersionId"])

    def upload_example(self, key: str, example: str) -> str:
        return self.upload(key, (EXAMPLES / example).read_bytes())

    def read_alerts(self) -> list[dict[str, str]]:
        messages = self.sqs.receive_message(QueueUrl=self.alerts_queue_url, MaxNumberOfMessages=10).get("Messages", [])
        return [json.loads(m["Body"]) for m in messages]

    def keys(self, prefix: str) -> list[str]:
        listed = self.s3.list_objects_v2(Bucket=self.bucket, Prefix=prefix)
        return sorted(item["Key"] for item in listed.get("Contents", []))


@pytest.fixture
def account(monkeypatch: pytest.MonkeyPatch, tmp_path_factory: pytest.TempPathFactory) -> Iterator[Account]:
    with mock_aws():
        clients.cache_clear()
        s3 = boto3.client("s3")
        bucket = "tuneline-data-test"
        s3.create_bucket(Bucket=bucket)
        s3.put_bucket_versioning(Bucket=bucket, VersioningConfiguration={"Status": "Enabled"})
        sns, sqs = boto3.client("sns"), boto3.client("sqs")
        topic = sns.create_topic(Name="alerts")["TopicArn"]
        queue_url = sqs.create_queue(QueueName="alerts")["QueueUrl"]
        queue_arn = sqs.get_queue_attributes(QueueUrl=queue_url, AttributeNames=["QueueArn"])["Attributes"]["QueueArn"]
        sns.subscribe(TopicArn=topic, Protocol="sqs", Endpoint=queue_arn)
        sfn = boto3.client("stepfunctions")
        machine = sfn.create_state_machine(
            name="customize",
            definition=json.dumps({"StartAt": "Wait", "States": {"Wait": {"Type": "Pass", "End": True}}}),
            roleArn="arn:aws:iam::123456789012:role/sfn",
        )["stateMachineArn"]
        monkeypatch.setenv("DATA_BUCKET", bucket)
        monkeypatch.setenv("ALERT_TOPIC_ARN", topic)
        monkeypatch.setenv("STATE_MACHINE_ARN", machine)
        deployed = Account(
            s3=s3,
            sns=sns,
            sqs=sqs,
            sfn=sfn,
            bedrock=boto3.client("bedrock"),
            bucket=bucket,
            alerts_queue_url=queue_url,
            state_machine_arn=machine,
            monkeypatch=monkeypatch,
            tmp_path_factory=tmp_path_factory,
        )
        deployed.use_profiles(PROFILES)
        yield deployed
        clients.cache_clear()


def s3_event(bucket: str, key: str, version_id: str) -> dict[str, Any]:
    return {
        "version": "0",
        "detail-type": "Object Created",
        "source": "aws.s3",
        "detail": {"bucket": {"name": bucket}, "object": {"key": key, "version-id": version_id, "size": 1}},
    }


def sqs_batch(*events: dict[str, Any]) -> dict[str, Any]:
    return {"Records": [{"messageId": f"m{i}", "body": json.dumps(e)} for i, e in enumerate(events)]}
