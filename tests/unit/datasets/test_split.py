"""Deterministic, bounded train/validation split."""

from __future__ import annotations

import io
import json

import pytest
from botocore.response import StreamingBody

from tuneline.datasets.models import resolve_model
from tuneline.datasets.split import SplitError, SplitSummary, split_stream

from .builders import converse, lines_of

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
