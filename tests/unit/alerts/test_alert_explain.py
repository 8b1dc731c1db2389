"""Reading Step Functions causes and mapping error names to plain words."""

from __future__ import annotations

import json

import pytest

from tuneline.alerts.explain import ERRORS, JOB_FAILURES, Cause, explain, explain_job_failure, parse_cause
from tuneline.errors import TunelineError


@pytest.mark.parametrize(
    ("cause", "message", "error_type", "request_id"),
    [
        (
            json.dumps({"errorMessage": "bad manifest", "errorType": "ManifestInvalid"}),
            "bad manifest",
            "ManifestInvalid",
            None,
        ),
        (json.dumps({"status": "Failed", "failureMessage": "Unable to parse"}), "Unable to parse", None, None),
        (json.dumps({"Error": "X", "Cause": json.dumps({"errorMessage": "inner"})}), "inner", "X", None),
        (
            "Model not found (Service: Bedrock, Status Code: 404, Request ID: 0f1e-22)",
            "Model not found",
            None,
            "0f1e-22",
        ),
        ("  plain\n text  ", "plain text", None, None),
        ("", "", None, None),
        ("{not json", "{not json", None, None),
        ("[1, 2]", "[1, 2]", None, None),
    ],
)
def test_parse_cause(cause: str, message: str, error_type: str | None, request_id: str | None) -> None:
    assert parse_cause(cause) == Cause(message=message, error_type=error_type, request_id=request_id)


def test_parse_cause_shortens_long_messages() -> None:
    assert len(parse_cause("x" * 5000).message) <= 700


def test_every_named_pipeline_error_has_an_explanation() -> None:
    names = {cls.__name__ for cls in TunelineError.__subclasses__()}

    assert names <= set(ERRORS)


def test_a_renamed_lambda_error_is_recognised_from_the_cause() -> None:
    # A Catch may hand over States.TaskFailed while the cause still carries the Lambda's error type.
    explanation = explain("States.TaskFailed", Cause(message="too expensive", error_type="BudgetExceeded"))

    assert explanation is ERRORS["BudgetExceeded"]


def test_our_own_errors_are_not_reinterpreted_by_bedrock_failure_patterns() -> None:
    cause = Cause(message="line 3: Unable to parse the manifest", error_type="ManifestInvalid")

    assert explain("ManifestInvalid", cause) is ERRORS["ManifestInvalid"]


@pytest.mark.parametrize(
    ("failure_message", "title"),
    [
        (
            "Could not validate GetObject permissions to access Amazon S3 bucket: b at key k",
            "Bedrock cannot read the data",
        ),
        (
            "Amazon S3 perms missing (PutObject): Could not validate PutObject permissions",
            "Bedrock cannot write the output",
        ),
        (
            "Unable to parse Amazon S3 file: a.jsonl. Data files must conform to JSONL format.",
            "data is not valid JSONL",
        ),
        ("Input size exceeded in file a.jsonl for record starting with...", "a record is too long"),
        ("Max sum of input and output token length 4097 exceeds total limit of 4096", "a record is too long"),
        (
            "Automated tests flagged this fine-tuning job as including materials that are potentially inconsistent "
            "with Anthropic's third-party license terms.",
            "flagged by the model provider's checks",
        ),
        ("Encountered an unexpected error when processing the request, please try again", "Bedrock internal error"),
    ],
)
def test_known_bedrock_job_failures(failure_message: str, title: str) -> None:
    explanation = explain_job_failure(failure_message)

    assert explanation is not None and explanation.title == title


@pytest.mark.parametrize("failure_message", [None, "", "Something nobody has seen before"])
def test_unknown_job_failures_have_no_specific_advice(failure_message: str | None) -> None:
    assert explain_job_failure(failure_message) is None


def test_a_job_description_cause_gives_its_status_and_failure_message() -> None:
    cause = json.dumps({"JobArn": "arn:aws:bedrock:x", "Status": "Failed", "FailureMessage": "Unable to parse"})

    assert parse_cause(cause) == Cause(message="Unable to parse", job_status="Failed")


def test_a_stopped_job_without_a_message_is_said_in_words() -> None:
    parsed = parse_cause(json.dumps({"jobName": "tuneline-a.b-1", "jobArn": "arn:x", "status": "Stopped"}))

    assert parsed.message == "Bedrock job tuneline-a.b-1 ended as Stopped, without a failure message."
    assert explain("States.TaskFailed", parsed).title == "training job stopped"


@pytest.mark.parametrize(
    ("error", "cause"),
    [
        ("ClientError", Cause(message="AccessDenied when calling the PutObject operation", error_type="ClientError")),
        ("Bedrock.ValidationException", Cause(message="Maximum input token count exceeds limit of 4096")),
        ("Bedrock.ThrottlingException", Cause(message="internal server error, please try again")),
    ],
)
def test_bedrock_job_failure_advice_is_only_for_failed_jobs(error: str, cause: Cause) -> None:
    assert explain(error, cause) not in {explanation for _, explanation in JOB_FAILURES}
