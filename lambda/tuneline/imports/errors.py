"""Errors the import workflow raises on purpose; like tuneline.errors, the class names are the contract.

Step Functions sees a Lambda exception as `Error = <class name>`, and the import alerts explain each of these
names. `ImportedModelNotReady` and `ImportedModelBusy` are not raised: the smoke test reports them in its result
and the import state machine calls it again, then fails with that name when the model never answered.
"""

from __future__ import annotations

from tuneline.errors import TunelineError


class ImportNameTaken(TunelineError):
    """The marker asks for an imported model name that another imported model already has."""


class ImportedModelNotReady(TunelineError):
    """The imported model answered ModelNotReadyException: Bedrock is still loading it (cold start)."""


class ImportedModelBusy(TunelineError):
    """The imported model was throttled or timed out; worth another try later."""


# The names the state machine uses for the two outcomes Bedrock reports as a job status, not as an error.
IMPORT_JOB_FAILED = "ImportJobFailed"
IMPORT_TIMED_OUT = "ImportTimedOut"
