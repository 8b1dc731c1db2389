"""config.json is checked against the tensor shapes in the safetensors headers, on real tiny model folders.

Each folder is written the way save_pretrained() names its tensors for that architecture, with shapes that
follow from the config; the tests then change one config key (or one tensor) and expect the finding to name
the key and the tensor.
"""

from __future__ import annotations

from pathlib import Path
from typing import Any

import pytest

from tests.unit.imports import model_folder_builder
from tuneline.findings import Report
from tuneline.imports import LocalFolder, check_model_folder

Tensors = dict[str, tuple[str, list[int]]]


def decoder(
    *,
    layers: int = 2,
    hidden: int = 64,
    vocab: int = 96,
    heads: int = 4,
    kv_heads: int = 2,
    head_dim: int = 16,
    prefix: str = "model.",
    lm_head: str | None = "lm_head.weight",
    embed_extra_rows: int = 0,
    dtype: str = "BF16",
) -> Tensors:
    tensors: Tensors = {f"{prefix}embed_tokens.weight": (dtype, [vocab + embed_extra_rows, hidden])}
    for index in range(layers):
        layer = f"{prefix}layers.{index}."
        tensors[layer + "input_layernorm.weight"] = (dtype, [hidden])
        tensors[layer + "self_attn.q_proj.weight"] = (dtype, [heads * head_dim, hidden])
        tensors[layer + "self_attn.k_proj.weight"] = (dtype, [kv_heads * head_dim, hidden])
        tensors[layer + "self_attn.v_proj.weight"] = (dtype, [kv_heads * head_dim, hidden])
        tensors[layer + "self_attn.o_proj.weight"] = (dtype, [hidden, heads * head_dim])
        tensors[layer + "mlp.down_proj.weight"] = (dtype, [hidden, 2 * hidden])
    tensors[f"{prefix}norm.weight"] = (dtype, [hidden])
    if lm_head:
        tensors[lm_head] = (dtype, [vocab, hidden])
    return tensors


def decoder_config(architecture: str, model_type: str, **keys: Any) -> dict[str, Any]:
    config: dict[str, Any] = {
        "architectures": [architecture],
        "model_type": model_type,
        "hidden_size": 64,
        "num_hidden_layers": 2,
        "num_attention_heads": 4,
        "num_key_value_heads": 2,
        "vocab_size": 96,
        "max_position_embeddings": 4096,
        "torch_dtype": "bfloat16",
        "transformers_version": "4.51.3",
    }
    config.update(keys)
    return {key: value for key, value in config.items() if value is not None}


def write_model_folder(
    folder: Path, *, config: dict[str, Any], tensors: Tensors | None = None, shards: int = 1
) -> None:
    """A model folder with the decoder() tensors unless others are given."""
    model_folder_builder.write_model_folder(
        folder, config=config, tensors=decoder() if tensors is None else tensors, shards=shards
    )


def check(folder: Path) -> Report:
    return check_model_folder(LocalFolder(folder))


def errors(report: Report) -> list[tuple[str, str]]:
    return [(finding.rule, finding.message) for finding in report.errors]


def only_error(report: Report, rule: str) -> str:
    found = errors(report)
    assert [item[0] for item in found] == [rule], found
    assert report.errors[0].file == "config.json"
    return found[0][1]


# --- configs that describe their weights pass ------------------------------------------------------

CONSISTENT = [
    pytest.param(decoder_config("LlamaForCausalLM", "llama"), decoder(), id="llama"),
    pytest.param(decoder_config("MistralForCausalLM", "mistral"), decoder(), id="mistral"),
    pytest.param(decoder_config("MixtralForCausalLM", "mixtral"), decoder(), id="mixtral"),
    pytest.param(decoder_config("Qwen2ForCausalLM", "qwen2"), decoder(), id="qwen2"),
    # Qwen3 and GPT-OSS name a head size that is not hidden_size / heads.
    pytest.param(
        decoder_config("Qwen3ForCausalLM", "qwen3", head_dim=32),
        decoder(head_dim=32),
        id="qwen3-explicit-head-dim",
    ),
    pytest.param(
        decoder_config("Qwen3MoeForCausalLM", "qwen3_moe", head_dim=32, num_key_value_heads=1),
        decoder(head_dim=32, kv_heads=1),
        id="qwen3-moe",
    ),
    pytest.param(
        decoder_config("GptOssForCausalLM", "gpt_oss", head_dim=8, num_attention_heads=8, num_key_value_heads=8),
        decoder(head_dim=8, heads=8, kv_heads=8),
        id="gpt-oss",
    ),
    # head_dim: null means "derived", as Hugging Face reads it.
    pytest.param(decoder_config("LlamaForCausalLM", "llama", head_dim=None), decoder(), id="llama-derived-head"),
    # Tied embeddings: no lm_head tensor at all.
    pytest.param(
        decoder_config("LlamaForCausalLM", "llama", tie_word_embeddings=True),
        decoder(lm_head=None),
        id="llama-tied",
    ),
    # Mllama: the embedding has 8 rows for image tokens beyond vocab_size; the settings are in text_config.
    pytest.param(
        {
            "architectures": ["MllamaForConditionalGeneration"],
            "model_type": "mllama",
            "text_config": {
                "model_type": "mllama_text_model",
                "hidden_size": 64,
                "num_hidden_layers": 2,
                "num_attention_heads": 4,
                "num_key_value_heads": 2,
                "vocab_size": 96,
                "max_position_embeddings": 4096,
            },
            "vision_config": {"hidden_size": 32, "num_hidden_layers": 3},
        },
        {
            **decoder(prefix="language_model.model.", lm_head="language_model.lm_head.weight", embed_extra_rows=8),
            "vision_model.transformer.layers.0.mlp.fc1.weight": ("BF16", [8, 32]),
            "vision_model.transformer.layers.2.mlp.fc1.weight": ("BF16", [8, 32]),
        },
        id="mllama-legacy-names",
    ),
    pytest.param(
        {
            "architectures": ["MllamaForConditionalGeneration"],
            "model_type": "mllama",
            "text_config": {"hidden_size": 64, "num_hidden_layers": 2, "num_attention_heads": 4, "vocab_size": 96},
        },
        decoder(prefix="model.language_model.", kv_heads=4, embed_extra_rows=8),
        id="mllama-new-names",
    ),
    pytest.param(
        decoder_config("Qwen2VLForConditionalGeneration", "qwen2_vl"),
        {**decoder(prefix="model.language_model."), "model.visual.blocks.0.attn.qkv.weight": ("BF16", [6, 2])},
        id="qwen2-vl-new-names",
    ),
    pytest.param(
        decoder_config("Qwen2_5_VLForConditionalGeneration", "qwen2_5_vl"),
        {**decoder(), "visual.blocks.0.attn.qkv.weight": ("BF16", [6, 2])},
        id="qwen2.5-vl-legacy-names",
    ),
]


@pytest.mark.parametrize(("config", "tensors"), CONSISTENT)
def test_a_config_that_describes_its_weights_passes(tmp_path: Path, config: dict[str, Any], tensors: Tensors) -> None:
    write_model_folder(tmp_path, config=config, tensors=tensors)
    report = check(tmp_path)
    assert errors(report) == []


# --- the defects: a config from another model size -------------------------------------------------


def test_more_layers_in_the_config_than_in_the_weights(tmp_path: Path) -> None:
    write_model_folder(tmp_path, config=decoder_config("LlamaForCausalLM", "llama", num_hidden_layers=32))
    message = only_error(check(tmp_path), "config-layers-mismatch")
    assert "num_hidden_layers is 32 but the weights hold 2 layers" in message
    assert "`model.layers.N.` with N up to 1" in message


def test_fewer_layers_in_the_config_than_in_the_weights(tmp_path: Path) -> None:
    write_model_folder(
        tmp_path, config=decoder_config("Qwen2ForCausalLM", "qwen2", num_hidden_layers=1), tensors=decoder(layers=3)
    )
    assert "num_hidden_layers is 1 but the weights hold 3 layers" in only_error(
        check(tmp_path), "config-layers-mismatch"
    )


def test_a_layer_missing_in_the_middle_is_named(tmp_path: Path) -> None:
    tensors = {
        name: spec
        for name, spec in decoder(layers=4).items()
        if not name.startswith(("model.layers.1.", "model.layers.2."))
    }
    write_model_folder(
        tmp_path, config=decoder_config("LlamaForCausalLM", "llama", num_hidden_layers=4), tensors=tensors
    )
    assert "no tensors for layer(s) 1, 2" in only_error(check(tmp_path), "config-layers-mismatch")


def test_a_hidden_size_the_tensors_do_not_have(tmp_path: Path) -> None:
    # hidden_size 128 beside width-64 tensors; heads 4 x derived 32 would also miss q_proj, but one cause, one error.
    write_model_folder(tmp_path, config=decoder_config("MistralForCausalLM", "mistral", hidden_size=128))
    message = only_error(check(tmp_path), "config-hidden-size-mismatch")
    assert "hidden_size is 128 but `model.embed_tokens.weight` (model.safetensors) is 64 wide" in message


def test_a_vocabulary_size_the_embedding_does_not_have(tmp_path: Path) -> None:
    write_model_folder(tmp_path, config=decoder_config("LlamaForCausalLM", "llama", vocab_size=128256))
    message = only_error(check(tmp_path), "config-vocab-size-mismatch")
    assert "vocab_size is 128256 but `model.embed_tokens.weight` (model.safetensors) has 96 rows" in message


def test_the_lm_head_alone_can_contradict_the_vocabulary(tmp_path: Path) -> None:
    tensors = decoder()
    tensors["lm_head.weight"] = ("BF16", [100, 64])
    write_model_folder(tmp_path, config=decoder_config("LlamaForCausalLM", "llama"), tensors=tensors)
    assert "`lm_head.weight` (model.safetensors) has 100 rows" in only_error(
        check(tmp_path), "config-vocab-size-mismatch"
    )


def test_attention_heads_that_do_not_fit_the_query_projection(tmp_path: Path) -> None:
    # head_dim 32 where the tensors have 16: both projections contradict it, each is named.
    write_model_folder(tmp_path, config=decoder_config("Qwen3ForCausalLM", "qwen3", head_dim=32), tensors=decoder())
    report = check(tmp_path)
    assert [rule for rule, _ in errors(report)] == ["config-heads-mismatch"] * 2
    assert "num_key_value_heads 2 x head size 32 (head_dim) = 64 rows" in report.errors[1].message
    message = report.errors[0].message
    assert "num_attention_heads 4 x head size 32 (head_dim) = 128 rows" in message
    assert "`model.layers.0.self_attn.q_proj.weight` (model.safetensors) has 64" in message


def test_key_value_heads_that_do_not_fit_the_key_projection(tmp_path: Path) -> None:
    write_model_folder(
        tmp_path, config=decoder_config("LlamaForCausalLM", "llama", num_key_value_heads=4), tensors=decoder()
    )
    message = only_error(check(tmp_path), "config-heads-mismatch")
    assert "num_key_value_heads 4 x head size 16 (hidden_size / num_attention_heads) = 64 rows" in message
    assert "self_attn.k_proj.weight" in message


def test_the_finding_names_the_shard_that_holds_the_tensor(tmp_path: Path) -> None:
    write_model_folder(tmp_path, config=decoder_config("LlamaForCausalLM", "llama", vocab_size=32000), shards=3)
    message = only_error(check(tmp_path), "config-vocab-size-mismatch")
    assert "`model.embed_tokens.weight` (model-00001-of-00003.safetensors)" in message


def test_several_contradictions_are_each_reported(tmp_path: Path) -> None:
    config = decoder_config("LlamaForCausalLM", "llama", num_hidden_layers=32, hidden_size=4096, vocab_size=128256)
    write_model_folder(tmp_path, config=config)
    report = check(tmp_path)
    assert [rule for rule, _ in errors(report)] == [
        "config-layers-mismatch",
        "config-hidden-size-mismatch",
        "config-vocab-size-mismatch",
    ]


def test_multimodal_text_config_values_are_the_ones_checked(tmp_path: Path) -> None:
    config = {
        "architectures": ["MllamaForConditionalGeneration"],
        "model_type": "mllama",
        "text_config": {"hidden_size": 64, "num_hidden_layers": 40, "vocab_size": 96},
    }
    write_model_folder(tmp_path, config=config, tensors=decoder(prefix="model.language_model.", embed_extra_rows=8))
    message = only_error(check(tmp_path), "config-layers-mismatch")
    assert "`model.language_model.layers.N.`" in message


# --- Flan-T5 and GPTBigCode name their tensors differently ---------------------------------------


def t5(
    *, encoder_layers: int = 2, decoder_layers: int = 2, d_model: int = 32, heads: int = 4, d_kv: int = 16
) -> Tensors:
    tensors: Tensors = {"shared.weight": ("F32", [64, d_model]), "lm_head.weight": ("F32", [64, d_model])}
    for stack, count in (("encoder", encoder_layers), ("decoder", decoder_layers)):
        for index in range(count):
            attention = f"{stack}.block.{index}.layer.0.SelfAttention."
            for part in "qkv":
                tensors[attention + part + ".weight"] = ("F32", [heads * d_kv, d_model])
            tensors[attention + "o.weight"] = ("F32", [d_model, heads * d_kv])
    return tensors


T5_CONFIG = {
    "architectures": ["T5ForConditionalGeneration"],
    "model_type": "t5",
    "d_model": 32,
    "d_kv": 16,
    "num_heads": 4,
    "num_layers": 2,
    "num_decoder_layers": 2,
    "vocab_size": 64,
    "n_positions": 512,
}


def test_a_consistent_flan_t5_passes(tmp_path: Path) -> None:
    write_model_folder(tmp_path, config=T5_CONFIG, tensors=t5())
    assert errors(check(tmp_path)) == []


def test_flan_t5_decoder_layers_default_to_the_encoder_count(tmp_path: Path) -> None:
    config = {key: value for key, value in T5_CONFIG.items() if key != "num_decoder_layers"}
    write_model_folder(tmp_path, config=config, tensors=t5(decoder_layers=3))
    message = only_error(check(tmp_path), "config-layers-mismatch")
    assert "num_layers is 2 but the weights hold 3 layers (`decoder.block.N.`" in message


def test_flan_t5_heads_use_d_kv(tmp_path: Path) -> None:
    write_model_folder(tmp_path, config={**T5_CONFIG, "d_kv": 8}, tensors=t5())
    report = check(tmp_path)
    assert {rule for rule, _ in errors(report)} == {"config-heads-mismatch"}
    assert "num_heads 4 x head size 8 (d_kv) = 32 rows" in report.errors[0].message


def test_gptbigcode_hidden_size_is_n_embd(tmp_path: Path) -> None:
    config = {
        "architectures": ["GPTBigCodeForCausalLM"],
        "model_type": "gpt_bigcode",
        "n_embd": 48,
        "n_layer": 2,
        "n_head": 4,
        "vocab_size": 80,
        "n_positions": 2048,
    }
    tensors: Tensors = {
        "transformer.wte.weight": ("F16", [80, 32]),
        "transformer.h.0.attn.c_attn.weight": ("F16", [48, 32]),
        "transformer.h.1.attn.c_attn.weight": ("F16", [48, 32]),
    }
    write_model_folder(tmp_path, config=config, tensors=tensors)
    assert "n_embd is 48 but `transformer.wte.weight`" in only_error(check(tmp_path), "config-hidden-size-mismatch")
    write_model_folder(tmp_path, config={**config, "n_embd": 32}, tensors=tensors)
    assert errors(check(tmp_path)) == []


# --- never a false error ---------------------------------------------------------------------------


def test_unknown_tensor_naming_is_not_checked(tmp_path: Path) -> None:
    tensors = {name.replace("model.", "backbone."): spec for name, spec in decoder().items()}
    write_model_folder(
        tmp_path, config=decoder_config("LlamaForCausalLM", "llama", num_hidden_layers=32), tensors=tensors
    )
    assert errors(check(tmp_path)) == []


def test_keys_the_config_leaves_out_are_not_guessed(tmp_path: Path) -> None:
    # Mistral's default num_key_value_heads is 8, Llama's is num_attention_heads: without the key, no check.
    config = decoder_config(
        "MistralForCausalLM",
        "mistral",
        num_key_value_heads=None,
        vocab_size=None,
        num_hidden_layers=None,
        hidden_size=None,
    )
    write_model_folder(tmp_path, config=config, tensors=decoder(kv_heads=1))
    assert errors(check(tmp_path)) == []


def test_quantized_tensors_are_left_to_the_dtype_rule(tmp_path: Path) -> None:
    # 4-bit packed weights have other shapes than the config describes; the dtype error is the one to fix.
    tensors = decoder()
    tensors["model.layers.0.self_attn.q_proj.weight"] = ("U8", [32, 64])
    tensors["model.embed_tokens.weight"] = ("U8", [48, 64])
    write_model_folder(tmp_path, config=decoder_config("LlamaForCausalLM", "llama"), tensors=tensors)
    assert [rule for rule, _ in errors(check(tmp_path))] == ["safetensors-dtype-unsupported"]


def test_an_unsupported_architecture_is_not_checked(tmp_path: Path) -> None:
    write_model_folder(
        tmp_path, config=decoder_config("PhiForCausalLM", "phi", num_hidden_layers=32), tensors=decoder()
    )
    assert [rule for rule, _ in errors(check(tmp_path))] == ["architecture-unsupported"]


def test_an_unreadable_shard_suspends_the_layer_count(tmp_path: Path) -> None:
    write_model_folder(
        tmp_path, config=decoder_config("LlamaForCausalLM", "llama"), tensors=decoder(layers=2), shards=2
    )
    (tmp_path / "model-00002-of-00002.safetensors").write_bytes(b"\xff" * 16)
    assert "config-layers-mismatch" not in {rule for rule, _ in errors(check(tmp_path))}


@pytest.mark.parametrize("value", ["32", 0, -1, True, 2.0, [2]])
def test_a_key_that_is_not_a_positive_integer_is_not_compared(tmp_path: Path, value: object) -> None:
    write_model_folder(tmp_path, config=decoder_config("LlamaForCausalLM", "llama", num_hidden_layers=value))
    assert "config-layers-mismatch" not in {rule for rule, _ in errors(check(tmp_path))}


# --- the CLI ----------------------------------------------------------------------------------------


def test_validate_model_is_not_importable_when_config_contradicts_the_weights(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    from tuneline.cli import main

    write_model_folder(tmp_path, config=decoder_config("LlamaForCausalLM", "llama", num_hidden_layers=32))
    code = main(["validate-model", str(tmp_path)])
    out = capsys.readouterr().out
    assert code == 1
    assert out.startswith("NOT IMPORTABLE: 1 error(s)")
    assert "[config-layers-mismatch]" in out and "num_hidden_layers is 32" in out
