"""Summarize step: read the metrics Bedrock wrote under the job's output prefix and write the summary report."""

from __future__ import annotations

import json
from collections.abc import Mapping
from typing import Any

from tuneline.aws_values import lookup, split_s3_uri
from tuneline.jobs.metrics import (
    MetricSeries,
    find_metric_files,
    parse_training_metrics,
    parse_validation_metrics,
    summarize,
)
from tuneline.reports.charts import MAX_POINTS, thin

SUMMARY_NAME = "summary.json"
# The loss and perplexity per row, for the report page's charts: kept out of summary.json and out of the
# workflow state (whose payloads are limited to 256 KiB), and thinned to what a chart can show.
SERIES_NAME = "metrics-series.json"


def summarize_job(plan: Mapping[str, Any], job: Mapping[str, Any], *, s3: Any) -> dict[str, Any]:
    bucket, prefix = split_s3_uri(plan["outputDataUri"])
    keys: list[str] = []
    for page in s3.get_paginator("list_objects_v2").paginate(Bucket=bucket, Prefix=prefix):
        keys.extend(item["Key"] for item in page.get("Contents", []))
    job_arn = lookup(job, "jobArn")
    files = find_metric_files(keys, job_arn=job_arn)

    summary: dict[str, Any] = {
        "jobName": plan["jobName"],
        "jobArn": job_arn,
        "customModelArn": lookup(job, "outputModelArn"),
        "customModelName": lookup(job, "outputModelName") or plan["customModelName"],
        "baseModel": plan["baseModelIdentifier"],
        "status": lookup(job, "status"),
        "metricsFound": files.training_key is not None,
    }
    if files.training_key:
        training = parse_training_metrics(_text(s3, bucket, files.training_key))
        validation = parse_validation_metrics(_text(s3, bucket, files.validation_key)) if files.validation_key else None
        summary["metrics"] = summarize(training, validation).to_dict()
        summary["metricFiles"] = {"training": files.training_key, "validation": files.validation_key}
        series = {"training": _rows(training), "validation": _rows(validation) if validation else []}
        _put_json(s3, bucket, f"{plan['reportPrefix']}{SERIES_NAME}", series)
    else:
        summary["metrics"] = None
        summary["note"] = f"No step_wise_training_metrics.csv under s3://{bucket}/{prefix}"

    report_key = f"{plan['reportPrefix']}{SUMMARY_NAME}"
    _put_json(s3, bucket, report_key, summary, indent=1)
    summary["reportUri"] = f"s3://{bucket}/{report_key}"
    return summary


def _rows(series: MetricSeries) -> list[list[float | int | None]]:
    """[step, epoch, loss, perplexity] per usable row (tuneline.reports.record), at most a chart's worth."""
    rows: list[list[float | int | None]] = [[p.step, p.epoch, p.loss, p.perplexity] for p in series.points]
    return thin(rows, MAX_POINTS)


def _put_json(s3: Any, bucket: str, key: str, document: Any, indent: int | None = None) -> None:
    body = json.dumps(document, indent=indent).encode()
    s3.put_object(Bucket=bucket, Key=key, Body=body, ContentType="application/json")


def _text(s3: Any, bucket: str, key: str) -> str:
    return bytes(s3.get_object(Bucket=bucket, Key=key)["Body"].read()).decode("utf-8-sig", errors="replace")
