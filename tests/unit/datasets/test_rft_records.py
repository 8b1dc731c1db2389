"""Reinforcement fine-tuning prompts (docs/bedrock.md §13): the chat prompt the model answers, the reference
answer the grader needs, 100-20,000 prompts, text only, each problem reported at its line."""

from __future__ import annotations

from typing import Any

import pytest

from tuneline.datasets.convert import convert_stream
from tuneline.datasets.models import REINFORCEMENT_FINE_TUNING, resolve_model

from .builders import found, run

NOVA_2 = "amazon.nova-2-lite-v1:0:256k"
RFT = {"customization_type": REINFORCEMENT_FINE_TUNING}


def prompt(number: int, **extra: Any) -> dict[str, Any]:
    record: dict[str, Any] = {
        "messages": [
            {"role": "system", "content": "Answer with a number."},
            {"role": "user", "content": f"What is {number} plus {number}?"},
        ],
        "reference_answer": str(2 * number),
    }
    record.update(extra)
    return record


def dataset(count: int = 120, **at: dict[str, Any]) -> list[dict[str, Any]]:
    """`count` good prompts; `at={"line": record}` replaces the record at that 1-based line."""
    records = [prompt(n) for n in range(count)]
    for line, record in at.items():
        records[int(line) - 1] = record
    return records


def test_a_valid_rft_dataset_has_no_findings_and_counts_prompts() -> None:
    records = dataset()
    records[0] = prompt(0, id="q-0", reference_answer={"final_answer": "0"}, category="math", difficulty=1)
    report = run(records, NOVA_2, **RFT)
    assert report.valid and report.warnings == []
    assert report.stats["records"] == 120 and report.stats["format"] == "rft-prompts"


@pytest.mark.parametrize(("count", "valid"), [(99, False), (100, True), (20_000, True), (20_001, False)])
def test_the_prompt_count_must_be_100_to_20000(count: int, valid: bool) -> None:
    report = run([prompt(n % 500) for n in range(count)], NOVA_2, max_findings_per_rule=1, **RFT)
    assert (
        ("dataset.training-records", None) not in found(report)
        if valid
        else ("dataset.training-records", None) in found(report)
    )
    if not valid:
        assert "needs 100-20000" in next(f.message for f in report.errors if f.rule == "dataset.training-records")


def test_image_content_is_refused_at_its_line() -> None:
    record = prompt(3)
    record["messages"][1]["content"] = [
        {"type": "text", "text": "What is in the picture?"},
        {"type": "image_url", "image_url": {"url": "s3://data/cat.png"}},
    ]
    report = run(dataset(**{"7": record}), NOVA_2, **RFT)
    assert found(report) == {("rft.text-only", 7)}


def test_text_parts_are_accepted_as_text() -> None:
    record = prompt(3)
    record["messages"][1]["content"] = [{"type": "text", "text": "What is 3 plus 3?"}]
    assert run(dataset(**{"2": record}), NOVA_2, **RFT).valid


def test_a_missing_reference_answer_is_an_error_that_names_a_lookalike_field() -> None:
    record = prompt(4)
    record["answer"] = record.pop("reference_answer")
    report = run(dataset(**{"12": record}), NOVA_2, **RFT)
    assert found(report) == {("rft.reference-answer", 12)}
    assert "'answer'" in report.errors[0].message


@pytest.mark.parametrize("reference", ["", "   ", {}, 42, ["a"], None])
def test_a_reference_answer_must_be_a_non_empty_string_or_object(reference: Any) -> None:
    record = prompt(5)
    record["reference_answer"] = reference
    assert found(run(dataset(**{"3": record}), NOVA_2, **RFT)) == {("rft.reference-answer", 3)}


def test_an_assistant_answer_at_the_end_is_refused() -> None:
    record = prompt(6)
    record["messages"].append({"role": "assistant", "content": "12"})
    report = run(dataset(**{"5": record}), NOVA_2, **RFT)
    assert found(report) == {("rft.assistant-answer", 5)}
    assert "reference_answer" in report.errors[0].message


def test_earlier_assistant_turns_are_conversation_history() -> None:
    record = prompt(6)
    record["messages"][1:1] = [{"role": "user", "content": "Hi"}, {"role": "assistant", "content": "Hello."}]
    assert run(dataset(**{"5": record}), NOVA_2, **RFT).valid


@pytest.mark.parametrize(
    ("messages", "rule"),
    [
        ([], "messages.invalid"),
        ([{"role": "user", "content": "  "}], "message.empty"),
        ([{"role": "user", "content": "q"}, {"role": "system", "content": "late"}], "message.role"),
        ([{"role": "tool", "content": "x"}, {"role": "user", "content": "q"}], "message.role"),
        ([{"role": "user", "content": {"text": "q"}}], "message.content"),
    ],
)
def test_message_rules(messages: list[Any], rule: str) -> None:
    record = prompt(1)
    record["messages"] = messages
    assert (rule, 9) in found(run(dataset(**{"9": record}), NOVA_2, **RFT))


def test_a_validation_file_is_refused_for_rft() -> None:
    report = run(dataset(), NOVA_2, validation=dataset(10), **RFT)
    assert ("dataset.validation-not-allowed", None) in found(report)


@pytest.mark.parametrize("model", ["amazon.nova-lite-v1:0:300k", "meta.llama3-3-70b-instruct-v1:0:128k"])
def test_other_models_do_not_take_rft(model: str) -> None:
    report = run(dataset(), model, **RFT)
    assert found(report) == {("dataset.customization-type", None)}


def test_nova_2_lite_fine_tuning_keeps_its_own_rules() -> None:
    rules = resolve_model(NOVA_2)
    assert rules.training_records_for("FINE_TUNING") == (200, 20_000)
    assert not rules.validation_allowed_for("FINE_TUNING")
    assert rules.reasoning_content and rules.on_demand_deployment
    assert rules.training_records_for(REINFORCEMENT_FINE_TUNING) == (100, 20_000)


def test_convert_turns_question_answer_rows_into_rft_prompts() -> None:
    import io
    import json

    source = io.BytesIO(b"question,answer\nWhat is 2+2?,4\nCapital of France?,Paris\n")
    out = io.BytesIO()
    summary = convert_stream(
        source,
        out,
        source="csv",
        rules=resolve_model(NOVA_2),
        customization_type=REINFORCEMENT_FINE_TUNING,
        system_prompt="Answer briefly.",
    )
    records = [json.loads(line) for line in out.getvalue().splitlines()]
    assert summary.records_out == 2
    assert records[1] == {
        "messages": [
            {"role": "system", "content": "Answer briefly."},
            {"role": "user", "content": "Capital of France?"},
        ],
        "reference_answer": "Paris",
    }
    assert run(records * 60, NOVA_2, **RFT).errors == []
