"""Files beside (or instead of) the safetensors weights that Bedrock does not read, and what each one is.

A training output folder holds more than the model: the Trainer's pickled arguments and optimizer
state, PyTorch pickle weights saved by older code, exports for other frameworks. Each kind gets its
own message, because the fix differs: trainer state is simply removed, pickle weights are converted.
"""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass

# What `Trainer` (and Accelerate) write into a checkpoint folder besides the model, by file name stem.
TRAINER_STATE_STEMS = {
    "training_args": "the Trainer's arguments",
    "optimizer": "optimizer state",
    "scheduler": "learning-rate scheduler state",
    "scaler": "mixed-precision scaler state",
}
TRAINER_STATE_PREFIXES = {"rng_state": "random-number generator state"}  # rng_state_0.pth per process

PICKLE_SUFFIXES = (".bin", ".pt", ".pth", ".ckpt")
# Suffix -> what the file is, for weight formats of other frameworks.
FRAMEWORK_SUFFIXES = {".gguf": "GGUF (llama.cpp)", ".h5": "TensorFlow", ".msgpack": "Flax"}
# The from_pretrained() argument that reads each framework's weights into PyTorch.
FRAMEWORK_LOAD_ARGUMENTS = {".h5": "from_tf=True", ".msgpack": "from_flax=True"}


@dataclass(frozen=True)
class OtherFiles:
    """Non-safetensors files, sorted into what they are."""

    trainer_state: list[str]
    pickle_weights: list[str]
    framework_weights: list[str]

    @property
    def weights(self) -> list[str]:
        return self.pickle_weights + self.framework_weights


def classify(names: Iterable[str]) -> OtherFiles:
    trainer_state: list[str] = []
    pickle_weights: list[str] = []
    framework_weights: list[str] = []
    for name in sorted(names):
        base = name.rsplit("/", 1)[-1]
        suffix = _suffix(base)
        if suffix in PICKLE_SUFFIXES and _trainer_state_kind(base) is not None:
            trainer_state.append(name)
        elif suffix in PICKLE_SUFFIXES:
            pickle_weights.append(name)
        elif suffix in FRAMEWORK_SUFFIXES:
            framework_weights.append(name)
    return OtherFiles(trainer_state, pickle_weights, framework_weights)


def trainer_state_message(files: list[str]) -> str:
    shown = ", ".join(f"{name} ({_trainer_state_kind(name.rsplit('/', 1)[-1])})" for name in files[:4])
    more = f" and {len(files) - 4} more" if len(files) > 4 else ""
    return (
        f"trainer checkpoint state, not model weights: {shown}{more}; Bedrock does not read these pickles: "
        "leave them out of the upload"
    )


def other_weights_message(files: list[str]) -> str:
    kinds = ", ".join(sorted({_describe(name) for name in files}))
    return (
        f"{len(files)} weight file(s) in another format ({kinds}; e.g. {files[0]}) beside the safetensors "
        "weights; Bedrock reads only *.safetensors: leave them out of the upload to keep it small"
    )


def conversion_message(files: OtherFiles, class_name: str) -> str:
    """Why a folder without safetensors is not importable, and the command that fixes it."""
    if files.pickle_weights or any(_suffix(name) in FRAMEWORK_LOAD_ARGUMENTS for name in files.framework_weights):
        first = (files.pickle_weights or files.framework_weights)[0]
        load_arguments = ["'DIR'", "torch_dtype='auto'"]
        if not files.pickle_weights:
            load_arguments.append(FRAMEWORK_LOAD_ARGUMENTS[_suffix(first)])
        command = (
            f'python -c "import transformers as t; t.{class_name}.from_pretrained({", ".join(load_arguments)})'
            ".save_pretrained('DIR', safe_serialization=True)\""
        )
        return (
            f"no .safetensors weights, only {_describe(first)} weights ({first}); Bedrock imports safetensors "
            f"only: convert them with {command} (DIR is this folder), then remove the old weight files "
            "(and their index file, if any)"
        )
    if files.framework_weights:
        first = files.framework_weights[0]
        return (
            f"no .safetensors weights, only {_describe(first)} weights ({first}), usually quantized; Bedrock "
            "imports full-precision safetensors only: import the original Hugging Face model the file was "
            "made from"
        )
    if files.trainer_state:
        return (
            f"no .safetensors weights, only trainer checkpoint state ({files.trainer_state[0]}), which is not a "
            "model: save the model itself with save_pretrained() into this folder"
        )
    return "no .safetensors weights; save the model with save_pretrained() and upload the weight files"


def _trainer_state_kind(base: str) -> str | None:
    stem = base.rsplit(".", 1)[0]
    if stem in TRAINER_STATE_STEMS:
        return TRAINER_STATE_STEMS[stem]
    return next((kind for prefix, kind in TRAINER_STATE_PREFIXES.items() if stem.startswith(prefix)), None)


def _describe(name: str) -> str:
    suffix = _suffix(name)
    return "PyTorch pickle" if suffix in PICKLE_SUFFIXES else FRAMEWORK_SUFFIXES.get(suffix, suffix)


def _suffix(name: str) -> str:
    base = name.rsplit("/", 1)[-1]
    return "." + base.rsplit(".", 1)[-1].lower() if "." in base else ""
