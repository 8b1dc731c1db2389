"""Throughput, deployments and model imports in the Bedrock simulation."""

from __future__ import annotations

import json
from typing import Any

import pytest

from local.bedrock import BedrockSimulator
from local.bedrock.errors import (
    ConflictException,
    ResourceNotFoundException,
    ServiceQuotaExceededException,
    ValidationException,
)
from local.clock import SimulatedClock
from tests.unit.local.test_bedrock_jobs import TRAINING, job_request


@pytest.fixture
def model_arn(bedrock: BedrockSimulator, clock: SimulatedClock, store: Any) -> str:
    store.objects[("data", "staged/job/train.jsonl")] = TRAINING
    store.objects[("data", "staged/job/validation.jsonl")] = TRAINING[:70]
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
    clock.advance(bedrock.settings.throughput_duration_seconds)
    with pytest.raises(ConflictException, match="commitment term"):
        bedrock.call("DeleteProvisionedModelThroughput", {"provisionedModelId": arn})
    clock.advance(31 * 24 * 3600)
    bedrock.call("DeleteProvisionedModelThroughput", {"provisionedModelId": arn})
    assert bedrock.call("ListProvisionedModelThroughputs", {})["provisionedModelSummaries"] == []


def test_throughput_and_deployments_cannot_be_deleted_while_they_are_being_created(
    bedrock: BedrockSimulator, clock: SimulatedClock, model_arn: str
) -> None:
    throughput = bedrock.call(
        "CreateProvisionedModelThroughput", {"modelUnits": 1, "provisionedModelName": "pt", "modelId": model_arn}
    )["provisionedModelArn"]
    deployment = bedrock.call("CreateCustomModelDeployment", {"modelDeploymentName": "od", "modelArn": model_arn})[
        "customModelDeploymentArn"
    ]
    with pytest.raises(ConflictException, match="while its status is Creating"):
        bedrock.call("DeleteProvisionedModelThroughput", {"provisionedModelId": throughput})
    with pytest.raises(ConflictException, match="while its status is Creating"):
        bedrock.call("DeleteCustomModelDeployment", {"customModelDeploymentIdentifier": deployment})

    clock.advance(max(bedrock.settings.throughput_duration_seconds, bedrock.settings.deployment_duration_seconds))
    bedrock.call("DeleteProvisionedModelThroughput", {"provisionedModelId": throughput})
    bedrock.call("DeleteCustomModelDeployment", {"customModelDeploymentIdentifier": deployment})
    assert bedrock.call("ListProvisionedModelThroughputs", {})["provisionedModelSummaries"] == []
    assert bedrock.call("ListCustomModelDeployments", {})["modelDeploymentSummaries"] == []


def test_a_throughput_that_failed_to_create_can_be_deleted(
    bedrock: BedrockSimulator, clock: SimulatedClock, model_arn: str
) -> None:
    bedrock.fail_next_throughput("Insufficient capacity")
    arn = bedrock.call(
        "CreateProvisionedModelThroughput", {"modelUnits": 1, "provisionedModelName": "pt", "modelId": model_arn}
    )["provisionedModelArn"]
    clock.advance(bedrock.settings.throughput_duration_seconds)
    assert bedrock.call("GetProvisionedModelThroughput", {"provisionedModelId": arn})["status"] == "Failed"
    bedrock.call("DeleteProvisionedModelThroughput", {"provisionedModelId": arn})


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


@pytest.mark.parametrize(
    ("base_model", "deployable"),
    [
        ("amazon.nova-micro-v1:0:128k", True),
        ("amazon.nova-2-lite-v1:0:256k", True),
        ("meta.llama3-3-70b-instruct-v1:0:128k", True),
        ("anthropic.claude-3-haiku-20240307-v1:0:200k", False),
        ("meta.llama3-1-8b-instruct-v1:0:128k", False),
        ("amazon.titan-text-express-v1:0:8k", False),
    ],
)
def test_on_demand_deployments_are_only_for_custom_models_of_base_models_that_support_them(
    bedrock: BedrockSimulator, clock: SimulatedClock, store: Any, base_model: str, deployable: bool
) -> None:
    store.objects[("data", "staged/job/train.jsonl")] = TRAINING * 7  # 210 records: enough for every model
    request = job_request(baseModelIdentifier=base_model, validationDataConfig=None)
    job = bedrock.call("CreateModelCustomizationJob", request)["jobArn"]
    clock.advance(bedrock.job_duration_seconds)
    model = bedrock.call("GetModelCustomizationJob", {"jobIdentifier": job})["outputModelArn"]
    create = {"modelDeploymentName": "od", "modelArn": model}
    if deployable:
        assert bedrock.call("CreateCustomModelDeployment", create)["customModelDeploymentArn"]
        return
    with pytest.raises(ValidationException, match="doesn't support on-demand deployment"):
        bedrock.call("CreateCustomModelDeployment", create)
    assert bedrock.call("ListCustomModelDeployments", {})["modelDeploymentSummaries"] == []
    # Provisioned Throughput serves it.
    assert bedrock.call(
        "CreateProvisionedModelThroughput", {"modelUnits": 1, "provisionedModelName": "pt", "modelId": model}
    )["provisionedModelArn"]


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
