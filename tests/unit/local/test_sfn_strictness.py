"""The Step Functions rules the emulator enforces where moto is lenient: error matching, payload size, field names."""

from __future__ import annotations

from typing import Any

import botocore.session
import pytest

from local.sfn_integrations import sdk_request, sfn_field_name
from local.sfn_strictness import MAX_PAYLOAD_BYTES, error_matches, is_within_size_quota, payload_bytes

S3 = botocore.session.get_session().get_service_model("s3")
BEDROCK = botocore.session.get_session().get_service_model("bedrock")


@pytest.mark.parametrize("error_equals", [["States.ALL"], ["States.Runtime"], ["States.TaskFailed", "States.Runtime"]])
def test_nothing_matches_a_runtime_error(error_equals: list[str | None]) -> None:
    assert error_matches(error_equals, "States.Runtime") is False


def test_a_data_limit_error_is_matched_by_its_name_and_not_by_the_wildcard() -> None:
    assert error_matches(["States.ALL"], "States.DataLimitExceeded") is False
    assert error_matches(["States.DataLimitExceeded"], "States.DataLimitExceeded") is True
    assert error_matches(["States.TaskFailed"], "States.DataLimitExceeded") is False


@pytest.mark.parametrize("error", ["States.Timeout", "Bedrock.ThrottlingException", "DatasetRejected", None])
def test_other_errors_keep_the_interpreters_own_rule(error: str | None) -> None:
    assert error_matches(["States.ALL"], error) is None


def test_the_quota_is_256_kib_of_compact_utf8_json_inclusive() -> None:
    wrapper = len('{"b":""}')
    assert payload_bytes({"b": "y" * (MAX_PAYLOAD_BYTES - wrapper)}) == MAX_PAYLOAD_BYTES
    assert is_within_size_quota({"b": "y" * (MAX_PAYLOAD_BYTES - wrapper)})
    assert not is_within_size_quota({"b": "y" * (MAX_PAYLOAD_BYTES - wrapper + 1)})
    # Non-ASCII text counts its UTF-8 bytes, not JSON escapes.
    assert payload_bytes({"b": "é"}) == wrapper + 2


def test_field_names_are_the_members_with_their_first_letter_upper_cased() -> None:
    assert sfn_field_name("modelId") == "ModelId"
    assert sfn_field_name("Bucket") == "Bucket"
    assert sfn_field_name("Equals") == "EqualsValue"


def test_step_functions_names_become_the_sdk_members_at_every_level() -> None:
    shape = BEDROCK.operation_model("CreateModelCustomizationJob").input_shape
    request, refused = sdk_request(
        {
            "JobName": "j",
            "HyperParameters": {"epochCount": "2"},  # a map: its keys are data
            "TrainingDataConfig": {"S3Uri": "s3://b/train.jsonl"},
            "ValidationDataConfig": {"Validators": [{"S3Uri": "s3://b/v.jsonl"}]},
            "JobTags": [{"Key": "team", "Value": "search"}],
        },
        shape,
    )
    assert refused == []
    assert request == {
        "jobName": "j",
        "hyperParameters": {"epochCount": "2"},
        "trainingDataConfig": {"s3Uri": "s3://b/train.jsonl"},
        "validationDataConfig": {"validators": [{"s3Uri": "s3://b/v.jsonl"}]},
        "jobTags": [{"key": "team", "value": "search"}],
    }


@pytest.mark.parametrize(
    ("parameters", "refused"),
    [
        ({"jobName": "j"}, ["jobName"]),
        ({"TrainingDataConfig": {"s3Uri": "s3://b/t.jsonl"}}, ["s3Uri"]),
        ({"JobTags": [{"key": "team", "Value": "x"}]}, ["key"]),
        ({"JOBNAME": "j", "Job_Name": "j"}, ["JOBNAME", "Job_Name"]),
    ],
)
def test_any_other_spelling_is_refused(parameters: dict[str, Any], refused: list[str]) -> None:
    shape = BEDROCK.operation_model("CreateModelCustomizationJob").input_shape
    assert sdk_request(parameters, shape)[1] == refused


def test_pascal_case_apis_keep_their_names() -> None:
    shape = S3.operation_model("PutObject").input_shape
    assert sdk_request({"Bucket": "b", "Key": "k", "Metadata": {"anyName": "v"}}, shape) == (
        {"Bucket": "b", "Key": "k", "Metadata": {"anyName": "v"}},
        [],
    )
