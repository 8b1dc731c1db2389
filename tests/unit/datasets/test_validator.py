"""Dataset-level rules, statistics, finding caps and streaming sources."""

from __future__ import annotations

import dataclasses
import io
from pathlib import Path
from typing import Any

import pytest
from botocore.response import StreamingBody

from tuneline.datasets import validator as validator_module
from tuneline.datasets.models import UnknownModelError, resolve_model
from tuneline.datasets.validator import training_tokens, validate_dataset

from .builders import DATA, converse, error_rules, found, lines_of, run

NOVA = "amazon.nova-micro-v1:0:128k"


def records(count: int, prefix: str = "q") -> list[dict[str, Any]]:
    return [converse(f"{prefix} {i}?", f"Answer number {i}.") for i in range(count)]


def test_valid_dataset_has_no_findings_and_full_stats() -> None:
    with (DATA / "converse_train.jsonl").open("rb") as train, (DATA / "converse_validation.jsonl").open("rb") as val:
        report = validate_dataset(train, model_id=NOVA, validation=val)
    assert report.valid and not report.warnings
    stats = report.stats
    assert stats["model_id"] == "amazon.nova-micro-v1:0:128k"
    assert stats["format"] == "bedrock-conversation-2024"
    assert stats["records"] == 50
    assert stats["files"]["training"]["records"] == 40
    assert stats["files"]["validation"]["records"] == 10
    tokens = stats["estimated_tokens"]
    assert (
        tokens["total"]
        == stats["files"]["training"]["estimated_tokens"]["total"]
        + stats["files"]["validation"]["estimated_tokens"]["total"]
    )
    assert tokens["p50"] <= tokens["p95"] <= tokens["max"]
    assert training_tokens(report) == stats["files"]["training"]["estimated_tokens"]["total"]


def test_token_estimate_is_characters_over_the_family_ratio() -> None:
    report = run([converse("a" * 10, "b" * 30, system="c" * 4)], NOVA)
    assert report.stats["characters"] == 44
    assert report.stats["estimated_tokens"] == {"total": 11, "max": 11, "p50": 11, "p95": 11}
    haiku = run(
        [{"messages": [{"role": "user", "content": "a" * 10}, {"role": "assistant", "content": "b" * 20}]}],
        "anthropic.claude-3-haiku-20240307-v1:0",
    )
    assert haiku.stats["estimated_tokens"]["total"] == 10


def test_percentiles_over_records() -> None:
    data = [{"prompt": "", "completion": "x" * (6 * n)} for n in range(1, 101)]
    stats = run(data, "meta.llama3-1-8b-instruct-v1:0").stats["estimated_tokens"]
    assert (stats["max"], stats["p50"], stats["p95"], stats["total"]) == (100, 50, 95, 5050)


@pytest.mark.parametrize(
    ("model", "kind", "count", "ok"),
    [
        (NOVA, "FINE_TUNING", 7, False),
        (NOVA, "FINE_TUNING", 8, True),
        ("anthropic.claude-3-haiku-20240307-v1:0", "DISTILLATION", 99, False),
        ("anthropic.claude-3-haiku-20240307-v1:0", "DISTILLATION", 100, True),
    ],
)
def test_training_record_bounds(model: str, kind: str, count: int, ok: bool) -> None:
    data = [converse(f"q {i}") if kind == "DISTILLATION" else converse(f"q {i}", "a") for i in range(count)]
    report = run(data, model, customization_type=kind)
    assert ("dataset.training-records" not in error_rules(report)) == ok
    if not ok:
        finding = next(f for f in report.errors if f.rule == "dataset.training-records")
        assert finding.line is None and str(count) in finding.message


def test_validation_and_total_bounds() -> None:
    haiku = "anthropic.claude-3-haiku-20240307-v1:0"
    train = [
        {"messages": [{"role": "user", "content": f"q{i}"}, {"role": "assistant", "content": "a"}]}
        for i in range(9_500)
    ]
    val = [
        {"messages": [{"role": "user", "content": f"v{i}"}, {"role": "assistant", "content": "a"}]} for i in range(600)
    ]
    report = run(train, haiku, validation=val)
    assert "dataset.total-records" in error_rules(report)
    assert "dataset.validation-records" not in error_rules(report)
    report = run(train[:100], haiku, validation=val * 2)
    assert "dataset.validation-records" in error_rules(report)


def test_validation_file_for_a_model_without_validation() -> None:
    data = [{"image-ref": f"s3://bucket-a/{i}.png", "caption": "a red car"} for i in range(5)]
    report = run(data, "amazon.titan-image-generator-v2:0", validation=data)
    assert ("dataset.validation-not-allowed", None) in found(report)


def test_validation_overlap_with_training_is_reported_at_the_validation_line() -> None:
    train = records(10)
    report = run(train, NOVA, validation=[converse("new?", "yes"), train[3]])
    overlap = [f for f in report.warnings if f.rule == "dataset.validation-overlap"]
    assert [(f.file, f.line) for f in overlap] == [("validation.jsonl", 2)]
    assert "line 4" in overlap[0].message


@pytest.mark.parametrize(
    ("kind", "teacher", "rule"),
    [
        ("CONTINUED_PRE_TRAINING", None, "dataset.customization-type"),
        ("REINFORCEMENT_FINE_TUNING", None, "dataset.customization-type"),
        ("DISTILLATION", "amazon.nova-pro-v1:0", "dataset.teacher"),
    ],
)
def test_setup_rules(kind: str, teacher: str | None, rule: str) -> None:
    report = run(records(8), "amazon.nova-pro-v1:0", customization_type=kind, teacher_model_id=teacher)
    assert (rule, None) in found(report)


def test_teacher_outside_distillation_is_a_warning() -> None:
    report = run(records(8), NOVA, teacher_model_id="amazon.nova-pro-v1:0")
    assert report.valid and ("dataset.teacher", None) in found(report)


def test_nova_teacher_allows_multi_turn_prompts() -> None:
    prompts = [converse(f"q{i}", "a", "follow-up?") for i in range(100)]
    report = run(prompts, NOVA, customization_type="DISTILLATION", teacher_model_id="us.amazon.nova-pro-v1:0")
    assert report.valid, [f.describe() for f in report.errors]


def test_empty_file() -> None:
    report = validate_dataset(io.BytesIO(b""), model_id=NOVA)
    assert ("file.empty", None) in found(report)
    assert report.stats["records"] == 0


def test_file_size_cap(monkeypatch: pytest.MonkeyPatch) -> None:
    small = dataclasses.replace(resolve_model(NOVA), max_training_file_bytes=100)
    monkeypatch.setattr(validator_module, "resolve_model", lambda _: small)
    report = run(records(8), NOVA)
    assert ("file.too-large", None) in found(report)


def test_file_name_warnings() -> None:
    report = run(records(8), NOVA, training_name="my data=v2.json")
    assert {("file.extension", None), ("file.name", None)} <= found(report)
    assert report.valid


def test_unknown_model_raises() -> None:
    with pytest.raises(UnknownModelError):
        run(records(1), "no.such-model-v1:0")


def test_findings_are_capped_per_rule_but_counted() -> None:
    report = run([b"not json"] * 50, NOVA, max_findings_per_rule=3)
    invalid = [f for f in report.errors if f.rule == "jsonl.invalid-json"]
    assert [f.line for f in invalid] == [1, 2, 3]
    assert report.stats["error_counts"]["jsonl.invalid-json"] == 50
    assert report.stats["findings_left_out"]["jsonl.invalid-json"] == 47


def test_json_shape_of_the_report() -> None:
    report = run([b"{}"], NOVA).to_dict()
    assert set(report) >= {"valid", "errors", "warnings", "stats"}
    assert report["valid"] is False
    assert all(set(e) >= {"line", "rule", "message"} for e in report["errors"])


def test_streaming_body_gives_the_same_report_as_a_file(tmp_path: Path) -> None:
    data = (DATA / "converse_broken.jsonl").read_bytes()
    body = StreamingBody(io.BytesIO(data), len(data))
    from_s3 = validate_dataset(body, model_id=NOVA).to_dict()
    with (DATA / "converse_broken.jsonl").open("rb") as stream:
        from_file = validate_dataset(stream, model_id=NOVA).to_dict()
    assert from_s3 == from_file


def test_broken_fixture_reports_each_fault_at_its_line() -> None:
    with (DATA / "converse_broken.jsonl").open("rb") as stream:
        report = validate_dataset(stream, model_id=NOVA, training_name="converse_broken.jsonl")
    assert {
        ("encoding.bom", 1),
        ("encoding.crlf", 1),
        ("jsonl.blank-line", 3),
        ("jsonl.invalid-json", 4),
        ("jsonl.not-object", 5),
        ("message.first-role", 6),
        ("text.reserved-keyword", 7),
        ("message.alternation", 8),
        ("jsonl.control-character", 9),
        ("record.duplicate", 10),
    } <= found(report)


def test_progress_reports_bytes_read_across_files() -> None:
    seen: list[int] = []
    train = lines_of(records(8))
    val = lines_of(records(2, "v"))
    validate_dataset(io.BytesIO(train), model_id=NOVA, validation=io.BytesIO(val), progress=seen.append)
    assert seen == sorted(seen)
    assert seen[-1] == len(train) + len(val)


def test_media_stats_and_image_tokens() -> None:
    image = {"image": {"format": "png", "source": {"s3Location": {"uri": "s3://bucket-a/x.png"}}}}
    record = {
        "messages": [
            {"role": "user", "content": [{"text": "abcdef"}, image]},
            {"role": "assistant", "content": [{"text": "a"}]},
        ]
    }
    report = run([record], "meta.llama3-2-11b-instruct-v1:0")
    assert report.stats["files"]["training"]["images"] == 1
    assert report.stats["estimated_tokens"]["total"] == 2 + 1601
