"""Write real, tiny Hugging Face model folders for the checker's tests.

Safetensors files use the standard layout (8-byte little-endian header length, JSON header with
dtype/shape/data_offsets and optional __metadata__, then the data), written here so the tests need
no extra package.
"""

from __future__ import annotations

import json
import math
import struct
from collections.abc import Mapping
from pathlib import Path
from typing import Any

BYTES_PER_ELEMENT = {"F32": 4, "F16": 2, "BF16": 2, "I8": 1, "U8": 1, "I32": 4, "I64": 8, "F8_E4M3": 1}

# tensor name -> (dtype, shape)
TensorSpec = Mapping[str, tuple[str, list[int]]]

LLAMA_CONFIG: dict[str, Any] = {
    "architectures": ["LlamaForCausalLM"],
    "model_type": "llama",
    "hidden_size": 8,
    "num_hidden_layers": 1,
    "max_position_embeddings": 8192,
    "torch_dtype": "bfloat16",
    "transformers_version": "4.51.3",
}

SMALL_TENSORS: dict[str, tuple[str, list[int]]] = {
    "model.embed_tokens.weight": ("BF16", [16, 8]),
    "model.layers.0.self_attn.q_proj.weight": ("BF16", [8, 8]),
    "model.norm.weight": ("F32", [8]),
    "lm_head.weight": ("BF16", [16, 8]),
}

TOKENIZER_CONFIG: dict[str, Any] = {
    "tokenizer_class": "PreTrainedTokenizerFast",
    "chat_template": "{% for m in messages %}{{ m['content'] }}{% endfor %}",
}


def safetensors_bytes(tensors: TensorSpec, metadata: Mapping[str, str] | None = None) -> bytes:
    """A valid safetensors file: tensors laid out back to back in the order given, filled with zeros."""
    header: dict[str, Any] = {}
    offset = 0
    for name, (dtype, shape) in tensors.items():
        size = math.prod(shape) * BYTES_PER_ELEMENT[dtype]
        header[name] = {"dtype": dtype, "shape": shape, "data_offsets": [offset, offset + size]}
        offset += size
    if metadata is not None:
        header["__metadata__"] = dict(metadata)
    return raw_safetensors(json.dumps(header).encode("utf-8"), bytes(offset))


def raw_safetensors(header: bytes, data: bytes) -> bytes:
    """Any header bytes (valid or not) behind a correct length prefix."""
    return struct.pack("<Q", len(header)) + header + data


def write_safetensors(path: Path, tensors: TensorSpec, metadata: Mapping[str, str] | None = None) -> Path:
    path.parent.mkdir(parents=True, exist_ok=True)
    path.write_bytes(safetensors_bytes(tensors, metadata if metadata is not None else {"format": "pt"}))
    return path


def write_model_folder(
    folder: Path,
    *,
    config: Mapping[str, Any] | None = None,
    tensors: TensorSpec | None = None,
    shards: int = 1,
    tokenizer_config: Mapping[str, Any] | None = None,
    tokenizer_files: tuple[str, ...] = ("tokenizer.json",),
) -> Path:
    """A complete, importable folder unless the arguments say otherwise.

    With `shards` > 1 the tensors are spread over `model-0000i-of-0000n.safetensors` files and a
    `model.safetensors.index.json` maps every tensor to its shard, as save_pretrained() does.
    """
    folder.mkdir(parents=True, exist_ok=True)
    (folder / "config.json").write_text(json.dumps(LLAMA_CONFIG if config is None else config))
    (folder / "tokenizer_config.json").write_text(
        json.dumps(TOKENIZER_CONFIG if tokenizer_config is None else tokenizer_config)
    )
    for name in tokenizer_files:
        (folder / name).write_text('{"version": "1.0", "model": {}}' if name.endswith(".json") else "spm")
    items = list((SMALL_TENSORS if tensors is None else tensors).items())
    if shards == 1:
        write_safetensors(folder / "model.safetensors", dict(items))
        return folder
    weight_map: dict[str, str] = {}
    for index in range(shards):
        shard_name = f"model-{index + 1:05d}-of-{shards:05d}.safetensors"
        shard_tensors = dict(items[index::shards])
        write_safetensors(folder / shard_name, shard_tensors)
        weight_map.update(dict.fromkeys(shard_tensors, shard_name))
    index_document = {"metadata": {"total_size": 0}, "weight_map": weight_map}
    (folder / "model.safetensors.index.json").write_text(json.dumps(index_document))
    return folder
