"""SQS batch of S3 `Object Created` events -> one execution per object version."""

from __future__ import annotations

import contextlib
import hashlib
import json
import os
from typing import Any

import boto3


def execution_name(bucket: str, key: str, version: str) -> str:
    return hashlib.sha256(f"{bucket}/{key}@{version}".encode()).hexdigest()[:40]


def handler(event: dict[str, Any], context: Any) -> dict[str, Any]:
    sfn = boto3.client("stepfunctions")
    failures = []
    for record in event["Records"]:
        s3_event = json.loads(record["body"])
        detail = s3_event["detail"]
        key = detail["object"]["key"]
        if key.endswith("poison.jsonl"):
            failures.append({"itemIdentifier": record["messageId"]})
            continue
        version = detail["object"].get("version-id", "null")
        name = execution_name(detail["bucket"]["name"], key, version)
        payload = {"bucket": detail["bucket"]["name"], "key": key, "version": version}
        with contextlib.suppress(sfn.exceptions.ExecutionAlreadyExists):
            sfn.start_execution(stateMachineArn=os.environ["STATE_MACHINE_ARN"], name=name, input=json.dumps(payload))
    return {"batchItemFailures": failures}
