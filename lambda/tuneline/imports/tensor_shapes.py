"""`config.json` against the tensor shapes in the safetensors headers: does the config belong to the weights?

A config copied from another size of the same family (`num_hidden_layers: 32` beside 2 layers of tensors,
`hidden_size: 4096` beside width-2048 tensors) passes every rule on its own, yet the model cannot load: the
loader builds the layers the config describes and then finds tensors of other shapes, or none (docs/bedrock.md
§7: the folder is loaded the Hugging Face way). The headers already read for the weight rules
hold every name and shape, so nothing more is read.

Checked where the architecture's tensor naming is known (`LAYOUTS`): the number of layers (the indices in
`<prefix>layers.N.`), the hidden size (columns of the embedding and of the first query projection), the
vocabulary (rows of the embedding and of the LM head) and, where the config names them, the attention heads
(rows of the query and key projections are heads x head_dim). A config key that is absent, or a tensor that
is absent or quantized, is not checked: Hugging Face fills missing keys with class defaults we do not guess,
and quantized tensors are packed in other shapes (the dtype rule reports them). Unknown naming: no check.
"""

from __future__ import annotations

import re
from collections.abc import Mapping
from dataclasses import dataclass
from typing import Any

from tuneline.findings import Report
from tuneline.imports.architectures import TEXT_SUB_CONFIG_KEYS, Architecture
from tuneline.imports.model_config import config_finding
from tuneline.imports.safetensors_header import TensorEntry

LAYERS_RULE = "config-layers-mismatch"
HIDDEN_SIZE_RULE = "config-hidden-size-mismatch"
VOCAB_SIZE_RULE = "config-vocab-size-mismatch"
HEADS_RULE = "config-heads-mismatch"
# Unquantized dtypes: their shapes are the logical shapes the config describes.
_PLAIN_DTYPES = frozenset({"F16", "BF16", "F32", "F64"})
MAX_NAMED_LAYERS = 5


@dataclass(frozen=True)
class LayerStack:
    """A numbered stack of blocks, `<prefix><part>.N.`, whose count is the config key."""

    part: str
    keys: tuple[str, ...]


@dataclass(frozen=True)
class Layout:
    """Where one architecture keeps what the config describes. `prefixes`: the text model's tensor prefixes,
    in the spellings of different transformers versions; the first one that holds the stack is used."""

    prefixes: tuple[str, ...]
    stacks: tuple[LayerStack, ...]
    embed: str
    lm_heads: tuple[str, ...]
    query: str | None = None
    key: str | None = None
    hidden_keys: tuple[str, ...] = ("hidden_size",)
    heads_keys: tuple[str, ...] = ("num_attention_heads",)
    kv_heads_keys: tuple[str, ...] = ("num_key_value_heads",)
    head_dim_keys: tuple[str, ...] = ("head_dim",)
    # Head size defaults to hidden size / heads when the config does not name it.
    head_dim_derived: bool = True
    # Mllama's embedding holds 8 extra rows (image tokens) beyond vocab_size; only its LM head counts.
    embed_rows_are_vocab: bool = True


_DECODER = Layout(
    prefixes=("model.",),
    stacks=(LayerStack("layers", ("num_hidden_layers",)),),
    embed="embed_tokens.weight",
    lm_heads=("lm_head.weight",),
    query="layers.0.self_attn.q_proj.weight",
    key="layers.0.self_attn.k_proj.weight",
)
# transformers >= 4.52 saves the language model under model.language_model.; earlier versions under model.
_VISION_LANGUAGE_DECODER = Layout(
    prefixes=("model.language_model.", "model."),
    stacks=_DECODER.stacks,
    embed=_DECODER.embed,
    lm_heads=_DECODER.lm_heads,
    query=_DECODER.query,
    key=_DECODER.key,
)
LAYOUTS: dict[str, Layout] = {
    "Llama": _DECODER,
    "Mistral": _DECODER,
    "Mixtral": _DECODER,
    "Qwen2": _DECODER,
    "Qwen3": _DECODER,
    "Qwen3-MoE": _DECODER,
    "GPT-OSS": _DECODER,
    "Qwen2-VL": _VISION_LANGUAGE_DECODER,
    "Qwen2.5-VL": _VISION_LANGUAGE_DECODER,
    # Its num_hidden_layers counts the cross-attention layers, which share the numbering.
    "Mllama": Layout(
        prefixes=("model.language_model.", "language_model.model."),
        stacks=_DECODER.stacks,
        embed=_DECODER.embed,
        lm_heads=("lm_head.weight", "language_model.lm_head.weight"),
        query=_DECODER.query,
        key=_DECODER.key,
        embed_rows_are_vocab=False,
    ),
    "Flan-T5": Layout(
        prefixes=("",),
        stacks=(
            LayerStack("encoder.block", ("num_layers",)),
            # T5Config: num_decoder_layers defaults to num_layers.
            LayerStack("decoder.block", ("num_decoder_layers", "num_layers")),
        ),
        embed="shared.weight",
        lm_heads=("lm_head.weight",),
        query="encoder.block.0.layer.0.SelfAttention.q.weight",
        key="encoder.block.0.layer.0.SelfAttention.k.weight",
        hidden_keys=("d_model",),
        heads_keys=("num_heads",),
        kv_heads_keys=("num_heads",),
        head_dim_keys=("d_kv",),
        head_dim_derived=False,
    ),
    # Query, key and value share one fused c_attn tensor: heads are not checked.
    "GPTBigCode": Layout(
        prefixes=("transformer.",),
        stacks=(LayerStack("h", ("n_layer", "num_hidden_layers")),),
        embed="wte.weight",
        lm_heads=("lm_head.weight",),
        hidden_keys=("n_embd", "hidden_size"),
    ),
}


class _Settings:
    """Config values as the text model reads them: a multimodal config's text sub-config first."""

    def __init__(self, config: Mapping[str, Any]) -> None:
        self.scopes: list[Mapping[str, Any]] = [
            sub for sub in (config.get(name) for name in TEXT_SUB_CONFIG_KEYS) if isinstance(sub, Mapping)
        ]
        self.scopes.append(config)

    def number(self, keys: tuple[str, ...]) -> tuple[str, int] | None:
        """The first of `keys` set to a positive integer, with its value; None if the first one set is not."""
        for scope in self.scopes:
            for key in keys:
                if key in scope and scope[key] is not None:
                    value = scope[key]
                    if isinstance(value, int) and not isinstance(value, bool) and value > 0:
                        return key, value
                    return None
        return None


def check_tensor_shapes(
    config: Mapping[str, Any],
    architecture: Architecture | None,
    tensors: Mapping[str, TensorEntry],
    file_of: Mapping[str, str],
    report: Report,
) -> None:
    """Errors on config.json where its sizes contradict the tensors. `tensors` must be every tensor of the
    folder (all headers read), `file_of` the weight file of each."""
    layout = LAYOUTS.get(architecture.family) if architecture else None
    if layout is None or not tensors:
        return
    prefix = _prefix(layout, tensors)
    if prefix is None:
        return  # naming of another version or export tool: no check rather than a false error
    settings = _Settings(config)
    for stack in layout.stacks:
        _check_layers(settings, stack, prefix, tensors, report)

    def plain(name: str) -> TensorEntry | None:
        tensor = tensors.get(name)
        return tensor if tensor is not None and tensor.dtype in _PLAIN_DTYPES else None

    def where(tensor: TensorEntry) -> str:
        return f"`{tensor.name}` ({file_of.get(tensor.name, 'the weights')})"

    embed = plain(prefix + layout.embed)
    query = plain(prefix + layout.query) if layout.query else None
    key = plain(prefix + layout.key) if layout.key else None
    lm_head = next((t for t in (plain(name) for name in layout.lm_heads) if t is not None), None)

    hidden = settings.number(layout.hidden_keys)
    hidden_ok = True
    if hidden is not None:
        for tensor in (embed, query):
            if tensor is not None and len(tensor.shape) == 2 and tensor.shape[1] != hidden[1]:
                hidden_ok = False
                report.errors.append(
                    config_finding(
                        HIDDEN_SIZE_RULE,
                        f"{hidden[0]} is {hidden[1]} but {where(tensor)} is {tensor.shape[1]} wide "
                        f"(shape {list(tensor.shape)}); {_BELONGS}",
                    )
                )
                break

    vocab = settings.number(("vocab_size",))
    if vocab is not None:
        rows_tensors = ((embed,) if layout.embed_rows_are_vocab else ()) + (lm_head,)
        for tensor in rows_tensors:
            if tensor is not None and len(tensor.shape) == 2 and tensor.shape[0] != vocab[1]:
                report.errors.append(
                    config_finding(
                        VOCAB_SIZE_RULE,
                        f"vocab_size is {vocab[1]} but {where(tensor)} has {tensor.shape[0]} rows "
                        f"(shape {list(tensor.shape)}); {_BELONGS}; if the tokenizer was extended, "
                        "resize_token_embeddings() before saving writes both",
                    )
                )
                break

    head_dim = settings.number(layout.head_dim_keys)
    if head_dim is None and layout.head_dim_derived and hidden_ok:
        heads = settings.number(layout.heads_keys)
        if hidden is not None and heads is not None and hidden[1] % heads[1] == 0:
            head_dim = (f"{hidden[0]} / {heads[0]}", hidden[1] // heads[1])
    if head_dim is None:
        return
    for tensor, heads_keys in ((query, layout.heads_keys), (key, layout.kv_heads_keys)):
        heads = settings.number(heads_keys)
        if tensor is None or heads is None or len(tensor.shape) != 2:
            continue
        expected = heads[1] * head_dim[1]
        if tensor.shape[0] != expected:
            report.errors.append(
                config_finding(
                    HEADS_RULE,
                    f"{heads[0]} {heads[1]} x head size {head_dim[1]} ({head_dim[0]}) = {expected} rows, but "
                    f"{where(tensor)} has {tensor.shape[0]} (shape {list(tensor.shape)}); {_BELONGS}",
                )
            )


_BELONGS = (
    "config.json does not describe these weights (copied from another model size?): save the model and its "
    "config together with save_pretrained(), or correct the key"
)


def _prefix(layout: Layout, tensors: Mapping[str, TensorEntry]) -> str | None:
    first_stack = layout.stacks[0].part + "."
    for prefix in layout.prefixes:
        stack = prefix + first_stack
        if prefix + layout.embed in tensors or any(name.startswith(stack) for name in tensors):
            return prefix
    return None


def _check_layers(
    settings: _Settings, stack: LayerStack, prefix: str, tensors: Mapping[str, TensorEntry], report: Report
) -> None:
    declared = settings.number(stack.keys)
    if declared is None:
        return
    pattern = re.compile(re.escape(prefix + stack.part) + r"\.(\d+)\.")
    found = {int(match.group(1)) for match in map(pattern.match, tensors) if match}
    if not found:
        return  # stack absent (a tied or pruned export this check does not know): not ours to judge
    key, count = declared
    spelled = f"`{prefix}{stack.part}.N.`"
    if max(found) + 1 != count:
        report.errors.append(
            config_finding(
                LAYERS_RULE,
                f"{key} is {count} but the weights hold {max(found) + 1} layers ({spelled} with N up to "
                f"{max(found)}); {_BELONGS}",
            )
        )
        return
    missing = sorted(set(range(count)) - found)
    if missing:
        named = ", ".join(map(str, missing[:MAX_NAMED_LAYERS]))
        if len(missing) > MAX_NAMED_LAYERS:
            named += f" and {len(missing) - MAX_NAMED_LAYERS} more"
        report.errors.append(
            config_finding(
                LAYERS_RULE,
                f"{key} is {count} but the weights hold no tensors for layer(s) {named} ({spelled}); upload every "
                "weight file, or save the model again with save_pretrained()",
            )
        )
