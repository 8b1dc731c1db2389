"""Validate step: check the dataset against the model's rules, then stage an immutable copy for Bedrock.

The original under incoming/ is only read (by version id, so a re-upload during the job changes nothing). Nothing
touches local disk: the validator reads the version straight from S3, an unchanged copy is staged server-side,
and with `autoFix` (BOM, CRLF, blank lines, control characters) or a validation split the staged files are
streamed back through multipart uploads, so any dataset size Bedrock accepts stages in bounded memory.
"""

from __future__ import annotations

import json
from collections.abc import Mapping
from typing import Any

from tuneline.datasets.models import resolve_model
from tuneline.datasets.split import split_stream
from tuneline.datasets.validator import training_tokens, validate_dataset
from tuneline.errors import DatasetRejected
from tuneline.findings import Report
from tuneline.pipeline.s3_streams import MultipartWriter, ObjectVersion, Rereadable

REPORT_NAME = "validation.json"
FINDINGS_IN_ERROR = 5
# Reads while streaming a normalized copy: big enough that per-call overhead vanishes.
STREAM_READ_BYTES = 4 * 1024 * 1024


def validate_and_stage(plan: Mapping[str, Any], *, s3: Any) -> dict[str, Any]:
    bucket = plan["source"]["bucket"]
    report_key = f"{plan['reportPrefix']}{REPORT_NAME}"
    fix = bool(plan.get("autoFix"))
    train = ObjectVersion(s3, plan["source"])
    validation = ObjectVersion(s3, plan["validationSource"]) if plan.get("validationSource") else None

    report = _validate(plan, train, validation, fix=fix)
    s3.put_object(
        Bucket=bucket,
        Key=report_key,
        Body=json.dumps(report.to_dict(), indent=1).encode(),
        ContentType="application/json",
    )
    if not report.valid:
        raise DatasetRejected(_rejection_message(plan, report, f"s3://{bucket}/{report_key}"))

    split = None
    if plan.get("stagedValidationKey") and validation is None:
        split = _split(plan, train, bucket, fix=fix)
    else:
        _stage(train, bucket, plan["stagedTrainingKey"], fix=fix)
        if validation is not None and plan.get("stagedValidationKey"):
            _stage(validation, bucket, plan["stagedValidationKey"], fix=fix)

    return {
        "valid": True,
        "reportKey": report_key,
        "records": report.stats.get("records"),
        # Tokens of the whole training file, before any split: a slight over-estimate keeps the budget safe.
        "trainingTokens": training_tokens(report),
        "warnings": len(report.warnings),
        "split": split,
    }


def _stage(source: ObjectVersion, bucket: str, key: str, *, fix: bool) -> None:
    if not fix:
        source.copy_to(bucket, key)
        return
    stream = source.open(normalize=True)
    with MultipartWriter(s3=source.s3, bucket=bucket, key=key) as out:
        while chunk := stream.read(STREAM_READ_BYTES):
            out.write(chunk)


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
    )


def _split(plan: Mapping[str, Any], train: ObjectVersion, bucket: str, *, fix: bool) -> dict[str, Any]:
    """Cut the validation set from the training file: two passes over S3 (count, then write), no disk."""
    rules = resolve_model(plan["baseModelIdentifier"])
    source = Rereadable(lambda: train.open(normalize=fix))
    with (
        MultipartWriter(train.s3, bucket, plan["stagedTrainingKey"]) as train_out,
        MultipartWriter(train.s3, bucket, plan["stagedValidationKey"]) as validation_out,
    ):
        summary = split_stream(source, train_out, validation_out, ratio=float(plan["validationSplit"]), rules=rules)
    return _plain(summary)


def _plain(summary: Any) -> dict[str, Any]:
    from dataclasses import asdict, is_dataclass

    return asdict(summary) if is_dataclass(summary) and not isinstance(summary, type) else dict(vars(summary))


def _rejection_message(plan: Mapping[str, Any], report: Report, report_uri: str) -> str:
    shown = "; ".join(finding.describe() for finding in report.errors[:FINDINGS_IN_ERROR])
    total = sum(report.stats.get("error_counts", {}).values()) or len(report.errors)
    return (
        f"Dataset s3://{plan['source']['bucket']}/{plan['source']['key']} was rejected for "
        f"{plan['baseModelIdentifier']}: {total} error(s). {shown}. Nothing was started. "
        f"Fix the file (run `tuneline validate` locally to see every finding) and upload it again. "
        f"Full report: {report_uri}"
    )
