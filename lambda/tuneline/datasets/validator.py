"""The dataset validation engine: one entry point for the pipeline's Validate step and `tuneline validate`.

`validate_dataset` reads the training file (and the optional validation file) once, as streams, and returns a
`tuneline.findings.Report`: errors and warnings with file and 1-based line (None for dataset-level rules),
and statistics (records, characters, estimated tokens: total, max, p50, p95, per file and combined).
"""

from __future__ import annotations

import re
from collections.abc import Callable, Mapping
from typing import Any, BinaryIO

from tuneline.datasets.collector import FindingCollector
from tuneline.datasets.lines import Readable
from tuneline.datasets.models import (
    CUSTOMIZATION_TYPES,
    DISTILLATION,
    TEACHERS,
    ModelRules,
    check_teacher,
    resolve_model,
    resolve_teacher,
)
from tuneline.datasets.records import make_checker
from tuneline.datasets.scan import FileScan, scan_file
from tuneline.datasets.shapes import RULE as OTHER_SHAPE_RULE
from tuneline.datasets.shapes import ShapeSample, advise
from tuneline.datasets.stats import SizeStats
from tuneline.findings import Report

_NO_TOKEN_LIMIT = 1 << 62
# Bedrock's S3 key charset: other characters (spaces, '=', '+', '%') make the job request invalid.
S3_KEY_NAME = re.compile(r"^[-!_*'().a-zA-Z0-9/]+$")


def validate_dataset(
    training: BinaryIO | Readable,
    *,
    model_id: str,
    customization_type: str = "FINE_TUNING",
    validation: BinaryIO | Readable | None = None,
    training_name: str = "train.jsonl",
    validation_name: str = "validation.jsonl",
    teacher_model_id: str | None = None,
    max_findings_per_rule: int = 20,
    progress: Callable[[int], None] | None = None,
    hyperparameters: Mapping[str, str] | None = None,
    dataset_bucket: str | None = None,
    media_prefix: str | None = None,
) -> Report:
    """Validate a dataset against the rules of `model_id` for `customization_type`.

    Raises `UnknownModelError` for a model that is not in the rules table; every problem with the data itself
    (including undecodable bytes) is a finding. `dataset_bucket`, when known, makes media in other buckets an
    error; `media_prefix`, when given, makes media under any other key prefix an error. `hyperparameters`
    (batchSize) tighten the per-record token limit where the model says so.
    """
    rules = resolve_model(model_id)
    sink = FindingCollector(max_findings_per_rule)
    stats: dict[str, Any] = {
        "model_id": rules.canonical_id,
        "model": rules.display_name,
        "family": rules.family,
        "customization_type": customization_type,
    }
    format_name = _check_setup(rules, customization_type, teacher_model_id, validation is not None, sink)
    if format_name is None:
        # Nothing was read: the statistics keep their shape so consumers need no special case.
        stats.update(SizeStats().to_dict())
        stats["files"] = {}
        return sink.to_report(stats)

    max_tokens = rules.max_tokens_for(hyperparameters)
    stats.update({"format": format_name, "chars_per_token": rules.chars_per_token, "max_tokens_per_record": max_tokens})
    checker = make_checker(
        format_name,
        rules,
        sink,
        customization_type=customization_type,
        single_turn=_single_turn(rules, customization_type, teacher_model_id),
        dataset_bucket=dataset_bucket,
        media_prefix=media_prefix,
    )
    done = 0

    def report_progress(total: int) -> None:
        if progress is not None:
            progress(done + total)

    scan_options: dict[str, Any] = {
        "checker": checker,
        "sink": sink,
        "chars_per_token": rules.chars_per_token,
        # A caption's limit is exact, in characters (caption.length): a rough token estimate would only repeat
        # it, and warn about valid captions near the top of the range.
        "max_tokens": max_tokens if rules.caption_chars is None else _NO_TOKEN_LIMIT,
        "tokens_per_image": rules.tokens_per_image,
        "progress": report_progress,
    }
    training_hashes: dict[int, int] = {}
    shapes = ShapeSample()
    train = scan_file(
        training, name=training_name, role="training", seen=training_hashes, shapes=shapes, **scan_options
    )
    done = train.bytes
    scans = [train]
    if validation is not None:
        scans.append(
            scan_file(validation, name=validation_name, role="validation", earlier=training_hashes, **scan_options)
        )
    del training_hashes

    _check_files(rules, customization_type, scans, sink)
    _check_counts(rules, customization_type, scans, sink)
    if sink.error_counts:
        # Only a file that fails is asked what it looks like: valid data never pays for the verdict.
        advice = advise(
            shapes, rules=rules, model_id=model_id, customization_type=customization_type, file_name=training_name
        )
        if advice is not None:
            sink.lead(OTHER_SHAPE_RULE, advice.message, training_name, advice.command)

    combined = train.size
    for scan in scans[1:]:
        combined = combined.merge(scan.size)
    stats.update(combined.to_dict())
    stats["files"] = {scan.role: scan.to_dict() for scan in scans}
    return sink.to_report(stats)


def training_tokens(report: Report) -> int:
    """Estimated tokens of the training file, the input of the cost estimate (0 if it was not scanned)."""
    files = report.stats.get("files", {})
    return int(files.get("training", {}).get("estimated_tokens", {}).get("total", 0))


def _check_setup(
    rules: ModelRules, customization_type: str, teacher: str | None, has_validation: bool, sink: FindingCollector
) -> str | None:
    """Dataset-level rules known before reading a byte; returns the dataset format, or None to stop."""
    if customization_type not in CUSTOMIZATION_TYPES:
        sink.error(
            "dataset.customization-type",
            f"unknown customization type {customization_type!r}; use one of {', '.join(CUSTOMIZATION_TYPES)}",
        )
        return None
    format_name = rules.format_for(customization_type)
    if customization_type not in rules.customization_types or format_name is None:
        sink.error(
            "dataset.customization-type",
            f"{rules.display_name} does not support {customization_type}; it supports "
            f"{', '.join(rules.customization_types)}",
        )
        return None
    if customization_type == DISTILLATION:
        if teacher:
            problem = check_teacher(teacher, rules)
            if problem:
                sink.error("dataset.teacher", problem)
    elif teacher:
        sink.warning("dataset.teacher", "a teacher model is only used for DISTILLATION; it is ignored here")
    if has_validation and not rules.validation_allowed_for(customization_type):
        sink.error(
            "dataset.validation-not-allowed",
            f"{rules.display_name} accepts no validation dataset for {customization_type}; drop the validation "
            "file (Bedrock reports training metrics only)",
        )
    return format_name


def _single_turn(rules: ModelRules, customization_type: str, teacher: str | None) -> bool:
    """Anthropic and Llama teachers take single-turn prompts. Without a named teacher, the student decides:
    all of a student's possible teachers share that property."""
    if customization_type != DISTILLATION:
        return False
    named = resolve_teacher(teacher) if teacher else None
    if named is not None:
        return named.single_turn
    candidates = [t for t in TEACHERS.values() if rules.family in t.students]
    return bool(candidates) and all(t.single_turn for t in candidates)


def _check_files(rules: ModelRules, customization_type: str, scans: list[FileScan], sink: FindingCollector) -> None:
    for scan in scans:
        if scan.bytes == 0:
            sink.error(
                "file.empty",
                f"the {scan.role} file has no records; put one JSON object per line",
                None,
                scan.name,
            )
        limit = (
            rules.max_training_file_bytes_for(customization_type)
            if scan.role == "training"
            else rules.max_validation_file_bytes
        )
        if limit and scan.bytes > limit:
            sink.error(
                "file.too-large",
                f"the {scan.role} file is {_size(scan.bytes)}; {rules.display_name} accepts at most {_size(limit)}",
                None,
                scan.name,
            )
        base = scan.name.replace("\\", "/").rsplit("/", 1)[-1]
        if base.startswith("<") and base.endswith(">"):
            continue  # A stream without a file name ("<stdin>"): there is no name to check.
        if not base.lower().endswith(".jsonl"):
            sink.warning("file.extension", "Bedrock expects a .jsonl file; rename it before uploading", None, scan.name)
        if base and not S3_KEY_NAME.match(base):
            sink.warning(
                "file.name",
                "the file name has characters Bedrock rejects in S3 keys (spaces, '=', '+', '%', ...); use only "
                "letters, digits and -!_*'().",
                None,
                scan.name,
            )


def _check_counts(rules: ModelRules, customization_type: str, scans: list[FileScan], sink: FindingCollector) -> None:
    train = scans[0]
    low, high = rules.training_records_for(customization_type)
    noun = "prompts" if customization_type == DISTILLATION else "records"
    if train.bytes and not low <= train.records <= high:
        sink.error(
            "dataset.training-records",
            f"the training file has {train.records} {noun}; {rules.display_name} {customization_type} needs "
            f"{low}-{high}",
            None,
            train.name,
        )
    if len(scans) < 2 or not rules.validation_allowed_for(customization_type):
        return
    validation = scans[1]
    if rules.validation_records is not None and validation.bytes:
        v_low, v_high = rules.validation_records
        if not v_low <= validation.records <= v_high:
            sink.error(
                "dataset.validation-records",
                f"the validation file has {validation.records} records; {rules.display_name} accepts {v_low}-{v_high}",
                None,
                validation.name,
            )
    total = train.records + validation.records
    if rules.total_records_max is not None and total > rules.total_records_max:
        sink.error(
            "dataset.total-records",
            f"training and validation hold {total} records together; {rules.display_name} accepts at most "
            f"{rules.total_records_max} in total (an adjustable Service Quota)",
        )


def _size(value: int) -> str:
    for unit, scale in (("GB", 1 << 30), ("MB", 1 << 20), ("KB", 1 << 10)):
        if value >= scale:
            return f"{value / scale:.1f} {unit}"
    return f"{value} bytes"
