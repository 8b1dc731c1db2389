"""check_model_folder on real tiny model folders written to disk."""

from __future__ import annotations

import json
import struct
from pathlib import Path
from typing import Any

import pytest

from tests.unit.imports.model_folder_builder import (
    LLAMA_CONFIG,
    SMALL_TENSORS,
    raw_safetensors,
    safetensors_bytes,
    write_model_folder,
    write_safetensors,
)
from tuneline.findings import Report
from tuneline.imports import LocalFolder, check_model_folder
from tuneline.imports.architectures import MAX_CONTEXT_LENGTH
from tuneline.imports.sources import SourceReadError


def check(folder: Path) -> Report:
    return check_model_folder(LocalFolder(folder))


def rules(report: Report) -> set[str]:
    return {finding.rule for finding in report.errors}


def warning_rules(report: Report) -> set[str]:
    return {finding.rule for finding in report.warnings}


def config_with(**changes: Any) -> dict[str, Any]:
    config = {**LLAMA_CONFIG, **changes}
    return {key: value for key, value in config.items() if value is not None}


# --- good folders ---------------------------------------------------------------------------------


def test_a_complete_folder_is_importable_with_its_stats(tmp_path: Path) -> None:
    report = check(write_model_folder(tmp_path))

    assert report.valid, report.to_dict()
    assert report.warnings == []
    stats = report.stats
    assert stats["architecture"] == "LlamaForCausalLM"
    assert stats["family"] == "Llama"
    assert stats["model_type"] == "llama"
    assert stats["context_length"] == 8192
    assert stats["weight_files"] == 1
    assert stats["weight_bytes"] == (tmp_path / "model.safetensors").stat().st_size
    assert stats["tensor_count"] == 4
    assert stats["parameter_count"] == 16 * 8 + 8 * 8 + 8 + 16 * 8
    assert stats["dtypes"] == {"BF16": 3, "F32": 1}
    assert stats["files"] == ["config.json", "model.safetensors", "tokenizer.json", "tokenizer_config.json"]


def test_a_sharded_folder_with_its_index_is_importable(tmp_path: Path) -> None:
    report = check(write_model_folder(tmp_path, shards=3))

    assert report.valid, report.to_dict()
    assert report.stats["weight_files"] == 3
    assert report.stats["tensor_count"] == 4


def test_a_slow_sentencepiece_tokenizer_alone_is_enough(tmp_path: Path) -> None:
    report = check(write_model_folder(tmp_path, tokenizer_files=("tokenizer.model",)))

    assert report.valid, report.to_dict()


def test_the_report_shape_matches_the_dataset_validator(tmp_path: Path) -> None:
    write_model_folder(tmp_path)
    (tmp_path / "config.json").unlink()

    document = check(tmp_path).to_dict()

    assert set(document) == {"valid", "errors", "warnings", "stats"}
    assert document["valid"] is False
    assert document["errors"][0] == {
        "line": None,
        "rule": "config-missing",
        "message": document["errors"][0]["message"],
        "file": "config.json",
    }


# --- config.json ------------------------------------------------------------------------------------


def test_missing_config_is_named(tmp_path: Path) -> None:
    write_model_folder(tmp_path)
    (tmp_path / "config.json").unlink()

    report = check(tmp_path)

    assert "config-missing" in rules(report)
    assert [f.file for f in report.errors if f.rule == "config-missing"] == ["config.json"]


def test_a_folder_uploaded_one_level_too_deep_points_at_the_subfolder(tmp_path: Path) -> None:
    write_model_folder(tmp_path / "model")

    report = check(tmp_path)

    config_errors = [finding for finding in report.errors if finding.rule == "config-missing"]
    assert len(config_errors) == 1
    assert "found model/config.json" in config_errors[0].message
    assert "point at model/" in config_errors[0].message


def test_a_config_json_spelled_with_capitals_is_named(tmp_path: Path) -> None:
    write_model_folder(tmp_path)
    (tmp_path / "config.json").rename(tmp_path / "Config.json")

    report = check(tmp_path)

    assert rules(report) == {"config-missing"}
    assert "found Config.json" in report.errors[0].message
    assert "rename it to config.json" in report.errors[0].message


def test_config_that_is_not_json_is_invalid(tmp_path: Path) -> None:
    write_model_folder(tmp_path)
    (tmp_path / "config.json").write_text("{'architectures': ")

    assert rules(check(tmp_path)) == {"config-invalid"}


@pytest.mark.parametrize(
    ("value", "key", "shown"),
    [
        ("NaN", "rope_theta", "NaN"),
        ("Infinity", "rope_theta", "Infinity"),
        ("-Infinity", "rope_theta", "-Infinity"),
        ("1e400", "rope_theta", "Infinity"),
        ('{"factor": NaN}', "rope_scaling.factor", "NaN"),
        ("[1, Infinity]", "rope_theta[1]", "Infinity"),
    ],
)
def test_nan_and_infinity_in_config_name_the_key(tmp_path: Path, value: str, key: str, shown: str) -> None:
    write_model_folder(tmp_path)
    text = json.dumps(LLAMA_CONFIG)[:-1] + f', "rope_theta": {value}}}'
    (tmp_path / "config.json").write_text(text.replace('"rope_theta": {', '"rope_scaling": {'))

    report = check(tmp_path)

    assert rules(report) == {"config-value-not-finite"}
    message = report.errors[0].message
    assert message.startswith(f"`{key}` is {shown}")
    assert f"set `{key}` to a finite number" in message
    assert report.errors[0].file == "config.json"


def test_a_config_with_a_byte_order_mark_says_to_drop_it(tmp_path: Path) -> None:
    write_model_folder(tmp_path)
    (tmp_path / "config.json").write_bytes(b"\xef\xbb\xbf" + json.dumps(LLAMA_CONFIG).encode())

    report = check(tmp_path)

    assert rules(report) == {"config-invalid"}
    assert "without a byte-order mark" in report.errors[0].message


@pytest.mark.parametrize(
    ("text", "rule"),
    [
        ('{"temperature": 0.6,', "generation-config-invalid"),
        ('{"temperature": NaN, "top_p": 0.9}', "generation-config-value-not-finite"),
    ],
)
def test_a_broken_generation_config_only_warns(tmp_path: Path, text: str, rule: str) -> None:
    write_model_folder(tmp_path)
    (tmp_path / "generation_config.json").write_text(text)

    report = check(tmp_path)

    assert report.valid, report.to_dict()
    assert warning_rules(report) == {rule}
    assert report.warnings[0].file == "generation_config.json"


def test_unsupported_architecture_names_the_supported_ones(tmp_path: Path) -> None:
    write_model_folder(tmp_path, config=config_with(architectures=["PhiForCausalLM"], model_type="phi"))

    report = check(tmp_path)

    assert rules(report) == {"architecture-unsupported"}
    message = report.errors[0].message
    assert "PhiForCausalLM" in message
    assert "LlamaForCausalLM" in message
    assert report.errors[0].file == "config.json"


def test_an_embedding_model_is_rejected_as_such(tmp_path: Path) -> None:
    write_model_folder(tmp_path, config=config_with(architectures=["Qwen2Model"], model_type="qwen2"))

    report = check(tmp_path)

    assert rules(report) == {"architecture-unsupported"}
    assert "embedding" in report.errors[0].message


@pytest.mark.parametrize("context", [MAX_CONTEXT_LENGTH + 1, 262144, 1048576])
def test_context_longer_than_128k_is_rejected(tmp_path: Path, context: int) -> None:
    write_model_folder(tmp_path, config=config_with(max_position_embeddings=context))

    report = check(tmp_path)

    assert rules(report) == {"context-too-long"}
    assert str(context) in report.errors[0].message
    assert report.stats["context_length"] == context


def test_context_of_exactly_128k_is_accepted_like_stock_llama_3_1(tmp_path: Path) -> None:
    write_model_folder(tmp_path, config=config_with(max_position_embeddings=131072))

    assert check(tmp_path).valid


def test_context_in_a_multimodal_text_config_is_checked(tmp_path: Path) -> None:
    config = {
        "architectures": ["MllamaForConditionalGeneration"],
        "model_type": "mllama",
        "text_config": {"max_position_embeddings": 200000},
        "vision_config": {"image_size": 560},
    }
    write_model_folder(tmp_path, config=config)

    report = check(tmp_path)

    assert rules(report) == {"context-too-long"}
    assert "text_config.max_position_embeddings" in report.errors[0].message
    assert report.stats["multimodal"] is True


def test_gptbigcode_context_is_read_from_n_positions(tmp_path: Path) -> None:
    config = {"architectures": ["GPTBigCodeForCausalLM"], "model_type": "gpt_bigcode", "n_positions": 500000}
    write_model_folder(tmp_path, config=config)

    assert rules(check(tmp_path)) == {"context-too-long"}


def test_a_quantized_checkpoint_config_is_rejected(tmp_path: Path) -> None:
    config = config_with(quantization_config={"quant_method": "bitsandbytes", "load_in_4bit": True})
    write_model_folder(tmp_path, config=config)

    report = check(tmp_path)

    assert rules(report) == {"config-quantized"}
    assert "bitsandbytes" in report.errors[0].message


# --- tokenizer ----------------------------------------------------------------------------------------


def test_missing_tokenizer_config_is_named(tmp_path: Path) -> None:
    write_model_folder(tmp_path)
    (tmp_path / "tokenizer_config.json").unlink()

    report = check(tmp_path)

    assert rules(report) == {"tokenizer-missing"}
    assert report.errors[0].file == "tokenizer_config.json"


def test_missing_tokenizer_vocabulary_is_named(tmp_path: Path) -> None:
    write_model_folder(tmp_path, tokenizer_files=())

    report = check(tmp_path)

    assert rules(report) == {"tokenizer-missing"}
    assert "tokenizer.json" in (report.errors[0].file or "")
    assert "tokenizer.model" in (report.errors[0].file or "")


@pytest.mark.parametrize("slow_files", [("vocab.json", "merges.txt"), ("spiece.model",)])
def test_a_slow_only_tokenizer_is_told_how_to_write_tokenizer_json(tmp_path: Path, slow_files: tuple[str, ...]) -> None:
    write_model_folder(tmp_path, tokenizer_files=slow_files)

    report = check(tmp_path)

    assert rules(report) == {"tokenizer-missing"}
    assert all(name in report.errors[0].message for name in slow_files)
    assert "use_fast=True" in report.errors[0].message


def test_an_unsupported_tokenizer_class_is_rejected(tmp_path: Path) -> None:
    write_model_folder(tmp_path, tokenizer_config={"tokenizer_class": "GemmaTokenizerFast", "chat_template": "x"})

    report = check(tmp_path)

    assert rules(report) == {"tokenizer-unsupported"}
    assert "GemmaTokenizerFast" in report.errors[0].message
    assert "transformers 4.51.x" in report.errors[0].message


@pytest.mark.parametrize(
    "tokenizer_class", ["LlamaTokenizer", "Qwen2TokenizerFast", "GPT2TokenizerFast", "T5Tokenizer"]
)
def test_supported_tokenizer_classes_pass(tmp_path: Path, tokenizer_class: str) -> None:
    write_model_folder(tmp_path, tokenizer_config={"tokenizer_class": tokenizer_class, "chat_template": "x"})

    assert check(tmp_path).valid


def test_a_tokenizer_json_that_is_not_json_is_rejected(tmp_path: Path) -> None:
    write_model_folder(tmp_path)
    (tmp_path / "tokenizer.json").write_bytes(b"\x00\x01binary")

    assert rules(check(tmp_path)) == {"tokenizer-invalid"}


def test_a_tokenizer_without_chat_template_only_warns(tmp_path: Path) -> None:
    write_model_folder(tmp_path, tokenizer_config={"tokenizer_class": "LlamaTokenizerFast"})

    report = check(tmp_path)

    assert report.valid
    assert warning_rules(report) == {"chat-template-missing"}


# --- weights -----------------------------------------------------------------------------------------


def test_missing_weights_are_named(tmp_path: Path) -> None:
    write_model_folder(tmp_path)
    (tmp_path / "model.safetensors").unlink()

    report = check(tmp_path)

    assert rules(report) == {"weights-missing"}


def test_pytorch_bin_weights_are_pointed_at_safetensors(tmp_path: Path) -> None:
    write_model_folder(tmp_path)
    (tmp_path / "model.safetensors").unlink()
    (tmp_path / "pytorch_model.bin").write_bytes(b"pickle")

    report = check(tmp_path)

    assert rules(report) == {"weights-missing"}
    message = report.errors[0].message
    assert "only PyTorch pickle weights (pytorch_model.bin)" in message
    assert (
        "python -c \"import transformers as t; t.LlamaForCausalLM.from_pretrained('DIR', torch_dtype='auto')"
        ".save_pretrained('DIR', safe_serialization=True)\"" in message
    )


@pytest.mark.parametrize(
    ("files", "says"),
    [
        (("tf_model.h5",), "from_tf=True"),
        (("flax_model.msgpack",), "from_flax=True"),
        (("model-q4_k_m.gguf",), "import the original Hugging Face model"),
        (("training_args.bin", "optimizer.pt"), "only trainer checkpoint state (optimizer.pt), which is not a model"),
        (("training_args.bin", "pytorch_model.bin"), "only PyTorch pickle weights (pytorch_model.bin)"),
    ],
)
def test_a_folder_without_safetensors_says_what_it_holds_and_how_to_fix_it(
    tmp_path: Path, files: tuple[str, ...], says: str
) -> None:
    write_model_folder(tmp_path)
    (tmp_path / "model.safetensors").unlink()
    for name in files:
        (tmp_path / name).write_bytes(b"x")

    report = check(tmp_path)

    assert rules(report) == {"weights-missing"}
    assert says in report.errors[0].message


def test_trainer_state_beside_the_weights_is_not_called_weights(tmp_path: Path) -> None:
    write_model_folder(tmp_path)
    for name in ("training_args.bin", "optimizer.pt", "scheduler.pt", "rng_state_0.pth"):
        (tmp_path / name).write_bytes(b"x")

    report = check(tmp_path)

    assert report.valid
    assert warning_rules(report) == {"trainer-state-present"}
    message = report.warnings[0].message
    assert message.startswith("trainer checkpoint state, not model weights:")
    assert "training_args.bin (the Trainer's arguments)" in message
    assert "weight file" not in message


def test_pickle_weights_beside_safetensors_are_named_as_such(tmp_path: Path) -> None:
    write_model_folder(tmp_path)
    (tmp_path / "pytorch_model.bin").write_bytes(b"x")
    (tmp_path / "training_args.bin").write_bytes(b"x")

    report = check(tmp_path)

    assert warning_rules(report) == {"weights-other-format", "trainer-state-present"}
    other = next(w for w in report.warnings if w.rule == "weights-other-format")
    assert other.file == "pytorch_model.bin"
    assert "training_args.bin" not in other.message


LORA_TENSORS = {"base_model.model.model.layers.0.self_attn.q_proj.lora_A.weight": ("F32", [4, 8])}


def test_a_peft_adapter_without_the_model_weights_is_not_importable(tmp_path: Path) -> None:
    write_model_folder(tmp_path)
    (tmp_path / "model.safetensors").unlink()
    (tmp_path / "adapter_config.json").write_text(json.dumps({"peft_type": "LORA", "r": 8}))
    write_safetensors(tmp_path / "adapter_model.safetensors", LORA_TENSORS)

    report = check(tmp_path)

    assert rules(report) == {"weights-adapter-only"}
    assert report.errors[0].file == "adapter_model.safetensors"
    assert "merge_and_unload()" in report.errors[0].message
    assert report.stats["weight_files"] == 0


def test_a_peft_adapter_beside_merged_weights_is_a_warning_and_not_counted(tmp_path: Path) -> None:
    write_model_folder(tmp_path)
    write_safetensors(tmp_path / "adapter_model.safetensors", LORA_TENSORS)

    report = check(tmp_path)

    assert report.valid
    assert warning_rules(report) == {"weights-adapter-present"}
    assert report.stats["weight_files"] == 1
    assert report.stats["weight_bytes"] == (tmp_path / "model.safetensors").stat().st_size


def test_weight_files_without_any_tensor_hold_no_model(tmp_path: Path) -> None:
    write_model_folder(tmp_path, tensors={})

    report = check(tmp_path)

    assert rules(report) == {"weights-empty"}
    assert report.errors[0].file == "*.safetensors"
    assert "save_pretrained()" in report.errors[0].message
    assert "safetensors-empty" not in warning_rules(report)


def test_one_empty_file_beside_real_weights_is_only_a_warning(tmp_path: Path) -> None:
    write_model_folder(tmp_path)
    write_safetensors(tmp_path / "extra.safetensors", {})

    report = check(tmp_path)

    assert report.valid
    assert "safetensors-empty" in warning_rules(report)


LFS_POINTER = (
    "version https://git-lfs.github.com/spec/v1\n"
    "oid sha256:4d2f1e0c9b8a7f6e5d4c3b2a1f0e9d8c7b6a5f4e3d2c1b0a9f8e7d6c5b4a3f2e\n"
    "size 2471645608\n"
)


@pytest.mark.parametrize("name", ["model.safetensors", "tokenizer.json", "tokenizer.model"])
def test_a_git_lfs_pointer_is_named_as_such_with_the_fix(tmp_path: Path, name: str) -> None:
    write_model_folder(tmp_path, tokenizer_files=("tokenizer.json", "tokenizer.model"))
    (tmp_path / name).write_text(LFS_POINTER)

    report = check(tmp_path)

    assert [(finding.rule, finding.file) for finding in report.errors] == [("file-is-lfs-pointer", name)]
    assert "git lfs pull" in report.errors[0].message


def test_a_header_that_is_not_json_is_corrupt(tmp_path: Path) -> None:
    write_model_folder(tmp_path)
    (tmp_path / "model.safetensors").write_bytes(raw_safetensors(b"{not json at all}", bytes(16)))

    report = check(tmp_path)

    assert rules(report) == {"safetensors-header-corrupt"}
    assert report.errors[0].file == "model.safetensors"


def test_a_header_length_past_the_end_of_the_file_is_corrupt(tmp_path: Path) -> None:
    write_model_folder(tmp_path)
    (tmp_path / "model.safetensors").write_bytes(struct.pack("<Q", 5000) + b'{"a": 1}')

    assert rules(check(tmp_path)) == {"safetensors-header-corrupt"}


def test_an_absurd_header_length_is_reported_without_reading_it(tmp_path: Path) -> None:
    write_model_folder(tmp_path)
    (tmp_path / "model.safetensors").write_bytes(struct.pack("<Q", 2**40) + b"{}")

    report = check(tmp_path)

    assert rules(report) == {"safetensors-header-corrupt"}
    assert "absurd" in report.errors[0].message


def test_a_file_shorter_than_the_length_prefix_is_corrupt(tmp_path: Path) -> None:
    write_model_folder(tmp_path)
    (tmp_path / "model.safetensors").write_bytes(b"\x01\x02")

    assert rules(check(tmp_path)) == {"safetensors-header-corrupt"}


def test_a_truncated_file_has_offsets_out_of_range(tmp_path: Path) -> None:
    write_model_folder(tmp_path)
    path = tmp_path / "model.safetensors"
    path.write_bytes(path.read_bytes()[:-10])

    report = check(tmp_path)

    assert rules(report) == {"safetensors-offsets-out-of-range"}
    assert "lm_head.weight" in report.errors[0].message


@pytest.mark.parametrize(("dtype", "shown"), [("I8", "I8"), ("F8_E4M3", "F8_E4M3"), ("I32", "I32")])
def test_quantized_dtypes_are_unsupported(tmp_path: Path, dtype: str, shown: str) -> None:
    tensors = {**SMALL_TENSORS, "model.layers.0.mlp.qweight": (dtype, [8, 2])}
    write_model_folder(tmp_path, tensors=tensors)

    report = check(tmp_path)

    assert rules(report) == {"safetensors-dtype-unsupported"}
    assert shown in report.errors[0].message
    assert "model.layers.0.mlp.qweight" in report.errors[0].message
    assert report.stats["dtypes"][dtype] == 1


def test_all_three_float_dtypes_are_accepted(tmp_path: Path) -> None:
    tensors = {"a": ("F32", [2]), "b": ("F16", [2]), "c": ("BF16", [2])}
    write_model_folder(tmp_path, tensors=tensors)

    assert check(tmp_path).valid


GPT_OSS_CONFIG = {
    "architectures": ["GptOssForCausalLM"],
    "model_type": "gpt_oss",
    "max_position_embeddings": 131072,
    "quantization_config": {"quant_method": "mxfp4", "modules_to_not_convert": ["lm_head"]},
}
GPT_OSS_TENSORS = {
    "model.layers.0.mlp.experts.gate_up_proj_blocks": ("U8", [2, 4, 16]),
    "model.layers.0.mlp.experts.gate_up_proj_scales": ("U8", [2, 4]),
    "model.layers.0.mlp.experts.gate_up_proj_bias": ("BF16", [2, 4]),
    "lm_head.weight": ("BF16", [16, 8]),
}


def test_gpt_oss_mxfp4_blocks_and_scales_are_accepted(tmp_path: Path) -> None:
    write_model_folder(tmp_path, config=GPT_OSS_CONFIG, tensors=GPT_OSS_TENSORS)

    report = check(tmp_path)

    assert report.valid, report.to_dict()
    # Each packed byte holds two 4-bit parameters; scales hold none.
    assert report.stats["parameter_count"] == 2 * 4 * 16 * 2 + 2 * 4 + 16 * 8


def test_the_mxfp4_exception_is_limited_to_gpt_oss(tmp_path: Path) -> None:
    config = config_with(quantization_config={"quant_method": "mxfp4"})
    write_model_folder(tmp_path, config=config, tensors=GPT_OSS_TENSORS)

    assert rules(check(tmp_path)) == {"config-quantized", "safetensors-dtype-unsupported"}


def test_gpt_oss_u8_outside_packed_expert_tensors_is_rejected(tmp_path: Path) -> None:
    tensors = {**GPT_OSS_TENSORS, "lm_head.weight": ("U8", [16, 8])}
    write_model_folder(tmp_path, config=GPT_OSS_CONFIG, tensors=tensors)

    report = check(tmp_path)

    assert rules(report) == {"safetensors-dtype-unsupported"}
    assert "lm_head.weight" in report.errors[0].message


def test_duplicate_weights_in_two_files_are_rejected(tmp_path: Path) -> None:
    write_model_folder(tmp_path)
    write_safetensors(tmp_path / "consolidated.safetensors", SMALL_TENSORS)

    report = check(tmp_path)

    assert "safetensors-tensor-duplicate" in rules(report)
    assert "safetensors-index-missing" in warning_rules(report)


# --- sharded checkpoints ------------------------------------------------------------------------


def test_a_shard_named_by_the_index_but_absent_is_missing(tmp_path: Path) -> None:
    write_model_folder(tmp_path, shards=2)
    (tmp_path / "model-00002-of-00002.safetensors").unlink()

    report = check(tmp_path)

    assert rules(report) == {"safetensors-shard-missing"}
    assert report.errors[0].file == "model-00002-of-00002.safetensors"


def test_a_tensor_the_index_maps_but_the_shard_lacks_is_reported(tmp_path: Path) -> None:
    write_model_folder(tmp_path, shards=2)
    index_path = tmp_path / "model.safetensors.index.json"
    index = json.loads(index_path.read_text())
    index["weight_map"]["model.layers.1.mlp.down_proj.weight"] = "model-00001-of-00002.safetensors"
    index_path.write_text(json.dumps(index))

    report = check(tmp_path)

    assert rules(report) == {"safetensors-index-tensor-missing"}
    assert "model.layers.1.mlp.down_proj.weight" in report.errors[0].message
    assert report.errors[0].file == "model-00001-of-00002.safetensors"


def test_an_index_without_weight_map_is_invalid(tmp_path: Path) -> None:
    write_model_folder(tmp_path, shards=2)
    (tmp_path / "model.safetensors.index.json").write_text('{"metadata": {}}')

    assert rules(check(tmp_path)) == {"safetensors-index-invalid"}


def test_a_shard_the_index_does_not_name_is_a_warning(tmp_path: Path) -> None:
    write_model_folder(tmp_path, shards=2)
    (tmp_path / "extra.safetensors").write_bytes(safetensors_bytes({"other.weight": ("BF16", [2])}))

    report = check(tmp_path)

    assert report.valid
    assert warning_rules(report) == {"safetensors-shard-unreferenced"}
    assert "`other.weight`" in report.warnings[0].message
    assert "loaders that follow the index skip them" in report.warnings[0].message


def test_an_index_that_maps_no_tensors_is_invalid(tmp_path: Path) -> None:
    write_model_folder(tmp_path, shards=2)
    (tmp_path / "model.safetensors.index.json").write_text(json.dumps({"metadata": {}, "weight_map": {}}))

    report = check(tmp_path)

    assert rules(report) == {"safetensors-index-invalid"}
    assert report.warnings == []


def test_shard_names_with_a_leading_dot_slash_are_the_same_shards(tmp_path: Path) -> None:
    write_model_folder(tmp_path, shards=2)
    index_path = tmp_path / "model.safetensors.index.json"
    index = json.loads(index_path.read_text())
    index["weight_map"] = {tensor: f"./{shard}" for tensor, shard in index["weight_map"].items()}
    index_path.write_text(json.dumps(index))

    report = check(tmp_path)

    assert report.valid, report.to_dict()
    assert report.warnings == []


# --- folder layout ----------------------------------------------------------------------------------


def test_an_empty_folder_says_what_to_upload(tmp_path: Path) -> None:
    report = check(tmp_path)

    assert rules(report) == {"folder-empty"}


def test_subfolders_and_leftover_checkpoints_are_warnings(tmp_path: Path) -> None:
    write_model_folder(tmp_path)
    (tmp_path / "original").mkdir()
    (tmp_path / "original" / "consolidated.00.pth").write_bytes(b"x")

    report = check(tmp_path)

    assert report.valid
    assert warning_rules(report) == {"folder-has-subfolders", "weights-other-format"}


def test_weights_only_in_a_subfolder_are_missing_with_a_hint(tmp_path: Path) -> None:
    write_model_folder(tmp_path)
    (tmp_path / "model.safetensors").rename(tmp_path / "moved.safetensors")
    (tmp_path / "weights").mkdir()
    (tmp_path / "moved.safetensors").rename(tmp_path / "weights" / "model.safetensors")

    report = check(tmp_path)

    assert rules(report) == {"weights-missing"}
    assert "weights/model.safetensors" in report.errors[0].message


def test_every_failure_in_one_folder_is_reported_at_once(tmp_path: Path) -> None:
    write_model_folder(
        tmp_path,
        config=config_with(architectures=["BertModel"], model_type="bert", max_position_embeddings=10**6),
        tokenizer_files=(),
    )
    (tmp_path / "model.safetensors").unlink()

    assert rules(check(tmp_path)) == {
        "architecture-unsupported",
        "context-too-long",
        "tokenizer-missing",
        "weights-missing",
    }


class FailingFolder(LocalFolder):
    """A folder whose `broken` file cannot be read (as with S3 AccessDenied)."""

    def __init__(self, path: Path, broken: str) -> None:
        super().__init__(path)
        self.broken = broken

    def read_bytes(self, name: str, start: int, end: int) -> bytes:
        if name == self.broken:
            raise SourceReadError(name, "AccessDenied: Access Denied")
        return super().read_bytes(name, start, end)

    def read_all(self, name: str, max_bytes: int) -> bytes:
        if name == self.broken:
            raise SourceReadError(name, "AccessDenied: Access Denied")
        return super().read_all(name, max_bytes)


@pytest.mark.parametrize(
    "broken",
    ["config.json", "tokenizer_config.json", "model-00001-of-00002.safetensors", "model.safetensors.index.json"],
)
def test_a_file_that_cannot_be_read_is_named_with_the_reason(tmp_path: Path, broken: str) -> None:
    write_model_folder(tmp_path, shards=2)

    report = check_model_folder(FailingFolder(tmp_path, broken))

    assert [(f.rule, f.file) for f in report.errors] == [("file-unreadable", broken)]
    assert "AccessDenied" in report.errors[0].message


def test_a_chat_template_file_beside_the_tokenizer_counts(tmp_path: Path) -> None:
    write_model_folder(tmp_path, tokenizer_config={"tokenizer_class": "LlamaTokenizerFast"})
    (tmp_path / "chat_template.jinja").write_text("{{ messages }}")

    report = check(tmp_path)

    assert report.valid
    assert report.warnings == []


class InclusiveEndFolder(LocalFolder):
    """A source that reads `end` inclusively, as an HTTP Range does: one byte more than asked."""

    def read_bytes(self, name: str, start: int, end: int) -> bytes:
        return super().read_bytes(name, start, end + 1)


def test_a_source_that_returns_a_byte_too_many_still_reads_headers(tmp_path: Path) -> None:
    write_model_folder(tmp_path, shards=2)

    report = check_model_folder(InclusiveEndFolder(tmp_path))

    assert report.valid, report.to_dict()
    assert report.stats["tensor_count"] == 4


# --- symbolic links ---------------------------------------------------------------------------------


def test_a_cache_snapshot_copied_without_its_blobs_names_every_broken_link(tmp_path: Path) -> None:
    for name in ("config.json", "tokenizer.json", "tokenizer_config.json", "model.safetensors"):
        (tmp_path / name).symlink_to(f"../../blobs/{len(name)}abc")

    report = check(tmp_path)

    assert rules(report) == {"file-broken-link"}
    assert sorted(f.file for f in report.errors) == [
        "config.json",
        "model.safetensors",
        "tokenizer.json",
        "tokenizer_config.json",
    ]
    assert "../../blobs/" in report.errors[0].message
    assert "cp -rL" in report.errors[0].message


def test_one_broken_weight_link_is_named_not_called_missing(tmp_path: Path) -> None:
    write_model_folder(tmp_path, shards=2)
    (tmp_path / "model-00002-of-00002.safetensors").unlink()
    (tmp_path / "model-00002-of-00002.safetensors").symlink_to("../../blobs/abc")

    report = check(tmp_path)

    assert rules(report) == {"file-broken-link"}
    assert report.errors[0].file == "model-00002-of-00002.safetensors"


def test_a_broken_link_to_a_file_the_import_does_not_read_only_warns(tmp_path: Path) -> None:
    write_model_folder(tmp_path)
    (tmp_path / "README.md").symlink_to("../../blobs/abc")

    report = check(tmp_path)

    assert report.valid, report.to_dict()
    assert warning_rules(report) == {"file-broken-link"}
    assert report.warnings[0].file == "README.md"


def test_links_to_existing_files_are_followed(tmp_path: Path) -> None:
    blobs = write_model_folder(tmp_path / "blobs")
    snapshot = tmp_path / "snapshot"
    snapshot.mkdir()
    for path in blobs.iterdir():
        (snapshot / path.name).symlink_to(path)

    report = check(snapshot)

    assert report.valid, report.to_dict()
    assert report.warnings == []


# --- names that differ only in case, macOS metadata ---------------------------------------------------


def test_weights_with_an_upper_case_extension_are_told_to_be_renamed(tmp_path: Path) -> None:
    write_model_folder(tmp_path)
    (tmp_path / "model.safetensors").rename(tmp_path / "model.SAFETENSORS")

    report = check(tmp_path)

    assert rules(report) == {"weights-missing"}
    assert "found model.SAFETENSORS" in report.errors[0].message
    assert "rename" in report.errors[0].message


def test_a_shard_named_with_other_case_is_pointed_at(tmp_path: Path) -> None:
    write_model_folder(tmp_path, shards=2)
    (tmp_path / "model-00002-of-00002.safetensors").rename(tmp_path / "MODEL-00002-OF-00002.safetensors")

    report = check(tmp_path)

    missing = [f for f in report.errors if f.rule == "safetensors-shard-missing"]
    assert [f.file for f in missing] == ["model-00002-of-00002.safetensors"]
    assert "found MODEL-00002-OF-00002.safetensors" in missing[0].message


@pytest.mark.parametrize(
    ("name", "found"), [("tokenizer.json", "Tokenizer.json"), ("tokenizer_config.json", "Tokenizer_Config.json")]
)
def test_tokenizer_files_named_with_other_case_are_pointed_at(tmp_path: Path, name: str, found: str) -> None:
    write_model_folder(tmp_path)
    (tmp_path / name).rename(tmp_path / found)

    report = check(tmp_path)

    assert rules(report) == {"tokenizer-missing"}
    assert f"found {found}" in report.errors[0].message


def test_macos_appledouble_files_are_not_weights(tmp_path: Path) -> None:
    write_model_folder(tmp_path)
    (tmp_path / "._model.safetensors").write_bytes(b"\x00\x05\x16\x07" + bytes(4092))
    (tmp_path / "._config.json").write_bytes(b"\x00\x05\x16\x07" + bytes(4092))
    (tmp_path / ".DS_Store").write_bytes(b"\x00\x00\x00\x01Bud1")

    report = check(tmp_path)

    assert rules(report) == {"weights-macos-metadata"}
    assert report.errors[0].file == "._model.safetensors"
    assert report.stats["weight_files"] == 1
    assert report.warnings == []
