"""Read the LLM judge's results: two Bedrock evaluation jobs, one per model, merged into the reports.

Each job writes JSONL under its output URI, in a folder named after the job (docs/bedrock.md §12.3:
`<output>/<job name>/<job id>/models/<source>/taskTypes/<task>/datasets/<dataset>/<id>_output.jsonl`), one
line per prompt in the order of the dataset, with `automatedEvaluationResult.scores[]` of `metricName` and
`result`. Files are found by the job-name folder and the `_output.jsonl` ending rather than the full path,
so a change in the folders between them does not break reading. The judge does not change the gate (the gate
metric is deterministic; docs/decisions/0011-evaluation-stage.md): its scores are reported beside it.
"""

from __future__ import annotations

import json
from collections.abc import Mapping
from typing import Any
from urllib.parse import urlparse

from tuneline.pipeline.evaluation_score import MODELS

OUTPUT_SUFFIX = "_output.jsonl"


def read_judge_results(plan: Mapping[str, Any], evaluation: Mapping[str, Any], *, s3: Any) -> dict[str, Any]:
    judge = evaluation.get("judge") or {}
    output = urlparse(str(judge["outputUri"]))
    bucket, prefix = output.netloc, output.path.lstrip("/")
    per_model: dict[str, list[dict[str, float]]] = {}
    for model in MODELS:
        job_name = judge["requests"][model]["jobName"]
        per_model[model] = _scores(s3, bucket, f"{prefix}{job_name}/")
    means = {model: _means(rows) for model, rows in per_model.items()}
    _merge_into_reports(plan, evaluation, per_model, means, s3=s3)
    return {"status": "Completed", "means": means, "prompts": {m: len(r) for m, r in per_model.items()}}


def _scores(s3: Any, bucket: str, prefix: str) -> list[dict[str, float]]:
    rows: list[dict[str, float]] = []
    keys: list[str] = []
    for page in s3.get_paginator("list_objects_v2").paginate(Bucket=bucket, Prefix=prefix):
        keys.extend(item["Key"] for item in page.get("Contents", []) if item["Key"].endswith(OUTPUT_SUFFIX))
    for key in sorted(keys):
        text = s3.get_object(Bucket=bucket, Key=key)["Body"].read().decode("utf-8")
        for line in text.splitlines():
            if not line.strip():
                continue
            scores = (json.loads(line).get("automatedEvaluationResult") or {}).get("scores") or []
            rows.append(
                {
                    str(s["metricName"]): float(s["result"])
                    for s in scores
                    if isinstance(s, Mapping) and isinstance(s.get("result"), int | float)
                }
            )
    return rows


def _means(rows: list[dict[str, float]]) -> dict[str, float]:
    totals: dict[str, list[float]] = {}
    for row in rows:
        for metric, value in row.items():
            totals.setdefault(metric, []).append(value)
    return {metric: round(sum(values) / len(values), 4) for metric, values in sorted(totals.items())}


def _merge_into_reports(
    plan: Mapping[str, Any],
    evaluation: Mapping[str, Any],
    per_model: Mapping[str, list[dict[str, float]]],
    means: Mapping[str, Any],
    *,
    s3: Any,
) -> None:
    bucket = str(plan["evaluation"]["bucket"])
    report_key = str(evaluation["reportKey"])
    report = json.loads(s3.get_object(Bucket=bucket, Key=report_key)["Body"].read())
    report["judge"] = {"status": "Completed", "means": dict(means)}
    s3.put_object(Bucket=bucket, Key=report_key, Body=json.dumps(report, indent=2, ensure_ascii=False).encode())
    rows_key = report_key[: -len(".json")] + ".jsonl"
    lines = s3.get_object(Bucket=bucket, Key=rows_key)["Body"].read().decode("utf-8").splitlines()
    merged = []
    for position, line in enumerate(line for line in lines if line.strip()):
        row = json.loads(line)
        row["judge"] = {m: per_model[m][position] for m in MODELS if position < len(per_model[m])}
        merged.append(json.dumps(row, ensure_ascii=False) + "\n")
    s3.put_object(Bucket=bucket, Key=rows_key, Body="".join(merged).encode())
