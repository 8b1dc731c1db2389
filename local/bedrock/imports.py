"""Custom Model Import: import jobs and the imported models they create.

An import job reads the Hugging Face folder under `modelDataSource.s3DataSource.s3Uri`. The simulation checks
what Bedrock checks first (a `config.json` and `*.safetensors` weights) and fails the job with a plain message
otherwise; the architecture is read from `config.json`.

Cold starts (Gap: moto 5.2.5 has no imported models): Bedrock loads an imported model when it is first called,
and again after it was evicted for being idle (typically an hour); until it is loaded every call answers
ModelNotReadyException, and how long loading takes depends on the model's size (Bedrock user guide,
invoke-imported-model; AWS re:Post "bedrock-imported-models-modelnotreadyexception"). The simulation measures
both in simulated time: `SimulationSettings.imported_model_load_seconds` after the first call (infinite: it
never loads) and `imported_model_idle_seconds` without an answered call.
"""

from __future__ import annotations

import json
import math
from dataclasses import dataclass, field
from datetime import datetime, timedelta
from typing import Any

from local.bedrock import identifiers
from local.bedrock.context import SimContext
from local.bedrock.errors import (
    ConflictException,
    ModelNotReadyException,
    ResourceNotFoundException,
    ServiceQuotaExceededException,
)
from local.bedrock.tagging import checked_tags

IN_PROGRESS, COMPLETED, FAILED = "InProgress", "Completed", "Failed"
# Bedrock's message for an imported model that is not loaded (AWS re:Post, ModelNotReadyException).
NOT_LOADED_MESSAGE = "Model is not ready for inference. Wait and try your request again."


@dataclass
class ImportedModel:
    arn: str
    name: str
    job_arn: str
    job_name: str
    model_data_source: dict[str, Any]
    creation_time: datetime
    architecture: str
    tags: list[dict[str, str]] = field(default_factory=list)
    # Cold starts: when loading began (None: not loaded and not loading), and the last answered call.
    loading_since: datetime | None = None
    last_answered: datetime | None = None

    def describe(self) -> dict[str, Any]:
        return {
            "modelArn": self.arn,
            "modelName": self.name,
            "jobName": self.job_name,
            "jobArn": self.job_arn,
            "modelDataSource": self.model_data_source,
            "creationTime": self.creation_time,
            "modelArchitecture": self.architecture,
            "instructSupported": True,
            "customModelUnits": {"customModelUnitsPerModelCopy": 1, "customModelUnitsVersion": "1.0"},
        }

    def summary(self) -> dict[str, Any]:
        return {
            "modelArn": self.arn,
            "modelName": self.name,
            "creationTime": self.creation_time,
            "instructSupported": True,
            "modelArchitecture": self.architecture,
        }


@dataclass
class ImportJob:
    arn: str
    name: str
    request: dict[str, Any]
    creation_time: datetime
    finishes_at: datetime
    status: str = IN_PROGRESS
    planned_failure: str | None = None
    failure_message: str | None = None
    architecture: str = "LlamaForCausalLM"
    end_time: datetime | None = None
    model: ImportedModel | None = None
    tags: list[dict[str, str]] = field(default_factory=list)

    def describe(self) -> dict[str, Any]:
        described: dict[str, Any] = {
            "jobArn": self.arn,
            "jobName": self.name,
            "importedModelName": self.request["importedModelName"],
            "roleArn": self.request["roleArn"],
            "modelDataSource": self.request["modelDataSource"],
            "status": self.status,
            "creationTime": self.creation_time,
            "lastModifiedTime": self.end_time or self.creation_time,
        }
        optional = {
            "importedModelArn": self.model.arn if self.model else None,
            "failureMessage": self.failure_message,
            "endTime": self.end_time,
            "vpcConfig": self.request.get("vpcConfig"),
            "importedModelKmsKeyArn": self.request.get("importedModelKmsKeyId"),
        }
        described.update({key: value for key, value in optional.items() if value})
        return described

    def summary(self) -> dict[str, Any]:
        summary: dict[str, Any] = {
            "jobArn": self.arn,
            "jobName": self.name,
            "status": self.status,
            "creationTime": self.creation_time,
            "lastModifiedTime": self.end_time or self.creation_time,
            "importedModelName": self.request["importedModelName"],
        }
        if self.end_time:
            summary["endTime"] = self.end_time
        if self.model:
            summary["importedModelArn"] = self.model.arn
        return summary


class ModelImports:
    def __init__(self, context: SimContext) -> None:
        self._context = context
        self._jobs: dict[str, ImportJob] = {}
        self._models: dict[str, ImportedModel] = {}

    def create_job(self, request: dict[str, Any]) -> dict[str, Any]:
        token = request.get("clientRequestToken")
        for existing in self._jobs.values():
            if token and existing.request.get("clientRequestToken") == token:
                return {"jobArn": existing.arn}
        for required in ("jobName", "importedModelName", "roleArn", "modelDataSource"):
            identifiers.require(request.get(required), required)
        identifiers.check_pattern(request["jobName"], identifiers.JOB_NAME, "jobName")
        identifiers.check_pattern(request["importedModelName"], identifiers.MODEL_NAME, "importedModelName")
        uri = (request["modelDataSource"].get("s3DataSource") or {}).get("s3Uri")
        identifiers.require(uri, "modelDataSource.s3DataSource.s3Uri")
        identifiers.check_pattern(uri, identifiers.S3_URI, "s3Uri", max_length=1024)
        job_tags = checked_tags(request.get("jobTags"), "jobTags")
        checked_tags(request.get("importedModelTags"), "importedModelTags")  # refused at create time
        if any(job.name == request["jobName"] for job in self._jobs.values()):
            raise ConflictException(f"A model import job with the name {request['jobName']} already exists")
        if any(model.name == request["importedModelName"] for model in self._models.values()):
            raise ConflictException(f"An imported model with the name {request['importedModelName']} already exists")
        if self._context.faults.take_quota_error("CreateModelImportJob"):
            raise ServiceQuotaExceededException("You have reached the maximum number of concurrent model import jobs.")
        now = self._context.now()
        job = ImportJob(
            arn=identifiers.arn(
                self._context.region, self._context.account_id, f"model-import-job/{identifiers.new_resource_id()}"
            ),
            name=request["jobName"],
            request=request,
            creation_time=now,
            finishes_at=now + timedelta(seconds=self._context.settings.import_duration_seconds),
            tags=job_tags,
        )
        architecture, problem = self._inspect_folder(str(uri))
        job.architecture = architecture
        job.planned_failure = self._context.faults.take_failure("import") or problem
        self._jobs[job.arn] = job
        return {"jobArn": job.arn}

    def get_job(self, identifier: str) -> ImportJob:
        for job in self._jobs.values():
            if identifier in (job.arn, job.name):
                return job
        raise ResourceNotFoundException(f"Could not find model import job with identifier {identifier}")

    def list_jobs(self, filters: dict[str, Any]) -> list[ImportJob]:
        found = list(self._jobs.values())
        if filters.get("statusEquals"):
            found = [job for job in found if job.status == filters["statusEquals"]]
        if filters.get("nameContains"):
            found = [job for job in found if filters["nameContains"] in job.name]
        return sorted(found, key=lambda job: job.creation_time, reverse=filters.get("sortOrder") != "Ascending")

    def get_model(self, identifier: str) -> ImportedModel:
        for model in self._models.values():
            if identifier in (model.arn, model.name):
                return model
        raise ResourceNotFoundException(f"Could not find imported model with identifier {identifier}")

    def list_models(self) -> list[ImportedModel]:
        return sorted(self._models.values(), key=lambda model: model.creation_time, reverse=True)

    def delete_model(self, identifier: str) -> None:
        del self._models[self.get_model(identifier).arn]

    def load(self, model: ImportedModel) -> None:
        """One call reaches the model: raises ModelNotReadyException until it is loaded (see the module doc)."""
        now = self._context.now()
        settings = self._context.settings
        idle = timedelta(seconds=settings.imported_model_idle_seconds)
        if model.last_answered is not None and now - model.last_answered > idle:
            model.loading_since, model.last_answered = None, None  # evicted: the next call loads it again
        if model.loading_since is None:
            model.loading_since = now
        load_seconds = settings.imported_model_load_seconds
        if not math.isfinite(load_seconds) or now < model.loading_since + timedelta(seconds=load_seconds):
            raise ModelNotReadyException(NOT_LOADED_MESSAGE)
        model.last_answered = now

    def advance(self) -> None:
        now = self._context.now()
        for job in self._jobs.values():
            if job.status != IN_PROGRESS or now < job.finishes_at:
                continue
            job.end_time = job.finishes_at
            if job.planned_failure:
                job.status, job.failure_message = FAILED, job.planned_failure
                continue
            job.model = ImportedModel(
                arn=identifiers.arn(
                    self._context.region, self._context.account_id, f"imported-model/{identifiers.new_resource_id()}"
                ),
                name=job.request["importedModelName"],
                job_arn=job.arn,
                job_name=job.name,
                model_data_source=job.request["modelDataSource"],
                creation_time=job.finishes_at,
                architecture=job.architecture,
                tags=checked_tags(job.request.get("importedModelTags"), "importedModelTags"),
            )
            self._models[job.model.arn] = job.model
            job.status = COMPLETED

    def _inspect_folder(self, uri: str) -> tuple[str, str | None]:
        """(architecture, failure message or None) for the model folder at `uri`."""
        bucket, prefix = identifiers.split_s3_uri(uri)
        prefix = prefix.rstrip("/") + "/" if prefix else ""
        keys = self._context.store.list_keys(bucket, prefix)
        names = {key[len(prefix) :] for key in keys}
        if not keys:
            return "", f"Could not validate GetObject permissions to access Amazon S3 bucket: {bucket} at key {prefix}"
        if "config.json" not in names:
            return "", "The model data is missing the required config.json file."
        if not any(name.endswith(".safetensors") for name in names):
            return "", "The model data must contain weights in .safetensors format."
        try:
            config = json.loads(self._context.store.read(bucket, prefix + "config.json") or b"{}")
        except ValueError:
            return "", "The config.json file of the model is not valid JSON."
        architectures = config.get("architectures") or [config.get("model_type") or "unknown"]
        return str(architectures[0]), None
