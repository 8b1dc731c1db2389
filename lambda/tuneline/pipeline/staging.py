"""Validate step: check the dataset against the model's rules, then stage an immutable copy for Bedrock.

The original under incoming/ is only read (by version id, so a re-upload during the job changes nothing). Nothing
touches local disk: the validator reads the version straight from S3, an unchanged copy is staged server-side,
and with `autoFix` (BOM, CRLF, blank lines, control characters), a validation split or media to point at their
staged copies the staged files are streamed back through multipart uploads, so any dataset size Bedrock
accepts stages in bounded memory.
"""

from __future__ import annotations

import json
from collections.abc import Callable, Mapping
from dataclasses import dataclass
from typing import Any

from botocore.exceptions import ClientError

from tuneline.alerts.messages import dataset_rejection_cause
from tuneline.datasets.lines import LineStream, Readable
from tuneline.datasets.media import lines_with_media_replaced
from tuneline.datasets.models import resolve_model
from tuneline.datasets.split import split_stream
from tuneline.datasets.validator import training_tokens, validate_dataset
from tuneline.errors import DatasetRejected
from tuneline.findings import Report
from tuneline.layout import MEDIA_PREFIX
from tuneline.pipeline.media_staging import MediaPlan, copy_media, plan_media
from tuneline.pipeline.s3_streams import MultipartWriter, ObjectVersion, Rereadable
from tuneline.pipeline.staged_integrity import record_staged

REPORT_NAME = "validation.json"
# Reads while streaming a normalized copy: big enough that per-call overhead vanishes.
STREAM_READ_BYTES = 4 * 1024 * 1024


def validate_and_stage(plan: Mapping[str, Any], *, s3: Any) -> dict[str, Any]:
    bucket = plan["source"]["bucket"]
    report_key = f"{plan['reportPrefix']}{REPORT_NAME}"
    fix = bool(plan.get("autoFix"))
    train = ObjectVersion(s3, plan["source"])
    validation = ObjectVersion(s3, plan["validationSource"]) if plan.get("validationSource") else None

    report = _validate(plan, train, validation, fix=fix)
    media = None
    if report.valid and _names_media(report):
        # Before the report is written, so a missing image is in it like any other finding.
        media = _stage_media(plan, train, validation, fix=fix, s3=s3, bucket=bucket, report=report)
    s3.put_object(
        Bucket=bucket,
        Key=report_key,
        Body=json.dumps(report.to_dict(), indent=1).encode(),
        ContentType="application/json",
    )
    if not report.valid:
        raise DatasetRejected(dataset_rejection_cause(plan, report, f"s3://{bucket}/{report_key}"))

    staged = Staging(bucket=bucket, fix=fix, rewrite=media.staged_uri(bucket) if media else None)
    split = None
    if plan.get("stagedValidationKey") and validation is None:
        split = _split(plan, train, staged)
    else:
        staged.write(train, plan["stagedTrainingKey"])
        if validation is not None and plan.get("stagedValidationKey"):
            staged.write(validation, plan["stagedValidationKey"])

    staged_keys = [plan["stagedTrainingKey"]]
    if plan.get("stagedValidationKey") and (split is not None or validation is not None):
        staged_keys.append(plan["stagedValidationKey"])
    return {
        "valid": True,
        "reportKey": report_key,
        "records": report.stats.get("records"),
        # Tokens of the whole training file, before any split: a slight over-estimate keeps the budget safe.
        "trainingTokens": training_tokens(report),
        "warnings": sum(report.stats.get("warning_counts", {}).values()) or len(report.warnings),
        "split": split,
        "mediaStaged": len(media.copies) if media else 0,
        # What the Guard step checks again before the job starts.
        "staged": record_staged(s3, bucket, staged_keys),
        # What identifies the uploaded bytes on the model card (S3's MD5 for a single-part upload).
        "sourceETag": _etag(s3, plan["source"]),
    }


def _etag(s3: Any, source: Mapping[str, Any]) -> str | None:
    version = {"VersionId": source["versionId"]} if source.get("versionId") else {}
    try:
        return str(s3.head_object(Bucket=source["bucket"], Key=source["key"], **version)["ETag"]).strip('"')
    except ClientError:
        return None


@dataclass(frozen=True)
class Staging:
    """How a dataset file becomes its staged copy: verbatim, normalized, and/or with media URIs rewritten."""

    bucket: str
    fix: bool
    rewrite: Callable[[str], str] | None = None

    def open(self, source: ObjectVersion) -> Readable:
        stream = source.open(normalize=self.fix)
        if self.rewrite is None:
            return stream
        return LineStream(lines_with_media_replaced(stream, self.rewrite))

    def write(self, source: ObjectVersion, key: str) -> None:
        if not self.fix and self.rewrite is None:
            source.copy_to(self.bucket, key)
            return
        stream = self.open(source)
        with MultipartWriter(s3=source.s3, bucket=self.bucket, key=key) as out:
            while chunk := stream.read(STREAM_READ_BYTES):
                out.write(chunk)


def _names_media(report: Report) -> bool:
    files = report.stats.get("files") or {}
    return any((scan.get("images") or 0) + (scan.get("videos") or 0) for scan in files.values())


def _stage_media(
    plan: Mapping[str, Any],
    train: ObjectVersion,
    validation: ObjectVersion | None,
    *,
    fix: bool,
    s3: Any,
    bucket: str,
    report: Report,
) -> MediaPlan:
    staged_prefix = plan["stagedTrainingKey"].rsplit("/", 1)[0] + "/"
    files = [(train.key.rsplit("/", 1)[-1], train)]
    if validation is not None:
        files.append((validation.key.rsplit("/", 1)[-1], validation))
    media = plan_media(staged_prefix, files, normalize=fix, media_prefix=media_prefix(plan))
    rules = resolve_model(plan["baseModelIdentifier"])
    report.errors.extend(copy_media(media, s3=s3, bucket=bucket, rules=rules))
    return media


def _validate(plan: Mapping[str, Any], train: ObjectVersion, validation: ObjectVersion | None, *, fix: bool) -> Report:
    return validate_dataset(
        train.open(normalize=fix),
        model_id=plan["baseModelIdentifier"],
        customization_type=plan["customizationType"],
        validation=validation.open(normalize=fix) if validation else None,
        training_name=train.key.rsplit("/", 1)[-1],
        validation_name=validation.key.rsplit("/", 1)[-1] if validation else "validation.jsonl",
        teacher_model_id=plan.get("teacherModelIdentifier"),
        # The job's batch size tightens the per-record token limit (Titan Text); images and videos must sit in
        # the bucket the dataset is staged in, the one the job's service role reads.
        hyperparameters=plan.get("hyperParameters") or None,
        dataset_bucket=plan["source"]["bucket"],
        media_prefix=media_prefix(plan),
    )


def media_prefix(plan: Mapping[str, Any]) -> str:
    """The profile's media folder (plans written before profiles had one use the default)."""
    return str(plan.get("mediaPrefix") or MEDIA_PREFIX)


def _split(plan: Mapping[str, Any], train: ObjectVersion, staged: Staging) -> dict[str, Any]:
    """Cut the validation set from the training file: two passes over S3 (count, then write), no disk."""
    rules = resolve_model(plan["baseModelIdentifier"])
    source = Rereadable(lambda: staged.open(train))
    with (
        MultipartWriter(train.s3, staged.bucket, plan["stagedTrainingKey"]) as train_out,
        MultipartWriter(train.s3, staged.bucket, plan["stagedValidationKey"]) as validation_out,
    ):
        summary = split_stream(source, train_out, validation_out, ratio=float(plan["validationSplit"]), rules=rules)
    return _plain(summary)


def _plain(summary: Any) -> dict[str, Any]:
    from dataclasses import asdict, is_dataclass

    return asdict(summary) if is_dataclass(summary) and not isinstance(summary, type) else dict(vars(summary))
