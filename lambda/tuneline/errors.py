"""Errors the pipeline raises on purpose.

Step Functions sees a Lambda exception as `Error = <class name>`, `Cause = {"errorMessage": ...}`, so these class
names are part of the state machines' contract: the Catch/Retry clauses and the failure alerts match on them.
Keep the names stable.
"""

from __future__ import annotations


class TunelineError(Exception):
    """Base class: the message is written for a person and says what to do."""


class UnknownProfile(TunelineError):
    """The dataset was dropped under incoming/<profile>/ for a profile that is not configured."""


class ManifestInvalid(TunelineError):
    """The optional `<name>.job.json` next to the dataset is malformed or asks for something not allowed."""


class PlanInvalid(TunelineError):
    """The job cannot be planned (e.g. a companion file is missing or a name cannot be derived)."""


class DatasetRejected(TunelineError):
    """The dataset broke Bedrock's data rules; the report in S3 lists every finding with its line."""


class ModelFolderRejected(TunelineError):
    """A model folder under imports/ cannot be imported; the report lists every finding with its file."""


class BudgetExceeded(TunelineError):
    """The estimated training cost is above the profile's budget."""


class StagedDataChanged(TunelineError):
    """A staged dataset file changed between the Validate step and the job; nothing was started."""


class ConcurrencyLimitReached(TunelineError):
    """The profile's job slots stayed taken until this upload's wait ran out (quotaWaitHours after it joined the
    line; docs/decisions/0015-queue-on-a-deadline.md). Also raised by a check made without a place in the line."""


class AlertNotDelivered(TunelineError):
    """Publishing an alert failed with an error worth retrying (throttling, KMS, a 5xx); the Notify state retries
    with backoff, and its last attempt stores the alert under reports/<job>/alerts/ instead of failing the run
    (docs/decisions/0014-alerts-never-decide-a-job.md)."""


class EvaluationSetInvalid(TunelineError):
    """The evaluation set (`<name>.eval.jsonl`) breaks a rule; the message names the file, line and key."""


class SmokeTestFailed(TunelineError):
    """The served model did not answer the smoke-test prompts."""


# Error names the state machines retry as transient on every Lambda task: Lambda service faults and Lambda
# throttling (the account's concurrency is shared). Lambda.Unknown is left out on purpose: it is what a function
# killed for running out of memory reports, and running it again only repeats the crash.
TRANSIENT_LAMBDA_ERRORS = (
    "Lambda.ClientExecutionTimeoutException",
    "Lambda.ServiceException",
    "Lambda.AWSLambdaException",
    "Lambda.SdkClientException",
    "Lambda.TooManyRequestsException",
)


# How often a Notify state retries AlertNotDelivered. The function reads its attempt number
# ($$.State.RetryCount) and, on the last one, stores the alert instead of raising, so the state machine and
# the function must agree on this number.
ALERT_PUBLISH_RETRIES = 4


# The errors of the workflows' Fail states. A workflow reaches the first three only after its own failure alert
# went out; it reaches FAILURE_ALERT_NOT_SENT when even that alert failed. An execution that ends FAILED with any
# error but the first three failed where no Catch applies (States.Runtime, States.DataLimitExceeded) or could not
# alert: the execution-status handler sends the alert then, and releases what the execution bought.
JOB_FAILED = "JobFailed"
IMPORT_FAILED = "ImportFailed"
SERVING_FAILED = "ServingFailed"
FAILURE_ALERT_NOT_SENT = "FailureAlertNotSent"
FAILURE_ALERT_SENT_ERRORS = frozenset({JOB_FAILED, IMPORT_FAILED, SERVING_FAILED})


class GraderDryRunFailed(TunelineError):
    """The RFT grader errored, broke its contract, or scored reference and wrong answers alike; no job started."""


class BaselineAlreadyGood(TunelineError):
    """The base model already scores above the profile's skipTrainingAbove with the grader; RFT would gain little."""


class BaselineScoresZero(TunelineError):
    """The base model scores 0 with the grader: RFT has no reward to learn from; fine-tune (SFT) first."""
