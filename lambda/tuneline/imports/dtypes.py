"""The one table of tensor dtypes: their size, and which ones Bedrock Custom Model Import accepts.

docs/bedrock.md §7 lists no accepted dtypes (only "*.safetensors weights"), so this list is a judgement, not
a documented limit: Bedrock imports full-precision or half-precision weights (FP32, FP16, BF16).
Quantized checkpoints (bitsandbytes int8/4-bit packed U8, GPTQ/AWQ packed I32, FP8, FP4/FP6) are not
importable: merge the adapters and save the model in BF16 or FP16. The one exception is GPT-OSS, which
§7 lists as importable and which OpenAI publishes only with MXFP4 MoE expert weights, stored in
safetensors as U8 `*_blocks` (two 4-bit values per byte) and U8 `*_scales` tensors, with
`quant_method: mxfp4` in `config.json`.
"""

from __future__ import annotations

from dataclasses import dataclass

# Bits per element for every dtype the safetensors format defines.
DTYPE_BITS: dict[str, int] = {
    "BOOL": 8,
    "U8": 8,
    "I8": 8,
    "F8_E4M3": 8,
    "F8_E5M2": 8,
    "F8_E8M0": 8,
    "I16": 16,
    "U16": 16,
    "F16": 16,
    "BF16": 16,
    "I32": 32,
    "U32": 32,
    "F32": 32,
    "F64": 64,
    "I64": 64,
    "U64": 64,
    "C64": 64,
    "F4": 4,
    "F6_E2M3": 6,
    "F6_E3M2": 6,
}

ACCEPTED_DTYPES = frozenset({"F32", "F16", "BF16"})


@dataclass(frozen=True)
class PackedWeightsException:
    """Packed low-precision tensors one architecture is allowed to ship, and how to recognise them."""

    dtypes: frozenset[str]
    tensor_name_suffixes: tuple[str, ...]
    quant_method: str
    # Model parameters stored per element of a packed tensor, keyed by tensor name suffix; a suffix
    # mapped to 0 holds scales, not parameters.
    parameters_per_element: dict[str, int]


PACKED_WEIGHTS_BY_FAMILY: dict[str, PackedWeightsException] = {
    "GPT-OSS": PackedWeightsException(
        dtypes=frozenset({"U8"}),
        tensor_name_suffixes=("_blocks", "_scales"),
        quant_method="mxfp4",
        parameters_per_element={"_blocks": 2, "_scales": 0},
    ),
}


def packed_exception(family: str | None) -> PackedWeightsException | None:
    return PACKED_WEIGHTS_BY_FAMILY.get(family) if family else None


def is_accepted(dtype: str, tensor_name: str, family: str | None) -> bool:
    if dtype in ACCEPTED_DTYPES:
        return True
    exception = packed_exception(family)
    return exception is not None and dtype in exception.dtypes and tensor_name.endswith(exception.tensor_name_suffixes)


def parameters_in(tensor_name: str, dtype: str, element_count: int, family: str | None) -> int:
    """How many model parameters a tensor holds (packed tensors hold more, or none, per element)."""
    exception = packed_exception(family)
    if exception is not None and dtype in exception.dtypes:
        for suffix, per_element in exception.parameters_per_element.items():
            if tensor_name.endswith(suffix):
                return element_count * per_element
    return element_count


def accepted_quant_method(family: str | None) -> str | None:
    """The `quantization_config.quant_method` an architecture may declare, if any."""
    exception = packed_exception(family)
    return exception.quant_method if exception else None
