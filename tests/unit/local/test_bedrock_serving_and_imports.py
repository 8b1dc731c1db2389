"""Throughput, deployments and model imports in the Bedrock simulation."""

from __future__ import annotations

import json
from typing import Any

import pytest

from local.bedrock import BedrockSimulator
from local.bedrock.errors import ConflictException, ResourceNotFoundException, ServiceQuotaExceededException
from local.clock import SimulatedClock
from tests.unit.local.test_bedrock_jobs import job_request


@pytest.fixture
def model_arn(bedrock: BedrockSimulator, clock: SimulatedClock, store: Any) -> str:
    store.objects[("data", "staged/job/train.jsonl")] = b'{"prompt": "a", "completion": "b"}\n'
    store.objects[("data", "staged/job/validation.jsonl")] = b'{"prompt": "a", "completion": "b"}\n'
    arn = bedrock.call("CreateModelCustomizationJob", job_request())["jobArn"]
    clock.advance(bedrock.job_duration_seconds)
    return str(bedrock.call("GetModelCustomizationJob", {"jobIdentifier": arn})["outputModelArn"])


def test_throughput_goes_in_service_after_its_creation_time(
    bedrock: BedrockSimulator, clock: SimulatedClock, model_arn: str
) -> None:
    request = {"modelUnits": 1, "provisionedModelName": "support-bot-pt", "modelId": model_arn}
    arn = bedrock.call("CreateProvisionedModelThroughput", request)["provisionedModelArn"]
    assert bedrock.call("GetProvisionedModelThroughput", {"provisionedModelId": arn})["status"] == "Creating"
    clock.advance(bedrock.settings.throughput_duration_seconds)
    throughput = bedrock.call("GetProvisionedModelThroughput", {"provisionedModelId": "support-bot-pt"})
    assert throughput["status"] == "InService"
    assert throughput["modelArn"] == model_arn
    assert "commitmentDuration" not in throughput


def test_committed_throughput_cannot_be_deleted_during_its_term(
    bedrock: BedrockSimulator, clock: SimulatedClock, model_arn: str
) -> None:
    request = {"modelUnits": 1, "provisionedModelName": "pt", "modelId": model_arn, "commitmentDuration": "OneMonth"}
    arn = bedrock.call("CreateProvisionedModelThroughput", request)["provisionedModelArn"]
    with pytest.raises(ConflictException):
        bedrock.call("DeleteProvisionedModelThroughput", {"provisionedModelId": arn})
    clock.advance(31 * 24 * 3600)
    bedrock.call("DeleteProvisionedModelThroughput", {"provisionedModelId": arn})
    assert bedrock.call("ListProvisionedModelThroughputs", {})["provisionedModelSummaries"] == []


def test_throughput_quota_errors_can_be_queued(bedrock: BedrockSimulator, model_arn: str) -> None:
    bedrock.quota_errors_on_create(1, operation="CreateProvisionedModelThroughput")
    with pytest.raises(ServiceQuotaExceededException):
        bedrock.call(
            "CreateProvisionedModelThroughput", {"modelUnits": 1, "provisionedModelName": "pt", "modelId": model_arn}
        )


def test_deployments_need_an_existing_custom_model(
    bedrock: BedrockSimulator, clock: SimulatedClock, model_arn: str
) -> None:
    with pytest.raises(ResourceNotFoundException):
        bedrock.call("CreateCustomModelDeployment", {"modelDeploymentName": "d1", "modelArn": model_arn + "x"})
    arn = bedrock.call("CreateCustomModelDeployment", {"modelDeploymentName": "d1", "modelArn": model_arn})[
        "customModelDeploymentArn"
    ]
    clock.advance(bedrock.settings.deployment_duration_seconds)
    deployment = bedrock.call("GetCustomModelDeployment", {"customModelDeploymentIdentifier": arn})
    assert deployment["status"] == "Active"
    assert deployment["modelArn"] == model_arn


def import_request(folder: str) -> dict[str, Any]:
    return {
        "jobName": "import-1",
        "importedModelName": "my-llama",
        "roleArn": "arn:aws:iam::123456789012:role/bedrock",
        "modelDataSource": {"s3DataSource": {"s3Uri": f"s3://data/{folder}/"}},
    }


def test_an_import_of_a_complete_folder_creates_the_model(
    bedrock: BedrockSimulator, clock: SimulatedClock, store: Any
) -> None:
    store.objects[("data", "imports/llama/config.json")] = json.dumps({"architectures": ["LlamaForCausalLM"]}).encode()
    store.objects[("data", "imports/llama/model.safetensors")] = b"\0" * 16
    arn = bedrock.call("CreateModelImportJob", import_request("imports/llama"))["jobArn"]
    assert bedrock.call("GetModelImportJob", {"jobIdentifier": arn})["status"] == "InProgress"
    clock.advance(bedrock.settings.import_duration_seconds)
    job = bedrock.call("GetModelImportJob", {"jobIdentifier": "import-1"})
    assert job["status"] == "Completed"
    model = bedrock.call("GetImportedModel", {"modelIdentifier": job["importedModelArn"]})
    assert model["modelArchitecture"] == "LlamaForCausalLM"


def test_an_import_without_weights_fails_with_a_reason(
    bedrock: BedrockSimulator, clock: SimulatedClock, store: Any
) -> None:
    store.objects[("data", "imports/empty/config.json")] = b"{}"
    arn = bedrock.call("CreateModelImportJob", import_request("imports/empty"))["jobArn"]
    clock.advance(bedrock.settings.import_duration_seconds)
    job = bedrock.call("GetModelImportJob", {"jobIdentifier": arn})
    assert job["status"] == "Failed"
    assert "safetensors" in job["failureMessage"]


def test_serving_lists_page_with_next_tokens_until_every_item_is_read(
    bedrock: BedrockSimulator, clock: SimulatedClock, model_arn: str
) -> None:
    for number in range(5):
        bedrock.call(
            "CreateProvisionedModelThroughput",
            {"modelUnits": 1, "provisionedModelName": f"pt-{number}", "modelId": model_arn},
        )
        clock.advance(1)
    names, token, pages = [], None, 0
    while True:
        page = bedrock.call(
            "ListProvisionedModelThroughputs",
            {"maxResults": 2, "sortOrder": "Ascending", **({"nextToken": token} if token else {})},
        )
        names += [t["provisionedModelName"] for t in page["provisionedModelSummaries"]]
        pages += 1
        token = page.get("nextToken")
        if not token:
            break
    assert names == [f"pt-{number}" for number in range(5)] and pages == 3


def test_deployments_filter_by_creation_time(bedrock: BedrockSimulator, clock: SimulatedClock, model_arn: str) -> None:
    bedrock.call("CreateCustomModelDeployment", {"modelDeploymentName": "early", "modelArn": model_arn})
    clock.advance(60)
    middle = clock.now()
    clock.advance(60)
    bedrock.call("CreateCustomModelDeployment", {"modelDeploymentName": "late", "modelArn": model_arn})
    after = bedrock.call("ListCustomModelDeployments", {"createdAfter": middle})["modelDeploymentSummaries"]
    before = bedrock.call("ListCustomModelDeployments", {"createdBefore": middle})["modelDeploymentSummaries"]
    assert [d["customModelDeploymentName"] for d in after] == ["late"]
    assert [d["customModelDeploymentName"] for d in before] == ["early"]
