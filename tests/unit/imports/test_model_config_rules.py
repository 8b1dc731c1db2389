"""config.json rules as a table: which architectures import, and how context and versions are read."""

from __future__ import annotations

from typing import Any

import pytest

from tuneline.findings import Report
from tuneline.imports.architectures import SUPPORTED_ARCHITECTURES
from tuneline.imports.model_config import ConfigFacts, evaluate_config


def evaluate(config: dict[str, Any]) -> tuple[ConfigFacts, Report]:
    report = Report()
    return evaluate_config(config, report), report


SUPPORTED = [
    ("LlamaForCausalLM", "llama", "Llama", False),
    ("MllamaForConditionalGeneration", "mllama", "Mllama", True),
    ("MistralForCausalLM", "mistral", "Mistral", False),
    ("MixtralForCausalLM", "mixtral", "Mixtral", False),
    ("T5ForConditionalGeneration", "t5", "Flan-T5", False),
    ("GPTBigCodeForCausalLM", "gpt_bigcode", "GPTBigCode", False),
    ("Qwen2ForCausalLM", "qwen2", "Qwen2", False),
    ("Qwen2VLForConditionalGeneration", "qwen2_vl", "Qwen2-VL", True),
    ("Qwen2_5_VLForConditionalGeneration", "qwen2_5_vl", "Qwen2.5-VL", True),
    ("Qwen3ForCausalLM", "qwen3", "Qwen3", False),
    ("Qwen3MoeForCausalLM", "qwen3_moe", "Qwen3-MoE", False),
    ("GptOssForCausalLM", "gpt_oss", "GPT-OSS", False),
]


@pytest.mark.parametrize(("class_name", "model_type", "family", "multimodal"), SUPPORTED)
def test_every_documented_architecture_is_importable(
    class_name: str, model_type: str, family: str, multimodal: bool
) -> None:
    facts, report = evaluate(
        {"architectures": [class_name], "model_type": model_type, "max_position_embeddings": 32768}
    )

    assert report.errors == [] and report.warnings == []
    assert facts.family == family
    assert facts.architecture is not None and facts.architecture.multimodal is multimodal


def test_the_table_holds_exactly_the_documented_architectures() -> None:
    table = {name for arch in SUPPORTED_ARCHITECTURES for name in arch.class_names}

    assert table == {class_name for class_name, *_ in SUPPORTED}


@pytest.mark.parametrize(
    ("class_name", "model_type"),
    [
        ("Qwen3VLForConditionalGeneration", "qwen3_vl"),
        ("Qwen3ForSequenceClassification", "qwen3"),
        ("LlamaModel", "llama"),
        ("BertModel", "bert"),
        ("GemmaForCausalLM", "gemma"),
        ("Llama4ForConditionalGeneration", "llama4"),
        ("Phi3ForCausalLM", "phi3"),
    ],
)
def test_other_architectures_and_heads_are_unsupported(class_name: str, model_type: str) -> None:
    facts, report = evaluate({"architectures": [class_name], "model_type": model_type})

    assert [f.rule for f in report.errors] == ["architecture-unsupported"]
    assert facts.architecture is None
    assert facts.architecture_class == class_name


def test_a_config_without_architectures_is_inferred_from_model_type_with_a_warning() -> None:
    facts, report = evaluate({"model_type": "mistral", "max_position_embeddings": 32768})

    assert report.errors == []
    assert [f.rule for f in report.warnings] == ["architectures-missing"]
    assert "MistralForCausalLM" in report.warnings[0].message
    assert facts.architecture_class == "MistralForCausalLM"


def test_a_config_naming_no_architecture_at_all_is_unsupported() -> None:
    _, report = evaluate({"hidden_size": 8})

    assert [f.rule for f in report.errors] == ["architecture-unsupported"]
    assert "no `architectures` and no `model_type` either" in report.errors[0].message
    assert "save_pretrained()" in report.errors[0].message


@pytest.mark.parametrize("architectures", ["LlamaForCausalLM", [], [1]])
def test_malformed_architectures_are_invalid(architectures: Any) -> None:
    _, report = evaluate({"architectures": architectures, "model_type": "llama"})

    assert [f.rule for f in report.errors] == ["config-invalid"]


def test_a_model_type_from_another_family_is_a_warning() -> None:
    _, report = evaluate(
        {"architectures": ["LlamaForCausalLM"], "model_type": "mistral", "max_position_embeddings": 4096}
    )

    assert report.errors == []
    assert [f.rule for f in report.warnings] == ["architecture-model-type-mismatch"]


@pytest.mark.parametrize(
    ("context_keys", "expected"),
    [
        ({"max_position_embeddings": 4096}, 4096),
        ({"n_positions": 8192}, 8192),
        ({"max_sequence_length": 2048}, 2048),
        ({"seq_length": 1024}, 1024),
        ({"max_position_embeddings": 4096, "text_config": {"max_position_embeddings": 131072}}, 131072),
        ({"max_position_embeddings": None, "seq_length": 2048}, 2048),
    ],
)
def test_context_length_is_the_largest_declared_maximum(context_keys: dict[str, Any], expected: int) -> None:
    facts, report = evaluate({"architectures": ["LlamaForCausalLM"], "model_type": "llama", **context_keys})

    assert report.errors == []
    assert facts.context_length == expected


@pytest.mark.parametrize("value", ["4096", 0, -1, 4096.5, True])
def test_a_context_length_that_is_not_a_positive_integer_is_invalid(value: Any) -> None:
    _, report = evaluate({"architectures": ["LlamaForCausalLM"], "max_position_embeddings": value})

    assert [f.rule for f in report.errors] == ["config-invalid"]
    assert "max_position_embeddings" in report.errors[0].message
    # The key is declared, only wrongly: no second finding claiming it is absent.
    assert report.warnings == []


def test_an_undeclared_context_length_warns_except_for_t5() -> None:
    _, llama = evaluate({"architectures": ["LlamaForCausalLM"], "model_type": "llama"})
    _, t5 = evaluate({"architectures": ["T5ForConditionalGeneration"], "model_type": "t5"})

    assert [f.rule for f in llama.warnings] == ["context-length-unknown"]
    assert t5.warnings == []


@pytest.mark.parametrize(("version", "warns"), [("4.51.3", False), ("4.57.1", False), ("5.0.0", True)])
def test_configs_saved_by_a_newer_transformers_major_warn(version: str, warns: bool) -> None:
    _, report = evaluate(
        {
            "architectures": ["LlamaForCausalLM"],
            "model_type": "llama",
            "max_position_embeddings": 4096,
            "transformers_version": version,
        }
    )

    assert [f.rule for f in report.warnings] == (["transformers-version-untested"] if warns else [])


@pytest.mark.parametrize(
    "quantization",
    [{"quant_method": "gptq", "bits": 4}, {"quant_method": "awq"}, {"quant_method": "fp8"}, "int8"],
)
def test_quantized_configs_are_rejected(quantization: Any) -> None:
    _, report = evaluate(
        {"architectures": ["Qwen2ForCausalLM"], "max_position_embeddings": 4096, "quantization_config": quantization}
    )

    assert [f.rule for f in report.errors] == ["config-quantized"]


LLAMA3_ROPE = {
    "factor": 8.0,
    "low_freq_factor": 1.0,
    "high_freq_factor": 4.0,
    "original_max_position_embeddings": 8192,
    "rope_type": "llama3",
}


@pytest.mark.parametrize(
    ("config", "warned_key"),
    [
        # Stock Llama 3.1 / 3.3, Llama 2 and Llama 3.0 (no scaling), Mllama: nothing to say.
        ({"architectures": ["LlamaForCausalLM"], "rope_scaling": LLAMA3_ROPE}, None),
        ({"architectures": ["LlamaForCausalLM"], "rope_scaling": None}, None),
        ({"architectures": ["LlamaForCausalLM"]}, None),
        ({"architectures": ["MllamaForConditionalGeneration"], "text_config": {"rope_scaling": LLAMA3_ROPE}}, None),
        # Llama 3.2 1B/3B ship factor 32; context-extended fine-tunes use other types.
        ({"architectures": ["LlamaForCausalLM"], "rope_scaling": {**LLAMA3_ROPE, "factor": 32.0}}, "rope_scaling"),
        ({"architectures": ["LlamaForCausalLM"], "rope_scaling": {"type": "linear", "factor": 2.0}}, "rope_scaling"),
        (
            {"architectures": ["MllamaForConditionalGeneration"], "text_config": {"rope_scaling": {"factor": 16}}},
            "text_config.rope_scaling",
        ),
        # Other families keep their own scaling (Qwen2.5 YaRN, GPT-OSS YaRN).
        ({"architectures": ["Qwen2ForCausalLM"], "rope_scaling": {"type": "yarn", "factor": 4.0}}, None),
        ({"architectures": ["GptOssForCausalLM"], "rope_scaling": {"rope_type": "yarn", "factor": 32.0}}, None),
    ],
)
def test_llama_rope_scaling_other_than_bedrocks_override_warns(config: dict[str, Any], warned_key: str | None) -> None:
    _, report = evaluate({**config, "max_position_embeddings": 8192})

    warned = [w for w in report.warnings if w.rule == "rope-scaling-overridden"]
    assert report.errors == []
    if warned_key is None:
        assert warned == []
    else:
        assert len(warned) == 1
        assert warned[0].message.startswith(f"`{warned_key}` is ")
        assert "factor 8" in warned[0].message
