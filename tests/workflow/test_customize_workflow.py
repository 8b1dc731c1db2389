"""The real template in the emulator: a dataset under incoming/<profile>/ -> validated Bedrock job -> alerts.

Each test uploads through the S3 API as a user would and observes what a user and an operator can see:
executions, the Bedrock job list (and the request the Bedrock simulation received), objects and alerts.
The app is synthesized once for the module, with cdk.json's profiles plus one that cannot afford any job.
"""

from __future__ import annotations

import itertools
import json
import time
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest

from local.emulator import Emulator
from local.lambda_runtime import overlapping
from tests.workflow.customize_helpers import (
    Pipeline,
    deployed_pipeline,
    example,
    profiles_of,
    synthesize,
    tuneline_context,
    words,
)
from tuneline.profiles import Profile

pytestmark = pytest.mark.workflow

TIGHT_BUDGET = "tight-budget"
# Any real dataset costs more than a cent at a dollar per 1,000 tokens.
PICTURES = "pictures"
EXTRA_PROFILES = {
    TIGHT_BUDGET: {"baseModel": "amazon.nova-micro-v1:0:128k", "budgetUsd": 0.01, "pricePer1kTokensUsd": 1.0},
    PICTURES: {"baseModel": "amazon.nova-lite-v1:0:300k", "budgetUsd": 50},
}
CONTEXT = tuneline_context(EXTRA_PROFILES)
PROFILES: dict[str, Profile] = profiles_of(CONTEXT)

SUPPORT_BOT = "support-bot"  # cdk.json: Nova Micro fine-tuning that holds out a validation split
SUPPORT_KEY = f"incoming/{SUPPORT_BOT}/train.jsonl"
SUPPORT_DATA = example("support-bot/train.jsonl")
CREATE_STATES = ("Create customization job", "Create customization job with validation data", "Create distillation job")
MINUTE, HOUR = 60.0, 3600.0
GUARD_HANDLER = "tuneline.handlers.guard.handler"  # the Guard step's function (stacks/constructs/functions.py)


@pytest.fixture(scope="module")
def tuneline_cdk_out(tmp_path_factory: pytest.TempPathFactory) -> Path:
    return synthesize(tmp_path_factory.mktemp("tuneline-cdk-out"), CONTEXT)


@pytest.fixture
def pipeline(emulator: Emulator, tuneline_cdk_out: Path) -> Pipeline:
    from app import STACK_NAME

    return Pipeline(emulator, emulator.deploy(tuneline_cdk_out, STACK_NAME))


def lines_of(data: bytes) -> list[bytes]:
    return [line for line in data.splitlines(keepends=True) if line.strip()]


def job_created_by(pipeline: Pipeline, execution: dict[str, Any]) -> dict[str, Any]:
    output = json.loads(execution["output"])
    [job] = [job for job in pipeline.jobs() if job["jobArn"] == output["job"]["JobArn"]]
    return job


def seconds_trained(job: dict[str, Any]) -> float:
    return float((job["endTime"] - job["creationTime"]).total_seconds())


# --- the happy path, run once and looked at from several sides -------------------------------------------


class FineTuningRun:
    """One support-bot upload run to completion, with the intake probe watching."""

    def __init__(self, pipeline: Pipeline) -> None:
        self.pipeline = pipeline
        pipeline.start_intake_probe()
        self.version_id = pipeline.upload(SUPPORT_KEY, SUPPORT_DATA)
        self.incoming_before = pipeline.object_versions("incoming/")
        assert list(self.incoming_before) == [(SUPPORT_KEY, self.version_id)]
        self.execution = pipeline.only_execution()
        pipeline.wait_until_intake_is_idle()
        self.output: dict[str, Any] = json.loads(self.execution["output"])
        self.job = pipeline.only_job()


@pytest.fixture(scope="class")
def fine_tuning(tuneline_cdk_out: Path) -> Iterator[FineTuningRun]:
    with deployed_pipeline(tuneline_cdk_out) as pipeline:
        yield FineTuningRun(pipeline)


class TestFineTuningHappyPath:
    def test_the_upload_trains_a_model_through_every_step(self, fine_tuning: FineTuningRun) -> None:
        assert PROFILES[SUPPORT_BOT].validation_split > 0, "this path needs a profile that holds out a split"
        assert fine_tuning.execution["status"] == "SUCCEEDED"
        assert fine_tuning.pipeline.states_entered(fine_tuning.execution) == [
            "Plan job",
            "Validate dataset",
            # The shipped cdk.json has an RFT profile: its checks' choice is there for every profile.
            "Reinforcement fine-tuning?",
            "Join the queue",
            "Check budget and capacity",
            "Is a job slot free?",
            # The shipped cdk.json has a profile with baselineFirst: the choice is there for every profile.
            "Check the base model first?",
            "Notify job starting",
            "Choose job request",
            "Create customization job with validation data",
            "Summarize metrics",
            "Evaluate the model?",
            "Serve the model?",
            "Serving not requested",
            "Serving finished",
            "Notify job completed",
            "Done",
        ]

    def test_bedrock_trains_the_profiles_model_on_the_staged_copy(self, fine_tuning: FineTuningRun) -> None:
        profile, job, plan = PROFILES[SUPPORT_BOT], fine_tuning.job, fine_tuning.output["plan"]
        assert job["status"] == "Completed"
        assert job["customizationType"] == "FINE_TUNING"
        assert job["baseModelArn"].endswith(f":foundation-model/{profile.base_model}")
        assert job["hyperParameters"] == dict(profile.hyperparameters)
        bucket = fine_tuning.pipeline.bucket
        assert job["trainingDataConfig"]["s3Uri"] == f"s3://{bucket}/staged/{job['jobName']}/train.jsonl"
        assert job["validationDataConfig"]["validators"][0]["s3Uri"] == plan["validationDataUri"]
        assert plan["source"] == {"bucket": bucket, "key": SUPPORT_KEY, "versionId": fine_tuning.version_id}
        # The profile's split: the staged copies hold every record between them, the training copy most.
        staged_train = lines_of(fine_tuning.pipeline.read(plan["stagedTrainingKey"]))
        staged_validation = lines_of(fine_tuning.pipeline.read(plan["stagedValidationKey"]))
        assert len(staged_train) + len(staged_validation) == len(lines_of(SUPPORT_DATA))
        assert 0 < len(staged_validation) < len(staged_train)

    def test_summary_report_holds_the_losses_bedrock_reported(self, fine_tuning: FineTuningRun) -> None:
        job = fine_tuning.job
        summary = json.loads(fine_tuning.pipeline.read(f"reports/{job['jobName']}/summary.json"))
        assert summary["jobArn"] == job["jobArn"]
        assert summary["customModelArn"] == job["outputModelArn"]
        assert summary["metricsFound"] is True
        metrics = summary["metrics"]
        assert metrics["finalTrainingLoss"] == pytest.approx(job["trainingMetrics"]["trainingLoss"])
        assert metrics["finalValidationLoss"] == pytest.approx(job["validationMetrics"][0]["validationLoss"])
        assert metrics["firstTrainingLoss"] > metrics["finalTrainingLoss"]
        assert metrics["epochs"] == int(PROFILES[SUPPORT_BOT].hyperparameters["epochCount"])

    def test_completed_alert_has_the_loss_summary_and_the_custom_model_arn(self, fine_tuning: FineTuningRun) -> None:
        pipeline, job = fine_tuning.pipeline, fine_tuning.job
        summary = json.loads(pipeline.read(f"reports/{job['jobName']}/summary.json"))["metrics"]
        alert = pipeline.alert("training completed")
        assert job["jobName"] in alert["subject"]
        text = words(alert["message"])
        assert job["outputModelArn"] in text
        assert f"{summary['firstTrainingLoss']:.4f} -> {summary['finalTrainingLoss']:.4f}" in text
        assert f"{summary['finalValidationLoss']:.4f}" in text
        assert f"s3://{pipeline.bucket}/reports/{job['jobName']}/summary.json" in text

    def test_a_started_alert_goes_out_before_training(self, fine_tuning: FineTuningRun) -> None:
        alert = fine_tuning.pipeline.alert("training started")
        assert fine_tuning.job["jobName"] in alert["subject"]
        assert f"s3://{fine_tuning.pipeline.bucket}/{SUPPORT_KEY}" in words(alert["message"])
        subjects = [str(a["subject"]) for a in fine_tuning.pipeline.alerts()]
        started = next(i for i, s in enumerate(subjects) if "training started" in s)
        completed = next(i for i, s in enumerate(subjects) if "training completed" in s)
        assert started < completed

    def test_incoming_objects_are_unchanged_after_the_run(self, fine_tuning: FineTuningRun) -> None:
        assert fine_tuning.pipeline.object_versions("incoming/") == fine_tuning.incoming_before
        assert fine_tuning.incoming_before[(SUPPORT_KEY, fine_tuning.version_id)]["size"] == len(SUPPORT_DATA)
        assert fine_tuning.pipeline.read(SUPPORT_KEY) == SUPPORT_DATA

    def test_nothing_the_pipeline_writes_starts_another_execution(self, fine_tuning: FineTuningRun) -> None:
        pipeline = fine_tuning.pipeline
        written = [key for key in pipeline.object_keys() if not key.startswith("incoming/")]
        # Staged copies are .jsonl files too: only their prefix keeps them away from the intake.
        assert any(key.endswith(".jsonl") for key in written)
        assert {key.split("/", 1)[0] for key in written} <= {"staged", "reports", "output"}
        matched = [event["detail"]["object"]["key"] for event in pipeline.probed_events()]
        assert matched == [SUPPORT_KEY]
        assert len(pipeline.emulator.executions(pipeline.state_machine_arn)) == 1


# --- other customization types --------------------------------------------------------------------------


def test_continued_pre_training_runs_on_unlabeled_text(pipeline: Pipeline) -> None:
    profile = PROFILES["titan-domain"]
    pipeline.upload("incoming/titan-domain/corpus.jsonl", example("titan-domain/corpus.jsonl"))

    execution = pipeline.only_execution()

    assert execution["status"] == "SUCCEEDED"
    assert "Create customization job" in pipeline.states_entered(execution)
    job = pipeline.only_job()
    assert job["status"] == "Completed"
    assert job["customizationType"] == "CONTINUED_PRE_TRAINING" == profile.customization_type
    assert job["baseModelArn"].endswith(f":foundation-model/{profile.base_model}")
    assert job["hyperParameters"] == dict(profile.hyperparameters)
    request = pipeline.request_seen_by_bedrock(job["jobArn"])
    assert "validationDataConfig" not in request and "customizationConfig" not in request
    assert lines_of(pipeline.read(f"staged/{job['jobName']}/train.jsonl")) == lines_of(
        example("titan-domain/corpus.jsonl")
    )
    assert job["outputModelArn"] in words(pipeline.alert("training completed")["message"])


def test_distillation_request_carries_the_teacher_in_customization_config(pipeline: Pipeline) -> None:
    profile = PROFILES["nova-distill"]
    pipeline.upload("incoming/nova-distill/prompts.jsonl", example("nova-distill/prompts.jsonl"))

    execution = pipeline.only_execution()

    assert execution["status"] == "SUCCEEDED"
    assert "Create distillation job" in pipeline.states_entered(execution)
    job = pipeline.only_job()
    assert job["customizationType"] == "DISTILLATION"
    assert job["baseModelArn"].endswith(f":foundation-model/{profile.base_model}")
    request = pipeline.request_seen_by_bedrock(job["jobArn"])
    assert request["customizationConfig"] == {
        "distillationConfig": {
            "teacherModelConfig": {
                "teacherModelIdentifier": profile.teacher_model,
                "maxResponseLengthForInference": profile.max_response_length,
            }
        }
    }
    assert job["customizationConfig"] == request["customizationConfig"]


# --- what the user drops beside the dataset -------------------------------------------------------------


def test_a_manifest_beside_the_dataset_changes_the_jobs_hyperparameters(pipeline: Pipeline) -> None:
    manifest = {"hyperParameters": {"epochCount": "4", "learningRate": "0.00002"}, "tags": {"team": "support"}}
    pipeline.upload(f"incoming/{SUPPORT_BOT}/train.job.json", json.dumps(manifest).encode())
    pipeline.upload(SUPPORT_KEY, SUPPORT_DATA)

    execution = pipeline.only_execution()

    assert execution["status"] == "SUCCEEDED"
    job = pipeline.only_job()
    # The manifest's values win; what it does not mention stays as the profile sets it.
    assert job["hyperParameters"] == {**PROFILES[SUPPORT_BOT].hyperparameters, **manifest["hyperParameters"]}
    request = pipeline.request_seen_by_bedrock(job["jobArn"])
    assert {"key": "team", "value": "support"} in request["jobTags"]
    summary = json.loads(pipeline.read(f"reports/{job['jobName']}/summary.json"))
    assert summary["metrics"]["epochs"] == 4


def test_a_validation_companion_file_is_passed_as_validation_data_config(pipeline: Pipeline) -> None:
    records = lines_of(SUPPORT_DATA)
    training, validation = b"".join(records[:50]), b"".join(records[50:])
    pipeline.start_intake_probe()
    validation_version = pipeline.upload(f"incoming/{SUPPORT_BOT}/train.validation.jsonl", validation)
    pipeline.wait_until_intake_is_idle()
    assert pipeline.emulator.executions(pipeline.state_machine_arn) == []  # a companion starts nothing
    pipeline.upload(SUPPORT_KEY, training)

    execution = pipeline.only_execution()

    assert execution["status"] == "SUCCEEDED"
    assert "Create customization job with validation data" in pipeline.states_entered(execution)
    output = json.loads(execution["output"])
    plan = output["plan"]
    assert plan["validationSource"]["versionId"] == validation_version
    assert output["validation"]["split"] is None  # the user's file replaces the profile's split
    job = pipeline.only_job()
    request = pipeline.request_seen_by_bedrock(job["jobArn"])
    assert request["validationDataConfig"] == {"validators": [{"s3Uri": plan["validationDataUri"]}]}
    assert plan["validationDataUri"] == f"s3://{pipeline.bucket}/{plan['stagedValidationKey']}"
    assert pipeline.read(plan["stagedValidationKey"]) == validation
    assert pipeline.read(plan["stagedTrainingKey"]) == training
    assert len(pipeline.probed_events()) == 2  # both files reached the intake; only one started a job


# --- nothing is started when it should not be -----------------------------------------------------------


def picture_dataset(bucket: str, image_keys: list[str]) -> bytes:
    records = [
        {
            "schemaVersion": "bedrock-conversation-2024",
            "messages": [
                {
                    "role": "user",
                    "content": [
                        {"text": "Which cat is this?"},
                        {
                            "image": {
                                "format": "png",
                                "source": {"s3Location": {"uri": f"s3://{bucket}/{key}"}},
                            }
                        },
                    ],
                },
                {"role": "assistant", "content": [{"text": f"Cat number {n}."}]},
            ],
        }
        for n, key in enumerate(image_keys)
    ]
    return b"".join(json.dumps(r).encode() + b"\n" for r in records)


def test_a_picture_dataset_trains_on_staged_copies_of_its_images(pipeline: Pipeline) -> None:
    image_keys = [f"media/cats/cat-{n}.png" for n in range(10)]
    for key in image_keys:
        pipeline.upload(key, b"\x89PNG\r\n\x1a\n" + key.encode())
    pipeline.upload(f"incoming/{PICTURES}/cats.jsonl", picture_dataset(pipeline.bucket, image_keys))

    [execution] = pipeline.finished_executions(1)

    assert execution["status"] == "SUCCEEDED"
    job = job_created_by(pipeline, execution)
    staged_uri = job["trainingDataConfig"]["s3Uri"]
    staged_key = staged_uri.removeprefix(f"s3://{pipeline.bucket}/")
    staged_folder = staged_key.rsplit("/", 1)[0]
    staged_uris = [
        block["image"]["source"]["s3Location"]["uri"]
        for line in pipeline.read(staged_key).splitlines()
        for block in json.loads(line)["messages"][0]["content"]
        if "image" in block
    ]
    assert staged_uris == [f"s3://{pipeline.bucket}/{staged_folder}/media/{key}" for key in image_keys]
    for uri, key in zip(staged_uris, image_keys, strict=True):
        assert pipeline.read(uri.removeprefix(f"s3://{pipeline.bucket}/")).endswith(key.encode())


def test_a_record_naming_a_model_file_as_an_image_is_rejected_at_its_line_and_nothing_is_copied(
    pipeline: Pipeline,
) -> None:
    image_keys = [f"media/cats/cat-{n}.png" for n in range(10)]
    for key in image_keys:
        pipeline.upload(key, b"\x89PNG\r\n\x1a\n" + key.encode())
    image_keys[4] = "imports/llama/model-00001-of-00002.safetensors"
    pipeline.upload(image_keys[4], b"\x89PNG\r\n\x1a\n not really a picture")
    pipeline.upload(f"incoming/{PICTURES}/cats.jsonl", picture_dataset(pipeline.bucket, image_keys))

    [execution] = pipeline.finished_executions(1)

    assert execution["status"] == "FAILED"
    assert pipeline.states_entered(execution) == ["Plan job", "Validate dataset", "Notify failure", "Job failed"]
    assert pipeline.jobs() == [] and pipeline.object_keys("staged/") == []
    text = words(pipeline.alert("dataset rejected")["message"])
    assert "cats.jsonl line 5" in text and "media.outside-prefix" in text
    assert f"s3://{pipeline.bucket}/media/" in text


def test_a_rejected_dataset_starts_no_job_and_the_alert_names_the_line(pipeline: Pipeline) -> None:
    records = lines_of(SUPPORT_DATA)
    bad_line = 7
    records[bad_line - 1] = (
        b'{"schemaVersion": "bedrock-conversation-2024", '
        b'"messages": [{"role": "assistant", "content": [{"text": "I answer before anybody asks."}]}]}\n'
    )
    pipeline.upload(SUPPORT_KEY, b"".join(records))

    execution = pipeline.only_execution()

    assert execution["status"] == "FAILED"
    assert pipeline.states_entered(execution) == ["Plan job", "Validate dataset", "Notify failure", "Job failed"]
    assert pipeline.jobs() == []
    assert pipeline.object_keys("staged/") == []
    plan = pipeline.state_input(execution, "Notify failure")["plan"]
    report = json.loads(pipeline.read(f"{plan['reportPrefix']}validation.json"))
    [error] = report["errors"]
    assert error["line"] == bad_line
    alert = pipeline.alert("dataset rejected")
    text = words(alert["message"])
    assert f"train.jsonl line {bad_line}" in text
    assert error["rule"] in text
    assert f"s3://{pipeline.bucket}/{SUPPORT_KEY}" in text


def test_an_upload_for_an_unknown_profile_alerts_and_starts_no_job(pipeline: Pipeline) -> None:
    key = "incoming/no-such-profile/train.jsonl"
    pipeline.upload(key, SUPPORT_DATA)

    execution = pipeline.only_execution()

    assert execution["status"] == "FAILED"
    assert pipeline.states_entered(execution) == ["Plan job", "Notify failure", "Job failed"]
    assert pipeline.jobs() == []
    text = words(pipeline.alert("Tuneline: FAILED")["message"])
    assert f"s3://{pipeline.bucket}/{key}" in text
    assert "'no-such-profile'" in text
    assert all(name in text for name in PROFILES)  # where the file could have gone instead


def test_a_csv_dropped_where_a_dataset_belongs_gets_an_alert_saying_how_to_convert_it(pipeline: Pipeline) -> None:
    key = f"incoming/{SUPPORT_BOT}/faq.csv"
    version = pipeline.upload(key, b"question,answer\nHow do I reset my password?,Open Settings.\n")

    alert = pipeline.alert("upload ignored")

    text = words(alert["message"])
    assert "faq.csv" in alert["subject"]
    assert f"s3://{pipeline.bucket}/{key}" in text
    assert "tuneline convert faq.csv --from csv" in text
    assert pipeline.emulator.executions(pipeline.state_machine_arn) == []
    assert pipeline.jobs() == []
    assert list(pipeline.object_versions("incoming/")) == [(key, version)]


def test_a_dataset_named_with_an_upper_case_extension_trains(pipeline: Pipeline) -> None:
    pipeline.upload(f"incoming/{SUPPORT_BOT}/Train.JSONL", SUPPORT_DATA)

    [execution] = pipeline.finished_executions(1)

    assert execution["status"] == "SUCCEEDED"
    assert len(pipeline.jobs()) == 1
    assert not [alert for alert in pipeline.alerts() if "upload ignored" in str(alert.get("subject"))]


def test_a_dataset_with_a_mixed_case_extension_trains(pipeline: Pipeline) -> None:
    pipeline.upload(f"incoming/{SUPPORT_BOT}/questions.JsonL", SUPPORT_DATA)

    [execution] = pipeline.finished_executions(1)

    assert execution["status"] == "SUCCEEDED"
    assert len(pipeline.jobs()) == 1


def test_a_key_with_a_dot_dot_folder_gets_an_upload_ignored_alert_and_starts_nothing(pipeline: Pipeline) -> None:
    key = f"incoming/{SUPPORT_BOT}/../other/train.jsonl"
    pipeline.upload(key, SUPPORT_DATA)

    alert = pipeline.alert("upload ignored")

    text = words(alert["message"])
    assert "'..'" in text and f"incoming/{SUPPORT_BOT}/other/train.jsonl" in text
    assert pipeline.emulator.executions(pipeline.state_machine_arn) == []
    assert pipeline.jobs() == []


def test_an_over_budget_job_alerts_and_starts_no_job(pipeline: Pipeline) -> None:
    pipeline.upload(f"incoming/{TIGHT_BUDGET}/train.jsonl", SUPPORT_DATA)

    execution = pipeline.only_execution()

    assert execution["status"] == "FAILED"
    states = pipeline.states_entered(execution)
    assert states[-3:] == ["Check budget and capacity", "Notify failure", "Job failed"]
    assert not set(CREATE_STATES) & set(states)
    assert pipeline.jobs() == []
    assert "training started" not in " ".join(str(a["subject"]) for a in pipeline.alerts())
    text = words(pipeline.alert("Tuneline: FAILED")["message"])
    assert "BudgetExceeded" in text
    assert f"${PROFILES[TIGHT_BUDGET].budget_usd:,.2f}" in text


# --- Bedrock says no ------------------------------------------------------------------------------------


def test_a_failed_job_sends_a_failure_alert_with_bedrocks_message(pipeline: Pipeline) -> None:
    message = "Maximum input token count 4097 exceeds limit of 4096 for record 12"
    pipeline.emulator.bedrock.fail_next(message)
    pipeline.upload(SUPPORT_KEY, SUPPORT_DATA)

    execution = pipeline.only_execution()

    assert execution["status"] == "FAILED"
    states = pipeline.states_entered(execution)
    assert states[-3:] == ["Create customization job with validation data", "Notify failure", "Job failed"]
    assert "Summarize metrics" not in states
    job = pipeline.only_job()
    assert job["status"] == "Failed" and job["failureMessage"] == message
    alert = pipeline.alert("Tuneline: FAILED")
    assert job["jobName"] in alert["subject"]
    assert message in words(alert["message"])
    # The state named from the error the Catch recorded, not guessed from what the state lacks.
    assert "Failed in: Create customization job with validation data" in words(alert["message"])
    assert not [a for a in pipeline.alerts() if "training completed" in str(a["subject"])]
    assert pipeline.object_keys(f"reports/{job['jobName']}/summary.json") == []


def test_a_quota_error_on_create_is_retried_then_the_job_starts(pipeline: Pipeline) -> None:
    pipeline.emulator.bedrock.quota_errors_on_create(2)
    pipeline.upload(SUPPORT_KEY, SUPPORT_DATA)

    execution = pipeline.only_execution()

    assert execution["status"] == "SUCCEEDED"
    history = pipeline.emulator.execution_history(execution["executionArn"])
    failures = [event["taskFailedEventDetails"]["error"] for event in history if event["type"] == "TaskFailed"]
    assert failures == ["Bedrock.ServiceQuotaExceededException"] * 2
    states = pipeline.states_entered(execution)
    assert states.count("Create customization job with validation data") == 1  # retried inside the state
    assert states[-1] == "Done"
    assert pipeline.only_job()["status"] == "Completed"
    assert len([a for a in pipeline.alerts() if "training started" in str(a["subject"])]) == 1


# --- one upload, one job ----------------------------------------------------------------------------------


def test_the_same_object_version_delivered_three_times_runs_once(pipeline: Pipeline) -> None:
    pipeline.start_intake_probe()
    version_id = pipeline.upload(SUPPORT_KEY, SUPPORT_DATA)
    [delivered] = pipeline.probed_events()
    assert delivered["detail"]["object"]["version-id"] == version_id
    # EventBridge delivers at least once: the same event again through the bus, and again onto the queue.
    pipeline.emulator.client("events").put_events(
        Entries=[
            {
                "Source": delivered["source"],
                "DetailType": delivered["detail-type"],
                "Detail": json.dumps(delivered["detail"]),
                "Resources": delivered["resources"],
            }
        ]
    )
    pipeline.emulator.client("sqs").send_message(
        QueueUrl=pipeline.intake_queue_url(), MessageBody=json.dumps(delivered)
    )
    assert len(pipeline.probed_events()) == 1  # the re-sent event matched the intake rule again

    pipeline.wait_until_intake_is_idle()
    execution = pipeline.only_execution()
    pipeline.wait_until_intake_is_idle()

    assert execution["status"] == "SUCCEEDED"
    assert len(pipeline.emulator.executions(pipeline.state_machine_arn)) == 1
    assert len(pipeline.jobs()) == 1
    assert json.loads(execution["input"])["versionId"] == version_id


def test_a_new_version_of_the_same_key_starts_a_new_job(pipeline: Pipeline) -> None:
    records = lines_of(SUPPORT_DATA)
    first_version = pipeline.upload(SUPPORT_KEY, b"".join(records))
    pipeline.finished_executions(1)
    second_version = pipeline.upload(SUPPORT_KEY, b"".join(records[:40]))

    executions = pipeline.finished_executions(2)

    assert [e["status"] for e in executions] == ["SUCCEEDED", "SUCCEEDED"]
    assert [json.loads(e["input"])["versionId"] for e in executions] == [first_version, second_version]
    jobs = [job_created_by(pipeline, execution) for execution in executions]
    assert len({job["jobName"] for job in jobs}) == 2
    assert len({job["outputModelArn"] for job in jobs}) == 2
    assert len(pipeline.jobs()) == 2
    # Each job trained on its own version.
    staged = [lines_of(pipeline.read(json.loads(e["output"])["plan"]["stagedTrainingKey"])) for e in executions]
    assert [json.loads(e["output"])["validation"]["records"] for e in executions] == [len(records), 40]
    assert len(staged[0]) > len(staged[1])


def test_a_re_upload_during_a_job_waits_its_turn_and_changes_nothing_for_the_running_job(
    pipeline: Pipeline,
) -> None:
    records = lines_of(SUPPORT_DATA)
    assert PROFILES[SUPPORT_BOT].concurrency == 1
    pipeline.upload(SUPPORT_KEY, b"".join(records))
    # Simulated time runs at the real rate while the test looks at the job and uploads again, so the
    # hour-long job cannot end in between however loaded the machine is. Once the second execution exists,
    # it keeps the clock at that rate until its first capacity check has seen the running job.
    with pipeline.emulator.clock.busy():
        [running] = pipeline.wait_for_jobs(1)
        assert running["status"] == "InProgress"
        pipeline.upload(SUPPORT_KEY, b"".join(records[:40]))
        pipeline.wait_for_started_executions(2)

    first, second = pipeline.finished_executions(2)

    assert [first["status"], second["status"]] == ["SUCCEEDED", "SUCCEEDED"]
    jobs = [job_created_by(pipeline, first), job_created_by(pipeline, second)]
    # The profile runs one job at a time: the second was created only after the first ended.
    assert jobs[1]["creationTime"] >= jobs[0]["endTime"]
    assert "Wait for a job slot" in pipeline.states_entered(second), "the second execution never waited for a slot"
    assert "Wait for a job slot" not in pipeline.states_entered(first)
    # Each job trained on the version that started it, although the key changed while the first one ran.
    for execution, expected in ((first, len(records)), (second, 40)):
        plan = json.loads(execution["output"])["plan"]
        staged = lines_of(pipeline.read(plan["stagedTrainingKey"])) + lines_of(
            pipeline.read(plan["stagedValidationKey"])
        )
        assert len(staged) == expected


def test_staged_data_overwritten_while_the_job_waits_fails_the_run_with_an_alert(pipeline: Pipeline) -> None:
    records = lines_of(SUPPORT_DATA)
    assert PROFILES[SUPPORT_BOT].concurrency == 1
    pipeline.upload(SUPPORT_KEY, b"".join(records))
    # As in the re-upload test: the clock runs at the real rate until the second execution waits in the queue
    # and its staged copy has been overwritten, so the running job cannot end in between.
    with pipeline.emulator.clock.busy():
        [running] = pipeline.wait_for_jobs(1)
        assert running["status"] == "InProgress"
        pipeline.upload(f"incoming/{SUPPORT_BOT}/second.jsonl", b"".join(records[:40]))
        waiting = _waiting_in_the_queue(pipeline)
        plan = pipeline.state_input(waiting, "Check budget and capacity")["plan"]
        staged_key = plan["stagedTrainingKey"]
        pipeline.emulator.client("s3").put_object(Bucket=pipeline.bucket, Key=staged_key, Body=records[0])

    first, second = pipeline.finished_executions(2)

    assert first["status"] == "SUCCEEDED"
    assert second["status"] == "FAILED"
    states = pipeline.states_entered(second)
    assert states[-3:] == ["Check budget and capacity", "Notify failure", "Job failed"]
    assert not set(CREATE_STATES) & set(states)
    assert len(pipeline.jobs()) == 1, "a job was created on data that changed after validation"
    text = words(pipeline.alert("staged data changed")["message"])
    assert f"s3://{pipeline.bucket}/{staged_key}" in text
    assert "StagedDataChanged" in text


def _waiting_in_the_queue(pipeline: Pipeline) -> dict[str, Any]:
    """The execution whose capacity check has already found the profile's slot taken: it waits in the loop
    (docs/decisions/0015-queue-on-a-deadline.md)."""
    deadline = time.monotonic() + 60
    while time.monotonic() < deadline:
        for execution in pipeline.emulator.executions(pipeline.state_machine_arn):
            if "Wait for a job slot" in pipeline.states_entered(execution):
                return execution
        time.sleep(0.05)
    raise AssertionError("no execution waited for a free slot")


def test_datasets_uploaded_together_train_one_at_a_time_within_the_profiles_concurrency(
    pipeline: Pipeline,
) -> None:
    records = lines_of(SUPPORT_DATA)
    assert PROFILES[SUPPORT_BOT].concurrency == 1
    # Three files land at once (one intake batch): their executions validate side by side and reach the
    # capacity check together, yet only one job may run at a time. The emulator runs Lambda invocations in
    # parallel, as Lambda does; holding the first three Guard invocations until all have started makes their
    # checks run at the same moment on every machine, however the scheduler interleaves the executions.
    keys = [f"incoming/{SUPPORT_BOT}/team-{name}.jsonl" for name in ("a", "b", "c")]
    with pipeline.emulator.runtime.hold(GUARD_HANDLER, parties=len(keys)):
        for count, key in enumerate(keys):
            pipeline.upload(key, b"".join(records[: 40 + count]))
        executions = pipeline.finished_executions(len(keys))

    guards = sorted(
        (invocation for _, invocation in pipeline.emulator.runtime.invocations if invocation.handler == GUARD_HANDLER),
        key=lambda invocation: invocation.started,
    )
    first_round = guards[: len(keys)]
    assert overlapping(first_round) == len(keys), "the three capacity checks did not run at the same moment"
    # Of three checks at one moment for a one-at-a-time profile, exactly one finds the slot free.
    assert sorted(json.loads(invocation.payload)["admitted"] for invocation in first_round) == [False, False, True]
    assert [e["status"] for e in executions] == ["SUCCEEDED"] * len(keys)
    jobs = sorted((job_created_by(pipeline, e) for e in executions), key=lambda job: job["creationTime"])
    assert len({job["jobName"] for job in jobs}) == len(keys)
    for earlier, later in itertools.pairwise(jobs):
        assert later["creationTime"] >= earlier["endTime"], "two jobs of a one-at-a-time profile overlapped"


# --- cost ------------------------------------------------------------------------------------------------


def test_state_transitions_do_not_depend_on_how_long_the_job_trains(pipeline: Pipeline) -> None:
    transitions, durations = [], []
    for count, simulated_seconds in enumerate((MINUTE, HOUR), start=1):
        pipeline.emulator.bedrock.job_duration_seconds = simulated_seconds
        pipeline.upload(SUPPORT_KEY, SUPPORT_DATA)
        execution = pipeline.finished_executions(count)[-1]
        assert execution["status"] == "SUCCEEDED"
        transitions.append(pipeline.emulator.state_transitions(execution["executionArn"]))
        durations.append(seconds_trained(job_created_by(pipeline, execution)))
        # The .sync task waits for the job inside one state: no state is entered twice, however long it trains.
        states = pipeline.states_entered(execution)
        assert len(states) == len(set(states))

    assert durations == [pytest.approx(MINUTE), pytest.approx(HOUR)]
    assert transitions[0] == transitions[1]


def test_a_training_execution_stopped_by_hand_stops_its_job_and_alerts(pipeline: Pipeline) -> None:
    pipeline.emulator.bedrock.job_duration_seconds = 30 * 24 * HOUR  # still training when the run is stopped
    pipeline.upload(SUPPORT_KEY, SUPPORT_DATA)
    [job] = pipeline.wait_for_jobs(1)
    [running] = pipeline.wait_for_started_executions(1)

    pipeline.emulator.client("stepfunctions").stop_execution(executionArn=running["executionArn"], cause="mistake")

    assert pipeline.only_execution()["status"] == "ABORTED"
    # The .sync task stops the job it was waiting for, as Step Functions does: it does not train on unbilled.
    assert pipeline.emulator.bedrock.jobs.get(job["jobArn"]).status in ("Stopping", "Stopped")
    alert = pipeline.alert("training workflow ABORTED")
    assert "train.jsonl" in alert["subject"]
