"""Read and check a safetensors header without touching the tensor data.

Layout (huggingface/safetensors): 8 bytes little-endian unsigned header length N, then N bytes of
UTF-8 JSON `{"<tensor>": {"dtype": "BF16", "shape": [..], "data_offsets": [begin, end]}, ...,
"__metadata__": {"str": "str"}}`, then the data. Offsets are relative to the end of the header; the
tensors must tile the data exactly (no gaps, no overlaps, nothing after the last one), which is what
the reference loader enforces too.
"""

from __future__ import annotations

import json
import math
import struct
from dataclasses import dataclass, field

from tuneline import json_text
from tuneline.imports.dtypes import DTYPE_BITS

LENGTH_PREFIX_BYTES = 8
# The reference implementation refuses headers above 100 MB; a bigger value means a corrupt file.
MAX_HEADER_BYTES = 100_000_000
METADATA_KEY = "__metadata__"


class HeaderError(ValueError):
    """The header cannot be read; `rule` is the finding's rule id."""

    def __init__(self, rule: str, message: str) -> None:
        super().__init__(message)
        self.rule = rule
        self.message = message


@dataclass(frozen=True)
class TensorEntry:
    name: str
    dtype: str
    shape: tuple[int, ...]
    begin: int
    end: int

    @property
    def element_count(self) -> int:
        return math.prod(self.shape)

    def expected_bytes(self) -> int | None:
        """Bytes the data should take, or None for a dtype the format does not define."""
        bits = DTYPE_BITS.get(self.dtype)
        if bits is None:
            return None
        return (self.element_count * bits + 7) // 8


@dataclass(frozen=True)
class SafetensorsHeader:
    header_length: int
    tensors: tuple[TensorEntry, ...]
    metadata: dict[str, str] = field(default_factory=dict)

    @property
    def data_start(self) -> int:
        return LENGTH_PREFIX_BYTES + self.header_length


@dataclass(frozen=True)
class LayoutProblem:
    """One way the tensors fail to fit the file; the message counts the tensors and names one."""

    rule: str
    message: str


def parse_header_length(prefix: bytes, file_size: int) -> int:
    """The JSON header's length from the first 8 bytes, checked against the file size."""
    if file_size < LENGTH_PREFIX_BYTES or len(prefix) < LENGTH_PREFIX_BYTES:
        raise HeaderError(
            "safetensors-header-corrupt",
            f"the file is {file_size} bytes, too short to hold a safetensors header; re-export it",
        )
    (length,) = struct.unpack("<Q", prefix[:LENGTH_PREFIX_BYTES])
    if length > MAX_HEADER_BYTES:
        raise HeaderError(
            "safetensors-header-corrupt",
            f"the header claims an absurd {length} bytes (limit {MAX_HEADER_BYTES}); the file is corrupt or not "
            "safetensors: re-export it with save_pretrained(safe_serialization=True)",
        )
    if length < 2 or LENGTH_PREFIX_BYTES + length > file_size:
        raise HeaderError(
            "safetensors-header-corrupt",
            f"the header claims {length} bytes but the file has {file_size}; the file is truncated or "
            "not safetensors: upload it again",
        )
    return int(length)


def parse_header(raw: bytes, header_length: int) -> SafetensorsHeader:
    """Decode the JSON header and check every entry's structure."""
    try:
        document = json_text.loads(raw.decode("utf-8"))
    except (UnicodeDecodeError, json.JSONDecodeError) as error:
        raise HeaderError(
            "safetensors-header-corrupt",
            f"the header is not valid UTF-8 JSON ({error}); the file is damaged: re-export or re-upload it",
        ) from error
    if not isinstance(document, dict):
        raise _corrupt("the header is not a JSON object")
    metadata = document.pop(METADATA_KEY, None)
    if metadata is None:
        # The reference reader treats `"__metadata__": null` like an absent key.
        metadata = {}
    if not isinstance(metadata, dict) or not all(
        isinstance(k, str) and isinstance(v, str) for k, v in metadata.items()
    ):
        raise _corrupt(f"`{METADATA_KEY}` must map strings to strings")
    tensors = tuple(_tensor_entry(name, entry) for name, entry in document.items())
    return SafetensorsHeader(header_length=header_length, tensors=tensors, metadata=metadata)


def layout_problems(header: SafetensorsHeader, file_size: int) -> list[LayoutProblem]:
    """Offsets outside the file, sizes that do not match shape x dtype, gaps and overlaps."""
    data_size = file_size - header.data_start
    problems: list[LayoutProblem] = []

    outside = [t for t in header.tensors if t.end > data_size]
    if outside:
        problems.append(
            LayoutProblem(
                "safetensors-offsets-out-of-range",
                f"{_count(outside)} end beyond the {data_size} data bytes the file holds (e.g. "
                f"`{outside[0].name}` ends at data byte {outside[0].end}); the file is truncated or was "
                "still uploading: upload it again",
            )
        )

    mismatched = [t for t in header.tensors if t.expected_bytes() not in (None, t.end - t.begin)]
    if mismatched:
        example = mismatched[0]
        problems.append(
            LayoutProblem(
                "safetensors-tensor-size-mismatch",
                f"{_count(mismatched)} with a byte range that does not match shape x dtype (e.g. "
                f"`{example.name}` {example.dtype}{list(example.shape)} needs {example.expected_bytes()} "
                f"bytes, has {example.end - example.begin}); re-export the file",
            )
        )

    gap_or_overlap = _tiling_problem(header.tensors, data_size)
    if gap_or_overlap and not outside:
        problems.append(LayoutProblem("safetensors-offsets-not-contiguous", gap_or_overlap))
    return problems


def _tiling_problem(tensors: tuple[TensorEntry, ...], data_size: int) -> str | None:
    position = 0
    for tensor in sorted(tensors, key=lambda t: (t.begin, t.end)):
        if tensor.begin != position:
            kind = "overlaps the previous tensor" if tensor.begin < position else "leaves a gap before it"
            return (
                f"tensor `{tensor.name}` starts at data byte {tensor.begin} and {kind} (expected "
                f"{position}); loaders reject such files: re-export it"
            )
        position = tensor.end
    if position != data_size:
        return f"{data_size - position} bytes follow the last tensor; loaders reject such files: re-export it"
    return None


def _tensor_entry(name: str, entry: object) -> TensorEntry:
    if not isinstance(entry, dict):
        raise _corrupt(f"entry `{name}` is not an object")
    dtype = entry.get("dtype")
    shape = entry.get("shape")
    offsets = entry.get("data_offsets")
    if not isinstance(dtype, str):
        raise _corrupt(f"tensor `{name}` has no string `dtype`")
    if not isinstance(shape, list) or not all(_is_count(d) for d in shape):
        raise _corrupt(f"tensor `{name}` has no `shape` list of non-negative integers")
    if not (isinstance(offsets, list) and len(offsets) == 2 and all(_is_count(o) for o in offsets)):
        raise _corrupt(f"tensor `{name}` has no `data_offsets` pair of non-negative integers")
    begin, end = offsets
    if begin > end:
        raise HeaderError(
            "safetensors-offsets-out-of-range",
            f"tensor `{name}` has data_offsets [{begin}, {end}] that end before they begin; re-export the file",
        )
    return TensorEntry(name=name, dtype=dtype, shape=tuple(shape), begin=begin, end=end)


def _is_count(value: object) -> bool:
    return isinstance(value, int) and not isinstance(value, bool) and value >= 0


def _count(tensors: list[TensorEntry]) -> str:
    return f"{len(tensors)} tensor(s)"


def _corrupt(detail: str) -> HeaderError:
    return HeaderError("safetensors-header-corrupt", f"{detail}; the file is damaged: re-export it")
