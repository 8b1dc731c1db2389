"""Server mode (the demo's): the same emulator behind a moto server on 127.0.0.1 and a free port."""

from __future__ import annotations

import json
from collections.abc import Iterator
from pathlib import Path

import boto3
import pytest

from local.emulator import Emulator
from tests.workflow import fixture_app

pytestmark = pytest.mark.workflow


@pytest.fixture
def server() -> Iterator[Emulator]:
    with Emulator(server=True) as running:
        yield running


def test_a_client_outside_the_emulator_runs_the_workflow_through_the_endpoint(
    server: Emulator, fixture_cdk_out: Path
) -> None:
    assert server.endpoint_url is not None and server.endpoint_url.startswith("http://127.0.0.1:")
    outputs = server.deploy(fixture_cdk_out, fixture_app.STACK_NAME)
    s3 = boto3.client("s3", region_name="us-east-1", endpoint_url=server.endpoint_url)
    # Nova Micro trains on 8 records at least (docs/bedrock.md §2.2): the simulated Bedrock holds to that.
    s3.put_object(
        Bucket=outputs["DataBucketName"], Key="incoming/train.jsonl", Body=b'{"prompt": "a", "completion": "b"}\n' * 8
    )
    (execution,) = server.wait_for_executions(outputs["StateMachineArn"], 1, timeout=60)
    assert execution["status"] == "SUCCEEDED"
    job_arn = json.loads(execution["output"])["job"]["JobArn"]
    bedrock = boto3.client("bedrock", region_name="us-east-1", endpoint_url=server.endpoint_url)
    assert bedrock.get_model_customization_job(jobIdentifier=job_arn)["status"] == "Completed"
