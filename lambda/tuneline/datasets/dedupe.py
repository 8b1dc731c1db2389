"""Copies of one record: what `tuneline dedupe`, `--dedupe` and the train/validation split treat as the same.

Two lines are copies when they hold the same JSON value once every string has its runs of whitespace collapsed
to one space (leading and trailing whitespace dropped) and its letter case folded, and object keys are taken in
any order. So `{"a": "Hello  world"}` and `{"a":"hello world"}` are copies; an exact copy always is. A line that
is not JSON is compared by its text, normalized the same way. The key is a 64-bit hash: memory stays at a few
bytes per distinct record.
"""

from __future__ import annotations

import hashlib
import json
from collections.abc import Iterator
from dataclasses import dataclass, field
from typing import Any

from tuneline.datasets.lines import Readable, Writable, iter_lines

UTF8_BOM = b"\xef\xbb\xbf"
MAX_LISTED = 20


def _normalized(value: Any) -> Any:
    if isinstance(value, str):
        return " ".join(value.split()).casefold()
    if isinstance(value, list):
        return [_normalized(item) for item in value]
    if isinstance(value, dict):
        return {" ".join(str(key).split()).casefold(): _normalized(item) for key, item in value.items()}
    return value


def record_key(line: bytes) -> int:
    """64-bit key of a record line: equal for exact and whitespace/case-normalized copies, stable across runs."""
    line = line.strip()
    if line.startswith(UTF8_BOM):
        line = line[len(UTF8_BOM) :].strip()
    try:
        text = line.decode("utf-8")
    except UnicodeDecodeError:
        canonical = line
    else:
        try:
            value = json.loads(text)
        except (ValueError, RecursionError):
            canonical = " ".join(text.split()).casefold().encode("utf-8", "surrogatepass")
        else:
            try:
                canonical = json.dumps(
                    _normalized(value), sort_keys=True, separators=(",", ":"), ensure_ascii=True
                ).encode()
            except (ValueError, TypeError, RecursionError):
                canonical = line
    return int.from_bytes(hashlib.blake2b(canonical, digest_size=8).digest(), "big")


@dataclass
class DedupeSummary:
    records_in: int = 0
    records_out: int = 0
    exact: int = 0
    normalized: int = 0
    oversized: int = 0
    removed_lines: list[int] = field(default_factory=list)

    @property
    def removed(self) -> int:
        return self.exact + self.normalized

    def to_dict(self) -> dict[str, Any]:
        return {
            "records_in": self.records_in,
            "records_out": self.records_out,
            "removed": self.removed,
            "removed_exact": self.exact,
            "removed_normalized": self.normalized,
            "removed_lines": self.removed_lines,
            "oversized_dropped": self.oversized,
        }


class Deduplicator:
    """Remembers the records seen so far; `keep(line)` is False for a copy of an earlier one (the first stays)."""

    def __init__(self, summary: DedupeSummary | None = None) -> None:
        self.summary = summary or DedupeSummary()
        self._exact: set[bytes] = set()
        self._normalized: set[int] = set()

    def keep(self, line: bytes, line_no: int) -> bool:
        summary = self.summary
        summary.records_in += 1
        body = line.strip()
        if body.startswith(UTF8_BOM):
            body = body[len(UTF8_BOM) :].strip()
        exact = hashlib.blake2b(body, digest_size=8).digest()
        key = record_key(body)
        # Exact copies share the normalized key too; the exact set only tells the two kinds apart.
        if key in self._normalized:
            if exact in self._exact:
                summary.exact += 1
            else:
                summary.normalized += 1
            if len(summary.removed_lines) < MAX_LISTED:
                summary.removed_lines.append(line_no)
            return False
        self._exact.add(exact)
        self._normalized.add(key)
        summary.records_out += 1
        return True


def dedupe_lines(src: Readable) -> Iterator[tuple[int, bytes, bool]]:
    """(line number, line without newline/CR/BOM, oversized) for every non-blank line of `src`."""
    for line_no, (raw, oversized) in enumerate(iter_lines(src), 1):
        if line_no == 1 and raw.startswith(UTF8_BOM):
            raw = raw[len(UTF8_BOM) :]
        if raw.endswith(b"\r"):
            raw = raw[:-1]
        if not raw.strip():
            continue
        yield line_no, raw, oversized


def dedupe_stream(src: Readable, dst: Writable) -> DedupeSummary:
    """Copy `src` to `dst` without the copies of earlier records (blank lines dropped, CRLF becomes LF)."""
    dedupe = Deduplicator()
    for line_no, raw, oversized in dedupe_lines(src):
        if oversized:
            # Only the head of an oversized line is in memory: it cannot be copied (and Bedrock rejects it).
            dedupe.summary.oversized += 1
            continue
        if dedupe.keep(raw, line_no):
            dst.write(raw + b"\n")
    return dedupe.summary
