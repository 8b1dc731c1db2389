"""Human-readable output for the dataset commands: a summary, then the first findings grouped by rule, and a
progress bar for big files (on stderr, only when it is a terminal)."""

from __future__ import annotations

import time
from collections.abc import Callable
from typing import Any, BinaryIO, TextIO

from tuneline.findings import Finding, Report

FINDINGS_SHOWN_PER_RULE = 5
PROGRESS_MIN_BYTES = 20 * 1024 * 1024


def render_report(report: Report, *, per_rule: int = FINDINGS_SHOWN_PER_RULE) -> str:
    stats = report.stats
    lines: list[str] = []
    verdict = "VALID" if report.valid else "INVALID"
    errors = sum(stats.get("error_counts", {}).values()) or len(report.errors)
    warnings = sum(stats.get("warning_counts", {}).values()) or len(report.warnings)
    model = stats.get("model", "?")
    kind = stats.get("customization_type", "?")
    lines.append(f"{verdict}: {errors} error(s), {warnings} warning(s) for {model} {kind}")
    for role, file_stats in stats.get("files", {}).items():
        tokens = file_stats.get("estimated_tokens", {})
        lines.append(
            f"  {role}: {file_stats.get('name')} - {file_stats.get('records', 0)} records, "
            f"{file_stats.get('characters', 0)} characters, ~{tokens.get('total', 0)} tokens "
            f"(max {tokens.get('max', 0)}, p50 {tokens.get('p50', 0)}, p95 {tokens.get('p95', 0)} per record)"
        )
    if "format" in stats:
        lines.append(
            f"  format {stats['format']}; tokens estimated at {stats.get('chars_per_token')} characters per token, "
            f"limit {stats.get('max_tokens_per_record')} per record"
        )
    for title, findings, counts in (
        ("Errors", report.errors, stats.get("error_counts", {})),
        ("Warnings", report.warnings, stats.get("warning_counts", {})),
    ):
        if not findings:
            continue
        lines.append("")
        lines.append(f"{title}:")
        for rule, group in _group(findings).items():
            total = counts.get(rule, len(group))
            lines.append(f"  [{rule}] x{total}")
            for finding in group[:per_rule]:
                lines.append(f"    {_where(finding)}: {finding.message}")
                if finding.command:
                    lines.append(f"      {finding.command}")
            hidden = total - min(len(group), per_rule)
            if hidden > 0:
                lines.append(f"    ... and {hidden} more")
    return "\n".join(lines) + "\n"


def _group(findings: list[Finding]) -> dict[str, list[Finding]]:
    groups: dict[str, list[Finding]] = {}
    for finding in findings:
        groups.setdefault(finding.rule, []).append(finding)
    return groups


def _where(finding: Finding) -> str:
    where = finding.file or "dataset"
    return f"{where} line {finding.line}" if finding.line is not None else where


def progress_bar(total_bytes: int, stream: TextIO) -> Callable[[int], None] | None:
    """A callback drawing a bar on a terminal for big inputs, or None when there is nothing to draw."""
    if total_bytes < PROGRESS_MIN_BYTES or not _is_terminal(stream):
        return None
    started = time.monotonic()
    last = [0.0]

    def update(done: int) -> None:
        now = time.monotonic()
        if last[0] < 0 or (now - last[0] < 0.2 and done < total_bytes):
            return  # finished (the bar is drawn complete once), or drawn a moment ago
        last[0] = now
        fraction = min(1.0, done / total_bytes)
        width = 30
        filled = int(fraction * width)
        speed = done / max(now - started, 1e-6) / (1024 * 1024)
        stream.write(f"\r[{'#' * filled}{'.' * (width - filled)}] {fraction:6.1%} {speed:6.1f} MB/s")
        if done >= total_bytes:
            stream.write("\n")
            last[0] = -1.0
        stream.flush()

    return update


class CountingReader:
    """A binary input that reports the bytes read so far (all passes together) to a progress callback."""

    def __init__(self, stream: BinaryIO, progress: Callable[[int], None]) -> None:
        self._stream = stream
        self._progress = progress
        self._done = 0

    def read(self, size: int = -1, /) -> bytes:
        data = self._stream.read(size)
        if data:
            self._done += len(data)
            self._progress(self._done)
        return data

    def seekable(self) -> bool:
        return self._stream.seekable()

    def tell(self) -> int:
        return self._stream.tell()

    def seek(self, offset: int, whence: int = 0, /) -> int:
        return self._stream.seek(offset, whence)


def _is_terminal(stream: Any) -> bool:
    isatty = getattr(stream, "isatty", None)
    return bool(isatty and isatty())
