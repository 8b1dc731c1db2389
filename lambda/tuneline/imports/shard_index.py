"""Rules for sharded checkpoints: `model.safetensors.index.json` must match the shards present."""

from __future__ import annotations

import json
from collections import defaultdict

from tuneline.findings import Finding, Report
from tuneline.imports.sources import FolderSource, SourceReadError, read_failure_rule, rename_hint

INDEX_FILE = "model.safetensors.index.json"
# Indexes of the largest open models are a few megabytes; anything far beyond is not an index.
MAX_INDEX_BYTES = 64 * 1024 * 1024


def check_shard_index(
    source: FolderSource,
    files: dict[str, int],
    weight_files: list[str],
    tensors_by_file: dict[str, frozenset[str]],
    report: Report,
) -> None:
    """`tensors_by_file` holds the tensor names of every shard whose header could be read."""
    if INDEX_FILE not in files:
        if len(weight_files) > 1:
            report.warnings.append(
                Finding(
                    "safetensors-index-missing",
                    f"{len(weight_files)} weight files but no {INDEX_FILE}; Hugging Face loaders need the "
                    "index to load shards: save the model with save_pretrained() and upload the index too",
                    file=INDEX_FILE,
                )
            )
        return
    weight_map = _read_weight_map(source, report)
    if weight_map is None:
        return
    check_weight_map(weight_map, weight_files, tensors_by_file, report, files)


def check_weight_map(
    weight_map: dict[str, str],
    weight_files: list[str],
    tensors_by_file: dict[str, frozenset[str]],
    report: Report,
    files: dict[str, int] | None = None,
) -> None:
    """Every named shard present, every mapped tensor inside its shard, no stray shards."""
    expected_by_shard: dict[str, list[str]] = defaultdict(list)
    for tensor, shard in weight_map.items():
        expected_by_shard[shard].append(tensor)
    present = set(weight_files)
    for shard in sorted(expected_by_shard):
        tensors = expected_by_shard[shard]
        if shard not in present:
            report.errors.append(
                Finding(
                    "safetensors-shard-missing",
                    f"{INDEX_FILE} maps {len(tensors)} tensor(s) to this file but it is not in the folder"
                    f"{rename_hint(files or {}, shard)}; upload every shard before writing the marker",
                    file=shard,
                )
            )
            continue
        if shard not in tensors_by_file:
            continue  # Its header is unreadable, which is already reported.
        absent = sorted(set(tensors) - tensors_by_file[shard])
        if absent:
            report.errors.append(
                Finding(
                    "safetensors-index-tensor-missing",
                    f"{len(absent)} tensor(s) the index maps to this shard are not in it (e.g. `{absent[0]}`); "
                    "the index and the shards come from different exports: save the model again",
                    file=shard,
                )
            )
    for stray in sorted(present - set(expected_by_shard)):
        report.warnings.append(
            Finding(
                "safetensors-shard-unreferenced",
                f"not named in {INDEX_FILE} (another copy of the weights, such as consolidated.safetensors?); "
                "remove it so the folder holds one set of weights",
                file=stray,
            )
        )


def _read_weight_map(source: FolderSource, report: Report) -> dict[str, str] | None:
    try:
        document = json.loads(source.read_all(INDEX_FILE, MAX_INDEX_BYTES).decode("utf-8"))
    except SourceReadError as error:
        rule = read_failure_rule(error, "safetensors-index-invalid")
        report.errors.append(Finding(rule, f"cannot be read: {error.reason}", file=INDEX_FILE))
        return None
    except (UnicodeDecodeError, json.JSONDecodeError) as error:
        report.errors.append(_invalid(f"not valid JSON: {error}"))
        return None
    weight_map = document.get("weight_map") if isinstance(document, dict) else None
    if not isinstance(weight_map, dict) or not all(
        isinstance(k, str) and isinstance(v, str) for k, v in weight_map.items()
    ):
        report.errors.append(_invalid("needs a `weight_map` object mapping tensor names to shard file names"))
        return None
    return weight_map


def _invalid(message: str) -> Finding:
    return Finding(
        "safetensors-index-invalid", f"{message}; save the model again with save_pretrained()", file=INDEX_FILE
    )
