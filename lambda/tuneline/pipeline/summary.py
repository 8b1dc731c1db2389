"""Summarize step: read the metrics Bedrock wrote under the job's output prefix and write the summary report."""

from __future__ import annotations

import json
from collections.abc import Mapping
from typing import Any

from tuneline.aws_values import lookup, split_s3_uri
from tuneline.jobs.metrics import find_metric_files, parse_training_metrics, parse_validation_metrics, summarize

SUMMARY_NAME = "summary.json"


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
    else:
        summary["metrics"] = None
        summary["note"] = f"No step_wise_training_metrics.csv under s3://{bucket}/{prefix}"

    report_key = f"{plan['reportPrefix']}{SUMMARY_NAME}"
    s3.put_object(
        Bucket=bucket, Key=report_key, Body=json.dumps(summary, indent=1).encode(), ContentType="application/json"
    )
    summary["reportUri"] = f"s3://{bucket}/{report_key}"
    return summary


def _text(s3: Any, bucket: str, key: str) -> str:
    return bytes(s3.get_object(Bucket=bucket, Key=key)["Body"].read()).decode("utf-8-sig", errors="replace")
