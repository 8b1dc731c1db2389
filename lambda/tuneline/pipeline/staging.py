"""Validate step: check the dataset against the model's rules, then stage an immutable copy for Bedrock.

The original under incoming/ is only read (by version id, so a re-upload during the job changes nothing). The
data streams S3 -> local disk -> S3 in bounded memory; with `autoFix` the staged copy is the normalised one
(BOM, CRLF, blank lines, control characters), and a validation split is cut from it when the profile asks.
"""

from __future__ import annotations

import json
import shutil
import tempfile
from collections.abc import Mapping
from pathlib import Path
from typing import Any, BinaryIO

from tuneline.datasets.fix import normalize_stream
from tuneline.datasets.models import resolve_model
from tuneline.datasets.split import split_stream
from tuneline.datasets.validator import training_tokens, validate_dataset
from tuneline.errors import DatasetRejected
from tuneline.findings import Report

REPORT_NAME = "validation.json"
FINDINGS_IN_ERROR = 5
_COPY_CHUNK = 1024 * 1024


def validate_and_stage(plan: Mapping[str, Any], *, s3: Any) -> dict[str, Any]:
    bucket = plan["source"]["bucket"]
    report_key = f"{plan['reportPrefix']}{REPORT_NAME}"
    with tempfile.TemporaryDirectory(prefix="tuneline-") as work:
        workdir = Path(work)
        train = _download(s3, plan["source"], workdir / "train.jsonl", fix=bool(plan.get("autoFix")))
        validation_source = plan.get("validationSource")
        validation = (
            _download(s3, validation_source, workdir / "validation.jsonl", fix=bool(plan.get("autoFix")))
            if validation_source
            else None
        )
        report = _validate(plan, train, validation)
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
            train, validation, split = _split(plan, train, workdir)
        s3.upload_file(str(train), bucket, plan["stagedTrainingKey"])
        if validation is not None and plan.get("stagedValidationKey"):
            s3.upload_file(str(validation), bucket, plan["stagedValidationKey"])

    return {
        "valid": True,
        "reportKey": report_key,
        "records": report.stats.get("records"),
        # Tokens of the whole training file, before any split: a slight over-estimate keeps the budget safe.
        "trainingTokens": training_tokens(report),
        "warnings": len(report.warnings),
        "split": split,
    }


def _download(s3: Any, ref: Mapping[str, Any], target: Path, *, fix: bool) -> Path:
    extra = {"VersionId": ref["versionId"]} if ref.get("versionId") else {}
    body = s3.get_object(Bucket=ref["bucket"], Key=ref["key"], **extra)["Body"]
    with target.open("wb") as out:
        if fix:
            normalize_stream(body, out)
        else:
            shutil.copyfileobj(body, out, _COPY_CHUNK)
    return target


def _validate(plan: Mapping[str, Any], train: Path, validation: Path | None) -> Report:
    with train.open("rb") as train_stream:
        validation_stream: BinaryIO | None = validation.open("rb") if validation else None
        try:
            return validate_dataset(
                train_stream,
                model_id=plan["baseModelIdentifier"],
                customization_type=plan["customizationType"],
                validation=validation_stream,
                training_name=plan["source"]["key"].rsplit("/", 1)[-1],
                validation_name=(plan.get("validationSource") or {}).get("key", "validation.jsonl").rsplit("/", 1)[-1],
                teacher_model_id=plan.get("teacherModelIdentifier"),
            )
        finally:
            if validation_stream:
                validation_stream.close()


def _split(plan: Mapping[str, Any], train: Path, workdir: Path) -> tuple[Path, Path, dict[str, Any]]:
    rules = resolve_model(plan["baseModelIdentifier"])
    train_out, validation_out = workdir / "train.split.jsonl", workdir / "validation.split.jsonl"
    with train.open("rb") as src, train_out.open("wb") as t, validation_out.open("wb") as v:
        summary = split_stream(src, t, v, ratio=float(plan["validationSplit"]), rules=rules)
    return train_out, validation_out, _plain(summary)


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
