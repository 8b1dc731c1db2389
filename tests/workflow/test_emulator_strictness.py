"""Small state machines run in the emulator where AWS is stricter than moto: the emulator must fail them too.

Each definition is created straight through the Step Functions API; S3 and Bedrock tasks call the emulated
services, so the errors come from the interpreter, not from a stub.
"""

from __future__ import annotations

import itertools
import json
from typing import Any

import pytest

from local.emulator import Emulator
from local.sfn_strictness import MAX_PAYLOAD_BYTES

pytestmark = pytest.mark.workflow

BUCKET = "strictness-bucket"
ROLE = "arn:aws:iam::123456789012:role/strictness"
GET_OBJECT = "arn:aws:states:::aws-sdk:s3:getObject"
PUT_OBJECT = "arn:aws:states:::aws-sdk:s3:putObject"
CREATE_JOB_SYNC = "arn:aws:states:::bedrock:createModelCustomizationJob.sync"
# Larger than the quota once it is the task's result.
OVERSIZED = b"x" * (MAX_PAYLOAD_BYTES + 1024)
_names = itertools.count()


@pytest.fixture
def bucket(emulator: Emulator) -> str:
    s3 = emulator.client("s3")
    s3.create_bucket(Bucket=BUCKET)
    s3.put_object(Bucket=BUCKET, Key="oversized", Body=OVERSIZED)
    s3.put_object(Bucket=BUCKET, Key="small", Body=b"small")
    return BUCKET


def run(emulator: Emulator, states: dict[str, Any], execution_input: Any = None) -> dict[str, Any]:
    """Creates a state machine starting at the first of `states`, runs it once, returns the finished execution."""
    sfn = emulator.client("stepfunctions")
    definition = {"StartAt": next(iter(states)), "States": states}
    machine = sfn.create_state_machine(
        name=f"strictness-{next(_names)}", definition=json.dumps(definition), roleArn=ROLE
    )["stateMachineArn"]
    sfn.start_execution(stateMachineArn=machine, input=json.dumps(execution_input or {}))
    (execution,) = emulator.wait_for_executions(machine, 1, timeout=30)
    return dict(execution)


def task(resource: str, parameters: dict[str, Any], **fields: Any) -> dict[str, Any]:
    return {"Type": "Task", "Resource": resource, "Parameters": parameters, "End": True, **fields}


CAUGHT = {"Caught": {"Type": "Pass", "End": True}}


def catching(*errors: str) -> list[dict[str, Any]]:
    return [{"ErrorEquals": list(errors), "Next": "Caught"}]


def attempts(emulator: Emulator, execution: dict[str, Any]) -> int:
    history = emulator.execution_history(execution["executionArn"])
    return sum(1 for event in history if event["type"] in ("TaskFailed", "TaskSucceeded"))


# --- States.ALL -------------------------------------------------------------------------------------------------


def test_a_result_over_the_quota_is_not_caught_or_retried_by_states_all(emulator: Emulator, bucket: str) -> None:
    retry = [{"ErrorEquals": ["States.ALL"], "MaxAttempts": 3, "IntervalSeconds": 1}]
    get = task(GET_OBJECT, {"Bucket": bucket, "Key": "oversized"}, Retry=retry, Catch=catching("States.ALL"))
    execution = run(emulator, {"Get": get, **CAUGHT})

    assert execution["status"] == "FAILED"
    assert execution["error"] == "States.DataLimitExceeded"
    assert emulator.states_entered(execution["executionArn"]) == ["Get"]
    assert attempts(emulator, execution) == 1


def test_a_data_limit_error_is_caught_by_its_own_name(emulator: Emulator, bucket: str) -> None:
    get = task(GET_OBJECT, {"Bucket": bucket, "Key": "oversized"}, Catch=catching("States.DataLimitExceeded"))
    execution = run(emulator, {"Get": get, **CAUGHT})

    assert execution["status"] == "SUCCEEDED"
    assert emulator.states_entered(execution["executionArn"]) == ["Get", "Caught"]


@pytest.mark.parametrize("caught", [["States.ALL"], ["States.Runtime"]])
def test_a_runtime_error_is_caught_and_retried_by_nothing(emulator: Emulator, bucket: str, caught: list[str]) -> None:
    retry = [{"ErrorEquals": caught, "MaxAttempts": 3, "IntervalSeconds": 1}]
    # A path the input lacks: States.Runtime on AWS.
    get = task(GET_OBJECT, {"Bucket": bucket, "Key.$": "$.missing"}, Retry=retry, Catch=catching(*caught))
    execution = run(emulator, {"Get": get, **CAUGHT})

    assert execution["status"] == "FAILED"
    assert execution["error"] == "States.Runtime"
    assert emulator.states_entered(execution["executionArn"]) == ["Get"]
    assert attempts(emulator, execution) == 1


def test_other_errors_are_still_caught_by_states_all(emulator: Emulator, bucket: str) -> None:
    get = task(GET_OBJECT, {"Bucket": bucket, "Key": "absent"}, Catch=catching("States.ALL"))
    execution = run(emulator, {"Get": get, **CAUGHT})

    assert execution["status"] == "SUCCEEDED"
    assert emulator.states_entered(execution["executionArn"]) == ["Get", "Caught"]


# --- the payload quota ------------------------------------------------------------------------------------------


@pytest.mark.parametrize(("extra_bytes", "status"), [(0, "SUCCEEDED"), (1, "FAILED")])
def test_a_state_output_may_be_exactly_256_kib(emulator: Emulator, extra_bytes: int, status: str) -> None:
    # The Pass state adds a field: its output is the input plus `,"copy":"ab"` (12 bytes).
    blob = "y" * (MAX_PAYLOAD_BYTES - len('{"blob":"","copy":"ab"}') + extra_bytes)
    copy = {"Type": "Pass", "Result": "ab", "ResultPath": "$.copy", "End": True}
    execution = run(emulator, {"Copy": copy}, {"blob": blob})

    assert execution["status"] == status
    if status == "FAILED":
        assert execution["error"] == "States.DataLimitExceeded"


def test_an_input_built_from_parameters_over_the_quota_fails_the_task(emulator: Emulator, bucket: str) -> None:
    half = "z" * (MAX_PAYLOAD_BYTES // 2 + 1)  # within the quota alone, over it twice
    put = task(
        PUT_OBJECT,
        {"Bucket": bucket, "Key": "written", "Body.$": "$.half", "ContentType.$": "$.half"},
        Catch=catching("States.DataLimitExceeded"),
    )
    execution = run(emulator, {"Put": put, **CAUGHT}, {"half": half})

    assert emulator.states_entered(execution["executionArn"]) == ["Put", "Caught"]
    listed = emulator.client("s3").list_objects_v2(Bucket=bucket, Prefix="written").get("Contents", [])
    assert listed == []  # refused before the call


# --- field names ------------------------------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("parameters", "field"),
    [
        ({"bucket": BUCKET, "Key": "k", "Body": "hi"}, "bucket"),
        ({"Bucket": BUCKET, "key": "k", "Body": "hi"}, "key"),
    ],
)
def test_an_sdk_task_with_a_field_not_in_pascal_case_fails_with_a_runtime_error(
    emulator: Emulator, bucket: str, parameters: dict[str, Any], field: str
) -> None:
    execution = run(emulator, {"Put": task(PUT_OBJECT, parameters, Catch=catching("States.ALL")), **CAUGHT})

    assert execution["status"] == "FAILED"
    assert execution["error"] == "States.Runtime"
    assert f'[The field "{field}" is not supported by Step Functions]' in execution["cause"]
    assert emulator.client("s3").list_objects_v2(Bucket=bucket, Prefix="k").get("Contents", []) == []


def test_an_sdk_task_in_pascal_case_calls_the_api(emulator: Emulator, bucket: str) -> None:
    parameters = {"Bucket": bucket, "Key": "k", "Body": "hi", "Metadata": {"writtenBy": "test"}}
    execution = run(emulator, {"Put": task(PUT_OBJECT, parameters)})

    assert execution["status"] == "SUCCEEDED"
    head = emulator.client("s3").head_object(Bucket=bucket, Key="k")
    assert head["Metadata"] == {"writtenby": "test"}  # S3 lower-cases metadata keys


def test_the_optimized_bedrock_task_refuses_a_nested_field_not_in_pascal_case(emulator: Emulator, bucket: str) -> None:
    parameters = {
        "BaseModelIdentifier": "amazon.nova-micro-v1:0:128k",
        "CustomizationType": "FINE_TUNING",
        "JobName": "strict-job",
        "CustomModelName": "strict-model",
        "RoleArn": ROLE,
        "HyperParameters": {"epochCount": "2"},
        "TrainingDataConfig": {"S3Uri": f"s3://{bucket}/small"},
        "OutputDataConfig": {"s3Uri": f"s3://{bucket}/output/"},
    }
    execution = run(emulator, {"Train": task(CREATE_JOB_SYNC, parameters, Catch=catching("States.ALL")), **CAUGHT})

    assert execution["status"] == "FAILED"
    assert execution["error"] == "States.Runtime"
    assert '[The field "s3Uri" is not supported by Step Functions]' in execution["cause"]
    assert emulator.client("bedrock").list_model_customization_jobs()["modelCustomizationJobSummaries"] == []
