"""The self-test stack end to end: upload -> EventBridge -> SQS -> Lambda -> Step Functions -> Bedrock -> SNS."""

from __future__ import annotations

import csv
import io
import json
import time
from datetime import datetime

import pytest

from local.emulator import Emulator

pytestmark = pytest.mark.workflow

TRAINING_DATA = b'{"prompt": "2+2?", "completion": "4"}\n' * 40
MINUTE, HOUR = 60.0, 3600.0


def upload(emulator: Emulator, stack: dict[str, str], key: str, body: bytes = TRAINING_DATA) -> str:
    return str(emulator.client("s3").put_object(Bucket=stack["DataBucketName"], Key=key, Body=body)["VersionId"])


def only_execution(emulator: Emulator, stack: dict[str, str]) -> dict:
    (execution,) = emulator.wait_for_executions(stack["StateMachineArn"], 1, timeout=60)
    return execution


def test_an_upload_runs_the_workflow_to_a_trained_model(emulator: Emulator, fixture_stack: dict[str, str]) -> None:
    upload(emulator, fixture_stack, "incoming/train.jsonl")
    execution = only_execution(emulator, fixture_stack)
    assert execution["status"] == "SUCCEEDED"
    output = json.loads(execution["output"])
    assert output["job"]["Status"] == "Completed"
    assert output["job"]["OutputModelArn"].startswith("arn:aws:bedrock:us-east-1:123456789012:custom-model/")
    assert output["plan"]["greeting"] == "hello"  # the function's own environment reached the handler
    assert emulator.states_entered(execution["executionArn"]) == [
        "Plan job",
        "Create customization job",
        "Serve?",
        "Trained",
    ]


def test_data_a_validator_would_miss_fails_the_job_as_bedrock_does(
    emulator: Emulator, fixture_stack: dict[str, str]
) -> None:
    # The self-test stack has no validator: its data reaches Bedrock as uploaded. Nova Micro trains on 8
    # records at least (docs/bedrock.md §2.2), so 7 fail the job early, with Bedrock's kind of message.
    upload(emulator, fixture_stack, "incoming/train.jsonl", TRAINING_DATA.splitlines(keepends=True)[0] * 7)
    execution = only_execution(emulator, fixture_stack)

    assert execution["status"] == "FAILED"
    assert "Trained" not in emulator.states_entered(execution["executionArn"])
    bedrock = emulator.client("bedrock")
    [summary] = bedrock.list_model_customization_jobs()["modelCustomizationJobSummaries"]
    job = bedrock.get_model_customization_job(jobIdentifier=summary["jobArn"])
    assert job["status"] == "Failed" and "outputModelArn" not in job
    assert "training data has 7 records" in job["failureMessage"] and "needs 8 to 20000" in job["failureMessage"]
    assert (job["endTime"] - job["creationTime"]).total_seconds() < emulator.bedrock.job_duration_seconds
    messages = [alert["message"] for alert in emulator.read_alerts(expected=2)]
    assert f"Job {job['jobName']} is Failed" in messages


def test_uploads_outside_the_incoming_prefix_start_nothing(emulator: Emulator, fixture_stack: dict[str, str]) -> None:
    upload(emulator, fixture_stack, "staged/train.jsonl")
    emulator.wait_for_executions(fixture_stack["StateMachineArn"], 0, timeout=5)
    assert emulator.executions(fixture_stack["StateMachineArn"]) == []


def test_completed_job_writes_metric_files_under_the_output_prefix(
    emulator: Emulator, fixture_stack: dict[str, str]
) -> None:
    upload(emulator, fixture_stack, "incoming/train.jsonl")
    job = json.loads(only_execution(emulator, fixture_stack)["output"])["job"]
    job_id = job["JobArn"].rsplit("/", 1)[1]
    key = f"output/{job['JobName']}/model-customization-job-{job_id}/training_artifacts/step_wise_training_metrics.csv"
    body = emulator.client("s3").get_object(Bucket=fixture_stack["DataBucketName"], Key=key)["Body"].read().decode()
    rows = list(csv.DictReader(io.StringIO(body)))
    assert list(rows[0]) == ["step_number", "epoch_number", "training_loss", "perplexity"]
    assert {row["epoch_number"] for row in rows} == {"0", "1"}  # epochCount=2 in the definition
    assert float(rows[-1]["training_loss"]) < float(rows[0]["training_loss"])
    assert job["TrainingMetrics"]["TrainingLoss"] == pytest.approx(float(rows[-1]["training_loss"]))


def test_job_state_change_reaches_the_alert_topic_through_the_input_transformer(
    emulator: Emulator, fixture_stack: dict[str, str]
) -> None:
    upload(emulator, fixture_stack, "incoming/train.jsonl")
    job = json.loads(only_execution(emulator, fixture_stack)["output"])["job"]
    messages = [alert["message"] for alert in emulator.read_alerts(expected=1)]
    assert messages == [f"Job {job['JobName']} is Completed"]


@pytest.mark.parametrize("simulated_job_seconds", [MINUTE, HOUR])
def test_transitions_do_not_depend_on_how_long_the_job_takes(
    emulator: Emulator, fixture_stack: dict[str, str], simulated_job_seconds: float
) -> None:
    emulator.bedrock.job_duration_seconds = simulated_job_seconds
    upload(emulator, fixture_stack, "incoming/train.jsonl")
    execution = only_execution(emulator, fixture_stack)
    assert execution["status"] == "SUCCEEDED"
    # The .sync task polls the job inside the state, as AWS does: a day-long job is still one transition.
    assert emulator.state_transitions(execution["executionArn"]) == 4
    job = json.loads(execution["output"])["job"]
    took = datetime.fromisoformat(job["EndTime"]) - datetime.fromisoformat(job["CreationTime"])
    assert took.total_seconds() == pytest.approx(simulated_job_seconds)


def test_throughput_is_polled_with_wait_states_in_simulated_time(
    emulator: Emulator, fixture_stack: dict[str, str]
) -> None:
    # 17.5 simulated minutes polled every 5 minutes: in service at the fourth read. The value sits between
    # two polls on purpose: the simulated clock also moves while tasks run, by a few seconds per state.
    emulator.bedrock.settings.throughput_duration_seconds = 1050
    upload(emulator, fixture_stack, "incoming/serve/train.jsonl")
    execution = only_execution(emulator, fixture_stack)
    assert execution["status"] == "SUCCEEDED"
    entered = emulator.states_entered(execution["executionArn"])
    head = ["Plan job", "Create customization job", "Serve?", "Let the model settle", "Buy throughput"]
    assert entered == head + ["Wait for throughput", "Read throughput", "In service?"] * 4 + ["Served"]
    status = json.loads(execution["output"])["status"]
    assert status["Status"] == "InService"
    assert status["ModelArn"] == json.loads(execution["output"])["job"]["OutputModelArn"]


def test_failed_job_fails_the_sync_task_with_the_bedrock_message(
    emulator: Emulator, fixture_stack: dict[str, str]
) -> None:
    emulator.bedrock.fail_next("Maximum input token count 4097 exceeds limit of 4096")
    upload(emulator, fixture_stack, "incoming/train.jsonl")
    execution = only_execution(emulator, fixture_stack)
    assert execution["status"] == "FAILED"
    caught = fail_state_input(emulator, execution["executionArn"])
    assert caught["error"]["Error"] == "States.TaskFailed"
    job = json.loads(caught["error"]["Cause"])
    assert job["Status"] == "Failed"
    assert job["FailureMessage"] == "Maximum input token count 4097 exceeds limit of 4096"
    alerts = {alert["message"] for alert in emulator.read_alerts(expected=2)}
    assert alerts == {
        f"Job {caught['plan']['jobName']} is Failed",
        json.dumps({"execution": execution["name"], "status": "FAILED", "error": "PipelineFailed"}),
    }


def test_quota_errors_are_retried_under_the_bedrock_error_name(
    emulator: Emulator, fixture_stack: dict[str, str]
) -> None:
    emulator.bedrock.quota_errors_on_create(2)
    upload(emulator, fixture_stack, "incoming/train.jsonl")
    execution = only_execution(emulator, fixture_stack)
    assert execution["status"] == "SUCCEEDED"
    failures = [e for e in emulator.execution_history(execution["executionArn"]) if e["type"] == "TaskFailed"]
    assert [f["taskFailedEventDetails"]["error"] for f in failures] == ["Bedrock.ServiceQuotaExceededException"] * 2
    # Retries happen inside the state: no extra transitions, and 600 s + 1200 s of back-off cost no real time.
    assert emulator.states_entered(execution["executionArn"]) == [
        "Plan job",
        "Create customization job",
        "Serve?",
        "Trained",
    ]


def test_a_handler_exception_is_caught_by_the_workflow(emulator: Emulator, fixture_stack: dict[str, str]) -> None:
    upload(emulator, fixture_stack, "incoming/reject-me.jsonl")
    execution = only_execution(emulator, fixture_stack)
    caught = fail_state_input(emulator, execution["executionArn"])
    assert caught["error"]["Error"] == "DatasetRejected"
    assert json.loads(caught["error"]["Cause"])["errorMessage"] == "incoming/reject-me.jsonl: rejected by the fixture"


def test_a_function_past_its_timeout_fails_the_task_as_lambda_reports_it(
    emulator: Emulator, fixture_stack: dict[str, str]
) -> None:
    upload(emulator, fixture_stack, "incoming/overrun.jsonl")
    execution = only_execution(emulator, fixture_stack)
    caught = fail_state_input(emulator, execution["executionArn"])
    assert caught["error"]["Error"] == "Sandbox.Timedout"
    cause = json.loads(caught["error"]["Cause"])
    assert cause["errorType"] == "Sandbox.Timedout"
    assert cause["errorMessage"].endswith(" Error: Task timed out after 3.00 seconds")


def test_messages_a_function_reports_as_failed_end_in_the_dead_letter_queue(
    emulator: Emulator, fixture_stack: dict[str, str]
) -> None:
    upload(emulator, fixture_stack, "incoming/poison.jsonl")
    sqs = emulator.client("sqs")
    messages = sqs.receive_message(QueueUrl=fixture_stack["DeadLetterQueueUrl"], WaitTimeSeconds=5)["Messages"]
    assert json.loads(messages[0]["Body"])["detail"]["object"]["key"] == "incoming/poison.jsonl"
    assert emulator.executions(fixture_stack["StateMachineArn"]) == []


def test_the_same_object_version_starts_one_execution(emulator: Emulator, fixture_stack: dict[str, str]) -> None:
    upload(emulator, fixture_stack, "incoming/train.jsonl")
    first = only_execution(emulator, fixture_stack)
    # Replay the S3 event: EventBridge delivery is at-least-once.
    events = emulator.client("events")
    detail = {"bucket": {"name": fixture_stack["DataBucketName"]}, "object": {"key": "incoming/train.jsonl"}}
    detail["object"]["version-id"] = json.loads(first["input"])["version"]
    events.put_events(Entries=[{"Source": "aws.s3", "DetailType": "Object Created", "Detail": json.dumps(detail)}])
    emulator.wait_for_executions(fixture_stack["StateMachineArn"], 1, timeout=10)
    assert len(emulator.executions(fixture_stack["StateMachineArn"])) == 1


def test_a_result_over_the_payload_quota_fails_the_execution_past_its_catch_all(
    emulator: Emulator, fixture_stack: dict[str, str]
) -> None:
    upload(emulator, fixture_stack, "incoming/oversized.jsonl")
    execution = only_execution(emulator, fixture_stack)

    assert execution["status"] == "FAILED"
    assert execution["error"] == "States.DataLimitExceeded"
    # "Plan job" catches States.ALL into "Pipeline failed": AWS does not let the wildcard catch this error.
    assert emulator.states_entered(execution["executionArn"]) == ["Plan job"]
    (alert,) = emulator.read_alerts(expected=1)
    assert json.loads(alert["message"]) == {
        "execution": execution["name"],
        "status": "FAILED",
        "error": "States.DataLimitExceeded",
    }


def test_aborting_an_execution_stops_the_job_its_sync_task_waits_for(
    emulator: Emulator, fixture_stack: dict[str, str]
) -> None:
    emulator.bedrock.job_duration_seconds = 30 * 24 * HOUR  # still training when the execution is stopped
    upload(emulator, fixture_stack, "incoming/train.jsonl")
    bedrock, sfn = emulator.client("bedrock"), emulator.client("stepfunctions")
    deadline = time.monotonic() + 60
    while not (jobs := bedrock.list_model_customization_jobs()["modelCustomizationJobSummaries"]):
        assert time.monotonic() < deadline, "no job was created"
        time.sleep(0.05)
    (running,) = emulator.executions(fixture_stack["StateMachineArn"])
    sfn.stop_execution(executionArn=running["executionArn"], cause="not needed")

    assert only_execution(emulator, fixture_stack)["status"] == "ABORTED"
    while (status := bedrock.get_model_customization_job(jobIdentifier=jobs[0]["jobArn"])["status"]) != "Stopped":
        assert status in ("InProgress", "Stopping") and time.monotonic() < deadline, status
        time.sleep(0.05)


def fail_state_input(emulator: Emulator, execution_arn: str) -> dict:
    """The input of the Fail state: the plan and the `$.error` the Catch added."""
    for event in emulator.execution_history(execution_arn):
        if event["type"] == "FailStateEntered":
            return dict(json.loads(event["stateEnteredEventDetails"]["input"]))
    raise AssertionError("the execution entered no Fail state")
