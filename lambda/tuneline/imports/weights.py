"""Rules for the `*.safetensors` weight files: readable headers, accepted dtypes, total size."""

from __future__ import annotations

from collections import Counter
from collections.abc import Callable
from dataclasses import dataclass, field

from tuneline.findings import Finding, Report
from tuneline.imports.architectures import GIGABYTE, Architecture, max_weight_bytes
from tuneline.imports.dtypes import ACCEPTED_DTYPES, is_accepted, parameters_in
from tuneline.imports.other_formats import (
    classify,
    conversion_message,
    other_weights_message,
    trainer_state_message,
)
from tuneline.imports.safetensors_header import (
    LENGTH_PREFIX_BYTES,
    HeaderError,
    SafetensorsHeader,
    TensorEntry,
    layout_problems,
    parse_header,
    parse_header_length,
)
from tuneline.imports.sources import (
    LFS_POINTER_MESSAGE,
    LFS_POINTER_PREFIX,
    LFS_POINTER_RULE,
    UNREADABLE_RULE,
    FolderSource,
    SourceReadError,
    is_lfs_pointer,
)

WEIGHTS_SUFFIX = ".safetensors"
# The class a conversion command loads when config.json names no importable one.
FALLBACK_MODEL_CLASS = "AutoModelForCausalLM"
ALL_WEIGHT_FILES = "*.safetensors"
EMPTY_FILE_RULE = "safetensors-empty"
# macOS writes "._<name>" AppleDouble files (resource forks) when it copies to a disk or archive that
# lacks them; "._model.safetensors" looks like a weight file to anything that globs *.safetensors.
APPLEDOUBLE_PREFIX = "._"
# PEFT saves a LoRA adapter under this name beside adapter_config.json: low-rank deltas for a base
# model, not the model itself. Bedrock imports full weights, so the adapter never counts as weights.
ADAPTER_WEIGHT_FILES = frozenset({"adapter_model.safetensors"})


@dataclass(frozen=True)
class WeightProgress:
    """Where the header scan is; `name` is the file about to be read ("" once all are done)."""

    files_done: int
    files_total: int
    bytes_done: int
    bytes_total: int
    name: str


ProgressCallback = Callable[[WeightProgress], None]


@dataclass
class WeightsSummary:
    weight_files: list[str] = field(default_factory=list)
    weight_bytes: int = 0
    tensor_count: int = 0
    parameter_count: int = 0
    dtypes: Counter[str] = field(default_factory=Counter)
    # Tensor names per weight file whose header could be read; the shard index is checked against it.
    tensors_by_file: dict[str, frozenset[str]] = field(default_factory=dict)
    # Every tensor read, by name (the first file's entry for a duplicate).
    tensors: dict[str, TensorEntry] = field(default_factory=dict)
    file_of: dict[str, str] = field(default_factory=dict)

    @property
    def all_headers_read(self) -> bool:
        return len(self.tensors_by_file) == len(self.weight_files)


def top_level_weight_files(files: dict[str, int]) -> list[str]:
    return sorted(
        name
        for name in files
        if name.endswith(WEIGHTS_SUFFIX)
        and "/" not in name
        and name not in ADAPTER_WEIGHT_FILES
        and not name.startswith(APPLEDOUBLE_PREFIX)
    )


def _report_appledouble_files(files: dict[str, int], report: Report) -> None:
    for name in sorted(n for n in files if n.startswith(APPLEDOUBLE_PREFIX) and n.endswith(WEIGHTS_SUFFIX)):
        report.errors.append(
            Finding(
                "weights-macos-metadata",
                "a macOS metadata file (AppleDouble resource fork), not weights, yet named like a weight file, "
                "so loaders that read every *.safetensors file fail on it: delete it "
                "(`find DIR -name '._*' -delete`) and copy or archive with COPYFILE_DISABLE=1 on macOS",
                file=name,
            )
        )


def top_level_adapter_files(files: dict[str, int]) -> list[str]:
    return sorted(name for name in files if name in ADAPTER_WEIGHT_FILES)


def check_weights(
    source: FolderSource,
    files: dict[str, int],
    architecture: Architecture | None,
    report: Report,
    progress: ProgressCallback | None = None,
) -> WeightsSummary:
    summary = WeightsSummary(weight_files=top_level_weight_files(files))
    _report_appledouble_files(files, report)
    adapters = top_level_adapter_files(files)
    if not summary.weight_files:
        if adapters:
            report.errors.append(
                Finding(
                    "weights-adapter-only",
                    "the folder holds a PEFT adapter but no model weights; Bedrock imports full models: load the "
                    "base model with the adapter, call merge_and_unload() and save_pretrained() the merged model "
                    "into this folder",
                    file=adapters[0],
                )
            )
        else:
            message = _missing_weights_message(files, architecture)
            report.errors.append(Finding("weights-missing", message, file=ALL_WEIGHT_FILES))
        return summary
    if adapters:
        report.warnings.append(
            Finding(
                "weights-adapter-present",
                "a PEFT adapter beside the model weights is not part of the model; if it is not merged into "
                "them yet, merge it (merge_and_unload()) and save again, then remove the adapter files",
                file=adapters[0],
            )
        )
    summary.weight_bytes = sum(files[name] for name in summary.weight_files)
    family = architecture.family if architecture else None
    seen_in: dict[str, str] = {}
    bytes_done = 0
    for done, name in enumerate(summary.weight_files):
        if progress is not None:
            progress(WeightProgress(done, len(summary.weight_files), bytes_done, summary.weight_bytes, name))
        bytes_done += files[name]
        header = _read_checked_header(source, name, files[name], report)
        if header is None:
            continue
        summary.tensors_by_file[name] = frozenset(t.name for t in header.tensors)
        for tensor in header.tensors:
            summary.tensors.setdefault(tensor.name, tensor)
            summary.file_of.setdefault(tensor.name, name)
        _check_dtypes(name, header, family, report)
        _check_duplicates(name, header, seen_in, report)
        summary.tensor_count += len(header.tensors)
        summary.dtypes.update(t.dtype for t in header.tensors)
        summary.parameter_count += sum(parameters_in(t.name, t.dtype, t.element_count, family) for t in header.tensors)
    if progress is not None:
        total = len(summary.weight_files)
        progress(WeightProgress(total, total, summary.weight_bytes, summary.weight_bytes, ""))
    _check_some_tensors(summary, report)
    _check_total_size(summary.weight_bytes, architecture, report)
    _warn_about_other_formats(files, report)
    return summary


def read_header(source: FolderSource, name: str, size: int) -> SafetensorsHeader:
    """Two ranged reads: the 8-byte length, then exactly the JSON header. Never the tensor data."""
    prefix = source.read_bytes(name, 0, LENGTH_PREFIX_BYTES)
    # "version " read as a length is absurd; one more small read tells an LFS pointer from corruption.
    if prefix == LFS_POINTER_PREFIX[:LENGTH_PREFIX_BYTES] and is_lfs_pointer(
        source.read_bytes(name, 0, len(LFS_POINTER_PREFIX))
    ):
        raise HeaderError(LFS_POINTER_RULE, LFS_POINTER_MESSAGE)
    length = parse_header_length(prefix, size)
    raw = source.read_bytes(name, LENGTH_PREFIX_BYTES, LENGTH_PREFIX_BYTES + length)
    if len(raw) < length:
        raise HeaderError(
            "safetensors-header-corrupt",
            f"the file ended after {len(raw)} of {length} header bytes; it changed or is truncated: upload it again",
        )
    # Sources may return more than asked for (an inclusive end); the header is exactly `length` bytes.
    return parse_header(raw[:length], length)


def _read_checked_header(source: FolderSource, name: str, size: int, report: Report) -> SafetensorsHeader | None:
    try:
        header = read_header(source, name, size)
    except HeaderError as error:
        report.errors.append(Finding(error.rule, error.message, file=name))
        return None
    except SourceReadError as error:
        report.errors.append(Finding(UNREADABLE_RULE, f"cannot be read: {error.reason}", file=name))
        return None
    for problem in layout_problems(header, size):
        report.errors.append(Finding(problem.rule, problem.message, file=name))
    if not header.tensors:
        report.warnings.append(
            Finding(EMPTY_FILE_RULE, "holds no tensors; remove it or export the model again", file=name)
        )
    return header


def _check_some_tensors(summary: WeightsSummary, report: Report) -> None:
    # Only when every header was read: an unreadable shard may hold the tensors and is reported already.
    if summary.tensor_count or len(summary.tensors_by_file) < len(summary.weight_files):
        return
    # One error for the folder replaces the per-file warnings: there is no model to import at all.
    report.warnings[:] = [w for w in report.warnings if w.rule != EMPTY_FILE_RULE]
    report.errors.append(
        Finding(
            "weights-empty",
            "the weight files hold no tensors, so there is no model to import (a save from a sharded or "
            "offloaded training run that did not gather the weights?): save the full model with "
            "save_pretrained() and upload it again",
            file=ALL_WEIGHT_FILES,
        )
    )


def _check_dtypes(name: str, header: SafetensorsHeader, family: str | None, report: Report) -> None:
    rejected = [t for t in header.tensors if not is_accepted(t.dtype, t.name, family)]
    if not rejected:
        return
    dtypes = ", ".join(sorted({t.dtype for t in rejected}))
    accepted = ", ".join(sorted(ACCEPTED_DTYPES))
    report.errors.append(
        Finding(
            "safetensors-dtype-unsupported",
            f"{len(rejected)} tensor(s) stored as {dtypes} (e.g. `{rejected[0].name}`); Bedrock imports "
            f"{accepted} weights, not quantized ones (int8, 4-bit, FP8, GPTQ, AWQ): merge adapters into the "
            "full-precision base model and save it in BF16 or FP16",
            file=name,
        )
    )


def _check_duplicates(name: str, header: SafetensorsHeader, seen_in: dict[str, str], report: Report) -> None:
    duplicates = [t.name for t in header.tensors if t.name in seen_in]
    if duplicates:
        report.errors.append(
            Finding(
                "safetensors-tensor-duplicate",
                f"{len(duplicates)} tensor(s) also stored in another file (e.g. `{duplicates[0]}` in "
                f"{seen_in[duplicates[0]]}); remove the extra copy of the weights from the folder",
                file=name,
            )
        )
    for tensor in header.tensors:
        seen_in.setdefault(tensor.name, name)


def _check_total_size(weight_bytes: int, architecture: Architecture | None, report: Report) -> None:
    limit = max_weight_bytes(architecture)
    if weight_bytes < limit:
        return
    kind = "multimodal" if architecture is not None and architecture.multimodal else "text"
    report.errors.append(
        Finding(
            "weights-too-large",
            f"the weights total {weight_bytes / GIGABYTE:.1f} GB; Bedrock imports {kind} models below "
            f"{limit // GIGABYTE} GB: import a smaller model or remove extra weight files",
            file=ALL_WEIGHT_FILES,
        )
    )


def _missing_weights_message(files: dict[str, int], architecture: Architecture | None) -> str:
    other_case = sorted(name for name in files if name.lower().endswith(WEIGHTS_SUFFIX) and "/" not in name)
    other_case = [name for name in other_case if not name.startswith(APPLEDOUBLE_PREFIX)]
    if other_case:
        fixed = other_case[0][: -len(WEIGHTS_SUFFIX)] + WEIGHTS_SUFFIX
        return (
            f"no .safetensors file (found {other_case[0]}); names are case-sensitive: rename the weight files to "
            f"end in lower-case .safetensors (e.g. {fixed})"
        )
    nested = sorted(name for name in files if name.endswith(WEIGHTS_SUFFIX))
    if nested:
        return (
            f"no .safetensors file at the top of the folder (found {nested[0]}); move the weights next to config.json"
        )
    class_name = sorted(architecture.class_names)[0] if architecture else FALLBACK_MODEL_CLASS
    return conversion_message(classify(files), class_name)


def _warn_about_other_formats(files: dict[str, int], report: Report) -> None:
    other = classify(files)
    if other.weights:
        report.warnings.append(
            Finding("weights-other-format", other_weights_message(other.weights), file=other.weights[0])
        )
    if other.trainer_state:
        report.warnings.append(
            Finding("trainer-state-present", trainer_state_message(other.trainer_state), file=other.trainer_state[0])
        )
