"""One pass over one JSONL file: line faults, record checks, size statistics, duplicates and personal data.

This is the hot loop of the validator (it must stay within 2x of a bare `json.loads` loop), so it is one flat
function with its lookups bound to locals. Everything that can only happen on a broken line lives on the
slow path after a failed cheap test.
"""

from __future__ import annotations

import json
import math
import re
from collections import Counter
from collections.abc import Callable
from dataclasses import dataclass, field
from typing import Any

from tuneline.datasets import pii
from tuneline.datasets.collector import FindingCollector
from tuneline.datasets.lines import MAX_LINE_BYTES, Readable, iter_lines
from tuneline.datasets.records import RecordChecker
from tuneline.datasets.stats import SizeStats

UTF8_BOM = b"\xef\xbb\xbf"
UTF16_BOMS = (b"\xff\xfe", b"\xfe\xff")
# Duplicates are tracked by a 64-bit hash of the line; this many distinct lines are remembered (~100 bytes
# each), far above every Bedrock record quota, so memory stays bounded on any input.
MAX_TRACKED_LINES = 200_000
NEAR_LIMIT_FRACTION = 0.9
# Cheap test on the raw line for anything personal-data-like, without a character-class regex over every
# byte: one translate() maps digits and the separators ().+- to "0"; then a search with a literal prefix finds
# a run of 7 (an unspaced phone or card number) or the "000 0000" of a spaced one. "@" and the AWS access
# key prefixes are plain substring tests. AWS secret keys are looked for on lines that pass this test.
_DIGIT_FOLD = bytes.maketrans(b"0123456789().+-", b"0" * 15)
_NUMBER_RUN = re.compile(rb"000(?:0000| 0000|0 0000)")
_ACCESS_KEY_PREFIX = re.compile(rb"A[KS]IA|ABIA|ACCA")


def _may_hold_pii(raw: bytes) -> bool:
    return (
        b"@" in raw
        or _NUMBER_RUN.search(raw.translate(_DIGIT_FOLD)) is not None
        or _ACCESS_KEY_PREFIX.search(raw) is not None
    )


PII_RULES = {kind: f"pii.{kind}" for kind in pii.KIND_LABELS}


def _reject_constant(name: str) -> float:
    # Python's json accepts NaN and Infinity; strict JSON parsers (and Bedrock) do not.
    raise ValueError(f"{name} is not valid JSON")


_STRICT_JSON = json.JSONDecoder(parse_constant=_reject_constant)


@dataclass
class FileScan:
    name: str
    role: str
    bytes: int = 0
    lines: int = 0
    size: SizeStats = field(default_factory=SizeStats)
    images: int = 0
    videos: int = 0
    duplicates: int = 0
    overlaps: int = 0
    crlf_lines: int = 0
    pii: Counter[str] = field(default_factory=Counter)

    @property
    def records(self) -> int:
        return self.size.records

    def to_dict(self) -> dict[str, Any]:
        data: dict[str, Any] = {"name": self.name, "bytes": self.bytes, "lines": self.lines}
        data.update(self.size.to_dict())
        data.update(
            {
                "images": self.images,
                "videos": self.videos,
                "duplicates": self.duplicates,
                "crlf_lines": self.crlf_lines,
                "pii": dict(sorted(self.pii.items())),
            }
        )
        if self.role == "validation":
            data["training_overlap"] = self.overlaps
        return data


def scan_file(
    stream: Readable,
    *,
    name: str,
    role: str,
    checker: RecordChecker,
    sink: FindingCollector,
    chars_per_token: float,
    max_tokens: int,
    tokens_per_image: int = 0,
    seen: dict[int, int] | None = None,
    earlier: dict[int, int] | None = None,
    progress: Callable[[int], None] | None = None,
) -> FileScan:
    """Scan one file. `seen` collects line hashes for duplicates; `earlier` holds the training file's hashes
    when this is the validation file (overlap makes the validation loss look better than it is)."""
    scan = FileScan(name=name, role=role)
    checker.file = name
    if seen is None:
        seen = {}

    def count_bytes(total: int) -> None:
        scan.bytes = total
        if progress is not None:
            progress(total)

    loads = _STRICT_JSON.decode
    check = checker.check
    ceil = math.ceil
    may_hold_pii = _may_hold_pii
    seen_get = seen.get
    earlier_get = earlier.get if earlier else None
    token_counts: dict[int, int] = {}
    counts_get = token_counts.get
    near_limit = int(max_tokens * NEAR_LIMIT_FRACTION)
    records = characters = tokens_total = tokens_max = 0
    images = videos = 0
    line_no = 0

    for raw, oversized in iter_lines(stream, progress=count_bytes):
        line_no += 1
        if oversized:
            sink.error(
                "record.too-large",
                f"the line is longer than {MAX_LINE_BYTES // (1024 * 1024)} MB (starts {raw[:60]!r}); no Bedrock "
                "model accepts a record this size: check for missing line breaks or split the record",
                line_no,
                name,
            )
            continue
        if line_no == 1:
            if raw[:2] in UTF16_BOMS:
                sink.error(
                    "encoding.utf16",
                    "the file is UTF-16 encoded; Bedrock reads UTF-8 only: re-save it as UTF-8 (without BOM)",
                    1,
                    name,
                )
                break
            if raw.startswith(UTF8_BOM):
                _report_bom(sink, line_no, name)
                raw = raw[len(UTF8_BOM) :]
        if raw.endswith(b"\r"):
            raw = raw[:-1]
            scan.crlf_lines += 1
            if scan.crlf_lines == 1:
                sink.warning(
                    "encoding.crlf",
                    "Windows line endings (CRLF); most parsers accept them, but `tuneline fix` writes a clean "
                    "copy with plain LF",
                    line_no,
                    name,
                )
        try:
            record = loads(raw.decode())
        except (ValueError, RecursionError) as error:
            record = _line_fault(raw, error, line_no, name, sink)
            if record is None:
                continue
        if type(record) is not dict:
            sink.error(
                "jsonl.not-object",
                f"the line is a JSON {_json_type(record)}, not an object; each line must be one record "
                'like {"...": ...}',
                line_no,
                name,
            )
            continue

        checker.line = line_no
        chars = check(record)
        tokens = ceil(chars / chars_per_token)
        if checker.images or checker.videos:
            images += checker.images
            videos += checker.videos
            tokens += checker.images * tokens_per_image
        records += 1
        characters += chars
        tokens_total += tokens
        if tokens > tokens_max:
            tokens_max = tokens
        token_counts[tokens] = counts_get(tokens, 0) + 1
        if tokens > near_limit:
            _size_finding(sink, tokens, max_tokens, chars, chars_per_token, line_no, name)

        key = hash(raw)
        first = seen_get(key)
        if first is None:
            if len(seen) < MAX_TRACKED_LINES:
                seen[key] = line_no
        else:
            scan.duplicates += 1
            sink.warning(
                "record.duplicate",
                f"same record as line {first}; duplicates over-weight one example: remove them unless intended",
                line_no,
                name,
            )
        if earlier_get is not None:
            match = earlier_get(key)
            if match is not None:
                scan.overlaps += 1
                sink.warning(
                    "dataset.validation-overlap",
                    f"this validation record is identical to training line {match}; the validation loss will "
                    "look better than the model is: keep validation records out of the training set",
                    line_no,
                    name,
                )
        if may_hold_pii(raw):
            _scan_pii(raw.decode(), scan, sink, line_no, name)

    scan.lines = line_no
    scan.images = images
    scan.videos = videos
    scan.size = SizeStats(
        records=records,
        characters=characters,
        tokens_total=tokens_total,
        tokens_max=tokens_max,
        token_counts=Counter(token_counts),
    )
    return scan


def _line_fault(
    raw: bytes, error: Exception, line_no: int, name: str, sink: FindingCollector
) -> dict[str, Any] | list[Any] | str | int | float | bool | None:
    """Report why a line is not a JSON value. Returns the parsed value when the record is still readable
    (after a BOM) so its content gets checked too, else None."""
    if not raw.strip():
        sink.error(
            "jsonl.blank-line",
            "blank line; Bedrock fails to parse files with empty lines: delete it (or run `tuneline fix`)",
            line_no,
            name,
        )
        return None
    if raw.startswith(UTF8_BOM):
        _report_bom(sink, line_no, name)
        try:
            return _STRICT_JSON.decode(raw[len(UTF8_BOM) :].decode())
        except (ValueError, RecursionError):
            return None
    if isinstance(error, UnicodeDecodeError):
        sink.error(
            "encoding.invalid-utf8",
            f"byte {error.start + 1} is not valid UTF-8 ({raw[error.start : error.start + 4]!r}); re-save the "
            "file as UTF-8",
            line_no,
            name,
        )
        return None
    if isinstance(error, RecursionError):
        sink.error("jsonl.invalid-json", "the JSON is nested too deeply to be a training record", line_no, name)
        return None
    message = str(getattr(error, "msg", error))
    column = getattr(error, "colno", None)
    if not isinstance(error, json.JSONDecodeError):
        sink.error("jsonl.invalid-json", f"not valid JSON ({message})", line_no, name)
        return None
    if message.startswith("Invalid control character"):
        sink.error(
            "jsonl.control-character",
            f"raw control character at column {column}: JSON strings must escape tabs and line breaks "
            "(\\t, \\n); run `tuneline fix` to escape or remove them",
            line_no,
            name,
        )
        return None
    sink.error(
        "jsonl.invalid-json",
        f"not valid JSON ({message} at column {column}); each line must be one complete JSON object",
        line_no,
        name,
    )
    return None


def _report_bom(sink: FindingCollector, line_no: int, name: str) -> None:
    sink.error(
        "encoding.bom",
        "the line starts with a UTF-8 byte order mark (BOM), which breaks Bedrock's JSON parser: save the "
        "file as UTF-8 without BOM (or run `tuneline fix`)",
        line_no,
        name,
    )


def _size_finding(
    sink: FindingCollector, tokens: int, max_tokens: int, chars: int, ratio: float, line_no: int, name: str
) -> None:
    if tokens > max_tokens:
        sink.error(
            "record.too-many-tokens",
            f"about {tokens} tokens ({chars} characters at {ratio:g} characters per token); the limit is "
            f"{max_tokens} tokens per record: shorten or split it",
            line_no,
            name,
        )
    elif sink.wants_warning("record.near-token-limit"):
        sink.warning(
            "record.near-token-limit",
            f"about {tokens} tokens, over {int(NEAR_LIMIT_FRACTION * 100)}% of the {max_tokens}-token limit; "
            "the estimate is rough, so the real count may exceed it",
            line_no,
            name,
        )
    else:
        sink.count_warning("record.near-token-limit")


def _scan_pii(text: str, scan: FileScan, sink: FindingCollector, line_no: int, name: str) -> None:
    # The raw JSON line is scanned as is: field names never look like personal data, and escapes such as
    # "\n" before a number do not hide it (the number patterns do not look behind a separator).
    kinds = pii.pii_kinds(text)
    for kind, count in kinds.items():
        scan.pii[kind] += count
        sink.warning(
            PII_RULES[kind],
            f"looks like {pii.KIND_LABELS[kind]}; a model can repeat its training data: remove or redact it "
            "(`tuneline convert --redact-pii`)",
            line_no,
            name,
        )


def _json_type(value: Any) -> str:
    if isinstance(value, list):
        return "array"
    if isinstance(value, str):
        return "string"
    if isinstance(value, bool):
        return "boolean"
    if value is None:
        return "null"
    return "number"
