"""The answers `Collect answers` wrote, read back; and a model's answers scored with any callable.

The reusable half of the evaluation stage (docs/decisions/0011-evaluation-stage.md, "Asking a model the
evaluation set"): a workflow stages prompts with `stage_prompts`, points its `Collect answers` Map at the items
(stacks/constructs/answer_collection.py), and reads what each model said with `read_answers`. `score_answers`
joins the answers of one model with the staged set and scores each with a callable, so a check that is not
about the gate metric (a reward function, say) reuses the same collection:

    prompts = stage_prompts(s3, bucket, set_key, items_key, prompts)
    ... the Map runs ...
    scores = score_answers(s3, bucket, set_key, responses, model="base", score=my_scorer)
"""

from __future__ import annotations

import json
from collections.abc import Callable, Iterable, Iterator, Mapping
from dataclasses import dataclass
from typing import Any

from tuneline.evaluation.records import EvalItem
from tuneline.pipeline.evaluation_set import EvaluationPrompt

BASE, CUSTOM = "base", "custom"
MODELS = (BASE, CUSTOM)


@dataclass(frozen=True)
class ModelScores:
    """One model's score per answered prompt (`items[i]` got `scores[i]`) and how many prompts got no answer."""

    items: list[EvalItem]
    responses: list[str]
    scores: list[float]
    unanswered: int

    @property
    def mean(self) -> float | None:
        return sum(self.scores) / len(self.scores) if self.scores else None


def stage_prompts(s3: Any, bucket: str, set_key: str, items_key: str, prompts: Iterable[EvaluationPrompt]) -> int:
    """Write the set (Bedrock's evaluation dataset format) and the Map's items; returns how many prompts."""
    listed = list(prompts)
    put_lines(s3, bucket, set_key, (p.to_dataset_record() for p in listed))
    put_lines(s3, bucket, items_key, (p.to_item(i) for i, p in enumerate(listed)))
    return len(listed)


def read_set(s3: Any, bucket: str, set_key: str) -> list[dict[str, Any]]:
    """The staged set's records, in item order (`index` in the answers is the position here)."""
    return [json.loads(line) for line in _body(s3, bucket, set_key).splitlines() if line.strip()]


def read_answers(s3: Any, responses: Mapping[str, Any]) -> dict[int, dict[str, str | None]]:
    """{index: {"base": text, "custom": text or None}} of every child execution that succeeded.

    `responses` is the Map's result (`ResultWriterDetails`: a manifest naming JSON files of child executions,
    each with its `Output` as a JSON string). A prompt whose child failed is missing."""
    return dict(_answers(s3, responses))


def score_answers(
    s3: Any,
    bucket: str,
    set_key: str,
    responses: Mapping[str, Any],
    *,
    model: str,
    score: Callable[[EvalItem, str], float],
) -> ModelScores:
    """`model`'s answers joined with the staged set and scored with `score(item, response)`."""
    answers = read_answers(s3, responses)
    items: list[EvalItem] = []
    texts: list[str] = []
    values: list[float] = []
    records = read_set(s3, bucket, set_key)
    for index, record in enumerate(records):
        pair = answers.get(index)
        if pair is None:
            continue
        item = to_item(record)
        text = str(pair.get(model) or "")
        items.append(item)
        texts.append(text)
        values.append(float(score(item, text)))
    return ModelScores(items=items, responses=texts, scores=values, unanswered=len(records) - len(items))


def to_item(record: Mapping[str, Any]) -> EvalItem:
    return EvalItem(prompt=record["prompt"], reference=record["referenceResponse"], category=record.get("category"))


def put_lines(s3: Any, bucket: str, key: str, records: Iterable[Mapping[str, Any]]) -> None:
    body = "".join(json.dumps(record, ensure_ascii=False) + "\n" for record in records)
    s3.put_object(Bucket=bucket, Key=key, Body=body.encode(), ContentType="application/jsonl")


def _answers(s3: Any, responses: Mapping[str, Any]) -> Iterator[tuple[int, dict[str, str | None]]]:
    details = responses.get("ResultWriterDetails") or {}
    manifest = json.loads(_body(s3, str(details["Bucket"]), str(details["Key"])))
    for result_file in (manifest.get("ResultFiles") or {}).get("SUCCEEDED", []):
        for child in json.loads(_body(s3, str(manifest["DestinationBucket"]), str(result_file["Key"]))):
            output = json.loads(child["Output"]) if isinstance(child.get("Output"), str) else child.get("Output")
            if isinstance(output, Mapping) and "index" in output:
                yield int(output["index"]), {model: (output.get(model) or {}).get("text") for model in MODELS}


def _body(s3: Any, bucket: str, key: str) -> str:
    return str(s3.get_object(Bucket=bucket, Key=key)["Body"].read().decode("utf-8"))
