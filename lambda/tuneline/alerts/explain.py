"""Turn a Step Functions error name and cause into plain words and a "what to do" line.

The error is the name Step Functions reports: a Tuneline error class (tuneline.errors) raised by a Lambda,
`Bedrock.<Exception>` from the Bedrock integration, `States.*` from Step Functions itself, `Lambda.*` from
the Lambda service. The cause is free text: a JSON document from Lambda (`errorMessage`, `errorType`, ...),
a Bedrock job description with a `failureMessage`, or an SDK message ending in `(Service: ..., Request ID:
...)`. Known Bedrock job failure messages get their own advice, because they say more than the error name.
"""

from __future__ import annotations

import json
import re
from dataclasses import dataclass
from typing import Any

MAX_DETAIL_LENGTH = 700


@dataclass(frozen=True)
class Explanation:
    title: str  # a few words for the subject line
    meaning: str  # one sentence: what happened
    action: str  # what to do about it
    charged: bool | None = None  # False when the failure is known to come before anything was billed
    command: tuple[str, str] | None = None  # (what it is for, a command to copy whole)


@dataclass(frozen=True)
class Cause:
    message: str
    error_type: str | None = None
    request_id: str | None = None
    job_status: str | None = None  # set when the cause is a Bedrock job description (a `.sync` task)


_NOTHING_STARTED = "Nothing was started and nothing was charged."
_UPLOAD = "upload the training file again (every upload is a new version and a new job)"
_UPLOAD_AGAIN = f"then {_UPLOAD}"
_VALIDATE = ("Check the file before uploading:", "tuneline validate <file>")

_PERMISSIONS = Explanation(
    "missing permission",
    "The workflow was not allowed to call a service: a permission is missing from the deployment.",
    "This is a deployment problem: redeploy the stack, and report it with the details if it repeats.",
)
_OUT_OF_MEMORY = Explanation(
    "function ran out of memory",
    "A pipeline function was stopped by Lambda, usually because it ran out of memory on a large input.",
    f"Split the dataset into smaller files (`tuneline split`), or ask the platform team to raise the "
    f"function's memory; then {_UPLOAD}. The function's CloudWatch logs show the memory used.",
)

ERRORS: dict[str, Explanation] = {
    "UnknownProfile": Explanation(
        "unknown profile",
        "The dataset was dropped under incoming/<profile>/ for a profile that is not configured.",
        f"Move the file under the folder of a configured profile (see the details), or ask the platform team to "
        f"add the profile to cdk.json. {_NOTHING_STARTED}",
        charged=False,
    ),
    "ManifestInvalid": Explanation(
        "job manifest invalid",
        "The job manifest (<name>.job.json) beside the dataset is invalid.",
        f"Fix the manifest as the details say, {_UPLOAD_AGAIN}. {_NOTHING_STARTED}",
        charged=False,
    ),
    "PlanInvalid": Explanation(
        "job cannot be planned",
        "The job could not be planned from the dropped files and the profile.",
        f"Follow the details, {_UPLOAD_AGAIN}. {_NOTHING_STARTED}",
        charged=False,
    ),
    "EvaluationSetInvalid": Explanation(
        "evaluation set rejected",
        "The evaluation set (<name>.eval.jsonl) breaks a rule; the message names its file, line and key.",
        "Fix that line (each record has prompt and referenceResponse, and may have category) and upload the "
        "dataset again. Training finished; the evaluation serving, if any, was deleted and nothing was served.",
        charged=True,
    ),
    "DatasetRejected": Explanation(
        "dataset rejected",
        "The dataset breaks Bedrock's data rules.",
        f"The report lists every problem with its line. Fix them, {_UPLOAD_AGAIN}. {_NOTHING_STARTED}",
        charged=False,
        command=_VALIDATE,
    ),
    "ModelFolderRejected": Explanation(
        "model folder rejected",
        "The model folder cannot be imported into Bedrock.",
        "The report lists every problem with its file. Fix the folder and upload its marker file again. "
        "Nothing was imported.",
        charged=False,
    ),
    "BudgetExceeded": Explanation(
        "over budget",
        "The estimated training cost is above the budget.",
        f"Raise budgetUsd in the profile, lower the epochs, or train on a smaller dataset, {_UPLOAD_AGAIN}. "
        f"{_NOTHING_STARTED}",
        charged=False,
    ),
    "GraderDryRunFailed": Explanation(
        "grader failed its dry run",
        "Before the reinforcement fine-tuning job, the grader scored sample prompts answered with their reference "
        "answer and with empty or wrong answers: it errored, broke Bedrock's grader contract, or could not tell "
        "them apart (the details show the samples and their scores).",
        f"Fix the grader in the profile's rftConfig (or the reference answers), {_UPLOAD_AGAIN}. {_NOTHING_STARTED}",
        charged=False,
    ),
    "BaselineAlreadyGood": Explanation(
        "base model already does this",
        "The base model already scores above the profile's skipTrainingAbove with this grader; reinforcement "
        "fine-tuning is unlikely to improve it.",
        "Use the base model as it is, make the task or the grader stricter, or raise skipTrainingAbove "
        f"to train anyway. {_NOTHING_STARTED}",
        charged=False,
    ),
    "BaselineScoresZero": Explanation(
        "base model scores 0",
        "The base model scores 0 on every sample prompt, so reinforcement fine-tuning has no reward to learn from.",
        "Fine-tune first (customizationType FINE_TUNING with answers to imitate), or check that the grader reads "
        f"the answers the way the model writes them. {_NOTHING_STARTED}",
        charged=False,
    ),
    "StagedDataChanged": Explanation(
        "staged data changed",
        "A staged copy of the dataset changed after it was validated, before the job could start.",
        f"Find who wrote it (the details name the file), {_UPLOAD_AGAIN}. {_NOTHING_STARTED}",
        charged=False,
    ),
    "ConcurrencyLimitReached": Explanation(
        "too many jobs running",
        "The profile kept running its maximum number of jobs and the waiting time ran out.",
        f"Wait for running jobs to finish or raise concurrency in the profile, {_UPLOAD_AGAIN}.",
        charged=False,
    ),
    "AlertNotDelivered": Explanation(
        "alert not delivered",
        "The alert topic kept refusing a message (throttling, its KMS key or a service error).",
        "Check the alert topic, its KMS key and its subscriptions; undelivered alerts are kept in the data "
        "bucket under reports/<job>/alerts/.",
        charged=False,
    ),
    "SmokeTestFailed": Explanation(
        "served model failed its smoke test",
        "The served model did not answer the smoke-test prompts as expected.",
        "Try the model by hand with the ARN in the details. Unless the profile keeps failed deployments, "
        "the throughput or deployment was removed to stop its cost.",
    ),
    "ServingNotPossible": Explanation(
        "model cannot be served",
        "The profile asks for serving that Bedrock cannot provide for this model (for example on-demand "
        "deployment on a base model without it, or no custom model was produced).",
        "Change the profile's serving mode (provisioned works for every customizable model) and serve the "
        "existing custom model by hand, or upload again after redeploying.",
        charged=False,
    ),
    "ServedModelNotReady": Explanation(
        "served model never became ready",
        "Bedrock kept answering that the served model is not ready, past the smoke test's retries.",
        "Try the model again in a few minutes with the ARN in the details; if it keeps failing, delete the "
        "throughput or deployment to stop its cost.",
    ),
    "ImportNameTaken": Explanation(
        "imported model name taken",
        "Another imported model already has the name this import asks for.",
        "Pick a new importedModelName in the _READY manifest (or delete the old model), then write the "
        "_READY marker again.",
        charged=False,
    ),
    "ImportedModelNotReady": Explanation(
        "imported model not ready",
        "The imported model was still loading (cold start) when the smoke test gave up waiting for it.",
        "Call the model again in a few minutes with the ARN in the details; the import itself succeeded.",
    ),
    "ImportedModelBusy": Explanation(
        "imported model busy",
        "The imported model was throttled or timed out on every call of the smoke test.",
        "Call the model again later with the ARN in the details; the import itself succeeded.",
    ),
    "Bedrock.ServiceQuotaExceededException": Explanation(
        "Bedrock quota reached",
        "An AWS account quota for Bedrock was reached (for example concurrent customization jobs or model units).",
        "Wait for other jobs to finish, or request a higher quota in the Service Quotas console (service "
        f"Amazon Bedrock), {_UPLOAD_AGAIN}.",
    ),
    "Bedrock.ValidationException": Explanation(
        "Bedrock rejected the request",
        "Bedrock rejected the request as invalid.",
        "The details name the field: usually a hyperparameter, the base model ID or a model not offered in "
        f"this Region. Fix the profile or the manifest, {_UPLOAD_AGAIN}.",
    ),
    "Bedrock.AccessDeniedException": Explanation(
        "access denied",
        "Access was denied: model access is not enabled for the base model in this Region, or a role lacks a "
        "permission.",
        "Enable access to the base model in the Bedrock console (Model access) for this account and Region, "
        f"and check the permissions named in the details, {_UPLOAD_AGAIN}.",
    ),
    "Bedrock.ResourceNotFoundException": Explanation(
        "model or resource not found",
        "Bedrock could not find a model or resource the job refers to.",
        "Check the base model and teacher model IDs in the profile: they must exist and be customizable in "
        f"this Region. Fix the profile, {_UPLOAD_AGAIN}.",
    ),
    "Bedrock.ConflictException": Explanation(
        "name already in use",
        "A job or custom model with the same name already exists.",
        "If the manifest sets customModelName, choose a new name. Otherwise this file version was already "
        "processed: upload the file again to start a new job.",
    ),
    "Bedrock.TooManyTagsException": Explanation(
        "too many tags",
        "The job or model would get more tags than Bedrock allows.",
        f"Remove some tags from the manifest, {_UPLOAD_AGAIN}.",
    ),
    "Bedrock.ThrottlingException": Explanation(
        "AWS throttled the requests",
        "Bedrock throttled the requests and the retries ran out.",
        f"Wait a few minutes, {_UPLOAD_AGAIN}.",
    ),
    "Bedrock.InternalServerException": Explanation(
        "Bedrock internal error",
        "Bedrock had an internal error and the retries ran out.",
        f"This is usually temporary: wait a little, {_UPLOAD_AGAIN}.",
    ),
    "Bedrock.ServiceUnavailableException": Explanation(
        "Bedrock unavailable",
        "Bedrock was unavailable and the retries ran out.",
        f"This is usually temporary: wait a little, {_UPLOAD_AGAIN}.",
    ),
    "States.Timeout": Explanation(
        "timed out",
        "A step ran longer than its time limit.",
        "If the training job timed out, check it in the Bedrock console (Custom models > Jobs): it may have "
        "been stopped. Large datasets need a longer workflow timeout, or fewer epochs.",
    ),
    "States.HeartbeatTimeout": Explanation(
        "timed out",
        "A step stopped reporting progress.",
        f"Check the job in the Bedrock console, {_UPLOAD_AGAIN} if it did not finish.",
    ),
    "States.TaskFailed": Explanation(
        "a step failed",
        "A workflow step failed.",
        f"Read the details above; once the cause is fixed, {_UPLOAD}.",
    ),
    "States.Permissions": _PERMISSIONS,
    "States.Runtime": Explanation(
        "workflow error",
        "The workflow hit an internal error (a value it expected was missing).",
        "This is a pipeline problem: report it with the execution name and the details.",
    ),
    "Sandbox.Timedout": Explanation(
        "function timed out",
        "A pipeline function ran out of time (15 minutes at most), usually on a very large input.",
        f"Split the dataset into smaller files (`tuneline split`), or ask the platform team to raise the "
        f"function's timeout; then {_UPLOAD}.",
    ),
    # A Python function killed by the Lambda runtime; on a large input this is nearly always memory.
    "Runtime.OutOfMemory": _OUT_OF_MEMORY,
    "Runtime.ExitError": _OUT_OF_MEMORY,
}

_GENERIC_ERRORS = frozenset({"States.TaskFailed", "States.ALL", "Unknown"})
_NOT_AUTHORIZED = re.compile(r"is not authorized to perform|AccessDenied", re.IGNORECASE)

_LAMBDA_SERVICE_ERROR = Explanation(
    "pipeline function failed",
    "The Lambda service could not run a pipeline function, even after retries.",
    f"This is usually temporary: wait a few minutes, {_UPLOAD_AGAIN}. If it repeats, check the function's "
    "CloudWatch logs.",
)
_RUNTIME_ERROR = Explanation(
    "pipeline function cannot start",
    "A pipeline function could not start: its deployed code or settings are broken.",
    f"This is a deployment problem: redeploy the stack and report it with the details; then {_UPLOAD}.",
)
_OTHER_BEDROCK_ERROR = Explanation(
    "Bedrock error",
    "Bedrock returned an error.",
    f"Read the details; once the cause is fixed, {_UPLOAD}.",
)
_UNKNOWN_ERROR = Explanation(
    "unexpected error",
    "The pipeline failed with an unexpected error.",
    "Check the execution in the Step Functions console and the function's CloudWatch logs, and report it "
    f"with the details if the cause is not clear. Once it is fixed, {_UPLOAD}.",
)
_JOB_FAILED = Explanation(
    "training job failed",
    "Bedrock could not finish the training job. No custom model was created.",
    f"Read Bedrock's message in the details, fix the data or the profile, {_UPLOAD_AGAIN}.",
)
_JOB_STOPPED = Explanation(
    "training job stopped",
    "The training job was stopped before it finished (from the console, the CLI or the API). No custom model "
    "was created.",
    f"If the stop was a mistake, {_UPLOAD}.",
)

# Bedrock job failure messages (Bedrock troubleshooting guide), checked in order.
JOB_FAILURES: tuple[tuple[re.Pattern[str], Explanation], ...] = (
    (
        re.compile(r"GetObject permissions|validate GetObject", re.IGNORECASE),
        Explanation(
            "Bedrock cannot read the data",
            "The Bedrock service role could not read the training data in S3.",
            "The role needs s3:GetObject and s3:ListBucket on the data bucket, and kms:Decrypt if the bucket "
            "uses a KMS key; the bucket must be in the job's Region.",
        ),
    ),
    (
        re.compile(r"PutObject", re.IGNORECASE),
        Explanation(
            "Bedrock cannot write the output",
            "The Bedrock service role could not write the job output to S3.",
            "The role needs s3:PutObject and s3:ListBucket on the output prefix (and the KMS key, if any).",
        ),
    ),
    (
        re.compile(r"Unable to parse|conform to JSONL", re.IGNORECASE),
        Explanation(
            "data is not valid JSONL",
            "Bedrock could not parse a data file as JSON Lines.",
            f"Find the line with the command below, fix it, {_UPLOAD_AGAIN}.",
            command=_VALIDATE,
        ),
    ),
    (
        re.compile(r"Input size exceeded|token (count|length).*exceeds|exceeds (total )?limit", re.IGNORECASE),
        Explanation(
            "a record is too long",
            "A record has more tokens than the base model accepts.",
            f"Shorten or split the longest records (see the details), {_UPLOAD_AGAIN}.",
        ),
    ),
    (
        re.compile(r"license terms", re.IGNORECASE),
        Explanation(
            "flagged by the model provider's checks",
            "Automated checks flagged the data as possibly inconsistent with the model provider's license.",
            "Contact AWS Support about the job; the details hold the job name.",
        ),
    ),
    (
        re.compile(r"unexpected error.*try again|internal (server )?error", re.IGNORECASE),
        Explanation(
            "Bedrock internal error",
            "Bedrock had an internal error while training.",
            f"This is usually temporary: {_UPLOAD}.",
        ),
    ),
)

_SDK_TRAILER = re.compile(r"\s*\(Service: [^)]*\)\s*$")
_REQUEST_ID = re.compile(r"Request ID: ([\w-]+)")


def explain(error: str, cause: Cause) -> Explanation:
    """The explanation for an error; a recognised Bedrock job failure message refines the advice."""
    name = (error or "").strip()
    explanation = ERRORS.get(name)
    # A Lambda error type reaches Step Functions as the error name, unless a state reported it under a
    # generic name; the cause still carries the type then.
    by_type = ERRORS.get(cause.error_type or "")
    if by_type is not None and (explanation is None or name in _GENERIC_ERRORS):
        explanation = by_type
    if explanation is None:
        if _NOT_AUTHORIZED.search(cause.message):
            explanation = _PERMISSIONS
        elif name.startswith("Lambda."):
            explanation = _LAMBDA_SERVICE_ERROR
        elif name.startswith("Runtime."):
            explanation = _RUNTIME_ERROR
        elif name.startswith("Bedrock."):
            explanation = _OTHER_BEDROCK_ERROR
        else:
            explanation = _UNKNOWN_ERROR
    if explanation.charged is False:
        return explanation
    if cause.job_status == "Stopped":
        return _JOB_STOPPED
    if cause.job_status == "Failed":
        return explain_job_failure(cause.message) or _JOB_FAILED
    # Bedrock's job failure messages come only with a failed `.sync` task; a function's or an API call's
    # message that happens to mention PutObject or a limit is not one.
    if cause.error_type is None and (not name or name in _GENERIC_ERRORS):
        return explain_job_failure(cause.message) or explanation
    return explanation


def explain_job_failure(failure_message: str | None) -> Explanation | None:
    """Advice for a known Bedrock job failureMessage, or None."""
    if not failure_message:
        return None
    for pattern, explanation in JOB_FAILURES:
        if pattern.search(failure_message):
            return explanation
    return None


def parse_cause(cause: str | None) -> Cause:
    """The readable message inside a Step Functions cause, with the error type and request id if present."""
    text = (cause or "").strip()
    document = _json_object(text)
    job_status = None
    if document is not None:
        message = _first_text(
            document, ("failureMessage", "FailureMessage", "errorMessage", "message", "Message", "Cause")
        )
        error_type = _first_text(document, ("errorType", "Error"))
        job_status = _job_status(document)
        if job_status is not None and message is None:
            job = _first_text(document, ("jobName", "JobName", "jobArn", "JobArn"))
            message = f"Bedrock job {job} ended as {job_status}, without a failure message."
        nested_message = _json_object(message or "")
        if nested_message is not None:
            message = _first_text(nested_message, ("failureMessage", "errorMessage", "message")) or message
        text = message or text
    else:
        error_type = None
    request_id = _REQUEST_ID.search(text)
    message = _SDK_TRAILER.sub("", text)
    return Cause(
        message=_shorten(message),
        error_type=error_type,
        request_id=request_id.group(1) if request_id else None,
        job_status=job_status,
    )


def _job_status(document: dict[str, Any]) -> str | None:
    """The status of a Bedrock job description (what a failed `.sync` task reports as its cause), else None."""
    if not any(document.get(name) for name in ("jobArn", "JobArn", "jobName", "JobName")):
        return None
    return _first_text(document, ("status", "Status"))


def _json_object(text: str) -> dict[str, Any] | None:
    if not text.startswith("{"):
        return None
    try:
        document = json.loads(text)
    except ValueError:
        return None
    return document if isinstance(document, dict) else None


def _first_text(document: dict[str, Any], names: tuple[str, ...]) -> str | None:
    for name in names:
        value = document.get(name)
        if isinstance(value, str) and value.strip():
            return value.strip()
    return None


def _shorten(text: str) -> str:
    single = " ".join(text.split())
    if len(single) <= MAX_DETAIL_LENGTH:
        return single
    return single[: MAX_DETAIL_LENGTH - 3].rstrip() + "..."
