"""Plan one customization job from a dropped dataset: every name, location and setting the workflow needs.

The plan is computed once, up front, from the profile, the optional manifest and the object version that
triggered it; later states read it from the execution state (`JobPlan.to_state()`), so a re-drive replays the
same plan and nothing downstream re-derives names.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass, field
from typing import Any

from tuneline.errors import PlanInvalid
from tuneline.jobs.keys import classify_key
from tuneline.jobs.manifest import JobManifest, apply_manifest
from tuneline.jobs.naming import job_names
from tuneline.jobs.tags import fit_tag_value
from tuneline.layout import (
    DESCRIPTION_TAG,
    INCOMING_PREFIX,
    OUTPUT_PREFIX,
    PROFILE_TAG,
    REPORTS_PREFIX,
    SOURCE_TAG,
    STAGED_PREFIX,
)
from tuneline.profiles import Profile

STAGED_TRAINING_FILE = "train.jsonl"
STAGED_VALIDATION_FILE = "validation.jsonl"
DISTILLATION = "DISTILLATION"


@dataclass(frozen=True)
class ObjectRef:
    """One S3 object version. `key` is the real key (not URL-encoded); version_id is None when unversioned."""

    bucket: str
    key: str
    version_id: str | None = None

    def to_dict(self) -> dict[str, str | None]:
        return {"bucket": self.bucket, "key": self.key, "versionId": self.version_id}

    @classmethod
    def from_dict(cls, data: Mapping[str, Any]) -> ObjectRef:
        return cls(bucket=data["bucket"], key=data["key"], version_id=data.get("versionId"))


@dataclass(frozen=True)
class JobPlan:
    job_name: str
    custom_model_name: str
    client_request_token: str
    profile: str
    base_model_identifier: str
    customization_type: str
    hyperparameters: Mapping[str, str]
    teacher_model_identifier: str | None
    max_response_length_for_inference: int | None
    source: ObjectRef
    validation_source: ObjectRef | None
    staged_training_key: str
    staged_validation_key: str | None
    training_data_uri: str
    validation_data_uri: str | None
    output_data_uri: str
    report_prefix: str
    budget_usd: float
    concurrency: int
    validation_split: float
    auto_fix: bool
    media_prefix: str
    price_per_1k_tokens_usd: float | None
    serving: Mapping[str, Any]
    evaluation: Mapping[str, Any] = field(default_factory=lambda: {"enabled": False, "baselineFirst": False})
    tags: tuple[Mapping[str, str], ...] = field(default_factory=tuple)
    # The manifest's description as written; its tag copy loses characters tags do not allow.
    description: str | None = None

    @property
    def has_validation(self) -> bool:
        return self.staged_validation_key is not None

    @property
    def is_distillation(self) -> bool:
        return self.customization_type == DISTILLATION

    def to_state(self) -> dict[str, Any]:
        """The plan as the state machine reads it (JSONPath on these camelCase keys)."""
        return {
            "jobName": self.job_name,
            "customModelName": self.custom_model_name,
            "clientRequestToken": self.client_request_token,
            "profile": self.profile,
            "baseModelIdentifier": self.base_model_identifier,
            "customizationType": self.customization_type,
            "hyperParameters": dict(self.hyperparameters),
            "teacherModelIdentifier": self.teacher_model_identifier,
            "maxResponseLengthForInference": self.max_response_length_for_inference,
            "source": self.source.to_dict(),
            "validationSource": self.validation_source.to_dict() if self.validation_source else None,
            "stagedTrainingKey": self.staged_training_key,
            "stagedValidationKey": self.staged_validation_key,
            "trainingDataUri": self.training_data_uri,
            "validationDataUri": self.validation_data_uri,
            "outputDataUri": self.output_data_uri,
            "reportPrefix": self.report_prefix,
            "budgetUsd": self.budget_usd,
            "concurrency": self.concurrency,
            "validationSplit": self.validation_split,
            "autoFix": self.auto_fix,
            "mediaPrefix": self.media_prefix,
            "pricePer1kTokensUsd": self.price_per_1k_tokens_usd,
            "serving": dict(self.serving),
            "evaluation": dict(self.evaluation),
            "tags": [dict(tag) for tag in self.tags],
            "description": self.description,
            "hasValidation": self.has_validation,
            "isDistillation": self.is_distillation,
        }


def plan_job(
    *,
    profile: Profile,
    bucket: str,
    source: ObjectRef,
    validation: ObjectRef | None,
    manifest: JobManifest | None,
    evaluation_set: ObjectRef | None = None,
) -> JobPlan:
    """Plan the job a training file starts. `bucket` is the data bucket the pipeline writes to."""
    from tuneline.datasets.models import resolve_model

    incoming = classify_key(source.key, url_encoded=False)
    if incoming is None or incoming.kind != "training":
        raise PlanInvalid(
            f"s3://{source.bucket}/{source.key} is not a training file: jobs start from "
            f"{INCOMING_PREFIX}<profile>/<name>.jsonl"
        )
    settings = apply_manifest(profile, manifest) if manifest else profile
    rules = resolve_model(settings.base_model)
    accepts_validation = rules.validation_allowed_for(settings.customization_type)
    if validation is not None and not accepts_validation:
        raise PlanInvalid(
            f"s3://{validation.bucket}/{validation.key} is a validation set, but {rules.display_name} accepts "
            f"no validation data for {settings.customization_type}. Delete or rename that file and upload "
            f"{incoming.dataset}.jsonl again."
        )

    names = job_names(
        profile=settings.name,
        dataset=incoming.dataset,
        bucket=source.bucket,
        key=source.key,
        version_id=source.version_id,
    )
    job_name = names.job_name
    # A validation file wins over a split, so the dataset step never does both.
    validation_split = 0.0 if validation is not None else settings.validation_split
    has_validation = validation is not None or (validation_split > 0 and accepts_validation)
    staged_training_key = f"{STAGED_PREFIX}{job_name}/{STAGED_TRAINING_FILE}"
    staged_validation_key = f"{STAGED_PREFIX}{job_name}/{STAGED_VALIDATION_FILE}" if has_validation else None
    is_distillation = settings.customization_type == DISTILLATION

    return JobPlan(
        job_name=job_name,
        custom_model_name=(manifest.custom_model_name if manifest else None) or names.custom_model_name,
        client_request_token=names.client_request_token,
        profile=settings.name,
        base_model_identifier=settings.base_model,
        customization_type=settings.customization_type,
        hyperparameters=dict(settings.hyperparameters),
        teacher_model_identifier=settings.teacher_model if is_distillation else None,
        max_response_length_for_inference=settings.max_response_length if is_distillation else None,
        source=source,
        validation_source=validation,
        staged_training_key=staged_training_key,
        staged_validation_key=staged_validation_key,
        training_data_uri=f"s3://{bucket}/{staged_training_key}",
        validation_data_uri=f"s3://{bucket}/{staged_validation_key}" if staged_validation_key else None,
        output_data_uri=f"s3://{bucket}/{OUTPUT_PREFIX}{job_name}/",
        report_prefix=f"{REPORTS_PREFIX}{job_name}/",
        budget_usd=settings.budget_usd,
        concurrency=settings.concurrency,
        validation_split=validation_split,
        auto_fix=settings.auto_fix,
        media_prefix=settings.media_prefix,
        price_per_1k_tokens_usd=settings.price_per_1k_tokens_usd,
        serving=_serving_state(settings),
        evaluation=_evaluation_state(settings, evaluation_set, job_name=job_name, bucket=bucket),
        tags=_tags(settings.name, source, manifest),
        description=manifest.description if manifest else None,
    )


def _serving_state(profile: Profile) -> dict[str, Any]:
    serving = profile.serving
    return {
        "mode": serving.mode,
        "modelUnits": serving.model_units,
        "commitment": serving.commitment,
        "ttlHours": serving.ttl_hours,
        "keepOnSmokeFailure": serving.keep_on_smoke_failure,
        "includeSmokeTextInAlerts": profile.include_smoke_text_in_alerts,
    }


def _evaluation_state(
    profile: Profile, evaluation_set: ObjectRef | None, *, job_name: str, bucket: str
) -> dict[str, Any]:
    """What the evaluation stage needs (docs/decisions/0011-evaluation-stage.md); `enabled` is always there
    because the state machine's Choice reads it."""
    settings = profile.evaluation
    if settings is None:
        # baselineFirst too: the Choice before training reads it for every profile.
        return {"enabled": False, "baselineFirst": False}
    judge = settings.judge
    staged = f"{STAGED_PREFIX}{job_name}/evaluation/"
    return {
        "enabled": True,
        "prompts": settings.prompts,
        "gate": {
            "metric": settings.gate.metric,
            "minImprovement": settings.gate.min_improvement,
            "requireSignificance": settings.gate.require_significance,
        },
        "judge": None
        if judge is None
        else {
            "evaluatorModel": judge.evaluator_model,
            "metrics": list(judge.metrics),
            "customMetrics": [{"name": m.name, "instructions": m.instructions} for m in judge.custom_metrics],
        },
        "baseModelInvocationId": settings.base_model_invocation_id,
        "allowThroughput": settings.allow_throughput,
        "throughputPricePerHourUsd": settings.throughput_price_per_hour_usd,
        "baselineFirst": settings.baseline_first,
        "skipTrainingAbove": settings.skip_training_above,
        "source": evaluation_set.to_dict() if evaluation_set else None,
        "bucket": bucket,
        "stagedPrefix": staged,
        "itemsKey": f"{staged}items.jsonl",
        "responsesPrefix": f"{staged}responses/",
        "judgePrefix": f"{staged}judge/",
    }


def _tags(profile: str, source: ObjectRef, manifest: JobManifest | None) -> tuple[dict[str, str], ...]:
    tags = [
        {"key": PROFILE_TAG, "value": fit_tag_value(profile)},
        {"key": SOURCE_TAG, "value": fit_tag_value(f"{source.bucket}/{source.key}")},
    ]
    if manifest is not None:
        if manifest.description:
            tags.append({"key": DESCRIPTION_TAG, "value": fit_tag_value(manifest.description)})
        tags.extend({"key": key, "value": value} for key, value in manifest.tags.items())
    return tuple(tags)
