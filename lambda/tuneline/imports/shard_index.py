"""Rules for sharded checkpoints: `model.safetensors.index.json` must match the shards present."""

from __future__ import annotations

import json
import posixpath
from collections import defaultdict

from tuneline import json_text
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
    if not weight_map:
        report.errors.append(_invalid("maps no tensors, so loaders that follow it read none of the weights"))
        return
    expected_by_shard: dict[str, list[str]] = defaultdict(list)
    for tensor, shard in weight_map.items():
        # Loaders join the name to the folder, so "./model-00001-of-00002.safetensors" is that shard.
        expected_by_shard[posixpath.normpath(shard)].append(tensor)
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
    mapped = set(weight_map)
    for stray in sorted(present - set(expected_by_shard)):
        unmapped = sorted(tensors_by_file.get(stray, frozenset()) - mapped)
        if unmapped:
            detail = (
                f"not named in {INDEX_FILE}, and {len(unmapped)} of its tensor(s) are in no named shard (e.g. "
                f"`{unmapped[0]}`), so loaders that follow the index skip them: if they belong to the model, "
                "save it again with save_pretrained() to rewrite the index; if not, remove the file"
            )
        else:
            detail = (
                f"not named in {INDEX_FILE} (another copy of the weights, such as consolidated.safetensors?); "
                "remove it so the folder holds one set of weights"
            )
        report.warnings.append(Finding("safetensors-shard-unreferenced", detail, file=stray))


def _read_weight_map(source: FolderSource, report: Report) -> dict[str, str] | None:
    try:
        document = json_text.loads(source.read_all(INDEX_FILE, MAX_INDEX_BYTES).decode("utf-8"))
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
