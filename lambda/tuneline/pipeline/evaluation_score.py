"""Score the evaluation: join both models' answers with the set, score them, compare, decide the gate.

The Distributed Map wrote its results to S3 (ResultWriter: a `manifest.json` naming JSON files of child
executions, each with its `Output` as a JSON string); this step reads them, scores every answer with the
evaluation engine (`tuneline.evaluation`, the same one `tuneline evaluate` uses), and writes:

- `reports/<job>/evaluation.json`: both summaries, the paired comparison on the gate metric and the gate;
- `reports/<job>/evaluation.jsonl`: per prompt, the prompt, the reference, both answers and their scores;
- for the LLM judge, when configured, one bring-your-own-inference dataset per model (docs/bedrock.md §12.3)
  and the two CreateEvaluationJob requests, ready for the SDK tasks (PascalCase, docs/bedrock.md §8).

A prompt whose child execution failed (the Map tolerates a few) has no pair and is left out of the comparison;
the count is reported. The state gets only the summary; answers stay in S3.
"""

from __future__ import annotations

import hashlib
import json
import re
from collections.abc import Mapping, Sequence
from typing import Any

from tuneline.evaluation.engine import evaluate
from tuneline.evaluation.metrics import score_response
from tuneline.evaluation.records import EvalItem, Scored
from tuneline.pipeline.evaluation_answers import BASE, CUSTOM, MODELS, read_answers, read_set, score_answers, to_item

__all__ = ["BASE", "CUSTOM", "MODELS", "check_baseline", "score_evaluation"]
JUDGE_TASK_TYPE = "Generation"
JUDGE_DATASET_NAME = "tuneline-evaluation"
# docs/bedrock.md §12.1: lowercase letters, digits and hyphens, at most 63 characters.
_JOB_NAME_INVALID = re.compile(r"[^a-z0-9-]+")


def score_evaluation(
    plan: Mapping[str, Any], setup: Mapping[str, Any], responses: Mapping[str, Any], *, s3: Any
) -> dict[str, Any]:
    settings = plan["evaluation"]
    bucket = str(settings["bucket"])
    items = read_set(s3, bucket, str(setup["setKey"]))
    answers = read_answers(s3, responses)
    scored: dict[str, list[Scored]] = {BASE: [], CUSTOM: []}
    rows: list[dict[str, Any]] = []
    for index, record in enumerate(items):
        pair = answers.get(index)
        if pair is None:
            continue
        item = to_item(record)
        row: dict[str, Any] = {"index": index, **record, "responses": {}, "scores": {}}
        for model in MODELS:
            text = str(pair.get(model) or "")
            scores = score_response(text, item.reference)
            scored[model].append(Scored(item=item, response=text, scores=scores))
            row["responses"][model] = text
            row["scores"][model] = scores
        rows.append(row)

    gate = settings["gate"]
    result = evaluate(
        scored,
        baseline=BASE,
        gate_metric=str(gate["metric"]),
        min_improvement=float(gate["minImprovement"]),
        require_significance=bool(gate["requireSignificance"]),
    )
    report_prefix = str(plan["reportPrefix"])
    report = {
        "job": plan.get("jobName"),
        "baseModel": setup.get("baseModelId"),
        "customModel": setup.get("customModelId") or (setup.get("request") or {}).get("modelArn"),
        "origin": setup.get("origin"),
        "prompts": len(items),
        "unanswered": len(items) - len(rows),
        **result,
    }
    _put(s3, bucket, f"{report_prefix}evaluation.json", json.dumps(report, indent=2, ensure_ascii=False))
    _put(
        s3, bucket, f"{report_prefix}evaluation.jsonl", "".join(json.dumps(r, ensure_ascii=False) + "\n" for r in rows)
    )

    judge = settings.get("judge")
    return {
        "prompts": len(items),
        "unanswered": len(items) - len(rows),
        "reportKey": f"{report_prefix}evaluation.json",
        "models": {name: _means(summary) for name, summary in result["models"].items()},
        "comparison": result.get("comparison"),
        "gate": {**(result.get("gate") or {"passed": False}), "metric": gate["metric"]},
        "judge": _judge_requests(plan, rows, judge, s3=s3) if judge and rows else None,
    }


def check_baseline(
    plan: Mapping[str, Any], setup: Mapping[str, Any], responses: Mapping[str, Any], *, s3: Any
) -> dict[str, Any]:
    """The base model's mean on the gate metric against `skipTrainingAbove`; `reports/<job>/baseline.json`.

    `skipTraining` is true when the mean reaches the threshold: training would not be worth its cost. Prompts
    without an answer are left out (and counted); with no answer at all the check cannot say, so training goes on.
    """
    settings = plan["evaluation"]
    bucket = str(settings["bucket"])
    metric = str(settings["gate"]["metric"])
    threshold = float(settings["skipTrainingAbove"])
    scores = score_answers(s3, bucket, str(setup["setKey"]), responses, model=BASE, score=_metric_scorer(metric))
    mean = scores.mean
    report_key = f"{plan['reportPrefix']}baseline.json"
    result = {
        "status": "Checked",
        "metric": metric,
        "score": None if mean is None else round(mean, 4),
        "threshold": threshold,
        "skipTraining": mean is not None and mean >= threshold,
        "prompts": len(scores.scores) + scores.unanswered,
        "scored": len(scores.scores),
        "unanswered": scores.unanswered,
        "baseModel": setup.get("baseModelId"),
        "origin": setup.get("origin"),
        "reportKey": report_key,
    }
    _put(s3, bucket, report_key, json.dumps({"job": plan.get("jobName"), **result}, indent=2))
    return result


def _metric_scorer(metric: str) -> Any:
    """score(item, response) -> the response's `metric`; a metric a record does not have (jsonValid on a
    reference that is not JSON) scores 0, as the base model did not produce what was asked."""

    def score(item: EvalItem, response: str) -> float:
        return float(score_response(response, item.reference).get(metric, 0.0))

    return score


def _means(summary: Mapping[str, Any]) -> dict[str, Any]:
    """A model's summary without the per-category breakdown (that stays in the report)."""
    return {key: value for key, value in summary.items() if key != "byCategory"}


def _judge_requests(
    plan: Mapping[str, Any], rows: Sequence[Mapping[str, Any]], judge: Mapping[str, Any], *, s3: Any
) -> dict[str, Any]:
    """One bring-your-own-inference dataset and one CreateEvaluationJob request per model, same judge."""
    settings = plan["evaluation"]
    bucket = str(settings["bucket"])
    prefix = str(settings["judgePrefix"])
    requests: dict[str, Any] = {}
    for model in MODELS:
        key = f"{prefix}{model}.jsonl"
        lines = []
        for row in rows:
            record: dict[str, Any] = {"prompt": row["prompt"], "referenceResponse": row["referenceResponse"]}
            if row.get("category"):
                record["category"] = row["category"]
            record["modelResponses"] = [{"response": row["responses"][model], "modelIdentifier": model}]
            lines.append(json.dumps(record, ensure_ascii=False) + "\n")
        _put(s3, bucket, key, "".join(lines))
        requests[model] = judge_job_request(plan, model, dataset_uri=f"s3://{bucket}/{key}", judge=judge)
    return {"requests": requests, "outputUri": f"s3://{bucket}/{prefix}output/"}


def judge_job_request(
    plan: Mapping[str, Any], model: str, *, dataset_uri: str, judge: Mapping[str, Any]
) -> dict[str, Any]:
    """The parts of a CreateEvaluationJob request that change per job (RoleArn is fixed in the definition)."""
    evaluator = {"BedrockEvaluatorModels": [{"ModelIdentifier": judge["evaluatorModel"]}]}
    custom = judge.get("customMetrics") or []
    automated: dict[str, Any] = {
        "DatasetMetricConfigs": [
            {
                "TaskType": JUDGE_TASK_TYPE,
                "Dataset": {"Name": JUDGE_DATASET_NAME, "DatasetLocation": {"S3Uri": dataset_uri}},
                "MetricNames": [*judge.get("metrics", []), *(m["name"] for m in custom)],
            }
        ],
        "EvaluatorModelConfig": evaluator,
    }
    if custom:
        automated["CustomMetricConfig"] = {
            "CustomMetrics": [
                {"CustomMetricDefinition": {"Name": m["name"], "Instructions": m["instructions"]}} for m in custom
            ],
            "EvaluatorModelConfig": evaluator,
        }
    settings = plan["evaluation"]
    return {
        "jobName": judge_job_name(str(plan.get("jobName", "")), model),
        "evaluationConfig": {"Automated": automated},
        "inferenceConfig": {"Models": [{"PrecomputedInferenceSource": {"InferenceSourceIdentifier": model}}]},
        "outputUri": f"s3://{settings['bucket']}/{settings['judgePrefix']}output/",
    }


def judge_job_name(job_name: str, model: str) -> str:
    """`<job name, lowercased>-<hash>-<model>`, at most 63 characters of [a-z0-9-] (docs/bedrock.md §12.1)."""
    digest = hashlib.sha256(job_name.encode()).hexdigest()[:8]
    stem = _JOB_NAME_INVALID.sub("-", job_name.lower()).strip("-")
    stem = re.sub(r"-{2,}", "-", stem)[: 63 - len(digest) - len(model) - 2].strip("-")
    return f"{stem}-{digest}-{model}" if stem else f"{digest}-{model}"


def _body(s3: Any, bucket: str, key: str) -> str:
    return str(s3.get_object(Bucket=bucket, Key=key)["Body"].read().decode("utf-8"))


def _put(s3: Any, bucket: str, key: str, text: str) -> None:
    s3.put_object(Bucket=bucket, Key=key, Body=text.encode(), ContentType="application/json")
