"""`tuneline validate-model DIR`: the import pipeline's model-folder check, before you upload.

Exit codes: 0 importable, 1 not importable, 2 usage error (no such folder, bad S3 URI, folder
cannot be listed).
"""

from __future__ import annotations

import argparse
import json
import sys
from pathlib import Path
from typing import Any, TextIO

from tuneline.exit_codes import EXIT_INVALID, EXIT_OK, EXIT_USAGE
from tuneline.findings import Finding, Report
from tuneline.imports.architectures import GIGABYTE
from tuneline.imports.checker import check_model_folder
from tuneline.imports.sources import FolderSource, LocalFolder, S3Folder
from tuneline.imports.weights import ProgressCallback, WeightProgress

COMMAND = "validate-model"
S3_SCHEME = "s3://"
# Progress is worth printing only when reading headers takes noticeable time.
PROGRESS_MIN_FILES = 4
PROGRESS_MIN_BYTES = 10 * GIGABYTE


def register(subparsers: argparse._SubParsersAction[argparse.ArgumentParser]) -> None:
    parser = subparsers.add_parser(
        COMMAND,
        help="check a Hugging Face model folder for Bedrock Custom Model Import",
        description=(
            "Check a model folder (config.json, tokenizer files, *.safetensors) against the rules of "
            "Amazon Bedrock Custom Model Import. Only safetensors headers are read, never the weights. "
            "Exit 0 when importable, 1 when not, 2 on a usage error."
        ),
        formatter_class=argparse.RawDescriptionHelpFormatter,
        epilog=(
            "examples:\n"
            "  tuneline validate-model ./Llama-3.1-8B-Instruct\n"
            "  tuneline validate-model s3://my-bucket/imports/support-bot/ --format json\n\n"
            "exit codes: 0 importable, 1 not importable, 2 usage error, 130 interrupted. For no such folder\n"
            "or a bad S3 URI stdout stays empty, also with --format json; a folder that cannot be listed\n"
            "exits 2 with the report, whose one error has the rule folder-unreadable."
        ),
    )
    parser.add_argument("folder", metavar="DIR", help="local model folder, or s3://bucket/prefix/")
    parser.add_argument("--format", choices=("text", "json"), default="text", help="output format (default: text)")
    parser.set_defaults(handler=run)


def run(args: argparse.Namespace) -> int:
    source = _source_for(args.folder)
    if source is None:
        print(f"tuneline {COMMAND}: error: {_not_a_folder(args.folder)}", file=sys.stderr)
        return EXIT_USAGE
    report = check_model_folder(source, progress=_progress_printer(sys.stderr))
    if args.format == "json":
        print(json.dumps(report.to_dict()))
    else:
        sys.stdout.write(format_text(args.folder, report))
    if any(finding.rule == "folder-unreadable" for finding in report.errors):
        return EXIT_USAGE
    return EXIT_OK if report.valid else EXIT_INVALID


def format_text(location: str, report: Report) -> str:
    """The verdict and a summary of the folder, then the findings grouped by rule."""
    verdict = "IMPORTABLE" if report.valid else "NOT IMPORTABLE"
    lines = [f"{verdict}: {len(report.errors)} error(s), {len(report.warnings)} warning(s) for {location}"]
    if report.stats:
        lines += [f"  {line}" for line in _summary_lines(report.stats)]
    for title, findings in (("Errors", report.errors), ("Warnings", report.warnings)):
        if findings:
            lines += ["", f"{title}:"]
            for rule, group in _by_rule(findings).items():
                lines.append(f"  [{rule}]")
                lines += [f"    {finding.file}: {finding.message}" for finding in group]
    return "\n".join(lines) + "\n"


def _summary_lines(stats: dict[str, Any]) -> list[str]:
    family = f" ({stats['family']})" if stats.get("family") else ""
    context = stats.get("context_length")
    dtypes = ", ".join(f"{dtype} x{count}" for dtype, count in stats.get("dtypes", {}).items()) or "none"
    return [
        f"architecture {stats.get('architecture') or 'unknown'}{family}, "
        f"model_type {stats.get('model_type') or 'unknown'}",
        f"context length {context if context is not None else 'not declared'} "
        f"(limit {stats.get('max_context_length')})",
        f"weights: {stats.get('weight_files', 0)} file(s), {_size(stats.get('weight_bytes', 0))} "
        f"(limit {_size(stats.get('max_weight_bytes', 0))}), {stats.get('tensor_count', 0)} tensors, "
        f"{_parameters(stats.get('parameter_count', 0))} parameters",
        f"tensor dtypes: {dtypes}",
        f"tokenizer: {stats.get('tokenizer_class') or 'class not named'}",
    ]


def _by_rule(findings: list[Finding]) -> dict[str, list[Finding]]:
    groups: dict[str, list[Finding]] = {}
    for finding in findings:
        groups.setdefault(finding.rule, []).append(finding)
    return groups


def _source_for(folder: str) -> FolderSource | None:
    if folder.startswith(S3_SCHEME):
        bucket, _, prefix = folder[len(S3_SCHEME) :].partition("/")
        if not bucket:
            return None
        import boto3  # Only S3 folders need AWS; local checks work without credentials.

        return S3Folder(boto3.client("s3"), bucket, prefix)
    if not Path(folder).is_dir():
        return None
    return LocalFolder(folder)


def _not_a_folder(folder: str) -> str:
    if folder.startswith(S3_SCHEME):
        return f"{folder} is not an s3://bucket/prefix/ URI; e.g. s3://my-bucket/imports/my-model/"
    path = Path(folder)
    if path.exists():
        return f"{folder} is not a directory; give the folder that holds it: {path.parent}"
    return f"{folder} is not a directory (nothing is there); give the model folder or an s3://bucket/prefix/ URI"


def _progress_printer(stream: TextIO) -> ProgressCallback | None:
    if not stream.isatty():
        return None

    def show(progress: WeightProgress) -> None:
        if progress.files_total < PROGRESS_MIN_FILES and progress.bytes_total < PROGRESS_MIN_BYTES:
            return
        line = f"Reading safetensors headers: {progress.files_done}/{progress.files_total} {progress.name}"
        end = "\n" if progress.files_done == progress.files_total else ""
        stream.write(f"\r{line:<79}{end}")
        stream.flush()

    return show


def _size(byte_count: int) -> str:
    for divisor, unit in ((GIGABYTE, "GB"), (1000**2, "MB"), (1000, "kB")):
        if byte_count >= divisor:
            return f"{byte_count / divisor:.1f} {unit}"
    return f"{byte_count} bytes"


def _parameters(count: int) -> str:
    for divisor, unit in ((10**12, "T"), (10**9, "B"), (10**6, "M"), (10**3, "K")):
        if count >= divisor:
            return f"{count / divisor:.2f}{unit}"
    return str(count)
