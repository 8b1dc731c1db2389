"""Reading evaluation datasets and bring-your-own-inference files: findings name the file, line and key."""

from __future__ import annotations

import io
import json
from typing import Any

from tuneline.evaluation.records import (
    EvalItem,
    ModelResponse,
    pair_by_order,
    read_evaluation_dataset,
    read_model_responses,
    to_byoi_record,
)


def _byoi(prompt: str, reference: str, response: str, model: str = "custom", **extra: Any) -> dict[str, Any]:
    record = to_byoi_record(EvalItem(prompt, reference, extra.pop("category", None)), response, model)
    record.update(extra)
    return record


def _file(*lines: Any, bom: bool = False, crlf: bool = False) -> io.BytesIO:
    end = "\r\n" if crlf else "\n"
    text = end.join(line if isinstance(line, str) else json.dumps(line, ensure_ascii=False) for line in lines) + end
    return io.BytesIO((b"\xef\xbb\xbf" if bom else b"") + text.encode())


def _rules(findings: list[Any]) -> list[tuple[int | None, str]]:
    return [(finding.line, finding.rule) for finding in findings]


def test_a_bom_crlf_and_blank_lines_are_read_with_the_right_line_numbers() -> None:
    stream = _file(
        _byoi("日本の首都は", "東京", "東京です 🙂", category="geo"), "", _byoi("2+2?", "4", ""), bom=True, crlf=True
    )
    records, findings = read_model_responses(stream, file="custom.jsonl")
    assert findings == []
    assert records == [
        ModelResponse(EvalItem("日本の首都は", "東京", "geo"), "東京です 🙂", "custom", 1),
        ModelResponse(EvalItem("2+2?", "4", None), "", "custom", 3),
    ]


def test_broken_records_are_reported_by_line_key_and_rule() -> None:
    stream = _file(
        _byoi("ok", "fine", "fine"),
        '{"prompt": "x", ',
        ["not", "an", "object"],
        {"prompt": "q", "referenceRespone": "typo", "modelResponses": [{"response": "r", "modelIdentifier": "custom"}]},
        _byoi("q", "r", "x", modelResponses=[]),
        {"prompt": "q", "referenceResponse": "r", "modelResponses": [{"response": None, "modelIdentifier": "custom"}]},
        _byoi("", "r", "x"),
        _byoi("q", 4, "x"),
        _byoi("q", "r", "x", model="other"),
    )
    _, findings = read_model_responses(stream, file="custom.jsonl")
    assert _rules(findings) == [
        (2, "invalid-json"),
        (3, "not-an-object"),
        (4, "missing-key"),
        (5, "model-responses"),
        (6, "response-not-text"),
        (7, "empty-text"),
        (8, "not-text"),
        (9, "mixed-models"),
    ]
    assert "'referenceRespone' looks like a misspelling" in findings[2].message
    assert findings[5].describe().startswith("custom.jsonl line 7: [empty-text] key 'prompt' is empty")
    assert "key 'referenceResponse' is a JSON number" in findings[6].message
    assert "'other' differs from 'custom' on line 1" in findings[7].message


def test_bytes_that_are_not_utf8_are_named_by_line() -> None:
    stream = io.BytesIO(json.dumps(_byoi("a", "b", "c")).encode() + b"\n" + b'{"prompt": "caf\xe9"}\n')
    _, findings = read_model_responses(stream, file="r.jsonl")
    assert _rules(findings) == [(2, "not-utf8")]


def test_an_empty_file_is_a_finding() -> None:
    assert _rules(read_model_responses(io.BytesIO(b"\n\n"), file="r.jsonl")[1]) == [(None, "no-records")]


def test_the_evaluation_dataset_reader_takes_prompt_reference_and_category() -> None:
    stream = _file(
        {"prompt": "p", "referenceResponse": "r", "category": "c"}, {"prompt": "p2", "referenceResponse": ""}
    )
    items, findings = read_evaluation_dataset(stream, file="set.eval.jsonl")
    assert findings == [] and items == [EvalItem("p", "r", "c"), EvalItem("p2", "", None)]


def test_the_evaluation_dataset_reader_caps_the_prompts_of_one_job() -> None:
    stream = _file(*({"prompt": f"p{i}", "referenceResponse": "r"} for i in range(4)))
    items, findings = read_evaluation_dataset(stream, file="set.eval.jsonl", max_prompts=3)
    assert len(items) == 4 and _rules(findings) == [(None, "too-many-prompts")]


def _responses(*prompts: str, start: int = 1) -> list[ModelResponse]:
    return [ModelResponse(EvalItem(p, "ref"), "x", "m", line) for line, p in enumerate(prompts, start)]


def test_files_pair_when_they_hold_the_same_items_in_order() -> None:
    files = {"base": ("base.jsonl", _responses("a", "b")), "custom": ("custom.jsonl", _responses("a ", "b", start=3))}
    assert pair_by_order(files) == []


def test_files_that_do_not_pair_say_which_line_and_key_differ() -> None:
    count = pair_by_order({"base": ("b.jsonl", _responses("a", "b")), "custom": ("c.jsonl", _responses("a"))})
    assert _rules(count) == [(None, "record-count-mismatch")]
    assert "1 records, but b.jsonl has 2" in count[0].message
    order = pair_by_order({"base": ("b.jsonl", _responses("a", "b")), "custom": ("c.jsonl", _responses("b", "a"))})
    assert _rules(order) == [(1, "records-out-of-step"), (2, "records-out-of-step")]
    assert (
        order[0].describe().startswith("c.jsonl line 1: [records-out-of-step] key 'prompt' differs from b.jsonl line 1")
    )
