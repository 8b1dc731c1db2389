"""Whatever bytes a model folder holds, the check returns a report whose findings name a file."""

from __future__ import annotations

import json
import struct

from hypothesis import given, settings
from hypothesis import strategies as st

from tests.unit.imports.model_folder_builder import LLAMA_CONFIG, TOKENIZER_CONFIG, safetensors_bytes
from tuneline.imports import check_model_folder
from tuneline.imports.sources import FileTooLargeError


class MemoryFolder:
    """A folder held in memory, read the way S3Folder reads: ranges and capped whole files."""

    def __init__(self, files: dict[str, bytes]) -> None:
        self.files = files

    def list_files(self) -> dict[str, int]:
        return {name: len(data) for name, data in self.files.items()}

    def read_bytes(self, name: str, start: int, end: int) -> bytes:
        return self.files[name][start:end]

    def read_all(self, name: str, max_bytes: int) -> bytes:
        data = self.files[name]
        if len(data) > max_bytes:
            raise FileTooLargeError(name, max_bytes)
        return data


def good_folder() -> dict[str, bytes]:
    return {
        "config.json": json.dumps(LLAMA_CONFIG).encode(),
        "tokenizer_config.json": json.dumps(TOKENIZER_CONFIG).encode(),
        "tokenizer.json": b'{"version": "1.0"}',
        "model.safetensors": safetensors_bytes({"w": ("BF16", [2, 2])}),
    }


def assert_reported_cleanly(files: dict[str, bytes]) -> None:
    report = check_model_folder(MemoryFolder(files))

    json.dumps(report.to_dict())
    for finding in report.errors + report.warnings:
        assert finding.file, finding
        assert finding.message, finding


JSON_ATOMS = (
    *(b"{", b"}", b"[", b"]", b":", b",", b'"w"', b'"dtype"', b'"BF16"', b'"U8"', b'"shape"', b'"data_offsets"'),
    *(b'"__metadata__"', b"null", b"true", b"0", b"-1", b"4", b"1e400", b"NaN", b"18446744073709551616"),
    *(b'"\\ud800"', b"\xff", b" "),
)
json_atoms = st.sampled_from(JSON_ATOMS)
json_like = st.lists(json_atoms, max_size=40).map(b"".join)


@settings(max_examples=300, deadline=None)
@given(st.binary(max_size=64))
def test_random_weight_file_bytes_never_crash(data: bytes) -> None:
    assert_reported_cleanly({**good_folder(), "model.safetensors": data})


@settings(max_examples=300, deadline=None)
@given(json_like, st.binary(max_size=64))
def test_random_header_bytes_behind_a_correct_length_never_crash(header: bytes, data: bytes) -> None:
    weights = struct.pack("<Q", len(header)) + header + data
    assert_reported_cleanly({**good_folder(), "model.safetensors": weights})


@settings(max_examples=200, deadline=None)
@given(st.sampled_from(["config.json", "tokenizer_config.json", "generation_config.json"]), json_like)
def test_random_json_files_never_crash(name: str, text: bytes) -> None:
    assert_reported_cleanly({**good_folder(), name: text})


@settings(max_examples=200, deadline=None)
@given(
    st.recursive(
        st.none() | st.booleans() | st.integers() | st.floats() | st.text(max_size=8),
        lambda children: st.lists(children, max_size=3) | st.dictionaries(st.text(max_size=8), children, max_size=3),
        max_leaves=12,
    )
)
def test_any_value_for_the_keys_the_check_reads_never_crashes(value: object) -> None:
    keys = ("architectures", "model_type", "max_position_embeddings", "rope_scaling", "quantization_config")
    for key in keys:
        config = {**LLAMA_CONFIG, key: value, "text_config": {key: value}}
        files = {**good_folder(), "config.json": json.dumps(config).encode()}
        files["model.safetensors.index.json"] = json.dumps({"weight_map": value}).encode()
        assert_reported_cleanly(files)
