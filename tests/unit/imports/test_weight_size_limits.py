"""Size limits and header-only reads, on folders of declared (not real) size held in memory.

A 200 GB model cannot be written in a test, but its safetensors header can: this folder source serves
the real header bytes, reports the full file size, and fails the test if anything past a header is read.
"""

from __future__ import annotations

import json
import struct
from typing import Any

from tests.unit.imports.model_folder_builder import LLAMA_CONFIG, TOKENIZER_CONFIG
from tuneline.findings import Report
from tuneline.imports import check_model_folder
from tuneline.imports.architectures import MAX_MULTIMODAL_WEIGHT_BYTES, MAX_TEXT_WEIGHT_BYTES
from tuneline.imports.model_config import MAX_CONFIG_BYTES
from tuneline.imports.sources import FileTooLargeError
from tuneline.imports.weights import WeightProgress


class HeaderOnlyFolder:
    """Small files in full; weight files as a header followed by `data_bytes` that cannot be read."""

    def __init__(self, small_files: dict[str, bytes], weights: dict[str, tuple[bytes, int]]) -> None:
        self.small_files = small_files
        self.weights = weights
        self.reads: list[tuple[str, int, int]] = []

    def list_files(self) -> dict[str, int]:
        sizes = {name: len(data) for name, data in self.small_files.items()}
        sizes.update({name: len(head) + data_bytes for name, (head, data_bytes) in self.weights.items()})
        return sizes

    def read_bytes(self, name: str, start: int, end: int) -> bytes:
        self.reads.append((name, start, end))
        if name in self.weights:
            head, _ = self.weights[name]
            assert end <= len(head), f"read past the header of {name}: {start}-{end}"
            return head[start:end]
        return self.small_files[name][start:end]

    def read_all(self, name: str, max_bytes: int) -> bytes:
        assert name not in self.weights, f"read a whole weight file: {name}"
        data = self.small_files[name]
        if len(data) > max_bytes:
            raise FileTooLargeError(name, max_bytes)
        return data


def one_tensor_weights(tensor: str, element_count: int) -> tuple[bytes, int]:
    """A header for one BF16 tensor of `element_count` elements, and the size of its data."""
    data_bytes = element_count * 2
    header = {tensor: {"dtype": "BF16", "shape": [element_count], "data_offsets": [0, data_bytes]}}
    encoded = json.dumps(header).encode()
    return struct.pack("<Q", len(encoded)) + encoded, data_bytes


def folder(config: dict[str, Any], shard_elements: list[int]) -> HeaderOnlyFolder:
    """A sharded folder: shard i holds one tensor `w<i>`; the index maps each tensor to its shard."""
    small = {
        "config.json": json.dumps(config).encode(),
        "tokenizer_config.json": json.dumps(TOKENIZER_CONFIG).encode(),
        "tokenizer.json": b'{"version": "1.0"}',
    }
    weights = {
        f"model-{i:05d}.safetensors": one_tensor_weights(f"w{i}", count) for i, count in enumerate(shard_elements)
    }
    weight_map = {f"w{i}": name for i, name in enumerate(weights)}
    small["model.safetensors.index.json"] = json.dumps({"weight_map": weight_map}).encode()
    return HeaderOnlyFolder(small, weights)


def rules(report: Report) -> set[str]:
    return {finding.rule for finding in report.errors}


def elements_for(total_bytes: int) -> int:
    return total_bytes // 2


def test_a_text_model_just_under_200_gb_is_accepted_without_reading_weights() -> None:
    source = folder(LLAMA_CONFIG, [elements_for(MAX_TEXT_WEIGHT_BYTES // 2) - 1000] * 2)

    report = check_model_folder(source)

    assert report.valid, report.to_dict()
    assert report.stats["weight_bytes"] < MAX_TEXT_WEIGHT_BYTES
    assert report.stats["parameter_count"] == 2 * (elements_for(MAX_TEXT_WEIGHT_BYTES // 2) - 1000)
    # Two ranged reads per weight file: the 8-byte length, then exactly the JSON header.
    weight_reads = [read for read in source.reads if read[0].endswith(".safetensors")]
    assert len(weight_reads) == 4
    assert all(start in (0, 8) for _, start, _ in weight_reads)


def test_a_text_model_of_200_gb_or_more_is_too_large() -> None:
    source = folder(LLAMA_CONFIG, [elements_for(MAX_TEXT_WEIGHT_BYTES // 2)] * 2 + [10])

    report = check_model_folder(source)

    assert rules(report) == {"weights-too-large"}
    assert "200 GB" in report.errors[0].message
    assert report.errors[0].file == "*.safetensors"


def test_a_multimodal_model_is_limited_to_100_gb() -> None:
    config = {
        "architectures": ["Qwen2_5_VLForConditionalGeneration"],
        "model_type": "qwen2_5_vl",
        "max_position_embeddings": 128000,
    }
    source = folder(config, [elements_for(MAX_MULTIMODAL_WEIGHT_BYTES // 2)] * 2)

    report = check_model_folder(source)

    assert rules(report) == {"weights-too-large"}
    assert "multimodal" in report.errors[0].message
    assert "100 GB" in report.errors[0].message


def test_the_same_weights_fit_a_text_model() -> None:
    source = folder(LLAMA_CONFIG, [elements_for(MAX_MULTIMODAL_WEIGHT_BYTES // 2)] * 2)

    assert check_model_folder(source).valid


def test_progress_is_reported_per_weight_file_then_done() -> None:
    source = folder(LLAMA_CONFIG, [100, 200, 300])
    seen: list[WeightProgress] = []

    check_model_folder(source, progress=seen.append)

    assert [(p.files_done, p.files_total) for p in seen] == [(0, 3), (1, 3), (2, 3), (3, 3)]
    assert [p.name for p in seen] == [
        "model-00000.safetensors",
        "model-00001.safetensors",
        "model-00002.safetensors",
        "",
    ]
    assert seen[-1].bytes_done == seen[-1].bytes_total == check_model_folder(source).stats["weight_bytes"]


def test_an_oversized_config_is_reported_not_loaded() -> None:
    source = folder(LLAMA_CONFIG, [10])
    source.small_files["config.json"] = b" " * (MAX_CONFIG_BYTES + 1)

    report = check_model_folder(source)

    assert rules(report) == {"config-invalid"}
    assert "larger than" in report.errors[0].message
