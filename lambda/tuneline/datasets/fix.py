"""Write a normalized copy of a JSONL file: the faults that are safe to repair without guessing.

* a UTF-8 byte order mark is removed;
* CRLF line endings become LF, and every line ends with LF;
* blank lines are dropped;
* raw control characters that make a line invalid JSON are escaped inside strings (or, failing that,
  removed).

Lines that are still not valid JSON (or not UTF-8) are copied unchanged and counted, so the validator reports
them at their (new) line numbers. The pipeline uses this for the staged copy when the profile allows it.
"""

from __future__ import annotations

import json
import re
from collections.abc import Iterator
from dataclasses import asdict, dataclass
from typing import Any, BinaryIO

from tuneline.datasets.lines import LineStream, Readable, Writable, iter_lines
from tuneline.datasets.scan import UTF8_BOM

# Control characters other than the JSON whitespace that is legal between tokens (\t, \n, \r).
_CONTROL = re.compile(rb"[\x00-\x1f\x7f]")


@dataclass
class FixSummary:
    """What a normalized copy changed; counted while the lines stream through."""

    lines_in: int = 0
    lines_out: int = 0
    bom_removed: int = 0
    crlf_fixed: int = 0
    blank_lines_removed: int = 0
    control_character_lines_fixed: int = 0
    unfixable_lines: int = 0

    @property
    def changed(self) -> bool:
        return bool(
            self.bom_removed or self.crlf_fixed or self.blank_lines_removed or self.control_character_lines_fixed
        )

    def to_dict(self) -> dict[str, Any]:
        data: dict[str, Any] = asdict(self)
        data["changed"] = self.changed
        return data


def normalize_stream(src: BinaryIO | Readable, dst: BinaryIO | Writable) -> FixSummary:
    summary = FixSummary()
    for line in normalized_lines(src, summary):
        dst.write(line)
    return summary


class NormalizedReader(LineStream):
    """The normalized copy as a `Readable`: the pipeline validates and stages it straight from S3, no disk."""

    def __init__(self, src: BinaryIO | Readable) -> None:
        super().__init__(normalized_lines(src, FixSummary()))


def normalized_lines(src: BinaryIO | Readable, summary: FixSummary) -> Iterator[bytes]:
    """Each output line with its b"\\n", counting what was repaired in `summary`."""
    for raw, oversized in iter_lines(src):
        summary.lines_in += 1
        if oversized:
            # Only the head of an oversized line is kept in memory; there is nothing safe to write.
            summary.unfixable_lines += 1
            continue
        if raw.startswith(UTF8_BOM):
            raw = raw[len(UTF8_BOM) :]
            summary.bom_removed += 1
        if raw.endswith(b"\r"):
            raw = raw[:-1]
            summary.crlf_fixed += 1
        if not raw.strip():
            summary.blank_lines_removed += 1
            continue
        if _CONTROL.search(raw) and not _parses(raw):
            repaired = _repair_control_characters(raw)
            if repaired is not None:
                raw = repaired
                summary.control_character_lines_fixed += 1
        if not _parses(raw):
            summary.unfixable_lines += 1
        summary.lines_out += 1
        yield raw + b"\n"


def _parses(raw: bytes) -> bool:
    try:
        json.loads(raw.decode())
    except (ValueError, RecursionError):
        return False
    return True


def _repair_control_characters(raw: bytes) -> bytes | None:
    """Escape control characters (they are usually inside strings: pasted tabs and line breaks); if the line
    still does not parse, drop them. None when neither gives valid JSON."""
    escaped = _CONTROL.sub(_escape, raw)
    if _parses(escaped):
        return escaped
    removed = _CONTROL.sub(b"", raw)
    if _parses(removed):
        return removed
    return None


_ESCAPES = {0x08: b"\\b", 0x09: b"\\t", 0x0A: b"\\n", 0x0C: b"\\f", 0x0D: b"\\r"}


def _escape(match: re.Match[bytes]) -> bytes:
    code = match.group()[0]
    return _ESCAPES.get(code, b"\\u%04x" % code)
