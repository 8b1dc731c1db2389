"""A moto data bucket with staged datasets, and a plan and request as the workflow carries them."""

from __future__ import annotations

import datetime as dt
import json
from collections.abc import Iterator
from typing import Any

import boto3
import pytest
from moto import mock_aws

from tuneline.serving.request import prepare_request

BUCKET = "tuneline-data-test"
JOB = "tuneline-support-bot.train.0123456789ab"
CUSTOM_MODEL_ARN = "arn:aws:bedrock:us-east-1:123456789012:custom-model/amazon.nova-micro-v1:0:128k/abcdefabcdef"
NOW = dt.datetime(2026, 11, 20, 12, 0, tzinfo=dt.UTC)


def converse_record(user: str, system: str | None = None) -> dict[str, Any]:
    record: dict[str, Any] = {
        "schemaVersion": "bedrock-conversation-2024",
        "messages": [
            {"role": "user", "content": [{"text": user}]},
            {"role": "assistant", "content": [{"text": "ok"}]},
        ],
    }
    if system:
        record["system"] = [{"text": system}]
    return record


def jsonl(records: list[dict[str, Any]]) -> bytes:
    return "".join(json.dumps(r) + "\n" for r in records).encode()


def make_plan(**serving: Any) -> dict[str, Any]:
    return {
        "jobName": JOB,
        "customModelName": "tuneline-support-bot-train-0123456789ab",
        "clientRequestToken": "tuneline-" + "a" * 64,
        "profile": "support-bot",
        "baseModelIdentifier": "amazon.nova-micro-v1:0:128k",
        "source": {"bucket": BUCKET, "key": "incoming/support-bot/train.jsonl", "versionId": "v1"},
        "trainingDataUri": f"s3://{BUCKET}/staged/{JOB}/train.jsonl",
        "validationDataUri": f"s3://{BUCKET}/staged/{JOB}/validation.jsonl",
        "outputDataUri": f"s3://{BUCKET}/output/{JOB}/",
        "reportPrefix": f"reports/{JOB}/",
        "serving": {
            "mode": "provisioned",
            "modelUnits": 1,
            "commitment": "none",
            "ttlHours": 8,
            "keepOnSmokeFailure": False,
            **serving,
        },
        "tags": [{"key": "tuneline:profile", "value": "support-bot"}],
    }


def make_request(plan: dict[str, Any] | None = None) -> dict[str, Any]:
    plan = plan or make_plan()
    return prepare_request(plan, {"customModelArn": CUSTOM_MODEL_ARN}, {}, execution="exec-1", now=NOW)


@pytest.fixture
def s3() -> Iterator[Any]:
    with mock_aws():
        client = boto3.client("s3", region_name="us-east-1")
        client.create_bucket(Bucket=BUCKET)
        yield client
