"""Every line-level rule: a good dataset that does not trigger it and a bad one that reports it at the right
1-based line. Rule ids are stable: the pipeline's alerts and users' scripts match on them."""

from __future__ import annotations

import gzip
import json
from typing import Any

import pytest

from .builders import converse, found, haiku, run

NOVA = "amazon.nova-micro-v1:0:128k"
NOVA_LITE = "amazon.nova-lite-v1:0:300k"
NOVA_2 = "amazon.nova-2-lite-v1:0:256k"
HAIKU = "anthropic.claude-3-haiku-20240307-v1:0:200k"
LLAMA31 = "meta.llama3-1-8b-instruct-v1:0:128k"
LLAMA32_VISION = "meta.llama3-2-11b-instruct-v1:0:128k"
TITAN = "amazon.titan-text-express-v1:0:8k"
TITAN_IMAGE = "amazon.titan-image-generator-v2:0"

OK = converse("How do I reset my password?", "Open Settings and choose Reset password.")


def image(uri: str = "s3://data-bucket/images/cat.png", fmt: str = "png") -> dict[str, Any]:
    return {"image": {"format": fmt, "source": {"s3Location": {"uri": uri}}}}


def video(uri: str = "s3://data-bucket/videos/clip.mp4", fmt: str = "mp4") -> dict[str, Any]:
    return {"video": {"format": fmt, "source": {"s3Location": {"uri": uri}}}}


def with_content(user: list[Any], assistant: list[Any] | None = None) -> dict[str, Any]:
    return {
        "schemaVersion": "bedrock-conversation-2024",
        "messages": [
            {"role": "user", "content": user},
            {"role": "assistant", "content": assistant or [{"text": "Sure."}]},
        ],
    }


# (rule, model, options, good lines, bad lines, 1-based line of the finding in the bad file)
CASES: list[tuple[str, str, dict[str, Any], list[Any], list[Any], int]] = [
    ("encoding.bom", NOVA, {}, [OK], [b"\xef\xbb\xbf" + json.dumps(OK).encode()], 1),
    ("encoding.utf16", NOVA, {}, [OK], ["\ufeff{}".encode("utf-16-le")[:0] + b"\xff\xfe{\x00}\x00"], 1),
    ("encoding.invalid-utf8", NOVA, {}, [OK], [OK, b'{"prompt": "caf\xe9"}'], 2),
    ("encoding.utf16", NOVA, {}, [OK], [json.dumps(OK).encode("utf-16-le")], 1),
    ("encoding.utf16", NOVA, {}, [OK], [json.dumps(OK).encode("utf-16-be")], 1),
    ("encoding.compressed", NOVA, {}, [OK], [gzip.compress(json.dumps(OK).encode() + b"\n")], 1),
    ("encoding.compressed", NOVA, {}, [OK], [b"PK\x03\x04\x14\x00\x00\x00"], 1),
    (
        "encoding.cr-line-endings",
        NOVA,
        {},
        [OK, OK],
        [json.dumps(OK).encode() + b"\r" + json.dumps(OK).encode() + b"\r"],
        1,
    ),
    (
        "encoding.cr-line-endings",
        NOVA,
        {},
        [OK, OK],
        [OK, json.dumps(OK).encode() + b"\r" + json.dumps(OK).encode()],
        2,
    ),
    ("jsonl.multi-line-json", NOVA, {}, [OK], json.dumps([OK, OK], indent=2).encode().split(b"\n"), 1),
    ("jsonl.multi-line-json", NOVA, {}, [OK], json.dumps(OK, indent=1).encode().split(b"\n"), 1),
    ("encoding.crlf", NOVA, {}, [OK], [json.dumps(OK).encode() + b"\r"], 1),
    (
        "encoding.lone-surrogate",
        NOVA,
        {},
        # A surrogate pair (an emoji) and a literal backslash before "ud" are both fine.
        [json.dumps(converse("Smile \U0001f600", "Path C:\\udata")).encode()],
        [OK, json.dumps(converse("Broken \ud83d emoji", "Sure.")).encode()],
        2,
    ),
    ("jsonl.blank-line", NOVA, {}, [OK, OK], [OK, b"", OK], 2),
    ("jsonl.blank-line", NOVA, {}, [OK], [OK, b"   \t"], 2),
    ("jsonl.invalid-json", NOVA, {}, [OK], [OK, OK, b'{"messages": [}'], 3),
    ("jsonl.invalid-json", NOVA, {}, [OK], [b'{"a": NaN}'], 1),
    ("jsonl.invalid-json", NOVA, {}, [OK], [b"[" * 100_000], 1),
    ("jsonl.control-character", NOVA, {}, [OK], [OK, b'{"prompt": "a\tb"}'], 2),
    ("jsonl.not-object", NOVA, {}, [OK], [b'"just a string"'], 1),
    ("jsonl.not-object", NOVA, {}, [OK], [OK, b"[1, 2]"], 2),
    ("record.missing-field", LLAMA31, {}, [{"prompt": "q", "completion": "a"}], [{"prompt": "q"}], 1),
    (
        "record.missing-field",
        TITAN,
        {"customization_type": "CONTINUED_PRE_TRAINING"},
        [{"input": "x"}],
        [{"text": "x"}],
        1,
    ),
    (
        "record.missing-field",
        TITAN_IMAGE,
        {},
        [{"image-ref": "s3://bk1/a.png", "caption": "a red car"}],
        [{"caption": "a red car"}],
        1,
    ),
    ("record.wrong-type", LLAMA31, {}, [{"prompt": "q", "completion": "a"}], [{"prompt": "q", "completion": 5}], 1),
    ("record.wrong-type", NOVA, {}, [OK], [{**OK, "schemaVersion": 2024}], 1),
    ("record.wrong-type", NOVA, {}, [OK], [with_content([{"text": 5}])], 1),
    ("record.empty-text", LLAMA31, {}, [{"prompt": "", "completion": "a"}], [{"prompt": "q", "completion": "  "}], 1),
    (
        "record.empty-text",
        TITAN,
        {"customization_type": "CONTINUED_PRE_TRAINING"},
        [{"input": "x"}],
        [{"input": ""}],
        1,
    ),
    (
        "record.unknown-field",
        LLAMA31,
        {},
        [{"prompt": "q", "completion": "a"}],
        [{"prompt": "q", "completion": "a", "id": 1}],
        1,
    ),
    ("record.unknown-field", NOVA, {}, [OK], [{**OK, "metadata": {}}], 1),
    # A mistyped key next to 'messages' alone (the record is no larger than the format's field set).
    ("record.unknown-field", NOVA, {}, [OK], [OK, {"messages": OK["messages"], "System": [{"text": "Be brief."}]}], 2),
    ("record.unknown-field", NOVA, {}, [OK], [{"messages": OK["messages"], "id": 7}], 1),
    (
        "record.unknown-field",
        NOVA,
        {},
        [OK],
        [
            {
                "messages": [
                    {"role": "user", "content": [{"text": "Hi"}], "name": "alice"},
                    {"role": "assistant", "content": [{"text": "Hello."}]},
                ]
            }
        ],
        1,
    ),
    (
        "record.unknown-field",
        HAIKU,
        {},
        [haiku("q", "a")],
        [{"schemaVersion": "bedrock-conversation-2024", **haiku("q", "a")}],
        1,
    ),
    (
        "record.unknown-field",
        HAIKU,
        {},
        [haiku("q", "a", system="Be brief.")],
        [{"messages": [{"role": "user", "content": "q", "id": 1}, {"role": "assistant", "content": "a"}]}],
        1,
    ),
    ("record.duplicate", NOVA, {}, [OK, converse("Other question?", "Other answer.")], [OK, converse("x", "y"), OK], 3),
    ("messages.invalid", NOVA, {}, [OK], [{"schemaVersion": "bedrock-conversation-2024"}], 1),
    ("messages.invalid", NOVA, {}, [OK], [{"messages": []}], 1),
    ("messages.invalid", HAIKU, {}, [haiku("q", "a")], [{"system": "s", "messages": "q"}], 1),
    (
        "message.invalid",
        NOVA,
        {},
        [OK],
        [{"messages": ["hello", {"role": "assistant", "content": [{"text": "a"}]}]}],
        1,
    ),
    (
        "message.role",
        NOVA,
        {},
        [OK],
        [{"messages": [{"role": "system", "content": [{"text": "s"}]}, *OK["messages"]]}],
        1,
    ),
    (
        "message.role",
        HAIKU,
        {},
        [haiku("q", "a")],
        [{"messages": [{"role": "human", "content": "q"}, {"role": "assistant", "content": "a"}]}],
        1,
    ),
    (
        "message.alternation",
        NOVA,
        {},
        [converse("q", "a", "q2", "a2")],
        [{"messages": [OK["messages"][0], *OK["messages"]]}],
        1,
    ),
    (
        "message.alternation",
        HAIKU,
        {},
        [haiku("q", "a", "q2", "a2")],
        [
            {
                "messages": [
                    {"role": "user", "content": "q"},
                    {"role": "user", "content": "q"},
                    {"role": "assistant", "content": "a"},
                ]
            }
        ],
        1,
    ),
    ("message.first-role", NOVA, {}, [OK], [{"messages": [OK["messages"][1], *OK["messages"]]}], 1),
    ("message.first-role", HAIKU, {}, [haiku("q", "a")], [{"messages": [{"role": "assistant", "content": "a"}]}], 1),
    ("message.last-role", NOVA, {}, [OK], [OK, converse("q", "a", "q2")], 2),
    ("message.last-role", HAIKU, {}, [haiku("q", "a")], [haiku("q")], 1),
    ("message.content", NOVA, {}, [OK], [{"messages": [{"role": "user", "content": "q"}, OK["messages"][1]]}], 1),
    ("message.content", NOVA, {}, [OK], [with_content([{"text": "q", "image": {}}])], 1),
    (
        "message.content",
        HAIKU,
        {},
        [haiku("q", "a")],
        [{"messages": [{"role": "user", "content": [{"text": "q"}]}, {"role": "assistant", "content": "a"}]}],
        1,
    ),
    ("message.empty", NOVA, {}, [OK], [converse("q", " \n ")], 1),
    ("message.empty", HAIKU, {}, [haiku("q", "a")], [haiku("", "a")], 1),
    ("system.invalid", NOVA, {}, [converse("q", "a", system="Be brief.")], [{**OK, "system": "Be brief."}], 1),
    ("system.invalid", NOVA, {}, [OK], [{**OK, "system": [{"text": "x", "cache": True}]}], 1),
    (
        "system.invalid",
        HAIKU,
        {},
        [haiku("q", "a", system="Be brief.")],
        [{**haiku("q", "a"), "system": [{"text": "x"}]}],
        1,
    ),
    (
        "text.reserved-keyword",
        NOVA,
        {},
        [converse("What time is it?", "Assistant: noon.")],
        [converse("user: what time is it?", "Noon.")],
        1,
    ),
    ("text.reserved-keyword", NOVA, {}, [OK], [converse("Describe <IMAGE> here", "ok")], 1),
    ("text.reserved-keyword", NOVA, {}, [OK], [OK, converse("q", "a", system="End every answer with [EOS]")], 2),
    ("text.reserved-keyword", HAIKU, {}, [haiku("Human: hello", "hi")], [haiku("Tell me\nHuman: hello", "hi")], 1),
    ("text.reserved-keyword", HAIKU, {}, [haiku("q", "a")], [haiku("q", "a", system="Rules\nAssistant: ok")], 1),
    (
        "content.unsupported-block",
        NOVA,
        {},
        [OK],
        [with_content([{"toolUse": {"toolUseId": "1", "name": "f", "input": {}}}])],
        1,
    ),
    ("content.unsupported-block", NOVA, {}, [OK], [with_content([{"document": {"format": "pdf"}}])], 1),
    ("media.not-supported", NOVA, {}, [OK], [with_content([{"text": "What is this?"}, image()])], 1),
    ("media.not-supported", "meta.llama3-2-1b-instruct-v1:0", {}, [OK], [with_content([{"text": "q"}, image()])], 1),
    (
        "media.in-response",
        NOVA_LITE,
        {},
        [with_content([{"text": "q"}, image()])],
        [with_content([{"text": "q"}], [{"text": "a"}, image()])],
        1,
    ),
    (
        "media.invalid",
        NOVA_LITE,
        {},
        [with_content([image()])],
        [with_content([{"image": {"format": "png", "source": {"bytes": "AAAA"}}}])],
        1,
    ),
    ("media.format", NOVA_LITE, {}, [with_content([image(fmt="jpeg")])], [with_content([image(fmt="bmp")])], 1),
    ("media.format", NOVA_2, {}, [with_content([image(fmt="gif")])], [with_content([image(fmt="webp")])], 1),
    ("media.format", LLAMA32_VISION, {}, [with_content([image(fmt="webp")])], [with_content([image(fmt="tiff")])], 1),
    (
        "media.format",
        TITAN_IMAGE,
        {},
        [{"image-ref": "s3://bk1/x.jpeg", "caption": "a red car"}],
        [{"image-ref": "s3://bk1/x.gif", "caption": "a red car"}],
        1,
    ),
    (
        "media.uri",
        NOVA_LITE,
        {},
        [with_content([image()])],
        [with_content([image("s3://data-bucket/my images/cat.png")])],
        1,
    ),
    ("media.uri", NOVA_LITE, {}, [with_content([image()])], [with_content([image("https://example.com/cat.png")])], 1),
    (
        "media.uri",
        TITAN_IMAGE,
        {},
        [{"image-ref": "s3://bk1/x.png", "caption": "a red car"}],
        [{"image-ref": "s3://bk1/a=b.png", "caption": "a red car"}],
        1,
    ),
    (
        "media.other-bucket",
        NOVA_LITE,
        {"dataset_bucket": "data-bucket"},
        [with_content([image()])],
        [with_content([image("s3://other-bucket/cat.png")])],
        1,
    ),
    # Without --dataset-bucket: a second bucket in the same dataset.
    (
        "media.other-bucket",
        NOVA_LITE,
        {},
        [with_content([image()]), with_content([image("s3://data-bucket/images/dog.png")])],
        [with_content([image()]), with_content([image("s3://other-bucket/dog.png")])],
        2,
    ),
    (
        "media.other-bucket",
        TITAN_IMAGE,
        {},
        [{"image-ref": "s3://bk1/x.png", "caption": "a red car"}, {"image-ref": "s3://bk1/y.png", "caption": "a cat"}],
        [{"image-ref": "s3://bk1/x.png", "caption": "a red car"}, {"image-ref": "s3://bk2/y.png", "caption": "a cat"}],
        2,
    ),
    ("media.too-many-images", NOVA_LITE, {}, [with_content([image()] * 10)], [with_content([image()] * 11)], 1),
    ("media.too-many-videos", NOVA_LITE, {}, [with_content([video()])], [with_content([video(), video()])], 1),
    (
        "media.mixed",
        NOVA_LITE,
        {},
        [with_content([video()]), with_content([video()])],
        [with_content([image()]), OK, with_content([video()])],
        3,
    ),
    ("media.mixed", NOVA_LITE, {}, [with_content([image(), image()])], [with_content([image(), video()])], 1),
    (
        "reasoning.not-supported",
        NOVA_LITE,
        {},
        [OK],
        [with_content([{"text": "q"}], [{"reasoningContent": {"reasoningText": {"text": "think"}}}, {"text": "a"}])],
        1,
    ),
    (
        "reasoning.not-supported",
        NOVA_2,
        {},
        [with_content([{"text": "q"}], [{"reasoningContent": {"reasoningText": {"text": "think"}}}, {"text": "a"}])],
        [with_content([{"text": "q"}, {"reasoningContent": {"reasoningText": {"text": "t"}}}])],
        1,
    ),
    (
        "reasoning.invalid",
        NOVA_2,
        {},
        [OK],
        [with_content([{"text": "q"}], [{"reasoningContent": {"reasoningText": "think"}}, {"text": "a"}])],
        1,
    ),
    (
        "caption.length",
        TITAN_IMAGE,
        {},
        [{"image-ref": "s3://bk1/x.png", "caption": "red"}],
        [{"image-ref": "s3://bk1/x.png", "caption": "ab"}],
        1,
    ),
    (
        "caption.length",
        TITAN_IMAGE,
        {},
        [{"image-ref": "s3://bk1/x.png", "caption": "x" * 1024}],
        [{"image-ref": "s3://bk1/x.png", "caption": "x" * 1025}],
        1,
    ),
    (
        "distillation.single-turn",
        LLAMA31,
        {"customization_type": "DISTILLATION"},
        [converse("q"), converse("q", "a")],
        [converse("q", "a", "q2")],
        1,
    ),
    (
        "distillation.single-turn",
        HAIKU,
        {"customization_type": "DISTILLATION", "teacher_model_id": "anthropic.claude-3-5-sonnet-20241022-v2:0"},
        [converse("q")],
        [converse("q", "a", "q2", "a2")],
        1,
    ),
    (
        "record.too-many-tokens",
        LLAMA31,
        {},
        [{"prompt": "q", "completion": "a" * 95_000}],
        [{"prompt": "q", "completion": "a" * 96_001}],
        1,
    ),
    (
        "record.too-many-tokens",
        TITAN,
        {"hyperparameters": {"batchSize": "4"}},
        [{"prompt": "q", "completion": "a" * 12_000}],
        [{"prompt": "q", "completion": "a" * 12_300}],
        1,
    ),
    (
        "record.too-many-tokens",
        LLAMA32_VISION,
        {},
        [with_content([{"text": "q"}, image()])],
        [with_content([{"text": "x" * 90_000}, image()])],
        1,
    ),
    (
        "record.near-token-limit",
        LLAMA31,
        {},
        [{"prompt": "q", "completion": "a" * 80_000}],
        [OK, {"prompt": "q", "completion": "a" * 90_000}],
        2,
    ),
    (
        "pii.email",
        NOVA,
        {},
        [converse("Is a@b a valid address?", "No.")],
        [converse("Write to jane.doe@example.com", "Done.")],
        1,
    ),
    (
        "pii.phone",
        NOVA,
        {},
        [converse("We sold 12345 units in 2023.", "Good.")],
        [converse("Call me", "Sure, at +1 555-123-4567")],
        1,
    ),
    ("pii.phone", NOVA, {}, [OK], [OK, converse("My number is (555) 123-4567", "Noted.")], 2),
    (
        "pii.card-number",
        NOVA,
        {},
        [converse("Order 4111 1111 1111 1112 shipped", "Good.")],
        [converse("Card 4111 1111 1111 1111 please", "Ok.")],
        1,
    ),
    (
        "pii.aws-access-key",
        NOVA,
        {},
        [converse("What is AKIA?", "A key prefix.")],
        [converse("my key is AKIAIOSFODNN7EXAMPLE", "Rotate it.")],
        1,
    ),
    (
        "pii.aws-secret-key",
        NOVA,
        {},
        [OK],
        [
            OK,
            converse(
                "aws_access_key_id = AKIAIOSFODNN7EXAMPLE\n"
                "aws_secret_access_key = wJalrXUtnFEMI/K7MDENG/bPxRfiCYEXAMPLEKEY",
                "Rotate it.",
            ),
        ],
        2,
    ),
]


@pytest.mark.parametrize(
    ("rule", "model", "options", "good", "bad", "line"),
    CASES,
    ids=[f"{case[0]}-{index}" for index, case in enumerate(CASES)],
)
def test_rule(rule: str, model: str, options: dict[str, Any], good: list[Any], bad: list[Any], line: int) -> None:
    assert rule not in {r for r, _ in found(run(good, model, **options))}
    report = run(bad, model, **options)
    assert (rule, line) in found(report), [f.describe() for f in report.errors + report.warnings]
    finding = next(f for f in report.errors + report.warnings if f.rule == rule and f.line == line)
    assert finding.file == "train.jsonl"
    assert len(finding.message) > 20


def test_record_too_large_is_reported_without_buffering_the_line() -> None:
    report = run([OK, b'{"prompt": "' + b"x" * (9 * 1024 * 1024) + b'"}', OK], NOVA)
    assert ("record.too-large", 2) in found(report)
    assert report.stats["files"]["training"]["lines"] == 3
    assert report.stats["records"] == 2


def test_a_line_can_break_several_rules() -> None:
    report = run(
        [{"messages": [{"role": "assistant", "content": [{"text": "a"}]}, {"role": "assistant", "content": []}]}]
    )
    assert {("message.first-role", 1), ("message.alternation", 1), ("message.content", 1)} <= found(report)


def test_reserved_keywords_in_answers_are_allowed_for_nova() -> None:
    report = run([converse("What does the log say?", "It says 'User: admin logged in'.")])
    assert "text.reserved-keyword" not in {r for r, _ in found(report)}


def test_a_file_that_cannot_be_read_as_jsonl_gets_one_finding_not_one_per_line() -> None:
    for data in (
        gzip.compress(b"".join(json.dumps(OK).encode() + b"\n" for _ in range(50))),
        json.dumps([OK] * 50, indent=2).encode(),
        "".join(json.dumps(OK) + "\n" for _ in range(50)).encode("utf-16-le"),
    ):
        report = run([data], NOVA)
        line_rules = [f.rule for f in report.errors if f.line is not None]
        assert len(line_rules) == 1, line_rules


def test_a_crlf_file_is_not_reported_as_cr_only() -> None:
    report = run([json.dumps(OK).encode() + b"\r"] * 8, NOVA)
    assert {r for r, _ in found(report)} == {"encoding.crlf", "record.duplicate"}


def test_a_compact_json_array_is_told_how_to_become_jsonl() -> None:
    report = run([json.dumps([OK, OK]).encode()], NOVA)
    finding = next(f for f in report.errors if f.rule == "jsonl.not-object")
    assert finding.line == 1
    assert "2 objects" in finding.message
    assert "`tuneline convert train.jsonl --from auto --model amazon.nova-micro-v1:0:128k -o " in finding.message
    assert "jq" not in finding.message


@pytest.mark.parametrize(("caption", "rules"), [("a" * 1_024, set()), ("a" * 1_025, {"caption.length"})])
def test_captions_are_held_to_their_character_limit_only(caption: str, rules: set[str]) -> None:
    records = [{"image-ref": f"s3://bk1/{i}.png", "caption": "a red car"} for i in range(5)]
    report = run([{"image-ref": "s3://bk1/x.png", "caption": caption}, *records], TITAN_IMAGE)
    assert {r for r, _ in found(report)} == rules


@pytest.mark.parametrize(
    ("line", "hint"),
    [
        (b"{'messages': []}", "double quotes"),
        (b'{"messages": [1, 2,]}', "trailing comma"),
        (b'{"schemaVersion": None}', "lower case"),
        (b'{"a": 1} {"b": 2}', "its own line"),
        (b'{"messages": "abc', "complete on one line"),
        (b'{"a": 1}\x00\x00', "UTF-16 or binary"),
    ],
)
def test_invalid_json_says_how_to_fix_the_common_mistakes(line: bytes, hint: str) -> None:
    report = run([OK, line], NOVA)
    finding = next(f for f in report.errors if f.rule == "jsonl.invalid-json")
    assert finding.line == 2
    assert hint in finding.message
    assert " at at " not in finding.message
