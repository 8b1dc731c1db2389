"""Model customization jobs and the custom models they produce.

A job is InProgress for the configured simulated duration, then Completed (metrics CSVs written under the
output prefix, custom model created) or Failed (with a Bedrock-style `failureMessage`). Every status change
emits `Model Customization Job State Change` on the default event bus, as Bedrock does.
"""

from __future__ import annotations

import json
from dataclasses import dataclass, field
from datetime import datetime, timedelta
from typing import Any

from local.bedrock import catalog, identifiers, limits, metrics, rft
from local.bedrock.context import SimContext, iso
from local.bedrock.errors import (
    ConflictException,
    ResourceNotFoundException,
    ServiceQuotaExceededException,
    ValidationException,
)
from local.bedrock.tagging import checked_tags

IN_PROGRESS, COMPLETED, FAILED, STOPPING, STOPPED = "InProgress", "Completed", "Failed", "Stopping", "Stopped"
TERMINAL = {COMPLETED, FAILED, STOPPED}
JOB_EVENT = "Model Customization Job State Change"
DEFAULT_EPOCHS = 2
DEFAULT_BATCH_SIZE = 1


@dataclass
class CustomModel:
    arn: str
    name: str
    job: CustomizationJob
    creation_time: datetime
    tags: list[dict[str, str]] = field(default_factory=list)

    def describe(self) -> dict[str, Any]:
        job = self.job
        described: dict[str, Any] = {
            "modelArn": self.arn,
            "modelName": self.name,
            "jobName": job.name,
            "jobArn": job.arn,
            "baseModelArn": job.base_model_arn,
            "customizationType": job.customization_type,
            "hyperParameters": job.hyper_parameters,
            "trainingDataConfig": job.training_data_config,
            "outputDataConfig": job.output_data_config,
            "trainingMetrics": job.training_metrics(),
            "creationTime": self.creation_time,
            "modelStatus": "Active",
        }
        if job.validation_data_config:
            described["validationDataConfig"] = job.validation_data_config
            described["validationMetrics"] = job.validation_metrics()
        if job.customization_config:
            described["customizationConfig"] = job.customization_config
        if job.custom_model_kms_key_id:
            described["modelKmsKeyArn"] = job.custom_model_kms_key_id
        return described

    def summary(self) -> dict[str, Any]:
        return {
            "modelArn": self.arn,
            "modelName": self.name,
            "creationTime": self.creation_time,
            "baseModelArn": self.job.base_model_arn,
            "baseModelName": self.job.base_model_id,
            "customizationType": self.job.customization_type,
            "modelStatus": "Active",
        }


@dataclass
class CustomizationJob:
    arn: str
    name: str
    request: dict[str, Any]
    base_model_id: str
    base_model_arn: str
    creation_time: datetime
    finishes_at: datetime
    status: str = IN_PROGRESS
    planned_failure: str | None = None
    fails_at: datetime | None = None
    failure_message: str | None = None
    end_time: datetime | None = None
    last_modified_time: datetime | None = None
    model: CustomModel | None = None
    final_training_loss: float | None = None
    final_validation_loss: float | None = None
    tags: list[dict[str, str]] = field(default_factory=list)
    # RFT: waiting for its simulated steps to be graded, and what the grader said (local.bedrock.rft).
    grading: bool = False
    rft_run: rft.RftRun | None = None

    @property
    def id(self) -> str:
        return self.arn.rsplit("/", 1)[1]

    @property
    def customization_type(self) -> str:
        return str(self.request.get("customizationType") or catalog.FINE_TUNING)

    @property
    def hyper_parameters(self) -> dict[str, str]:
        return dict(self.request.get("hyperParameters") or {})

    @property
    def training_data_config(self) -> dict[str, Any]:
        return dict(self.request["trainingDataConfig"])

    @property
    def validation_data_config(self) -> dict[str, Any] | None:
        return self.request.get("validationDataConfig")

    @property
    def output_data_config(self) -> dict[str, Any]:
        return dict(self.request["outputDataConfig"])

    @property
    def customization_config(self) -> dict[str, Any] | None:
        return self.request.get("customizationConfig")

    @property
    def custom_model_kms_key_id(self) -> str | None:
        return self.request.get("customModelKmsKeyId")

    @property
    def output_model_name(self) -> str:
        return str(self.request["customModelName"])

    def training_metrics(self) -> dict[str, float]:
        return {} if self.final_training_loss is None else {"trainingLoss": self.final_training_loss}

    def validation_metrics(self) -> list[dict[str, float]]:
        return [] if self.final_validation_loss is None else [{"validationLoss": self.final_validation_loss}]

    def describe(self) -> dict[str, Any]:
        described: dict[str, Any] = {
            "jobArn": self.arn,
            "jobName": self.name,
            "outputModelName": self.output_model_name,
            "roleArn": self.request["roleArn"],
            "status": self.status,
            "creationTime": self.creation_time,
            "lastModifiedTime": self.last_modified_time or self.creation_time,
            "baseModelArn": self.base_model_arn,
            "hyperParameters": self.hyper_parameters,
            "trainingDataConfig": self.training_data_config,
            "outputDataConfig": self.output_data_config,
            "customizationType": self.customization_type,
            "trainingMetrics": self.training_metrics(),
        }
        optional = {
            "clientRequestToken": self.request.get("clientRequestToken"),
            "validationDataConfig": self.validation_data_config,
            "validationMetrics": self.validation_metrics() or None,
            "vpcConfig": self.request.get("vpcConfig"),
            "customizationConfig": self.customization_config,
            "outputModelKmsKeyArn": self.custom_model_kms_key_id,
            "failureMessage": self.failure_message,
            "endTime": self.end_time,
            "outputModelArn": self.model.arn if self.model else None,
        }
        described.update({key: value for key, value in optional.items() if value})
        return described

    def summary(self) -> dict[str, Any]:
        summary: dict[str, Any] = {
            "jobArn": self.arn,
            "baseModelArn": self.base_model_arn,
            "jobName": self.name,
            "status": self.status,
            "creationTime": self.creation_time,
            "lastModifiedTime": self.last_modified_time or self.creation_time,
            "customModelName": self.output_model_name,
            "customizationType": self.customization_type,
        }
        if self.end_time:
            summary["endTime"] = self.end_time
        if self.model:
            summary["customModelArn"] = self.model.arn
        return summary

    def event_detail(self) -> dict[str, Any]:
        """The `detail` of Bedrock's state-change event (fields as in the Bedrock user guide's sample)."""
        detail: dict[str, Any] = {
            "version": "0.0",
            "jobName": self.name,
            "jobArn": self.arn,
            "outputModelName": self.output_model_name,
            "roleArn": self.request["roleArn"],
            "jobStatus": self.status,
            "creationTime": iso(self.creation_time),
            "lastModifiedTime": iso(self.last_modified_time or self.creation_time),
            "baseModelArn": self.base_model_arn,
            "hyperParameters": self.hyper_parameters,
            "trainingDataConfig": self.training_data_config,
            "outputDataConfig": self.output_data_config,
        }
        if self.model:
            detail["outputModelArn"] = self.model.arn
        if self.end_time:
            detail["endTime"] = iso(self.end_time)
        if self.failure_message:
            detail["failureMessage"] = self.failure_message
        validators = (self.validation_data_config or {}).get("validators") or []
        if validators:
            detail["validationDataConfig"] = {"s3Uri": validators[0]["s3Uri"]}
        return detail


class CustomizationJobs:
    def __init__(self, context: SimContext) -> None:
        self._context = context
        self._jobs: dict[str, CustomizationJob] = {}
        self._models: dict[str, CustomModel] = {}
        # RFT jobs whose time is up and whose steps the grader must score outside the simulator's lock.
        self.awaiting_grader: list[CustomizationJob] = []

    # --- jobs -------------------------------------------------------------------------------------------

    def create(self, request: dict[str, Any]) -> dict[str, Any]:
        token = request.get("clientRequestToken")
        if token:
            for job in self._jobs.values():
                if job.request.get("clientRequestToken") == token:
                    # Bedrock ignores a repeated request with the same token and returns no error.
                    return {"jobArn": job.arn}
        self._validate(request)
        job_tags = checked_tags(request.get("jobTags"), "jobTags")
        checked_tags(request.get("customModelTags"), "customModelTags")  # refused at create time, as Bedrock does
        if self._context.faults.take_quota_error("CreateModelCustomizationJob"):
            raise ServiceQuotaExceededException(
                "You have reached the maximum number of concurrent model customization jobs for this account. "
                "Resubmit your request later."
            )
        base_model_id = identifiers.foundation_model_id(request["baseModelIdentifier"])
        now = self._context.now()
        settings = self._context.settings
        job = CustomizationJob(
            arn=identifiers.arn(
                self._context.region,
                self._context.account_id,
                f"model-customization-job/{base_model_id}/{identifiers.new_resource_id()}",
            ),
            name=request["jobName"],
            request=request,
            base_model_id=base_model_id,
            base_model_arn=self._base_model_arn(request["baseModelIdentifier"]),
            creation_time=now,
            finishes_at=now + timedelta(seconds=settings.job_duration_seconds),
            tags=job_tags,
        )
        job.planned_failure = self._context.faults.take_failure("job") or self._data_problem(request)
        if job.planned_failure:
            job.fails_at = now + timedelta(seconds=settings.job_duration_seconds * settings.validation_share)
        self._jobs[job.arn] = job
        self._context.emit(JOB_EVENT, job.event_detail(), [job.arn])
        return {"jobArn": job.arn}

    def get(self, identifier: str) -> CustomizationJob:
        for job in self._jobs.values():
            if identifier in (job.arn, job.name):
                return job
        raise ResourceNotFoundException(f"Could not find model customization job with identifier {identifier}")

    def stop(self, identifier: str) -> None:
        job = self.get(identifier)
        if job.status != IN_PROGRESS:
            raise ValidationException(f"Model customization job {job.name} is {job.status} and cannot be stopped")
        self._transition(job, STOPPING)

    def list_jobs(self, filters: dict[str, Any]) -> list[CustomizationJob]:
        jobs = list(self._jobs.values())
        if filters.get("statusEquals"):
            jobs = [job for job in jobs if job.status == filters["statusEquals"]]
        if filters.get("nameContains"):
            jobs = [job for job in jobs if filters["nameContains"] in job.name]
        if filters.get("creationTimeAfter"):
            jobs = [job for job in jobs if job.creation_time > filters["creationTimeAfter"]]
        if filters.get("creationTimeBefore"):
            jobs = [job for job in jobs if job.creation_time < filters["creationTimeBefore"]]
        return sorted(jobs, key=lambda job: job.creation_time, reverse=filters.get("sortOrder") != "Ascending")

    # --- custom models ----------------------------------------------------------------------------------

    def get_model(self, identifier: str) -> CustomModel:
        for model in self._models.values():
            if identifier in (model.arn, model.name):
                return model
        raise ResourceNotFoundException(f"Could not find custom model with identifier {identifier}")

    def list_models(self) -> list[CustomModel]:
        return sorted(self._models.values(), key=lambda model: model.creation_time, reverse=True)

    def delete_model(self, identifier: str) -> None:
        del self._models[self.get_model(identifier).arn]

    # --- time -------------------------------------------------------------------------------------------

    def advance(self) -> None:
        now = self._context.now()
        for job in list(self._jobs.values()):
            if job.status == STOPPING:
                self._transition(job, STOPPED, end=now)
            elif job.status == IN_PROGRESS and job.fails_at and now >= job.fails_at:
                job.failure_message = job.planned_failure
                self._transition(job, FAILED, end=job.fails_at)
            elif job.status == IN_PROGRESS and now >= job.finishes_at and not job.grading:
                if job.customization_type == rft.REINFORCEMENT_FINE_TUNING:
                    job.grading = True
                    self.awaiting_grader.append(job)
                else:
                    self._complete(job)

    def run_rft_steps(self, job: CustomizationJob, invoke: rft.InvokeGrader) -> None:
        """Grade an RFT job's simulated steps (called without the simulator's lock: the grader may call Bedrock)."""
        uri = job.training_data_config.get("s3Uri")
        bodies = (self._training_records(uri) if uri else None) or []
        arn = rft.grader_arn(job.customization_config) or ""
        hyper = (job.customization_config or {}).get("rftConfig", {}).get("hyperParameters") or {}
        job.rft_run = rft.run(job.arn, bodies, arn, invoke, int(hyper.get("epochCount", 1)))

    def finish_rft(self, job: CustomizationJob) -> None:
        """After grading: the job completes with its reward curve, or fails with the grader's fault."""
        run = job.rft_run
        if run is None or run.failure:
            job.failure_message = run.failure if run else "The grader was not called."
            self._transition(job, FAILED, end=self._context.now())
            return
        self._complete(job)

    def _complete(self, job: CustomizationJob) -> None:
        curves = self._write_metrics(job)
        job.final_training_loss = curves.final_training_loss
        job.final_validation_loss = curves.final_validation_loss
        job.model = CustomModel(
            arn=identifiers.arn(
                self._context.region,
                self._context.account_id,
                f"custom-model/{job.base_model_id}/{identifiers.new_resource_id()}",
            ),
            name=job.output_model_name,
            job=job,
            creation_time=job.finishes_at,
            tags=checked_tags(job.request.get("customModelTags"), "customModelTags"),
        )
        self._models[job.model.arn] = job.model
        self._transition(job, COMPLETED, end=job.finishes_at)

    def _transition(self, job: CustomizationJob, status: str, end: datetime | None = None) -> None:
        job.status = status
        job.last_modified_time = end or self._context.now()
        if status in TERMINAL:
            job.end_time = end or job.last_modified_time
        self._context.emit(JOB_EVENT, job.event_detail(), [job.arn])

    # --- helpers ----------------------------------------------------------------------------------------

    def _validate(self, request: dict[str, Any]) -> None:
        for required in ("jobName", "customModelName", "roleArn", "baseModelIdentifier"):
            identifiers.require(request.get(required), required)
        identifiers.require(
            (request.get("trainingDataConfig") or {}).get("s3Uri")
            or (request.get("trainingDataConfig") or {}).get("invocationLogsConfig"),
            "trainingDataConfig",
        )
        identifiers.require((request.get("outputDataConfig") or {}).get("s3Uri"), "outputDataConfig.s3Uri")
        identifiers.check_pattern(request["jobName"], identifiers.JOB_NAME, "jobName")
        identifiers.check_pattern(request["customModelName"], identifiers.MODEL_NAME, "customModelName")
        identifiers.check_pattern(request["roleArn"], identifiers.ROLE_ARN, "roleArn", max_length=2048)
        identifiers.check_pattern(
            request.get("clientRequestToken"), identifiers.CLIENT_REQUEST_TOKEN, "clientRequestToken", 256
        )
        uris = [request["outputDataConfig"]["s3Uri"], request["trainingDataConfig"].get("s3Uri")]
        uris += [v.get("s3Uri") for v in (request.get("validationDataConfig") or {}).get("validators") or []]
        for uri in filter(None, uris):
            identifiers.check_pattern(uri, identifiers.S3_URI, "s3Uri", max_length=1024)
        hyper_parameters = request.get("hyperParameters") or {}
        if any(not isinstance(value, str) for value in hyper_parameters.values()):
            raise ValidationException("Hyperparameter values must be strings")
        customization_type = request.get("customizationType") or catalog.FINE_TUNING
        known = catalog.find(identifiers.foundation_model_id(request["baseModelIdentifier"]))
        if known is not None and customization_type not in known.customizations:
            raise ValidationException(
                f"The model {known.model_id} does not support customization type {customization_type}"
            )
        if customization_type == rft.REINFORCEMENT_FINE_TUNING and not rft.grader_arn(
            request.get("customizationConfig")
        ):
            raise ValidationException("customizationConfig.rftConfig.graderConfig is required for RFT jobs")
        if customization_type == catalog.DISTILLATION and not request.get("customizationConfig"):
            raise ValidationException("customizationConfig.distillationConfig is required for DISTILLATION jobs")
        if any(job.name == request["jobName"] for job in self._jobs.values()):
            raise ConflictException(f"A model customization job with the name {request['jobName']} already exists")
        if any(model.name == request["customModelName"] for model in self._models.values()):
            raise ConflictException(f"A custom model with the name {request['customModelName']} already exists")

    def _base_model_arn(self, identifier: str) -> str:
        if identifier.startswith("arn:"):
            return identifier
        return f"arn:aws:bedrock:{self._context.region}::foundation-model/{identifier}"

    def _training_records(self, uri: str) -> list[bytes] | None:
        """The training file(s), or None when the service role could not read them."""
        files = self._data_files(uri)
        return [data.body for data in files] if files is not None else None

    def _data_files(self, uri: str) -> list[limits.DataFile] | None:
        """The data file at `uri`, or the `.jsonl` files under it as a folder; None when none could be read."""
        bucket, key = identifiers.split_s3_uri(uri)
        body = self._context.store.read(bucket, key)
        if body is not None:
            return [limits.DataFile(key.rsplit("/", 1)[-1] or key, body)]
        keys = [k for k in self._context.store.list_keys(bucket, key.rstrip("/") + "/") if k.endswith(".jsonl")]
        bodies = [(k.rsplit("/", 1)[-1], self._context.store.read(bucket, k)) for k in keys]
        files = [limits.DataFile(name, body) for name, body in bodies if body is not None]
        return files or None

    def _data_problem(self, request: dict[str, Any]) -> str | None:
        """The failureMessage Bedrock gives when it cannot read or parse the data, or the data breaks the base
        model's documented limits (`local.bedrock.limits`)."""
        uri = request["trainingDataConfig"].get("s3Uri")
        if not uri:
            return None
        validation_uris = [v["s3Uri"] for v in (request.get("validationDataConfig") or {}).get("validators") or []]
        read: dict[str, list[limits.DataFile]] = {}
        for each in [uri, *validation_uris]:
            files = self._data_files(each)
            if files is None:
                bucket, key = identifiers.split_s3_uri(each)
                return f"Could not validate GetObject permissions to access Amazon S3 bucket: {bucket} at key {key}"
            for data in files:
                if not _is_json_lines(data.body):
                    return f"Unable to parse Amazon S3 file: {data.name}. Data files must conform to JSONL format."
            read[each] = files
        if request.get("customizationType") == rft.REINFORCEMENT_FINE_TUNING:
            return rft.prompts_problem([d.body for d in read[uri]], bool(validation_uris))
        return limits.dataset_problem(
            self._base_model_of(request["baseModelIdentifier"]),
            str(request.get("customizationType") or catalog.FINE_TUNING),
            read[uri],
            [data for each in validation_uris for data in read[each]] if validation_uris else None,
        )

    def _base_model_of(self, identifier: str) -> str:
        """The foundation model ID a job trains, also when it continues training a custom model."""
        if ":custom-model/" in identifier:
            try:
                return self.get_model(identifier).job.base_model_id
            except ResourceNotFoundException:
                return identifier
        return identifiers.foundation_model_id(identifier)

    def _write_metrics(self, job: CustomizationJob) -> metrics.Curves:
        if job.rft_run is not None:
            return self._write_rewards(job, job.rft_run)
        uri = job.training_data_config.get("s3Uri")
        bodies: list[bytes] = (self._training_records(uri) if uri else None) or []
        records = sum(len([line for line in b.splitlines() if line.strip()]) for b in bodies)
        hyper = job.hyper_parameters
        curves = metrics.simulate_curves(
            seed=job.arn,
            record_count=records,
            epochs=_int_or(hyper.get("epochCount"), DEFAULT_EPOCHS),
            batch_size=_int_or(hyper.get("batchSize"), DEFAULT_BATCH_SIZE),
            with_validation=bool(job.validation_data_config),
        )
        bucket, prefix = identifiers.split_s3_uri(job.output_data_config["s3Uri"])
        folder = f"{prefix.rstrip('/')}/model-customization-job-{job.id}/".lstrip("/")
        self._context.store.write(
            bucket, folder + metrics.TRAINING_METRICS_PATH, curves.training_csv.encode(), "text/csv"
        )
        if curves.validation_csv is not None:
            self._context.store.write(
                bucket, folder + metrics.VALIDATION_METRICS_PATH, curves.validation_csv.encode(), "text/csv"
            )
        return curves

    def _write_rewards(self, job: CustomizationJob, run: rft.RftRun) -> metrics.Curves:
        bucket, prefix = identifiers.split_s3_uri(job.output_data_config["s3Uri"])
        folder = f"{prefix.rstrip('/')}/model-customization-job-{job.id}/".lstrip("/")
        self._context.store.write(bucket, folder + metrics.TRAINING_METRICS_PATH, run.csv.encode(), "text/csv")
        return metrics.Curves(run.csv, None, 0.0, None)


def _is_json_lines(body: bytes) -> bool:
    for line in body.decode("utf-8", errors="replace").splitlines():
        if not line.strip():
            continue
        try:
            json.loads(line)
        except ValueError:
            return False
    return True


def _int_or(value: str | None, default: int) -> int:
    try:
        return int(float(value)) if value is not None else default
    except ValueError:
        return default
