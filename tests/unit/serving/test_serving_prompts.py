"""Smoke-test prompts come from the job's own data, whatever its format."""

from __future__ import annotations

from typing import Any

import pytest

from tests.unit.serving.conftest import BUCKET, JOB, converse_record, jsonl, make_plan
from tuneline.serving.prompts import FALLBACK_PROMPT, MAX_PROMPT_CHARS, prompt_of, prompts_from_lines, smoke_prompts


@pytest.mark.parametrize(
    ("record", "expected"),
    [
        (converse_record("What is my balance?", "You are a bank bot."), ("What is my balance?", "You are a bank bot.")),
        (
            {
                "system": "Be brief.",
                "messages": [{"role": "user", "content": "Hi"}, {"role": "assistant", "content": "Hello"}],
            },
            ("Hi", "Be brief."),
        ),
        ({"prompt": "Translate: cat", "completion": "chat"}, ("Translate: cat", None)),
        ({"input": "Unlabelled corpus text."}, ("Unlabelled corpus text.", None)),
        ({"image-ref": "s3://b/i.png", "caption": "a red apple"}, ("a red apple", None)),
        (
            {"messages": [{"role": "user", "content": [{"image": {"format": "png"}}, {"text": "Describe it"}]}]},
            ("Describe it", None),
        ),
        ({"messages": [{"role": "system", "content": "rules"}, {"role": "user", "content": "q?"}]}, ("q?", None)),
    ],
)
def test_each_format_gives_its_input(record: dict[str, Any], expected: tuple[str, str | None]) -> None:
    assert prompt_of(record) == expected


@pytest.mark.parametrize(
    "record",
    [
        [],
        "text",
        {"completion": "only an answer"},
        {"messages": [{"role": "assistant", "content": "no user turn"}]},
        {"messages": [{"role": "user", "content": [{"image": {}}]}]},
        {"prompt": "   "},
    ],
)
def test_records_without_text_input_give_nothing(record: Any) -> None:
    assert prompt_of(record) is None


def test_long_inputs_are_cut() -> None:
    text, _ = prompt_of({"input": "x" * (MAX_PROMPT_CHARS * 3)}) or ("", None)
    assert len(text) == MAX_PROMPT_CHARS


def test_lines_skip_blank_broken_and_duplicate_records() -> None:
    lines = [b"", b"{not json", b'{"prompt": "a"}', b'{"prompt": "a"}', b'{"prompt": "b"}', b'{"prompt": "c"}']
    prompts = prompts_from_lines(lines, wanted=2, source="s3://b/k")
    assert [p.text for p in prompts] == ["a", "b"]
    assert prompts[0].source == "s3://b/k"


def test_validation_data_first_then_training_data(s3: Any) -> None:
    s3.put_object(Bucket=BUCKET, Key=f"staged/{JOB}/validation.jsonl", Body=jsonl([converse_record("held out")]))
    s3.put_object(
        Bucket=BUCKET,
        Key=f"staged/{JOB}/train.jsonl",
        Body=jsonl([converse_record("held out"), converse_record("train 1"), converse_record("train 2")]),
    )
    prompts = smoke_prompts(make_plan(), s3=s3, wanted=3)
    assert [p.text for p in prompts] == ["held out", "train 1", "train 2"]
    assert prompts[0].source.endswith("validation.jsonl")


def test_without_usable_data_a_generic_prompt_is_used(s3: Any) -> None:
    s3.put_object(Bucket=BUCKET, Key=f"staged/{JOB}/train.jsonl", Body=b'{"completion": "x"}\n')
    prompts = smoke_prompts(make_plan(), s3=s3)
    assert [p.text for p in prompts] == [FALLBACK_PROMPT]
