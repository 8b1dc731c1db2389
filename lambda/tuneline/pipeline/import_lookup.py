"""Find an earlier import of the same folder content in Bedrock, and whether its model still exists."""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

from botocore.exceptions import ClientError

IN_PROGRESS, COMPLETED, FAILED = "InProgress", "Completed", "Failed"
_NOT_FOUND = "ResourceNotFoundException"


@dataclass(frozen=True)
class ExistingImport:
    job_arn: str
    job_name: str
    status: str
    imported_model_name: str | None
    imported_model_arn: str | None
    failure_message: str | None

    def to_state(self) -> dict[str, Any]:
        return {
            "jobArn": self.job_arn,
            "jobName": self.job_name,
            "status": self.status,
            "importedModelName": self.imported_model_name,
            "importedModelArn": self.imported_model_arn,
            "failureMessage": self.failure_message,
        }


def find_import_job(bedrock: Any, job_name: str) -> ExistingImport | None:
    """The import job with this name (GetModelImportJob takes a name as well as an ARN), or None."""
    try:
        job = bedrock.get_model_import_job(jobIdentifier=job_name)
    except ClientError as error:
        if _code(error) == _NOT_FOUND:
            return None
        raise
    return ExistingImport(
        job_arn=str(job["jobArn"]),
        job_name=str(job.get("jobName") or job_name),
        status=str(job.get("status") or ""),
        imported_model_name=job.get("importedModelName"),
        imported_model_arn=job.get("importedModelArn"),
        failure_message=job.get("failureMessage"),
    )


def imported_model_exists(bedrock: Any, identifier: str) -> bool:
    """Whether an imported model with this name or ARN exists in the account and Region."""
    try:
        bedrock.get_imported_model(modelIdentifier=identifier)
    except ClientError as error:
        if _code(error) == _NOT_FOUND:
            return False
        raise
    return True


def still_stands(bedrock: Any, existing: ExistingImport) -> bool:
    """True while the earlier import is running, or finished and its model was not deleted since.

    A failed import, or one whose model was deleted, does not stand: writing the marker again is then a
    deliberate new attempt.
    """
    if existing.status == IN_PROGRESS:
        return True
    if existing.status != COMPLETED:
        return False
    identifier = existing.imported_model_arn or existing.imported_model_name
    return bool(identifier) and imported_model_exists(bedrock, str(identifier))


def _code(error: ClientError) -> str:
    return str(error.response.get("Error", {}).get("Code", ""))
