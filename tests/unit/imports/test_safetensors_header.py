"""The safetensors header reader: length prefix, JSON structure and how tensors fit the file."""

from __future__ import annotations

import json
import struct
from typing import Any

import pytest
from hypothesis import assume, given
from hypothesis import strategies as st

from tests.unit.imports.model_folder_builder import BYTES_PER_ELEMENT, raw_safetensors, safetensors_bytes
from tuneline.imports.safetensors_header import (
    MAX_HEADER_BYTES,
    HeaderError,
    SafetensorsHeader,
    layout_problems,
    parse_header,
    parse_header_length,
)


def parse_file(data: bytes) -> SafetensorsHeader:
    length = parse_header_length(data[:8], len(data))
    return parse_header(data[8 : 8 + length], length)


def file_with(header: dict[str, Any], data_bytes: int) -> bytes:
    return raw_safetensors(json.dumps(header).encode(), bytes(data_bytes))


def problem_rules(data: bytes) -> list[str]:
    return [problem.rule for problem in layout_problems(parse_file(data), len(data))]


def test_null_metadata_reads_like_none_as_the_reference_reader_does() -> None:
    header = parse_file(
        file_with({"__metadata__": None, "a": {"dtype": "BF16", "shape": [2], "data_offsets": [0, 4]}}, 4)
    )

    assert header.metadata == {}
    assert [tensor.name for tensor in header.tensors] == ["a"]


def test_a_written_file_reads_back_with_metadata() -> None:
    data = safetensors_bytes({"a": ("BF16", [2, 3]), "b": ("F32", [4])}, metadata={"format": "pt"})

    header = parse_file(data)

    assert [(t.name, t.dtype, t.shape, t.begin, t.end) for t in header.tensors] == [
        ("a", "BF16", (2, 3), 0, 12),
        ("b", "F32", (4,), 12, 28),
    ]
    assert header.metadata == {"format": "pt"}
    assert layout_problems(header, len(data)) == []


def test_header_padding_with_spaces_is_allowed() -> None:
    # save_file pads the header with spaces to an 8-byte boundary.
    header = json.dumps({"a": {"dtype": "F16", "shape": [1], "data_offsets": [0, 2]}}).encode() + b"     "
    data = raw_safetensors(header, bytes(2))

    assert layout_problems(parse_file(data), len(data)) == []


def test_a_scalar_tensor_has_one_element() -> None:
    data = file_with({"s": {"dtype": "F32", "shape": [], "data_offsets": [0, 4]}}, 4)

    assert problem_rules(data) == []


@pytest.mark.parametrize(
    ("prefix", "file_size", "says"),
    [
        (b"\x01\x00", 2, "too short"),
        (struct.pack("<Q", 0), 100, "claims 0 bytes"),
        (struct.pack("<Q", 93), 100, "claims 93 bytes but the file has 100"),
        (struct.pack("<Q", MAX_HEADER_BYTES + 1), 10**12, "absurd"),
        (b"PK\x03\x04\x14\x00\x00\x00", 10**6, "absurd"),  # a zip (torch .bin) file renamed
    ],
)
def test_bad_length_prefixes_are_corrupt(prefix: bytes, file_size: int, says: str) -> None:
    with pytest.raises(HeaderError) as raised:
        parse_header_length(prefix, file_size)

    assert raised.value.rule == "safetensors-header-corrupt"
    assert says in raised.value.message


@pytest.mark.parametrize(
    "header",
    [
        b"[1, 2]",
        b"\xff\xfe{}",
        b'{"a": 1}',
        b'{"a": {"shape": [1], "data_offsets": [0, 2]}}',
        b'{"a": {"dtype": "F16", "shape": [-1], "data_offsets": [0, 2]}}',
        b'{"a": {"dtype": "F16", "shape": [1], "data_offsets": [0]}}',
        b'{"a": {"dtype": "F16", "shape": [true], "data_offsets": [0, 2]}}',
        b'{"__metadata__": {"k": 1}}',
        b'{"__metadata__": []}',
    ],
)
def test_structurally_broken_headers_are_corrupt(header: bytes) -> None:
    with pytest.raises(HeaderError) as raised:
        parse_header(header, len(header))

    assert raised.value.rule == "safetensors-header-corrupt"


def test_offsets_that_end_before_they_begin_are_out_of_range() -> None:
    header = b'{"a": {"dtype": "F16", "shape": [1], "data_offsets": [4, 2]}}'

    with pytest.raises(HeaderError) as raised:
        parse_header(header, len(header))

    assert raised.value.rule == "safetensors-offsets-out-of-range"


def test_a_tensor_past_the_end_of_the_file_is_out_of_range() -> None:
    data = file_with({"a": {"dtype": "F32", "shape": [4], "data_offsets": [0, 16]}}, 8)

    assert problem_rules(data) == ["safetensors-offsets-out-of-range"]


def test_a_byte_range_that_does_not_match_shape_and_dtype_is_reported() -> None:
    data = file_with({"a": {"dtype": "F32", "shape": [4], "data_offsets": [0, 8]}}, 8)

    assert problem_rules(data) == ["safetensors-tensor-size-mismatch"]


def test_a_gap_between_tensors_is_not_contiguous() -> None:
    header = {
        "a": {"dtype": "F16", "shape": [1], "data_offsets": [0, 2]},
        "b": {"dtype": "F16", "shape": [1], "data_offsets": [4, 6]},
    }

    assert problem_rules(file_with(header, 6)) == ["safetensors-offsets-not-contiguous"]


def test_overlapping_tensors_are_not_contiguous() -> None:
    header = {
        "a": {"dtype": "F32", "shape": [1], "data_offsets": [0, 4]},
        "b": {"dtype": "F16", "shape": [1], "data_offsets": [2, 4]},
    }

    rules = problem_rules(file_with(header, 4))

    assert "safetensors-offsets-not-contiguous" in rules


def test_bytes_after_the_last_tensor_are_not_contiguous() -> None:
    data = file_with({"a": {"dtype": "F16", "shape": [1], "data_offsets": [0, 2]}}, 10)

    assert problem_rules(data) == ["safetensors-offsets-not-contiguous"]


tensor_specs = st.dictionaries(
    keys=st.text(min_size=1, max_size=20).filter(lambda name: name != "__metadata__"),
    values=st.tuples(st.sampled_from(sorted(BYTES_PER_ELEMENT)), st.lists(st.integers(0, 6), min_size=0, max_size=3)),
    max_size=6,
)


@given(tensor_specs)
def test_any_well_formed_file_reads_back_exactly_and_fits(tensors: dict[str, tuple[str, list[int]]]) -> None:
    data = safetensors_bytes(tensors)

    header = parse_file(data)

    assert {t.name: (t.dtype, list(t.shape)) for t in header.tensors} == tensors
    assert layout_problems(header, len(data)) == []


@given(tensor_specs.filter(bool), st.integers(1, 64))
def test_any_truncated_file_is_caught(tensors: dict[str, tuple[str, list[int]]], cut: int) -> None:
    data = safetensors_bytes(tensors)
    header = parse_file(data)
    data_size = len(data) - header.data_start
    assume(data_size > 0)  # Only empty tensors leave nothing to cut.

    problems = layout_problems(header, len(data) - min(cut, data_size))

    assert [p.rule for p in problems] == ["safetensors-offsets-out-of-range"]
