"""The run record: everything the report page, the model card and the leaderboard row are rendered from.

The pipeline assembles it at the end of a run from the workflow's state and the reports already in S3
(`tuneline.pipeline.run_reports`); the renderers only read it, so a missing part makes a shorter page,
never a failed one. Keys (all optional except `jobName` and `outcome`):

    jobName, outcome (OUTCOMES), profile, endedAt, startedAt   ISO 8601 UTC strings for the dates
    plan              the Plan job result (names, base model, type, hyperparameters, URIs, budget, serving)
    source            {bucket, key, versionId, eTag} of the uploaded training file
    validation        the Validate dataset result (records, trainingTokens, warnings, split)
    validationReport  reports/<job>/validation.json ({valid, errors, warnings, stats})
    estimate          the Check budget and capacity result (estimatedCostUsd, tokens, epochs, priceSource)
    job               the customization job as Bedrock described it (ARNs, status, times)
    summary           reports/<job>/summary.json (metrics: final losses, perplexity, overfitting)
    series            {"training": [[step, epoch, loss, perplexity]...], "validation": [...]} per row
    evaluation        reports/<job>/evaluation.json ({models, comparison, gate}) when evaluation ran
    serving           the serving result (modelArn, expiresAt, exampleCall, passed) or {status: ...}
    error             {error, cause, step, meaning, action, command} of a failed run
    timeline          [{state, enteredAt, seconds}] in the order the states were entered
    artifacts         [{name, uri}] every object the run wrote or read
"""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

SUCCEEDED = "succeeded"
REJECTED = "rejected"
FAILED = "failed"
OUTCOMES = (SUCCEEDED, REJECTED, FAILED)

# Rows of a metrics series: step, epoch, loss, perplexity (any but loss may be None).
STEP, EPOCH, LOSS, PERPLEXITY = range(4)


def part(record: Mapping[str, Any], key: str) -> dict[str, Any]:
    """A mapping inside the record, or an empty one when that part is missing or not a mapping."""
    value = record.get(key)
    return dict(value) if isinstance(value, Mapping) else {}


def metrics(record: Mapping[str, Any]) -> dict[str, Any]:
    """The metric summary (final and best losses, perplexity) of the run, or an empty mapping."""
    return part(part(record, "summary"), "metrics")


def comparison(record: Mapping[str, Any]) -> dict[str, Any]:
    return part(part(record, "evaluation"), "comparison")


def gate(record: Mapping[str, Any]) -> dict[str, Any]:
    return part(part(record, "evaluation"), "gate")


def hyperparameters(record: Mapping[str, Any]) -> dict[str, Any]:
    return part(part(record, "plan"), "hyperParameters")


def custom_model_arn(record: Mapping[str, Any]) -> str | None:
    summary, job = part(record, "summary"), part(record, "job")
    value = summary.get("customModelArn") or job.get("outputModelArn") or job.get("OutputModelArn")
    return str(value) if value else None
