"""Errors the import workflow raises on purpose; like tuneline.errors, the class names are the contract.

Step Functions sees a Lambda exception as `Error = <class name>`: the import state machine retries
`ImportedModelNotReady` and `ImportedModelBusy`, and the import alerts explain each of these names.
"""

from __future__ import annotations

from tuneline.errors import TunelineError


class ImportNameTaken(TunelineError):
    """The marker asks for an imported model name that another imported model already has."""


class ImportedModelNotReady(TunelineError):
    """The imported model answered ModelNotReadyException: Bedrock is still loading it (cold start)."""


class ImportedModelBusy(TunelineError):
    """The imported model was throttled or timed out after the SDK's own retries; worth another try later."""


# The names the state machine uses for the two outcomes Bedrock reports as a job status, not as an error.
IMPORT_JOB_FAILED = "ImportJobFailed"
IMPORT_TIMED_OUT = "ImportTimedOut"
