"""Tags on simulated Bedrock resources: stored at create time, changed and read through the tagging API."""

from __future__ import annotations

from typing import Any

import pytest

from local.bedrock import BedrockSimulator
from local.bedrock.errors import ResourceNotFoundException, TooManyTagsException, ValidationException
from local.bedrock.tagging import MAX_TAGS_PER_RESOURCE, checked_tags, merged, without
from local.clock import SimulatedClock
from tests.unit.local.test_bedrock_jobs import TRAINING, job_request


def tags(**pairs: str) -> list[dict[str, str]]:
    return [{"key": key, "value": value} for key, value in pairs.items()]


def listed(bedrock: BedrockSimulator, arn: str) -> dict[str, str]:
    return {t["key"]: t["value"] for t in bedrock.call("ListTagsForResource", {"resourceARN": arn})["tags"]}


@pytest.fixture
def model_arn(bedrock: BedrockSimulator, clock: SimulatedClock, store: Any) -> str:
    store.objects[("data", "staged/job/train.jsonl")] = TRAINING
    store.objects[("data", "staged/job/validation.jsonl")] = TRAINING[:70]
    request = job_request(jobTags=tags(team="support"), customModelTags=tags(stage="candidate"))
    arn = bedrock.call("CreateModelCustomizationJob", request)["jobArn"]
    clock.advance(bedrock.job_duration_seconds)
    return str(bedrock.call("GetModelCustomizationJob", {"jobIdentifier": arn})["outputModelArn"])


def test_tags_given_at_create_time_are_listed_for_throughput_deployments_jobs_and_models(
    bedrock: BedrockSimulator, model_arn: str
) -> None:
    throughput = bedrock.call(
        "CreateProvisionedModelThroughput",
        {"modelUnits": 1, "provisionedModelName": "pt", "modelId": model_arn, "tags": tags(owner="a")},
    )["provisionedModelArn"]
    deployment = bedrock.call(
        "CreateCustomModelDeployment", {"modelDeploymentName": "od", "modelArn": model_arn, "tags": tags(owner="b")}
    )["customModelDeploymentArn"]
    job_arn = bedrock.call("GetCustomModel", {"modelIdentifier": model_arn})["jobArn"]

    assert listed(bedrock, throughput) == {"owner": "a"}
    assert listed(bedrock, deployment) == {"owner": "b"}
    assert listed(bedrock, job_arn) == {"team": "support"}
    assert listed(bedrock, model_arn) == {"stage": "candidate"}


def test_tag_resource_adds_and_replaces_and_untag_resource_removes(bedrock: BedrockSimulator, model_arn: str) -> None:
    arn = bedrock.call(
        "CreateProvisionedModelThroughput",
        {"modelUnits": 1, "provisionedModelName": "pt", "modelId": model_arn, "tags": tags(a="1", b="2")},
    )["provisionedModelArn"]

    bedrock.call("TagResource", {"resourceARN": arn, "tags": tags(b="two", c="3")})
    assert listed(bedrock, arn) == {"a": "1", "b": "two", "c": "3"}
    bedrock.call("UntagResource", {"resourceARN": arn, "tagKeys": ["a", "not-there"]})
    assert listed(bedrock, arn) == {"b": "two", "c": "3"}


def test_tagging_takes_arns_of_existing_resources_only(bedrock: BedrockSimulator, model_arn: str) -> None:
    bedrock.call(
        "CreateProvisionedModelThroughput", {"modelUnits": 1, "provisionedModelName": "pt", "modelId": model_arn}
    )
    with pytest.raises(ResourceNotFoundException):
        bedrock.call("ListTagsForResource", {"resourceARN": "pt"})  # a name, not an ARN
    with pytest.raises(ResourceNotFoundException):
        bedrock.call(
            "TagResource",
            {"resourceARN": "arn:aws:bedrock:us-east-1:123456789012:provisioned-model/gone", "tags": tags(a="1")},
        )


def test_more_than_fifty_tags_in_total_are_refused(bedrock: BedrockSimulator, model_arn: str) -> None:
    many = [{"key": f"k{i}", "value": "v"} for i in range(MAX_TAGS_PER_RESOURCE)]
    arn = bedrock.call(
        "CreateProvisionedModelThroughput",
        {"modelUnits": 1, "provisionedModelName": "pt", "modelId": model_arn, "tags": many},
    )["provisionedModelArn"]
    with pytest.raises(TooManyTagsException):
        bedrock.call("TagResource", {"resourceARN": arn, "tags": tags(one="more")})
    assert len(listed(bedrock, arn)) == MAX_TAGS_PER_RESOURCE
    with pytest.raises(TooManyTagsException):
        bedrock.call(
            "CreateCustomModelDeployment",
            {"modelDeploymentName": "od", "modelArn": model_arn, "tags": [*many, {"key": "x", "value": "y"}]},
        )


@pytest.mark.parametrize(
    "bad",
    [
        [{"Key": "pascal", "Value": "case"}],  # the Step Functions spelling must be normalized before the call
        [{"key": "", "value": "v"}],
        [{"key": "k" * 129, "value": "v"}],
        [{"key": "k", "value": "v" * 257}],
        {"key": "k", "value": "v"},
    ],
)
def test_malformed_tags_are_a_validation_error(bad: Any) -> None:
    with pytest.raises(ValidationException):
        checked_tags(bad)


def test_tag_lists_merge_by_key_and_remove_by_key() -> None:
    assert merged(tags(a="1", b="2"), tags(b="3")) == tags(a="1", b="3")
    assert without(tags(a="1", b="2"), ["a"]) == tags(b="2")
    assert checked_tags(tags(a="1") + tags(a="2")) == tags(a="2")
    assert checked_tags(None) == []
