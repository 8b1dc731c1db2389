"""Every alert: the right facts first, the numbers, then what to do; valid for SNS and short-lined."""

from __future__ import annotations

import io
import json
from pathlib import Path
from typing import Any

import pytest

from tuneline.alerts.messages import (
    MAX_LISTED_ERRORS,
    dataset_rejected,
    format_bedrock_event,
    format_execution_end,
    job_completed,
    job_started,
    pipeline_failed,
    upload_ignored,
)
from tuneline.alerts.text import BODY_WIDTH, MAX_SUBJECT_LENGTH, Alert
from tuneline.datasets.validator import validate_dataset
from tuneline.jobs.ignored_uploads import explain_ignored_upload
from tuneline.jobs.manifest import parse_manifest
from tuneline.jobs.planning import ObjectRef, plan_job
from tuneline.profiles import parse_profile

EVENTS = Path(__file__).resolve().parents[2] / "data" / "events"
BUCKET = "tuneline-data-123456789012"
JOB_ARN = "arn:aws:bedrock:us-east-1:123456789012:model-customization-job/amazon.nova-micro-v1:0:128k/a1b2c3d4e5f6"
MODEL_ARN = "arn:aws:bedrock:us-east-1:123456789012:custom-model/amazon.nova-micro-v1:0:128k/z9y8x7w6v5u4"


def _plan(**profile_settings: Any) -> dict[str, Any]:
    profile = parse_profile(
        "support", {"baseModel": "amazon.nova-micro-v1:0:128k", **profile_settings}, "tuneline.profiles.support"
    )
    manifest = parse_manifest(b'{"description": "March tickets"}', file="chat.job.json")
    source = ObjectRef(BUCKET, "incoming/support/q4/chat tickets.jsonl", "v1")
    return plan_job(profile=profile, bucket=BUCKET, source=source, validation=None, manifest=manifest).to_state()


PLAN = _plan(hyperParameters={"epochCount": 3}, validationSplit=0.1, budgetUsd=40)


def _assert_readable(alert: Alert) -> None:
    assert len(alert.subject) <= MAX_SUBJECT_LENGTH
    assert alert.subject.isascii() and "\n" not in alert.subject
    for line in alert.body.splitlines():
        # Long lines are only things a reader copies whole (URIs, ARNs, commands), indented on their own line.
        value = line.strip()
        copied = line.startswith("  ") and (" " not in value or value.startswith(("s3://", "aws ", "tuneline ")))
        assert len(line) <= BODY_WIDTH or copied, line


def _text(alert: Alert) -> str:
    """The body with line breaks taken out, to check sentences wherever the wrapping fell."""
    return " ".join(alert.body.split())


def _position(body: str, text: str) -> int:
    assert text in body, f"{text!r} not in:\n{body}"
    return body.index(text)


# --- job started -------------------------------------------------------------------------------------------------


def test_job_started_says_what_runs_on_what_and_how_to_stop_it() -> None:
    plan = {
        **PLAN,
        "estimate": {"estimatedCostUsd": 12.34},
        "validationStats": {"records": 1200, "trainingTokens": 450000, "warnings": 2},
    }

    alert = job_started(plan, JOB_ARN)

    _assert_readable(alert)
    assert alert.subject == f"Tuneline: training started - {PLAN['jobName']}"
    body = alert.body
    assert body.startswith("Training started for profile support.")
    for text in (
        f"Job: {PLAN['jobName']}",
        "Base model: amazon.nova-micro-v1:0:128k",
        f"s3://{BUCKET}/incoming/support/q4/chat tickets.jsonl",
        "Validation: 10% of the dataset held out",
        "Settings: epochCount=3",
        "Records: 1,200 (450,000 tokens), 2 warnings in the report",
        "Cost: about $12.34 (budget $40.00)",
        "Description: March tickets",
        JOB_ARN,
        f"aws bedrock stop-model-customization-job --job-identifier {PLAN['jobName']}",
    ):
        assert text in body
    assert _position(body, "Job:") < _position(body, "What next:")


def test_job_started_without_estimate_or_arn_still_reads() -> None:
    alert = job_started(_plan(), None)

    _assert_readable(alert)
    assert "Cost: budget $100.00" in alert.body
    assert "Settings: model defaults" in alert.body
    assert "Validation: none" in alert.body
    assert "Job ARN" not in alert.body


# --- job completed -----------------------------------------------------------------------------------------------

SUMMARY = {
    "trainingSteps": 600,
    "epochs": 3,
    "firstTrainingLoss": 2.834647,
    "finalTrainingLoss": 0.914834,
    "bestTrainingLoss": 0.795305,
    "finalValidationLoss": 1.11876,
    "bestValidationLoss": 1.11876,
    "bestValidationEpoch": 3,
    "finalPerplexity": 3.061056,
    "finalPerplexitySource": "validation",
    "improvementPct": 67.73,
    "overfitting": False,
    "overfittingDetail": None,
}
JOB = {"outputModelArn": MODEL_ARN, "creationTime": "2026-11-02T10:00:00Z", "endTime": "2026-11-02T12:14:30Z"}


def test_job_completed_gives_the_model_the_losses_and_the_report() -> None:
    alert = job_completed(PLAN, SUMMARY, JOB)

    _assert_readable(alert)
    assert alert.subject == f"Tuneline: training completed - {PLAN['jobName']}"
    body = alert.body
    for text in (
        MODEL_ARN,
        "Took: 2h 14m",
        "Training loss: 2.8346 -> 0.9148 (68% lower)",
        "Best training loss: 0.7953",
        "Validation loss: 1.1188 (best 1.1188 at epoch 3)",
        "Perplexity: 3.061 (validation)",
        "Steps: 600 over 3 epochs",
        f"s3://{BUCKET}/reports/{PLAN['jobName']}/",
        "Provisioned Throughput",
    ):
        assert text in body
    assert "overfitting" not in body.lower()
    assert _position(body, MODEL_ARN) < _position(body, "Training loss") < _position(body, "What next:")


def test_job_completed_warns_about_overfitting_in_subject_and_body() -> None:
    summary = {
        **SUMMARY,
        "overfitting": True,
        "overfittingDetail": "validation loss was best at epoch 1 (1.0470) and ended 35% higher (1.4180)",
    }

    alert = job_completed(PLAN, summary, JOB)

    _assert_readable(alert)
    assert "check overfitting" in alert.subject
    assert "WARNING: possible overfitting." in alert.body
    assert "Validation loss was best at epoch 1" in alert.body
    assert "fewer epochs" in alert.body


def test_job_completed_reads_the_summarize_steps_result() -> None:
    step_result = {
        "jobName": PLAN["jobName"],
        "metrics": SUMMARY,
        "reportUri": f"s3://{BUCKET}/reports/{PLAN['jobName']}/summary.json",
    }

    alert = job_completed(PLAN, step_result, {"OutputModelArn": MODEL_ARN})

    assert "Training loss: 2.8346 -> 0.9148" in alert.body
    assert f"s3://{BUCKET}/reports/{PLAN['jobName']}/summary.json" in alert.body
    assert MODEL_ARN in alert.body


def test_job_completed_without_metrics_says_so() -> None:
    alert = job_completed(PLAN, {"metrics": None}, JOB)

    assert "No training metrics were found" in alert.body
    assert MODEL_ARN in alert.body


def test_job_completed_without_validation_set() -> None:
    summary = {**SUMMARY, "finalValidationLoss": None, "bestValidationLoss": None, "finalPerplexitySource": "training"}

    alert = job_completed(PLAN, summary, JOB)

    assert "Validation loss: none (no validation set)" in alert.body
    assert "Perplexity: 3.061 (training)" in alert.body


@pytest.mark.parametrize(
    ("serving", "expected"),
    [
        ("provisioned", "Provisioned Throughput is being set up"),
        ("on-demand", "on-demand deployment is being created"),
        ("none", "To use the model, buy Provisioned Throughput"),
    ],
)
def test_job_completed_next_step_follows_the_serving_mode(serving: str, expected: str) -> None:
    plan = {**PLAN, "serving": {"mode": serving}}

    assert expected in " ".join(job_completed(plan, SUMMARY, JOB).body.split())


# --- dataset rejected --------------------------------------------------------------------------------------------


def _report(errors: int) -> dict[str, Any]:
    rules = ["missing-field", "bad-role", "too-long"]
    return {
        "valid": False,
        "errors": [
            {"line": i + 1, "rule": rules[i % 3], "message": f"problem number {i + 1}", "file": "chat tickets.jsonl"}
            for i in range(errors)
        ],
        "warnings": [{"line": None, "rule": "duplicates", "message": "3 duplicate records"}],
        "stats": {},
    }


def test_dataset_rejected_lists_the_first_errors_and_counts_by_rule() -> None:
    uri = f"s3://{BUCKET}/reports/{PLAN['jobName']}/validation.json"

    alert = dataset_rejected(PLAN, _report(25), uri)

    _assert_readable(alert)
    assert alert.subject == "Tuneline: dataset rejected - chat tickets.jsonl (25 errors)"
    body = alert.body
    assert _text(alert).startswith("The dataset was rejected with 25 errors and 1 warning. No job was started")
    assert "nothing was charged" in _text(alert)
    assert "  missing-field: 9\n  bad-role: 8\n  too-long: 8" in body
    assert f"First {MAX_LISTED_ERRORS} errors:" in body
    assert "1. chat tickets.jsonl line 1: [missing-field] problem number 1" in body
    assert "10. chat tickets.jsonl line 10: [missing-field] problem number 10" in _text(alert)
    assert "problem number 11" not in body
    assert "... 15 more in the full report." in body
    assert uri in body
    assert "tuneline validate <file> --model amazon.nova-micro-v1:0:128k --type FINE_TUNING" in body


def test_dataset_rejected_reports_true_totals_when_the_report_list_is_capped() -> None:
    # The validator keeps 20 findings per rule but counts all of them.
    report = _report(20)
    for error in report["errors"]:
        error["rule"] = "record.missing-field"
    report["warnings"][0]["rule"] = "record.duplicate"
    report["stats"] = {
        "error_counts": {"record.missing-field": 300, "line.invalid-json": 7},
        "warning_counts": {"record.duplicate": 450},
    }

    alert = dataset_rejected(PLAN, report, None)

    assert alert.subject == "Tuneline: dataset rejected - chat tickets.jsonl (307 errors)"
    assert _text(alert).startswith("The dataset was rejected with 307 errors and 450 warnings.")
    assert "  record.missing-field: 300\n  line.invalid-json: 7" in alert.body
    assert f"... {307 - MAX_LISTED_ERRORS} more in the full report." in alert.body


def test_dataset_rejected_without_a_plan_or_report_uri() -> None:
    report = {"errors": [{"line": None, "rule": "too-few-records", "message": "3 records; at least 8 needed"}]}

    alert = dataset_rejected(None, report, None)

    _assert_readable(alert)
    assert alert.subject == "Tuneline: dataset rejected - dataset (1 error)"
    assert "Errors:\n1. dataset: [too-few-records] 3 records; at least 8 needed" in alert.body
    assert "Full report" not in alert.body


def test_dataset_rejected_shortens_very_long_messages() -> None:
    report = {"errors": [{"line": 1, "rule": "r", "message": "x " * 500, "file": "f.jsonl"}]}

    alert = dataset_rejected(PLAN, report, None)

    _assert_readable(alert)
    assert len(alert.body) < 2000


# --- pipeline failed ---------------------------------------------------------------------------------------------


def _lambda_cause(error_type: str, message: str) -> str:
    return json.dumps(
        {"errorMessage": message, "errorType": error_type, "requestId": "abc", "stackTrace": ["  File x"]}
    )


def _job_cause(status: str, failure_message: str | None = None) -> str:
    """What a failed `.sync` CreateModelCustomizationJob task reports as its cause: the job description."""
    job = {
        "jobArn": JOB_ARN,
        "jobName": "tuneline-support.chat-tickets-3f9c2a1b7d4e",
        "status": status,
        "baseModelArn": "arn:aws:bedrock:us-east-1::foundation-model/amazon.nova-micro-v1:0:128k",
        "creationTime": "2026-11-20T17:40:00Z",
        "endTime": "2026-11-20T18:41:10Z",
    }
    if failure_message:
        job["failureMessage"] = failure_message
    return json.dumps(job)


FAILURES = [
    # (error, cause, words in the subject, words in the body)
    (
        "BudgetExceeded",
        _lambda_cause("BudgetExceeded", "Estimated training cost $120.00 is above the budget of $40.00"),
        "over budget",
        ["Estimated training cost $120.00", "Raise budgetUsd in the profile", "nothing was charged"],
    ),
    (
        "UnknownProfile",
        _lambda_cause("UnknownProfile", "profile 'prod' is not configured. Configured profiles: support"),
        "unknown profile",
        ["Configured profiles: support", "add the profile to cdk.json"],
    ),
    (
        "ManifestInvalid",
        _lambda_cause("ManifestInvalid", "chat.job.json: budgetUsd: 500 is above the profile budget"),
        "job manifest invalid",
        ["chat.job.json: budgetUsd", "Fix the manifest"],
    ),
    (
        "PlanInvalid",
        _lambda_cause("PlanInvalid", "chat.validation.jsonl is a validation set, but Nova 2 Lite accepts none"),
        "job cannot be planned",
        ["accepts none", "upload the training file again"],
    ),
    (
        "ConcurrencyLimitReached",
        _lambda_cause("ConcurrencyLimitReached", "Profile support already runs 1 job(s), its limit is 1."),
        "too many jobs running",
        ["raise concurrency in the profile"],
    ),
    (
        "Bedrock.ServiceQuotaExceededException",
        "You have reached the maximum number of concurrent jobs. (Service: Bedrock, Status Code: 400, "
        "Request ID: 1a2b3c4d-0000-1111-2222-333344445555)",
        "Bedrock quota reached",
        ["maximum number of concurrent jobs", "Service Quotas", "1a2b3c4d-0000-1111-2222-333344445555"],
    ),
    (
        "Bedrock.ValidationException",
        "The provided hyperparameter batchSize is not supported for this model. (Service: Bedrock, Status "
        "Code: 400, Request ID: r-1)",
        "Bedrock rejected the request",
        ["batchSize is not supported", "Fix the profile or the manifest"],
    ),
    (
        "Bedrock.AccessDeniedException",
        "You don't have access to the model with the specified model ID.",
        "access denied",
        ["Model access", "don't have access"],
    ),
    (
        "Bedrock.ConflictException",
        "A custom model with the name support-bot already exists.",
        "name already in use",
        ["customModelName", "already exists"],
    ),
    (
        "Bedrock.SomethingNewException",
        "Brand new failure mode.",
        "Bedrock error",
        ["Bedrock returned an error", "Brand new failure mode."],
    ),
    (
        "States.Timeout",
        "",
        "timed out",
        ["ran longer than its time limit", "Bedrock console"],
    ),
    (
        "States.TaskFailed",
        json.dumps(
            {
                "status": "Failed",
                "failureMessage": "Unable to parse Amazon S3 file: train.jsonl. Data files "
                "must conform to JSONL format.",
            }
        ),
        "data is not valid JSONL",
        ["Unable to parse Amazon S3 file", "- Check the file before uploading: tuneline validate <file> --model"],
    ),
    (
        "States.TaskFailed",
        "Could not validate GetObject permissions to access Amazon S3 bucket: data at key staged/x/train.jsonl",
        "Bedrock cannot read the data",
        ["s3:GetObject", "staged/x/train.jsonl"],
    ),
    (
        "States.TaskFailed",
        json.dumps({"failureMessage": "Maximum input token count 4097 exceeds limit of 4096"}),
        "a record is too long",
        ["4097 exceeds limit of 4096", "Shorten or split"],
    ),
    (
        "Lambda.Unknown",
        "The cause could not be determined because Lambda did not return an error type.",
        "pipeline function failed",
        ["CloudWatch logs"],
    ),
    (
        "Sandbox.Timedout",
        "Task timed out after 900.00 seconds",
        "function timed out",
        ["ran out of time", "900.00 seconds"],
    ),
    (
        "KeyError",
        _lambda_cause("KeyError", "'jobName'"),
        "unexpected error",
        ["unexpected error", "'jobName'", "Step Functions console"],
    ),
    (
        "States.ALL",
        "not json {",
        "unexpected error",
        ["not json {"],
    ),
    # A failed `.sync` task: the cause is Bedrock's job description.
    (
        "States.TaskFailed",
        _job_cause("Failed", "The training job failed because of an unknown reason."),
        "training job failed",
        ["Bedrock could not finish the training job", "unknown reason", "upload the training file again"],
    ),
    (
        "States.TaskFailed",
        _job_cause("Stopped"),
        "training job stopped",
        ["stopped before it finished", "ended as Stopped", "If the stop was a mistake"],
    ),
    (
        "States.TaskFailed",
        _job_cause("Failed", "Encountered an unexpected error when processing the request, please try again"),
        "Bedrock internal error",
        ["internal error while training", "usually temporary"],
    ),
    # A function's own AWS error is not a Bedrock job failure, even when it names PutObject.
    (
        "ClientError",
        _lambda_cause("ClientError", "An error occurred (AccessDenied) when calling the PutObject operation"),
        "missing permission",
        ["permission is missing from the deployment", "redeploy the stack"],
    ),
    (
        "Lambda.AWSLambdaException",
        "User: arn:aws:sts::123456789012:assumed-role/Machine/x is not authorized to perform: "
        "lambda:InvokeFunction on resource: Validate (Service: AWSLambda; Status Code: 403; Error Code: "
        "AccessDeniedException; Request ID: 5f1e; Proxy: null)",
        "missing permission",
        ["redeploy the stack", "Request ID: 5f1e"],
    ),
    (
        "Lambda.TooManyRequestsException",
        "Rate Exceeded. (Service: AWSLambda; Status Code: 429; Error Code: TooManyRequestsException; "
        "Request ID: 77aa; Proxy: null)",
        "pipeline function failed",
        ["even after retries", "wait a few minutes, then upload"],
    ),
    (
        "Runtime.OutOfMemory",
        _lambda_cause("Runtime.OutOfMemory", "RequestId: abc Error: Runtime exited with error: signal: killed"),
        "function ran out of memory",
        ["ran out of memory", "tuneline split", "signal: killed"],
    ),
    (
        "Runtime.ExitError",
        _lambda_cause("Runtime.ExitError", "RequestId: abc Error: Runtime exited with error: signal: killed"),
        "function ran out of memory",
        ["ran out of memory"],
    ),
    (
        "Runtime.ImportModuleError",
        _lambda_cause("Runtime.ImportModuleError", "Unable to import module 'tuneline.handlers.plan'"),
        "pipeline function cannot start",
        ["deployment problem", "Unable to import module"],
    ),
    (
        "Bedrock.InternalServerException",
        "Internal server error (Service: Bedrock, Status Code: 500, Request ID: 9c8b)",
        "Bedrock internal error",
        ["the retries ran out", "Request ID: 9c8b"],
    ),
]

_PHRASES_THAT_READ_BADLY = (
    "fixed, then",
    "temporary: then",
    "; then upload the training file again (every upload is a new version and a new job) once",
)


@pytest.mark.parametrize(("error", "cause", "subject_words", "body_words"), FAILURES)
def test_pipeline_failed_explains_known_and_unknown_errors(
    error: str, cause: str, subject_words: str, body_words: list[str]
) -> None:
    alert = pipeline_failed(plan=PLAN, source=None, error=error, cause=cause, state="Create customization job")

    _assert_readable(alert)
    assert alert.subject.startswith("Tuneline: FAILED, ")
    assert subject_words in alert.subject
    body = " ".join(alert.body.split())
    for words in body_words:
        assert words in body
    assert f"Job: {PLAN['jobName']}" in alert.body
    assert "Failed in: Create customization job" in alert.body
    assert f"Error: {error}" in alert.body
    assert "stackTrace" not in alert.body and "File x" not in alert.body
    assert _position(body, "What to do:") > _position(body, "Error:")
    assert not any(phrase in body for phrase in _PHRASES_THAT_READ_BADLY), body
    assert '"jobArn"' not in body


def test_pipeline_failed_before_a_plan_names_the_dataset() -> None:
    source = {"bucket": BUCKET, "key": "incoming/prod/chat.jsonl", "versionId": "v1"}

    alert = pipeline_failed(
        plan=None,
        source=source,
        error="UnknownProfile",
        cause=_lambda_cause("UnknownProfile", "profile 'prod' is not configured"),
        state="Plan job",
    )

    _assert_readable(alert)
    assert alert.subject == "Tuneline: FAILED, unknown profile - chat.jsonl"
    assert f"s3://{BUCKET}/incoming/prod/chat.jsonl" in alert.body
    assert "Failed in: Plan job" in alert.body


def test_pipeline_failed_with_nothing_known_still_sends_something_useful() -> None:
    alert = pipeline_failed(plan=None, source=None, error="", cause="", state=None)

    _assert_readable(alert)
    assert alert.subject == "Tuneline: FAILED, unexpected error - pipeline"
    assert "What to do:" in alert.body


def test_pipeline_failed_keeps_huge_causes_short() -> None:
    alert = pipeline_failed(plan=PLAN, source=None, error="States.TaskFailed", cause="boom " * 2000, state=None)

    assert len(alert.body) < 2500


# --- Bedrock EventBridge events ----------------------------------------------------------------------------------


def _event(status: str, **detail: Any) -> dict[str, Any]:
    return {
        "version": "0",
        "id": "e-1",
        "detail-type": "Model Customization Job State Change",
        "source": "aws.bedrock",
        "account": "123456789012",
        "time": "2026-11-02T12:14:30Z",
        "region": "us-east-1",
        "resources": [JOB_ARN],
        "detail": {
            "version": "0.0",
            "jobName": PLAN["jobName"],
            "jobArn": JOB_ARN,
            "outputModelName": PLAN["customModelName"],
            "outputModelArn": MODEL_ARN,
            "jobStatus": status,
            "creationTime": "2026-11-02T10:00:00Z",
            "lastModifiedTime": "2026-11-02T12:14:30Z",
            "endTime": "2026-11-02T12:14:30Z",
            "baseModelArn": "arn:aws:bedrock:us-east-1::foundation-model/amazon.nova-micro-v1:0:128k",
            "hyperParameters": {"epochCount": "3"},
            **detail,
        },
    }


@pytest.mark.parametrize(
    ("status", "subject", "body_words", "absent"),
    [
        ("Completed", "Bedrock job completed", ["Bedrock finished training", MODEL_ARN, "Took: 2h 14m"], []),
        ("Stopped", "Bedrock job stopped", ["was stopped before it finished", "Upload the training file"], [MODEL_ARN]),
        ("InProgress", "Bedrock job in progress", ["The training job is running."], [MODEL_ARN]),
        ("Failed", "Bedrock job FAILED", ["No custom model was created", "Read the failure message"], [MODEL_ARN]),
    ],
)
def test_bedrock_job_state_changes(status: str, subject: str, body_words: list[str], absent: list[str]) -> None:
    alert = format_bedrock_event(_event(status))

    _assert_readable(alert)
    assert alert.subject == f"Tuneline: {subject} - {PLAN['jobName']}"
    for words in body_words:
        assert words in _text(alert)
    for words in absent:
        assert words not in alert.body
    assert JOB_ARN in alert.body
    assert "Base model: amazon.nova-micro-v1:0:128k" in alert.body


def test_a_failed_job_with_a_known_failure_message_gets_specific_advice() -> None:
    event = _event(
        "Failed",
        failureMessage="Amazon S3 perms missing (PutObject): Could not validate PutObject permissions to access "
        "S3 bucket: data at key output/.write_access_check_file.tmp",
    )

    alert = format_bedrock_event(event)

    _assert_readable(alert)
    assert alert.body.startswith("The Bedrock service role could not write the job output to S3.")
    assert "Failure message:" in alert.body
    assert "s3:PutObject" in alert.body


def test_a_minimal_event_still_formats() -> None:
    alert = format_bedrock_event({"detail": {"jobStatus": "Completed", "jobArn": JOB_ARN}})

    _assert_readable(alert)
    assert alert.subject == "Tuneline: Bedrock job completed - a1b2c3d4e5f6"


def test_started_alert_shows_the_manifest_description_as_written() -> None:
    from tuneline.alerts.messages import job_started

    plan = {
        "jobName": "tuneline-p.d.0123456789ab",
        "profile": "p",
        "baseModelIdentifier": "amazon.nova-micro-v1:0:128k",
        "customizationType": "FINE_TUNING",
        "source": {"bucket": "b", "key": "incoming/p/d.jsonl"},
        "description": "Support assistant, November refresh",
        "tags": [{"key": "tuneline:description", "value": "Support assistant_ November refresh"}],
    }
    assert "Support assistant, November refresh" in job_started(plan, None).body


# --- upload ignored ----------------------------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("key", "command"),
    [
        ("incoming/support/q4/chat tickets.csv", "tuneline convert 'chat tickets.csv'"),
        (
            "incoming/support/train.json",
            "tuneline convert train.json --from auto --model <base-model-id> -o train.jsonl",
        ),
        ("incoming/support/train.jsonl.gz", f"aws s3 cp train.jsonl s3://{BUCKET}/incoming/support/train.jsonl"),
        ("incoming/support/corpus.txt", None),
    ],
)
def test_upload_ignored_names_the_file_says_nothing_started_and_how_to_fix_it(key: str, command: str | None) -> None:
    ignored = explain_ignored_upload(key, BUCKET)
    assert ignored is not None

    alert = upload_ignored(ignored, BUCKET)

    _assert_readable(alert)
    assert alert.subject.startswith("Tuneline: upload ignored - ")
    assert ignored.file_name in alert.subject
    body = _text(alert)
    assert f"s3://{BUCKET}/{key}" in body
    assert "No job was started and the file was left as it is." in body
    assert ".jsonl" in body.split("What to do:")[1]
    if command:
        assert command in alert.body


def test_a_command_in_the_advice_stands_whole_on_its_own_line() -> None:
    cause = _lambda_cause("DatasetRejected", "3 errors; the report lists them")

    alert = pipeline_failed(plan=PLAN, source=None, error="DatasetRejected", cause=cause, state="Validate dataset")

    _assert_readable(alert)
    assert "  tuneline validate <file> --model amazon.nova-micro-v1:0:128k --type FINE_TUNING\n" in alert.body
    assert "`tuneline validate" not in alert.body


def _execution_end(status: str, execution_input: dict[str, Any]) -> dict[str, Any]:
    event = json.loads((EVENTS / "execution_timed_out.json").read_text())
    event["detail"]["status"] = status
    event["detail"]["input"] = json.dumps(execution_input)
    return event


TRAINING_INPUT = {"bucket": BUCKET, "key": "incoming/support/chat.jsonl", "versionId": "v1", "profile": "support"}
IMPORT_INPUT = {
    "bucket": BUCKET,
    "key": "imports/llama-support/_READY",
    "versionId": "v1",
    "modelName": "llama-support",
    "folder": "imports/llama-support/",
}


@pytest.mark.parametrize(("status", "said"), [("TIMED_OUT", "timed out"), ("ABORTED", "was aborted")])
def test_a_training_execution_that_bypassed_catch_says_what_may_still_be_billing(status: str, said: str) -> None:
    alert = format_execution_end(_execution_end(status, TRAINING_INPUT))

    assert "Error:" not in alert.body and "get-execution-history" not in alert.body

    _assert_readable(alert)
    assert alert.subject == f"Tuneline: training workflow {status.replace('_', ' ')} - chat.jsonl"
    assert " ".join(alert.body.split()).startswith(f"The training workflow {said}")
    assert "after 3d 0h 13m." in " ".join(alert.body.split())
    assert f"Dataset:\n  s3://{BUCKET}/incoming/support/chat.jsonl\n" in alert.body
    assert "\n  aws bedrock list-model-customization-jobs --status-equals InProgress" in alert.body
    assert "\n  aws stepfunctions describe-execution --execution-arn arn:aws:states:" in alert.body
    assert "upload the training file again" in " ".join(alert.body.split())
    assert ("workflowTimeoutHours" in alert.body) is (status == "TIMED_OUT")


def test_an_import_execution_that_timed_out_says_to_write_the_marker_again() -> None:
    alert = format_execution_end(_execution_end("TIMED_OUT", IMPORT_INPUT))

    _assert_readable(alert)
    assert alert.subject == "Tuneline: import workflow TIMED OUT - llama-support"
    assert "\n  aws bedrock list-model-import-jobs --status-equals InProgress\n" in alert.body
    assert "write the _READY marker again" in alert.body
    assert "training file" not in alert.body


def test_an_ended_execution_alert_lists_the_serving_it_deleted_and_the_command_for_the_rest() -> None:
    arn = "arn:aws:bedrock:us-east-1:123456789012:provisioned-model/abcdefabcdef"
    released = [
        {
            "kind": "deployment",
            "name": "tuneline-support-chat-od-1a2b3c",
            "arn": "arn:d",
            "done": True,
            "detail": "deleted",
        },
        {
            "kind": "provisioned",
            "name": "tuneline-support-chat-pt-1a2b3c",
            "arn": arn,
            "done": False,
            "detail": "ConflictException: busy",
        },
    ]

    alert = format_execution_end(_execution_end("ABORTED", TRAINING_INPUT), released)

    _assert_readable(alert)
    text = " ".join(alert.body.split())
    assert "deleted so it stops billing: - deployment tuneline-support-chat-od-1a2b3c: deleted" in text
    assert "- throughput tuneline-support-chat-pt-1a2b3c could NOT be deleted (ConflictException: busy):" in text
    assert f"\n  aws bedrock delete-provisioned-model-throughput --provisioned-model-id {arn}\n" in alert.body


@pytest.mark.parametrize(
    ("error", "why"),
    [
        ("States.DataLimitExceeded", "larger than Step Functions' 256 KiB limit"),
        ("States.Runtime", "a field it reads was missing"),
        ("Lambda.Unknown", ""),
    ],
)
def test_a_training_execution_that_failed_past_every_catch_names_the_error_and_the_cause(error: str, why: str) -> None:
    event = _execution_end("FAILED", TRAINING_INPUT)
    event["detail"].update({"error": error, "cause": "The state/task 'Validate dataset' returned a result ..."})

    alert = format_execution_end(event)

    _assert_readable(alert)
    text = " ".join(alert.body.split())
    assert alert.subject == "Tuneline: training workflow FAILED - chat.jsonl"
    assert text.startswith("The training workflow failed after 3d 0h 13m with an error no step could catch.")
    assert f"Error: {error}" in text and "Cause: The state/task 'Validate dataset' returned a result" in text
    assert why in text and "send the execution below to the platform team" in text
    assert "--reverse-order --max-items 10" in text
    assert "aws bedrock list-provisioned-model-throughputs" in text


def test_a_failed_execution_whose_own_alert_could_not_be_sent_says_this_alert_replaces_it() -> None:
    event = _execution_end("FAILED", IMPORT_INPUT)
    event["detail"].update({"error": "FailureAlertNotSent", "cause": "The failure alert could not be sent"})

    alert = format_execution_end(event)

    _assert_readable(alert)
    text = " ".join(alert.body.split())
    assert alert.subject == "Tuneline: import workflow FAILED - llama-support"
    assert "its own failure alert could not be sent: this alert is sent in its place" in text
    assert "The notifier function could not send the alert" in text
    assert "platform team" not in text


def test_a_long_cause_is_cut_short_in_the_alert() -> None:
    event = _execution_end("FAILED", TRAINING_INPUT)
    event["detail"].update({"error": "States.Runtime", "cause": "x" * 5000})

    alert = format_execution_end(event)

    _assert_readable(alert)
    assert "x" * 700 not in "".join(alert.body.split())


def test_an_ended_execution_alert_says_the_janitor_deletes_serving_that_was_still_being_created() -> None:
    arn = "arn:aws:bedrock:us-east-1:123456789012:provisioned-model/abcdefabcdef"
    refused = {
        "kind": "provisioned",
        "name": "tuneline-support-chat-pt-1a2b3c",
        "arn": arn,
        "status": "Creating",
        "done": False,
        "detail": "ConflictException: cannot be deleted while its status is Creating",
        "expiresAtTag": "2026-11-20T20:00:00Z",
    }

    alert = format_execution_end(_execution_end("ABORTED", TRAINING_INPUT), [refused])
    no_expiry = format_execution_end(_execution_end("ABORTED", TRAINING_INPUT), [{**refused, "expiresAtTag": None}])

    _assert_readable(alert)
    text = " ".join(alert.body.split())
    assert "could NOT be deleted (ConflictException: cannot be deleted while its status is Creating):" in text
    assert f"aws bedrock delete-provisioned-model-throughput --provisioned-model-id {arn}" in text
    assert "It is still being created, and Bedrock refuses to delete it until then" in text
    assert "the janitor deletes it at its expiry, 2026-11-20T20:00:00Z" in text
    assert "the janitor will not delete it" in " ".join(no_expiry.body.split())


def test_an_execution_event_without_details_still_makes_an_alert() -> None:
    alert = format_execution_end({})

    _assert_readable(alert)
    assert alert.subject.startswith("Tuneline: training workflow UNKNOWN - ")


def test_a_failed_job_with_unparsable_data_gives_the_check_command_whole() -> None:
    event = _event(
        "Failed", failureMessage="Unable to parse Amazon S3 file: train.jsonl. Data files must conform to JSONL format."
    )

    alert = format_bedrock_event(event)

    _assert_readable(alert)
    assert "command below" in alert.body
    assert "\n  tuneline validate <file> --model amazon.nova-micro-v1:0:128k\n" in alert.body


def test_dataset_rejected_leads_with_the_other_shape_and_its_convert_command_on_its_own_line() -> None:
    messages = [{"role": "system", "content": "Be brief."}, {"role": "user", "content": "質問"}]
    lines = [
        json.dumps({"messages": [*messages, {"role": "assistant", "content": f"答え {i} 😀"}]}, ensure_ascii=False)
        for i in range(30)
    ]
    data = ("\n".join(lines) + "\n").encode()

    report = validate_dataset(io.BytesIO(data), model_id="amazon.nova-micro-v1:0:128k", training_name="chat.jsonl")
    alert = dataset_rejected(PLAN, report.to_dict(), None)

    _assert_readable(alert)
    command = "tuneline convert chat.jsonl --from chat --model amazon.nova-micro-v1:0:128k -o chat.converted.jsonl"
    assert f"\n  {command}\n" in alert.body  # whole, alone on its line
    assert "OpenAI chat records" in _text(alert)
    # The cause comes before the counts and the list of the errors it caused.
    assert _position(alert.body, command) < _position(alert.body, "First ")
    assert "1. chat.jsonl: [dataset.other-shape]" in alert.body


def test_dataset_rejected_without_a_shape_finding_has_no_convert_command() -> None:
    alert = dataset_rejected(PLAN, _report(3), None)
    assert "tuneline convert" not in alert.body
