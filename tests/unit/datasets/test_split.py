"""Deterministic, bounded train/validation split."""

from __future__ import annotations

import io
import json

import pytest
from botocore.response import StreamingBody
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from tuneline.datasets.models import resolve_model
from tuneline.datasets.split import SplitError, SplitSummary, record_hash, split_stream

from .builders import converse, lines_of, run

NOVA = resolve_model("amazon.nova-micro-v1:0")


def split(
    data: bytes, ratio: float, model: str = "amazon.nova-micro-v1:0"
) -> tuple[list[bytes], list[bytes], SplitSummary]:
    train, val = io.BytesIO(), io.BytesIO()
    summary = split_stream(io.BytesIO(data), train, val, ratio=ratio, rules=resolve_model(model))
    return train.getvalue().splitlines(), val.getvalue().splitlines(), summary


def dataset(count: int) -> bytes:
    return lines_of([converse(f"question {i}", f"answer {i}") for i in range(count)])


def test_split_sizes_and_partition() -> None:
    data = dataset(200)
    train, val, summary = split(data, 0.1)
    assert (len(train), len(val)) == (180, 20)
    assert sorted(train + val) == sorted(data.splitlines())
    assert summary.records == 200 and summary.ratio_actual == pytest.approx(0.1)


def test_same_input_same_split_regardless_of_order() -> None:
    lines = dataset(100).splitlines()
    _, val_a, _ = split(b"\n".join(lines) + b"\n", 0.2)
    _, val_b, _ = split(b"\n".join(reversed(lines)) + b"\n", 0.2)
    assert sorted(val_a) == sorted(val_b)


def test_duplicates_land_on_the_same_side() -> None:
    record = json.dumps(converse("same", "same")).encode()
    data = dataset(50) + (record + b"\n") * 3
    train, val, _ = split(data, 0.3)
    assert train.count(record) in (0, 3) or val.count(record) == 0


def test_validation_capped_at_model_maximum() -> None:
    _, val, summary = split(dataset(3000), 0.5)
    assert len(val) == 1000
    assert any("maximum" in note for note in summary.notes)


def test_training_minimum_is_kept() -> None:
    train, val, summary = split(dataset(120), 0.5, "meta.llama3-1-8b-instruct-v1:0")
    assert (len(train), len(val)) == (100, 20)
    assert any("training" in note for note in summary.notes)


def test_too_small_dataset_keeps_everything_for_training() -> None:
    train, val, summary = split(dataset(8), 0.2)
    assert (len(train), len(val)) == (8, 0)
    assert any("too few" in note for note in summary.notes)


def test_models_without_validation_refuse() -> None:
    with pytest.raises(SplitError, match="no validation"):
        split(dataset(10), 0.1, "amazon.titan-image-generator-v2:0")
    with pytest.raises(SplitError):
        split(dataset(10), 1.5)


def test_non_seekable_stream_is_spooled() -> None:
    data = dataset(100)
    train, val = io.BytesIO(), io.BytesIO()
    summary = split_stream(StreamingBody(io.BytesIO(data), len(data)), train, val, ratio=0.1, rules=NOVA)
    assert summary.validation_records == 10
    assert sorted(train.getvalue().splitlines() + val.getvalue().splitlines()) == sorted(data.splitlines())


def test_blank_lines_and_crlf_are_dropped_from_outputs() -> None:
    data = dataset(20).replace(b"\n", b"\r\n", 5) + b"\n\n"
    train, val, summary = split(data, 0.25)
    assert summary.records == 20
    assert all(line and not line.endswith(b"\r") for line in train + val)


def test_copies_of_a_record_never_straddle_the_sides_at_the_cut() -> None:
    # Many copies of one record: whatever the cut, they all go to one side, and the validator finds no overlap.
    record = json.dumps(converse("where is my parcel? 📦", "tracking: 追跡番号")).encode()
    data = dataset(200) + (record + b"\n") * 40
    train, val, summary = split(data, 0.1)
    assert record not in train or record not in val
    assert summary.records == 240 and len(train) + len(val) == 240
    report = run(train, validation=val)
    assert report.stats["warning_counts"].get("dataset.validation-overlap", 0) == 0


def test_whitespace_and_case_variants_stay_together_and_bom_is_not_copied_inside() -> None:
    first = b'\xef\xbb\xbf{"schemaVersion": "bedrock-conversation-2024", "messages": [{"role": "user", "content": '
    first += b'[{"text": "Hello  World"}]}, {"role": "assistant", "content": [{"text": "hi"}]}]}'
    variant = json.dumps(converse("hello world", "HI")).encode()
    data = first + b"\r\n" + dataset(100) + (variant + b"\r\n") * 3
    train, val, _ = split(data, 0.5)
    sides = {"train" for line in train if b"ello" in line.lower()} | {"val" for line in val if b"ello" in line.lower()}
    assert len(sides) == 1
    assert not any(line.startswith(b"\xef\xbb\xbf") for line in train + val)


@settings(max_examples=60, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(
    st.lists(st.integers(min_value=0, max_value=40), min_size=12, max_size=120),
    st.floats(min_value=0.05, max_value=0.9),
)
def test_property_no_record_is_on_both_sides(picks: list[int], ratio: float) -> None:
    # Records drawn with replacement from a small pool: plenty of copies, some differing only in case/spacing.
    pool = [json.dumps(converse(f"question {i % 20}" + " " * (i >= 20), f"Answer {i % 20}")) for i in range(41)]
    data = "".join(pool[i] + "\n" for i in picks).encode()
    train, val, summary = split(data, ratio)
    assert len(train) + len(val) == len(picks) == summary.records
    assert not {record_hash(line) for line in train} & {record_hash(line) for line in val}
