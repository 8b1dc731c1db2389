"""The simulated customization job lifecycle, against the rules in the Bedrock fact sheet."""

from __future__ import annotations

import csv
import io
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

TRAINING = b'{"prompt": "a", "completion": "b"}\n' * 30


def job_request(**overrides: Any) -> dict[str, Any]:
    request = {
        "jobName": "support-bot.train.1",
        "customModelName": "support-bot-1",
        "roleArn": "arn:aws:iam::123456789012:role/bedrock",
        "baseModelIdentifier": "amazon.nova-micro-v1:0:128k",
        "customizationType": "FINE_TUNING",
        "hyperParameters": {"epochCount": "3", "learningRate": "0.00001"},
        "trainingDataConfig": {"s3Uri": "s3://data/staged/job/train.jsonl"},
        "validationDataConfig": {"validators": [{"s3Uri": "s3://data/staged/job/validation.jsonl"}]},
        "outputDataConfig": {"s3Uri": "s3://data/output/job/"},
    }
    request.update(overrides)
    return request


@pytest.fixture(autouse=True)
def training_data(store: Any) -> None:
    store.objects[("data", "staged/job/train.jsonl")] = TRAINING
    store.objects[("data", "staged/job/validation.jsonl")] = TRAINING[:70]


def test_a_job_is_in_progress_until_its_duration_has_passed(bedrock: BedrockSimulator, clock: SimulatedClock) -> None:
    arn = bedrock.call("CreateModelCustomizationJob", job_request())["jobArn"]
    assert arn.startswith("arn:aws:bedrock:us-east-1:123456789012:model-customization-job/amazon.nova-micro-v1:0:128k/")
    assert bedrock.call("GetModelCustomizationJob", {"jobIdentifier": arn})["status"] == "InProgress"
    clock.advance(bedrock.job_duration_seconds)
    job = bedrock.call("GetModelCustomizationJob", {"jobIdentifier": arn})
    assert job["status"] == "Completed"
    assert (job["endTime"] - job["creationTime"]).total_seconds() == pytest.approx(bedrock.job_duration_seconds)


def test_a_job_is_found_by_name_and_by_arn(bedrock: BedrockSimulator) -> None:
    arn = bedrock.call("CreateModelCustomizationJob", job_request())["jobArn"]
    by_name = bedrock.call("GetModelCustomizationJob", {"jobIdentifier": "support-bot.train.1"})
    assert by_name["jobArn"] == arn
    with pytest.raises(ResourceNotFoundException):
        bedrock.call("GetModelCustomizationJob", {"jobIdentifier": "other"})


def test_completion_writes_metrics_and_creates_the_model(
    bedrock: BedrockSimulator, clock: SimulatedClock, store: Any
) -> None:
    arn = bedrock.call("CreateModelCustomizationJob", job_request())["jobArn"]
    clock.advance(bedrock.job_duration_seconds)
    job = bedrock.call("GetModelCustomizationJob", {"jobIdentifier": arn})
    folder = f"output/job/model-customization-job-{arn.rsplit('/', 1)[1]}/"
    training = list(
        csv.DictReader(
            io.StringIO(store.read("data", folder + "training_artifacts/step_wise_training_metrics.csv").decode())
        )
    )
    validation_key = folder + "validation_artifacts/post_fine_tuning_validation/validation/validation_metrics.csv"
    validation = list(csv.DictReader(io.StringIO(store.read("data", validation_key).decode())))
    assert {row["epoch_number"] for row in training} == {"0", "1", "2"}
    assert list(validation[0]) == ["step_number", "epoch_number", "validation_loss", "perplexity"]
    assert job["trainingMetrics"]["trainingLoss"] == pytest.approx(float(training[-1]["training_loss"]))
    model = bedrock.call("GetCustomModel", {"modelIdentifier": "support-bot-1"})
    assert model["modelArn"] == job["outputModelArn"]
    assert model["jobArn"] == arn


def test_state_changes_are_emitted_as_bedrock_events(
    bedrock: BedrockSimulator, clock: SimulatedClock, events: list
) -> None:
    arn = bedrock.call("CreateModelCustomizationJob", job_request())["jobArn"]
    clock.advance(bedrock.job_duration_seconds)
    bedrock.advance()
    assert [(kind, detail["jobStatus"], resources) for kind, detail, resources in events] == [
        ("Model Customization Job State Change", "InProgress", [arn]),
        ("Model Customization Job State Change", "Completed", [arn]),
    ]
    completed = events[-1][1]
    assert completed["jobName"] == "support-bot.train.1"
    assert completed["outputModelArn"].startswith("arn:aws:bedrock:us-east-1:123456789012:custom-model/")
    assert completed["endTime"].endswith("Z")


def test_a_queued_failure_fails_the_next_job_with_its_message(
    bedrock: BedrockSimulator, clock: SimulatedClock, events: list
) -> None:
    bedrock.fail_next("Maximum input token count 4097 exceeds limit of 4096")
    arn = bedrock.call("CreateModelCustomizationJob", job_request())["jobArn"]
    clock.advance(bedrock.job_duration_seconds)
    job = bedrock.call("GetModelCustomizationJob", {"jobIdentifier": arn})
    assert job["status"] == "Failed"
    assert job["failureMessage"] == "Maximum input token count 4097 exceeds limit of 4096"
    assert "outputModelArn" not in job
    assert events[-1][1]["failureMessage"] == job["failureMessage"]


def test_unreadable_training_data_fails_like_bedrock(bedrock: BedrockSimulator, clock: SimulatedClock) -> None:
    request = job_request(trainingDataConfig={"s3Uri": "s3://data/staged/missing.jsonl"})
    arn = bedrock.call("CreateModelCustomizationJob", request)["jobArn"]
    clock.advance(bedrock.job_duration_seconds)
    job = bedrock.call("GetModelCustomizationJob", {"jobIdentifier": arn})
    assert job["failureMessage"] == (
        "Could not validate GetObject permissions to access Amazon S3 bucket: data at key staged/missing.jsonl"
    )


def test_a_repeated_client_request_token_returns_the_first_job(bedrock: BedrockSimulator) -> None:
    first = bedrock.call("CreateModelCustomizationJob", job_request(clientRequestToken="token-1"))
    again = bedrock.call("CreateModelCustomizationJob", job_request(clientRequestToken="token-1", jobName="other"))
    assert again == first
    assert len(bedrock.call("ListModelCustomizationJobs", {})["modelCustomizationJobSummaries"]) == 1


def test_a_job_name_is_used_once(bedrock: BedrockSimulator) -> None:
    bedrock.call("CreateModelCustomizationJob", job_request())
    with pytest.raises(ConflictException):
        bedrock.call("CreateModelCustomizationJob", job_request(customModelName="another"))


@pytest.mark.parametrize(
    "override",
    [
        {"jobName": "has_underscore"},
        {"customModelName": "two..dots"},
        {"trainingDataConfig": {"s3Uri": "s3://data/with space.jsonl"}},
        {"hyperParameters": {"epochCount": 2}},
        {"baseModelIdentifier": "amazon.nova-premier-v1:0"},
        {"customizationType": "DISTILLATION"},
    ],
)
def test_invalid_requests_are_rejected(bedrock: BedrockSimulator, override: dict[str, Any]) -> None:
    with pytest.raises(ValidationException):
        bedrock.call("CreateModelCustomizationJob", job_request(**override))


def test_quota_errors_are_raised_as_many_times_as_asked(bedrock: BedrockSimulator) -> None:
    bedrock.quota_errors_on_create(1)
    with pytest.raises(ServiceQuotaExceededException):
        bedrock.call("CreateModelCustomizationJob", job_request())
    assert bedrock.call("CreateModelCustomizationJob", job_request())["jobArn"]


def test_a_stopped_job_ends_stopped(bedrock: BedrockSimulator) -> None:
    arn = bedrock.call("CreateModelCustomizationJob", job_request())["jobArn"]
    bedrock.call("StopModelCustomizationJob", {"jobIdentifier": arn})
    assert bedrock.call("GetModelCustomizationJob", {"jobIdentifier": arn})["status"] == "Stopped"


def test_foundation_models_can_be_listed_by_customization_type(bedrock: BedrockSimulator) -> None:
    models = bedrock.call("ListFoundationModels", {"byCustomizationType": "CONTINUED_PRE_TRAINING"})["modelSummaries"]
    assert [m["modelId"] for m in models] == ["amazon.titan-text-express-v1:0:8k"]


# --- the documented limits per base model (docs/bedrock.md §2.2) --------------------------------------------------


def conversation(user: str = "Where is my parcel?", answer: str = "On its way.") -> dict[str, Any]:
    return {
        "schemaVersion": "bedrock-conversation-2024",
        "messages": [
            {"role": "user", "content": [{"text": user}]},
            {"role": "assistant", "content": [{"text": answer}]},
        ],
    }


def jsonl(records: list[dict[str, Any]]) -> bytes:
    return b"".join(json.dumps(record).encode() + b"\n" for record in records)


def run_job(
    bedrock: BedrockSimulator,
    clock: SimulatedClock,
    store: Any,
    base_model: str,
    training: list[dict[str, Any]],
    validation: list[dict[str, Any]] | None = None,
    customization_type: str = "FINE_TUNING",
) -> dict[str, Any]:
    store.objects[("data", "staged/limits/train.jsonl")] = jsonl(training)
    overrides: dict[str, Any] = {
        "baseModelIdentifier": base_model,
        "customizationType": customization_type,
        "trainingDataConfig": {"s3Uri": "s3://data/staged/limits/train.jsonl"},
        "validationDataConfig": None,
    }
    if validation is not None:
        store.objects[("data", "staged/limits/validation.jsonl")] = jsonl(validation)
        overrides["validationDataConfig"] = {"validators": [{"s3Uri": "s3://data/staged/limits/validation.jsonl"}]}
    arn = bedrock.call("CreateModelCustomizationJob", job_request(**overrides))["jobArn"]
    clock.advance(bedrock.job_duration_seconds)
    return dict(bedrock.call("GetModelCustomizationJob", {"jobIdentifier": arn}))


NOVA_MICRO = "amazon.nova-micro-v1:0:128k"
HAIKU = "anthropic.claude-3-haiku-20240307-v1:0:200k"
LLAMA_31 = "meta.llama3-1-8b-instruct-v1:0:128k"
LLAMA_32_90B = "meta.llama3-2-90b-instruct-v1:0:128k"
TITAN_EXPRESS = "amazon.titan-text-express-v1:0:8k"
PROMPT = {"prompt": "Where is my parcel?", "completion": "On its way."}
HAIKU_RECORD = {
    "system": "Be brief.",
    "messages": [{"role": "user", "content": "hi"}, {"role": "assistant", "content": "hello"}],
}


@pytest.mark.parametrize(
    ("base_model", "training", "validation", "failure"),
    [
        (NOVA_MICRO, [conversation()] * 7, None, "has 7 records; Amazon Nova Micro, Lite and Pro needs 8 to 20000"),
        (NOVA_MICRO, [conversation("x" * 127_990)] * 8, None, "Maximum input token count 32001 exceeds limit of 32000"),
        (
            NOVA_MICRO,
            [{**conversation(), "messages": [{"role": "user", "content": [{"image": {}}] * 11}]}] * 8,
            None,
            "has 11 images; Amazon Nova Micro, Lite and Pro accepts at most 10 per record",
        ),
        (HAIKU, [HAIKU_RECORD] * 31, None, "has 31 records; Anthropic Claude 3 Haiku needs 32 to 10000"),
        (HAIKU, [HAIKU_RECORD] * 32, [HAIKU_RECORD] * 1_001, "validation data has 1001 records"),
        (LLAMA_31, [PROMPT] * 90, [PROMPT] * 9, "have 99 records together; Meta Llama 3.1, 3.2 and 3.3 needs 100"),
        (LLAMA_32_90B, [{"prompt": "x" * 60_001, "completion": ""}] * 100, None, "count 10001 exceeds limit of 10000"),
        (TITAN_EXPRESS, [{"prompt": "x" * 24_577, "completion": ""}], None, "count 4097 exceeds limit of 4096"),
        (
            "amazon.nova-2-lite-v1:0:256k",
            [conversation()] * 200,
            [conversation()],
            "Validation data is not supported for Amazon Nova 2 Lite",
        ),
        (
            "amazon.titan-image-generator-v2:0",
            [{"image-ref": "s3://data/images/a.png", "caption": "ab"}] * 5,
            None,
            "has a caption of 2 characters; Amazon Titan Image Generator accepts 3 to 1024",
        ),
    ],
)
def test_data_outside_the_base_models_documented_limits_fails_the_job_early(
    bedrock: BedrockSimulator,
    clock: SimulatedClock,
    store: Any,
    base_model: str,
    training: list[dict[str, Any]],
    validation: list[dict[str, Any]] | None,
    failure: str,
) -> None:
    job = run_job(bedrock, clock, store, base_model, training, validation)

    assert job["status"] == "Failed"
    assert failure in job["failureMessage"]
    assert "outputModelArn" not in job
    # Data problems show in the first part of the job, as Bedrock's own validation does.
    assert (job["endTime"] - job["creationTime"]).total_seconds() < bedrock.job_duration_seconds


@pytest.mark.parametrize(
    ("base_model", "training", "validation"),
    [
        (NOVA_MICRO, [conversation("x" * 127_989)] * 8, None),  # 128,000 characters with the answer
        (HAIKU, [HAIKU_RECORD] * 32, [HAIKU_RECORD] * 1_000),
        (LLAMA_31, [PROMPT] * 90, [PROMPT] * 10),
        (TITAN_EXPRESS, [{"prompt": "x" * 24_576, "completion": ""}], None),
        ("amazon.nova-canvas-v1:0", [{"image-ref": "s3://data/images/a.png", "caption": "a"}], None),
    ],
)
def test_data_at_the_edge_of_the_documented_limits_trains(
    bedrock: BedrockSimulator,
    clock: SimulatedClock,
    store: Any,
    base_model: str,
    training: list[dict[str, Any]],
    validation: list[dict[str, Any]] | None,
) -> None:
    job = run_job(bedrock, clock, store, base_model, training, validation)
    assert job["status"] == "Completed", job.get("failureMessage")


def test_continued_pre_training_keeps_the_token_limit_of_its_base_model(
    bedrock: BedrockSimulator, clock: SimulatedClock, store: Any
) -> None:
    job = run_job(
        bedrock, clock, store, TITAN_EXPRESS, [{"input": "x" * 29_514}], customization_type="CONTINUED_PRE_TRAINING"
    )
    assert job["failureMessage"] == "Maximum input token count 4919 exceeds limit of 4096"


def test_unreadable_validation_data_fails_like_unreadable_training_data(
    bedrock: BedrockSimulator, clock: SimulatedClock, store: Any
) -> None:
    request = job_request(validationDataConfig={"validators": [{"s3Uri": "s3://data/staged/job/missing.jsonl"}]})
    arn = bedrock.call("CreateModelCustomizationJob", request)["jobArn"]
    clock.advance(bedrock.job_duration_seconds)
    job = bedrock.call("GetModelCustomizationJob", {"jobIdentifier": arn})
    assert job["failureMessage"] == (
        "Could not validate GetObject permissions to access Amazon S3 bucket: data at key staged/job/missing.jsonl"
    )
