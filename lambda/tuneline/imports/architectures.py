"""Which Hugging Face architectures Bedrock Custom Model Import accepts, and the folder limits.

Kept as data so a newly supported architecture is a one-line change. Source: the Bedrock user guide
page "Import a customized model" (supported architectures, size and context limits), as summarised in
docs/bedrock.md §7.
"""

from __future__ import annotations

from dataclasses import dataclass


@dataclass(frozen=True)
class Architecture:
    """One importable model family, identified by `config.json` `architectures[0]` and `model_type`."""

    family: str
    class_names: frozenset[str]
    model_types: frozenset[str]
    multimodal: bool = False


SUPPORTED_ARCHITECTURES: tuple[Architecture, ...] = (
    # Llama 2, 3, 3.1, 3.2 (text) and 3.3 all use the same class.
    Architecture("Llama", frozenset({"LlamaForCausalLM"}), frozenset({"llama"})),
    Architecture("Mllama", frozenset({"MllamaForConditionalGeneration"}), frozenset({"mllama"}), multimodal=True),
    Architecture("Mistral", frozenset({"MistralForCausalLM"}), frozenset({"mistral"})),
    Architecture("Mixtral", frozenset({"MixtralForCausalLM"}), frozenset({"mixtral"})),
    Architecture("Flan-T5", frozenset({"T5ForConditionalGeneration"}), frozenset({"t5"})),
    Architecture("GPTBigCode", frozenset({"GPTBigCodeForCausalLM"}), frozenset({"gpt_bigcode"})),
    # Qwen2 and Qwen2.5 share the Qwen2 classes.
    Architecture("Qwen2", frozenset({"Qwen2ForCausalLM"}), frozenset({"qwen2"})),
    Architecture("Qwen2-VL", frozenset({"Qwen2VLForConditionalGeneration"}), frozenset({"qwen2_vl"}), multimodal=True),
    Architecture(
        "Qwen2.5-VL",
        frozenset({"Qwen2_5_VLForConditionalGeneration"}),
        frozenset({"qwen2_5_vl"}),
        multimodal=True,
    ),
    # Only these two Qwen3 classes; Qwen3 vision and other heads are not importable.
    Architecture("Qwen3", frozenset({"Qwen3ForCausalLM"}), frozenset({"qwen3"})),
    Architecture("Qwen3-MoE", frozenset({"Qwen3MoeForCausalLM"}), frozenset({"qwen3_moe"})),
    Architecture("GPT-OSS", frozenset({"GptOssForCausalLM"}), frozenset({"gpt_oss"})),
)

# The documented limit is "< 128K", one limit for every architecture (docs/bedrock.md §7). Stock Llama
# 3.1/3.2/3.3 and GPT-OSS configs, all listed as importable, declare exactly 131072 (= 128 * 1024)
# positions, so a strict "< 131072" would reject every unmodified model of those families. We read
# "128K" as the largest allowed value.
MAX_CONTEXT_LENGTH = 128 * 1024

# Keys different architectures use for their maximum sequence length, in the order we prefer them.
CONTEXT_LENGTH_KEYS = ("max_position_embeddings", "n_positions", "max_sequence_length", "seq_length")

# Multimodal configs (Mllama, newer Qwen-VL) keep the language model's settings in a sub-config.
TEXT_SUB_CONFIG_KEYS = ("text_config", "language_config", "llm_config")

# Bedrock replaces the `rope_scaling` of Llama 3 models with these values (user guide, "Import a
# customized model"), whatever config.json declares. Stock Llama 3.1, 3.3 and Mllama configs match them;
# Llama 3.2 1B/3B (factor 32) and context-extended fine-tunes do not.
LLAMA3_ROPE_SCALING_OVERRIDE: dict[str, float] = {
    "factor": 8.0,
    "low_freq_factor": 1.0,
    "high_freq_factor": 4.0,
    "original_max_position_embeddings": 8192,
}
LLAMA3_ROPE_TYPE = "llama3"
ROPE_SCALING_OVERRIDDEN_FAMILIES = frozenset({"Llama", "Mllama"})

# Weight limits are "< 200 GB" for text and "< 100 GB" for multimodal models (docs/bedrock.md §7, which says
# GB, not GiB). We count decimal gigabytes (10**9 bytes), the unit written and the stricter reading: a
# folder that passes here passes either reading.
GIGABYTE = 1000**3
MAX_TEXT_WEIGHT_BYTES = 200 * GIGABYTE
MAX_MULTIMODAL_WEIGHT_BYTES = 100 * GIGABYTE

# Heads that make a model something other than a generator; named so the finding can say why.
_NON_GENERATIVE_SUFFIXES = (
    "Model",
    "ForSequenceClassification",
    "ForTokenClassification",
    "ForQuestionAnswering",
    "ForMaskedLM",
    "EncoderModel",
)

_BY_CLASS_NAME = {name: arch for arch in SUPPORTED_ARCHITECTURES for name in arch.class_names}
_BY_MODEL_TYPE = {model_type: arch for arch in SUPPORTED_ARCHITECTURES for model_type in arch.model_types}


def architecture_for_class(class_name: str) -> Architecture | None:
    return _BY_CLASS_NAME.get(class_name)


def architecture_for_model_type(model_type: str) -> Architecture | None:
    return _BY_MODEL_TYPE.get(model_type)


def looks_like_embedding_or_classifier(class_name: str) -> bool:
    """True for classes such as `BertModel`, `Qwen2Model` or `LlamaForSequenceClassification`."""
    return class_name.endswith(_NON_GENERATIVE_SUFFIXES)


def supported_class_names() -> list[str]:
    return sorted(_BY_CLASS_NAME)


def max_weight_bytes(architecture: Architecture | None) -> int:
    if architecture is not None and architecture.multimodal:
        return MAX_MULTIMODAL_WEIGHT_BYTES
    return MAX_TEXT_WEIGHT_BYTES
