"""Simulated inference: which model IDs answer, in which format, and the failure knobs."""

from __future__ import annotations

import json
import math
from typing import Any

import pytest

from local.bedrock import BedrockSimulator
from local.bedrock.errors import (
    ModelErrorException,
    ModelNotReadyException,
    ResourceNotFoundException,
    ThrottlingException,
    ValidationException,
)
from local.clock import SimulatedClock
from tests.unit.local.test_bedrock_jobs import TRAINING, job_request

NOVA_MICRO = "amazon.nova-micro-v1:0:128k"


def converse(bedrock: BedrockSimulator, model_id: str, text: str = "Where is my parcel?", **extra: Any) -> dict:
    params = {"modelId": model_id, "messages": [{"role": "user", "content": [{"text": text}]}], **extra}
    return bedrock.call_runtime("Converse", params)


def invoke(bedrock: BedrockSimulator, model_id: str, body: dict[str, Any]) -> dict[str, Any]:
    response = bedrock.call_runtime("InvokeModel", {"modelId": model_id, "body": json.dumps(body).encode()})
    assert response["contentType"] == "application/json"
    return dict(json.loads(response["body"]))


def answer_of(response: dict[str, Any]) -> str:
    return str(response["output"]["message"]["content"][0]["text"])


@pytest.fixture
def model_arn(bedrock: BedrockSimulator, clock: SimulatedClock, store: Any) -> str:
    store.objects[("data", "staged/job/train.jsonl")] = TRAINING
    store.objects[("data", "staged/job/validation.jsonl")] = TRAINING[:70]
    arn = bedrock.call("CreateModelCustomizationJob", job_request())["jobArn"]
    clock.advance(bedrock.job_duration_seconds)
    return str(bedrock.call("GetModelCustomizationJob", {"jobIdentifier": arn})["outputModelArn"])


@pytest.fixture
def throughput_arn(bedrock: BedrockSimulator, model_arn: str) -> str:
    request = {"modelUnits": 1, "provisionedModelName": "support-pt", "modelId": model_arn}
    return str(bedrock.call("CreateProvisionedModelThroughput", request)["provisionedModelArn"])


@pytest.fixture
def imported_arn(bedrock: BedrockSimulator, clock: SimulatedClock, store: Any) -> str:
    store.objects[("data", "imports/llama/config.json")] = json.dumps({"architectures": ["LlamaForCausalLM"]}).encode()
    store.objects[("data", "imports/llama/model.safetensors")] = b"\0" * 16
    request = {
        "jobName": "import-1",
        "importedModelName": "my-llama",
        "roleArn": "arn:aws:iam::123456789012:role/bedrock",
        "modelDataSource": {"s3DataSource": {"s3Uri": "s3://data/imports/llama/"}},
    }
    job_arn = bedrock.call("CreateModelImportJob", request)["jobArn"]
    clock.advance(bedrock.settings.import_duration_seconds)
    return str(bedrock.call("GetModelImportJob", {"jobIdentifier": job_arn})["importedModelArn"])


# --- what answers ------------------------------------------------------------------------------------------------


def test_throughput_answers_once_in_service_and_not_before(
    bedrock: BedrockSimulator, clock: SimulatedClock, throughput_arn: str
) -> None:
    with pytest.raises(ValidationException, match="status Creating"):
        converse(bedrock, throughput_arn)
    clock.advance(bedrock.settings.throughput_duration_seconds)

    response = converse(bedrock, throughput_arn, inferenceConfig={"maxTokens": 100})

    assert answer_of(response) == "Simulated answer from support-pt. You asked: Where is my parcel?"
    assert response["stopReason"] == "end_turn"
    usage = response["usage"]
    assert usage["totalTokens"] == usage["inputTokens"] + usage["outputTokens"] and usage["outputTokens"] > 0


def test_a_deployment_answers_once_active(bedrock: BedrockSimulator, clock: SimulatedClock, model_arn: str) -> None:
    arn = bedrock.call("CreateCustomModelDeployment", {"modelDeploymentName": "support-od", "modelArn": model_arn})[
        "customModelDeploymentArn"
    ]
    with pytest.raises(ValidationException, match="status Creating"):
        invoke(bedrock, arn, {"messages": [{"role": "user", "content": [{"text": "hi"}]}]})
    clock.advance(bedrock.settings.deployment_duration_seconds)

    body = invoke(
        bedrock, arn, {"schemaVersion": "messages-v1", "messages": [{"role": "user", "content": [{"text": "hi"}]}]}
    )

    assert answer_of(body).startswith("Simulated answer from support-od.")


def test_imported_and_foundation_models_answer_by_arn_or_id(
    bedrock: BedrockSimulator, clock: SimulatedClock, imported_arn: str
) -> None:
    bedrock.settings.imported_model_load_seconds = 0
    assert invoke(bedrock, imported_arn, {"prompt": "hi", "max_gen_len": 50})["generation"].startswith(
        "Simulated answer from my-llama."
    )
    assert NOVA_MICRO in answer_of(converse(bedrock, "us.amazon.nova-micro-v1:0"))
    assert NOVA_MICRO in answer_of(converse(bedrock, f"arn:aws:bedrock:us-east-1::foundation-model/{NOVA_MICRO}"))


def test_a_custom_model_answers_only_through_its_throughput_or_deployment(
    bedrock: BedrockSimulator, clock: SimulatedClock, model_arn: str, throughput_arn: str
) -> None:
    clock.advance(bedrock.settings.throughput_duration_seconds)
    for call in (
        lambda: converse(bedrock, model_arn),
        lambda: invoke(bedrock, model_arn, {"messages": [{"role": "user", "content": [{"text": "hi"}]}]}),
    ):
        with pytest.raises(ValidationException, match="on-demand throughput isn't supported"):
            call()
    assert "support-pt" in answer_of(converse(bedrock, throughput_arn))
    assert [call.error.split(":")[0] if call.error else None for call in bedrock.inference_calls] == [
        "ValidationException",
        "ValidationException",
        None,
    ]


@pytest.mark.parametrize(
    ("model_id", "error"),
    [
        ("", ValidationException),
        ("not-a-model", ValidationException),
        ("arn:aws:bedrock:us-east-1:123456789012:provisioned-model/gone", ResourceNotFoundException),
        ("arn:aws:bedrock:us-east-1:123456789012:custom-model-deployment/gone", ResourceNotFoundException),
        ("arn:aws:bedrock:us-east-1:123456789012:imported-model/gone", ResourceNotFoundException),
        (
            "arn:aws:bedrock:us-east-1:123456789012:custom-model/amazon.nova-micro-v1:0:128k/gone",
            ResourceNotFoundException,
        ),
        ("arn:aws:s3:::bucket", ValidationException),
    ],
)
def test_unknown_model_ids_are_refused(bedrock: BedrockSimulator, model_id: str, error: type[Exception]) -> None:
    with pytest.raises(error):
        converse(bedrock, model_id)


def test_a_deleted_throughput_stops_answering(
    bedrock: BedrockSimulator, clock: SimulatedClock, throughput_arn: str
) -> None:
    clock.advance(bedrock.settings.throughput_duration_seconds)
    bedrock.call("DeleteProvisionedModelThroughput", {"provisionedModelId": throughput_arn})
    with pytest.raises(ResourceNotFoundException):
        converse(bedrock, throughput_arn)


# --- formats -----------------------------------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("model_id", "body", "read"),
    [
        (
            "anthropic.claude-3-haiku-20240307-v1:0",
            {
                "anthropic_version": "bedrock-2023-05-31",
                "max_tokens": 50,
                "messages": [{"role": "user", "content": "hi"}],
            },
            lambda b: b["content"][0]["text"],
        ),
        ("meta.llama3-1-8b-instruct-v1:0", {"prompt": "hi", "max_gen_len": 50}, lambda b: b["generation"]),
        (
            "amazon.titan-text-express-v1",
            {"inputText": "hi", "textGenerationConfig": {"maxTokenCount": 50}},
            lambda b: b["results"][0]["outputText"],
        ),
        (
            "amazon.nova-lite-v1:0",
            {"messages": [{"role": "user", "content": [{"text": "hi"}]}], "inferenceConfig": {"maxTokens": 50}},
            lambda b: b["output"]["message"]["content"][0]["text"],
        ),
    ],
)
def test_invoke_model_answers_in_each_familys_native_format(
    bedrock: BedrockSimulator, model_id: str, body: dict[str, Any], read: Any
) -> None:
    assert read(invoke(bedrock, model_id, body)).endswith("You asked: hi")


def test_a_body_in_another_familys_format_is_malformed(bedrock: BedrockSimulator) -> None:
    with pytest.raises(ValidationException, match=r"required key \[messages\]"):
        invoke(bedrock, "amazon.nova-micro-v1:0", {"prompt": "hi"})
    with pytest.raises(ValidationException, match=r"required key \[prompt\]"):
        invoke(bedrock, "meta.llama3-1-8b-instruct-v1:0", {"inputText": "hi"})
    with pytest.raises(ValidationException, match="Malformed"):
        bedrock.call_runtime("InvokeModel", {"modelId": "amazon.nova-micro-v1:0", "body": b"not json"})


def test_image_and_embedding_models_answer_with_images_and_vectors(bedrock: BedrockSimulator) -> None:
    images = invoke(
        bedrock,
        "amazon.titan-image-generator-v2:0",
        {
            "taskType": "TEXT_IMAGE",
            "textToImageParams": {"text": "a cat"},
            "imageGenerationConfig": {"numberOfImages": 2},
        },
    )
    assert len(images["images"]) == 2 and images["images"][0].startswith("iVBOR")  # base64 PNG
    embedding = invoke(bedrock, "amazon.titan-embed-image-v1:0", {"inputText": "a cat"})["embedding"]
    assert len(embedding) == 1024
    assert embedding == invoke(bedrock, "amazon.titan-embed-image-v1:0", {"inputText": "a cat"})["embedding"]
    with pytest.raises(ValidationException, match="doesn't support the model"):
        converse(bedrock, "amazon.titan-image-generator-v2:0")


def test_max_tokens_cuts_the_answer_short(bedrock: BedrockSimulator) -> None:
    response = converse(bedrock, NOVA_MICRO, text="one two three four five six", inferenceConfig={"maxTokens": 3})
    assert answer_of(response) == "Simulated answer from" and response["stopReason"] == "max_tokens"


def test_a_conversation_must_start_with_a_user_turn(bedrock: BedrockSimulator) -> None:
    with pytest.raises(ValidationException, match="start with a user message"):
        bedrock.call_runtime(
            "Converse", {"modelId": NOVA_MICRO, "messages": [{"role": "assistant", "content": [{"text": "hi"}]}]}
        )


def test_converse_is_refused_for_imported_architectures_bedrock_serves_through_invoke_model_only(
    bedrock: BedrockSimulator, clock: SimulatedClock, store: Any
) -> None:
    store.objects[("data", "imports/qwen/config.json")] = json.dumps({"architectures": ["Qwen3ForCausalLM"]}).encode()
    store.objects[("data", "imports/qwen/model.safetensors")] = b"\0" * 16
    request = {
        "jobName": "import-qwen",
        "importedModelName": "my-qwen",
        "roleArn": "arn:aws:iam::123456789012:role/bedrock",
        "modelDataSource": {"s3DataSource": {"s3Uri": "s3://data/imports/qwen/"}},
    }
    job_arn = bedrock.call("CreateModelImportJob", request)["jobArn"]
    clock.advance(bedrock.settings.import_duration_seconds)
    arn = bedrock.call("GetModelImportJob", {"jobIdentifier": job_arn})["importedModelArn"]
    bedrock.settings.imported_model_load_seconds = 0
    with pytest.raises(ValidationException, match="doesn't support the model"):
        converse(bedrock, arn)
    chat = invoke(bedrock, arn, {"messages": [{"role": "user", "content": "hi"}], "max_tokens": 20})
    assert chat["choices"][0]["message"]["content"].startswith("Simulated answer from my-qwen.")


# --- knobs -------------------------------------------------------------------------------------------------------


def test_cold_starts_answer_model_not_ready_then_the_model_answers(bedrock: BedrockSimulator) -> None:
    bedrock.model_not_ready(2)
    for _ in range(2):
        with pytest.raises(ModelNotReadyException):
            converse(bedrock, NOVA_MICRO)
    assert answer_of(converse(bedrock, NOVA_MICRO))
    assert [call.error is None for call in bedrock.inference_calls] == [False, False, True]
    assert bedrock.inference_calls[0].error.startswith("ModelNotReadyException")  # type: ignore[union-attr]


def test_an_imported_model_is_not_ready_until_it_has_loaded_for_the_simulated_load_time(
    bedrock: BedrockSimulator, clock: SimulatedClock, imported_arn: str
) -> None:
    bedrock.settings.imported_model_load_seconds = 8 * 60
    body = {"prompt": "hi", "max_gen_len": 20}
    clock.advance(3600)  # loading starts with the first call, not when the import completed
    for _ in range(3):
        with pytest.raises(ModelNotReadyException, match="not ready for inference"):
            invoke(bedrock, imported_arn, body)
        clock.advance(2 * 60)
    with pytest.raises(ModelNotReadyException):
        invoke(bedrock, imported_arn, body)  # 6 minutes after the first call
    clock.advance(2 * 60)
    assert invoke(bedrock, imported_arn, body)["generation"].startswith("Simulated answer from my-llama.")
    clock.advance(30 * 60)
    assert invoke(bedrock, imported_arn, body)["generation"]  # still loaded: used within the idle time


def test_an_imported_model_idle_for_longer_than_the_eviction_time_loads_again(
    bedrock: BedrockSimulator, clock: SimulatedClock, imported_arn: str
) -> None:
    body = {"prompt": "hi", "max_gen_len": 20}
    with pytest.raises(ModelNotReadyException):
        invoke(bedrock, imported_arn, body)
    clock.advance(bedrock.settings.imported_model_load_seconds)
    assert invoke(bedrock, imported_arn, body)["generation"]
    clock.advance(bedrock.settings.imported_model_idle_seconds + 1)
    with pytest.raises(ModelNotReadyException):
        invoke(bedrock, imported_arn, body)
    clock.advance(bedrock.settings.imported_model_load_seconds)
    assert invoke(bedrock, imported_arn, body)["generation"]


def test_an_imported_model_that_never_loads_answers_not_ready_however_long_it_is_tried(
    bedrock: BedrockSimulator, clock: SimulatedClock, imported_arn: str
) -> None:
    bedrock.settings.imported_model_load_seconds = math.inf
    for _ in range(5):
        with pytest.raises(ModelNotReadyException):
            invoke(bedrock, imported_arn, {"prompt": "hi"})
        clock.advance(3600)


def test_queued_failures_come_in_order_then_answers_resume(bedrock: BedrockSimulator) -> None:
    bedrock.fail_next_inference(code="ThrottlingException", message="Too many requests")
    bedrock.fail_next_inference()
    with pytest.raises(ThrottlingException, match="Too many requests"):
        converse(bedrock, NOVA_MICRO)
    with pytest.raises(ModelErrorException):
        invoke(bedrock, "meta.llama3-1-8b-instruct-v1:0", {"prompt": "hi"})
    assert answer_of(converse(bedrock, NOVA_MICRO))


def test_failing_and_empty_modes_last_until_answers_are_normal_again(bedrock: BedrockSimulator) -> None:
    bedrock.fail_all_inference(code="ModelErrorException", message="broken weights")
    for _ in range(3):
        with pytest.raises(ModelErrorException, match="broken weights"):
            converse(bedrock, NOVA_MICRO)
    bedrock.answer_normally()
    bedrock.answer_empty()
    assert answer_of(converse(bedrock, NOVA_MICRO)) == ""
    assert invoke(bedrock, "meta.llama3-1-8b-instruct-v1:0", {"prompt": "hi"})["generation"] == ""
    bedrock.answer_normally()
    assert answer_of(converse(bedrock, NOVA_MICRO))


def test_an_unknown_error_name_is_refused_when_queued(bedrock: BedrockSimulator) -> None:
    with pytest.raises(ValueError, match="ModelNotReadyException"):
        bedrock.fail_next_inference(code="NoSuchError")
