"""Check a Hugging Face model folder before Bedrock Custom Model Import: one engine, any folder source.

The import Lambda passes an `S3Folder`, the CLI a `LocalFolder`; both get the same `Report`, whose
findings name the file and the rule, with `line` always None.
"""

from __future__ import annotations

from tuneline.findings import Finding, Report
from tuneline.imports.architectures import MAX_CONTEXT_LENGTH, max_weight_bytes
from tuneline.imports.model_config import CONFIG_FILE, check_config, check_generation_config
from tuneline.imports.shard_index import INDEX_FILE, check_shard_index
from tuneline.imports.sources import FolderSource, LocalFolder, SourceReadError
from tuneline.imports.tensor_shapes import check_tensor_shapes
from tuneline.imports.tokenizer import TOKENIZER_CONFIG_FILE, TOKENIZER_VOCAB_FILES, check_tokenizer
from tuneline.imports.weights import WEIGHTS_SUFFIX, ProgressCallback, check_weights

FOLDER = "."
BROKEN_LINK_RULE = "file-broken-link"
MAX_NAMED_SUBFOLDERS = 5
_MODEL_FILES = frozenset({CONFIG_FILE, TOKENIZER_CONFIG_FILE, INDEX_FILE, *TOKENIZER_VOCAB_FILES})


def check_model_folder(source: FolderSource, progress: ProgressCallback | None = None) -> Report:
    """Every rule Bedrock Custom Model Import enforces on a model folder that can be checked upfront."""
    report = Report()
    try:
        files = source.list_files()
        broken_links = source.broken_links() if isinstance(source, LocalFolder) else {}
    except SourceReadError as error:
        report.errors.append(Finding("folder-unreadable", f"cannot list the folder: {error.reason}", file=FOLDER))
        return report
    if _report_broken_links(broken_links, report):
        # The rules below would call the files behind the links missing, which misleads.
        return report
    if not files:
        report.errors.append(
            Finding(
                "folder-empty",
                "the folder holds no files; upload config.json, the tokenizer files and the *.safetensors weights",
                file=FOLDER,
            )
        )
        return report

    config = check_config(source, files, report)
    check_generation_config(source, files, report)
    tokenizer_class = check_tokenizer(source, files, report)
    weights = check_weights(source, files, config.architecture, report, progress)
    check_shard_index(source, files, weights.weight_files, weights.tensors_by_file, report)
    if weights.all_headers_read:
        # With a header unread, its tensors would look missing: that file is reported already.
        check_tensor_shapes(config.document, config.architecture, weights.tensors, weights.file_of, report)
    _warn_about_subfolders(files, report)

    report.stats = {
        "architecture": config.architecture_class,
        "family": config.family,
        "model_type": config.model_type,
        "multimodal": bool(config.architecture and config.architecture.multimodal),
        "context_length": config.context_length,
        "max_context_length": MAX_CONTEXT_LENGTH,
        "tokenizer_class": tokenizer_class,
        "weight_files": len(weights.weight_files),
        "weight_bytes": weights.weight_bytes,
        "max_weight_bytes": max_weight_bytes(config.architecture),
        "tensor_count": weights.tensor_count,
        "parameter_count": weights.parameter_count,
        "dtypes": dict(sorted(weights.dtypes.items())),
        "files": sorted(files),
    }
    return report


def _report_broken_links(links: dict[str, str], report: Report) -> bool:
    """One finding per link to nothing; True when a file the import reads is among them."""
    blocking = False
    for name, target in sorted(links.items()):
        is_model_file = name in _MODEL_FILES or (name.endswith(WEIGHTS_SUFFIX) and "/" not in name)
        blocking = blocking or is_model_file
        finding = Finding(
            BROKEN_LINK_RULE,
            f"is a symbolic link to {target}, which does not exist (a Hugging Face cache snapshot copied "
            "without its blobs?); replace the links with the files: copy the snapshot from the cache it came "
            "from with `cp -rL SNAPSHOT_DIR DIR`, or download the model with "
            "`huggingface-cli download REPO_ID --local-dir DIR`",
            file=name,
        )
        (report.errors if is_model_file else report.warnings).append(finding)
    return blocking


def _warn_about_subfolders(files: dict[str, int], report: Report) -> None:
    subfolders = sorted({name.split("/", 1)[0] for name in files if "/" in name})
    if subfolders:
        # Named up to a few: the warning travels in the workflow state and the alert, whatever the folder holds.
        named = ", ".join(subfolders[:MAX_NAMED_SUBFOLDERS])
        if len(subfolders) > MAX_NAMED_SUBFOLDERS:
            named += f" and {len(subfolders) - MAX_NAMED_SUBFOLDERS} more"
        report.warnings.append(
            Finding(
                "folder-has-subfolders",
                f"subfolder(s) {named} are not part of a Hugging Face model folder; Bedrock "
                "reads the files next to config.json: remove the subfolders to keep the import small",
                file=subfolders[0] + "/",
            )
        )
