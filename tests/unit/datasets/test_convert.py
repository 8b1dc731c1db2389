"""Converters from CSV, Alpaca and chat JSONL to each model's format; the output validates."""

from __future__ import annotations

import io
import json
from typing import Any

import pytest

from tuneline.datasets.convert import ConvertError, ConvertSummary, convert_stream
from tuneline.datasets.models import resolve_model
from tuneline.datasets.validator import validate_dataset

from .builders import DATA


def convert(name: str, source: str, model: str, **options: Any) -> tuple[list[dict[str, Any]], ConvertSummary]:
    out = io.BytesIO()
    with (DATA / name).open("rb") as src:
        summary = convert_stream(src, out, source=source, rules=resolve_model(model), **options)
    return [json.loads(line) for line in out.getvalue().splitlines()], summary


def test_csv_to_converse_with_system_column_and_skipped_rows() -> None:
    records, summary = convert("faq.csv", "csv", "amazon.nova-micro-v1:0", system_column="persona")
    assert summary.records_in == 12 and summary.records_out == 11
    assert summary.skipped_lines == [13]
    first = records[1]
    assert first["schemaVersion"] == "bedrock-conversation-2024"
    assert first["system"][0]["text"].startswith("You are the support assistant")
    assert [m["role"] for m in first["messages"]] == ["user", "assistant"]
    assert summary.pii_found == {"phone": 1, "email": 1}


def test_csv_redaction() -> None:
    records, summary = convert("faq.csv", "csv", "meta.llama3-1-8b-instruct-v1:0", redact_pii=True)
    billing = records[-1]
    assert billing["completion"] == "Call [PHONE] or write to [EMAIL]."
    assert summary.redactions == {"phone": 1, "email": 1}


def test_csv_missing_column_names_the_columns() -> None:
    with pytest.raises(ConvertError, match=r"'prompt'.*columns are: 'id', 'question'"):
        convert("faq.csv", "csv", "amazon.nova-micro-v1:0", question_column="prompt")


@pytest.mark.parametrize("name", ["alpaca.jsonl", "alpaca_array.json"])
def test_alpaca_to_prompt_completion(name: str) -> None:
    records, summary = convert(name, "alpaca", "meta.llama3-1-8b-instruct-v1:0")
    assert records[0]["prompt"]
    assert set(records[0]) == {"prompt", "completion"}
    if name == "alpaca.jsonl":
        assert records[0]["prompt"].startswith("Summarize the customer request.\n\n")
        assert summary.skipped == 1


def test_chat_to_claude_haiku_and_card_redaction() -> None:
    records, summary = convert("chat.jsonl", "chat", "anthropic.claude-3-haiku-20240307-v1:0", redact_pii=True)
    assert records[0]["system"].startswith("You are")
    assert isinstance(records[0]["messages"][0]["content"], str)
    assert "[CARD_NUMBER]" in records[-1]["messages"][0]["content"]
    assert summary.redactions == {"card-number": 1}


def test_chat_to_continued_pretraining() -> None:
    records, _ = convert(
        "chat.jsonl", "chat", "amazon.titan-text-express-v1", customization_type="CONTINUED_PRE_TRAINING"
    )
    assert set(records[0]) == {"input"} and "\n\n" in records[0]["input"]


def test_distillation_keeps_prompts_without_answers() -> None:
    data = b'{"messages": [{"role": "user", "content": "only a prompt"}]}\n'
    out = io.BytesIO()
    summary = convert_stream(
        io.BytesIO(data),
        out,
        source="chat",
        rules=resolve_model("amazon.nova-lite-v1:0"),
        customization_type="DISTILLATION",
    )
    assert summary.records_out == 1
    assert json.loads(out.getvalue())["messages"] == [{"role": "user", "content": [{"text": "only a prompt"}]}]


def test_image_models_have_no_converter() -> None:
    with pytest.raises(ConvertError, match="cannot convert"):
        convert("chat.jsonl", "chat", "amazon.titan-image-generator-v2:0")


@pytest.mark.parametrize(
    ("model", "name", "source"),
    [
        ("amazon.nova-micro-v1:0", "faq.csv", "csv"),
        ("anthropic.claude-3-haiku-20240307-v1:0", "chat.jsonl", "chat"),
        ("meta.llama3-1-8b-instruct-v1:0", "alpaca.jsonl", "alpaca"),
        ("meta.llama3-2-3b-instruct-v1:0", "chat.jsonl", "chat"),
    ],
)
def test_converted_records_pass_the_record_rules(model: str, name: str, source: str) -> None:
    out = io.BytesIO()
    with (DATA / name).open("rb") as src:
        convert_stream(src, out, source=source, rules=resolve_model(model))
    out.seek(0)
    report = validate_dataset(out, model_id=model)
    assert {f.rule for f in report.errors} <= {"dataset.training-records"}


def convert_bytes(data: bytes, source: str, model: str = "amazon.nova-micro-v1:0") -> tuple[bytes, ConvertSummary]:
    out = io.BytesIO()
    summary = convert_stream(io.BytesIO(data), out, source=source, rules=resolve_model(model))
    return out.getvalue(), summary


@pytest.mark.parametrize(
    ("data", "source", "words"),
    [
        (b'question,answer\n"caf\xe9",a\n', "csv", "not UTF-8"),
        (b'[{"instruction": "a", "output": "b"},]', "alpaca", "not one valid JSON array"),
        (b'[{"instruction": "caf\xe9", "output": "b"}]', "alpaca", "not UTF-8"),
        (b"[" * 100_000 + b"]" * 100_000, "alpaca", "nested too deeply"),
    ],
)
def test_unreadable_sources_stop_with_a_convert_error(data: bytes, source: str, words: str) -> None:
    with pytest.raises(ConvertError, match=words):
        convert_bytes(data, source)


def test_a_csv_answer_longer_than_the_csv_default_field_limit_is_converted() -> None:
    out, summary = convert_bytes(b"question,answer\nq," + b"x" * 200_000 + b"\n", "csv")
    assert summary.records_out == 1
    assert len(json.loads(out)["messages"][1]["content"][0]["text"]) == 200_000


def test_an_unpaired_surrogate_skips_the_record_instead_of_failing() -> None:
    data = b'{"instruction": "hi \\ud83d", "output": "ok"}\n{"instruction": "hi", "output": "ok"}\n'
    out, summary = convert_bytes(data, "alpaca")
    assert summary.records_out == 1 and summary.skipped_lines == [1]
    assert len(out.splitlines()) == 1
