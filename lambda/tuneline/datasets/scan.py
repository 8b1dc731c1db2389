"""One pass over one JSONL file: line faults, record checks, size statistics, duplicates and personal data.

This is the hot loop of the validator (it must stay within 2x of a bare `json.loads` loop), so it is one flat
function with its lookups bound to locals, and an ordinary line costs: the C line reader and UTF-8 decoder,
one JSON scan, the record check, a hash and a few integer updates. Everything else lives on slow paths after
one failed cheap test:

* a line that is not one plain JSON object followed by "\n" (BOM, CRLF, blank, broken, last line without a
  newline, oversized, not UTF-8) is handed to `_UnusualLines`, which re-checks it exactly as bytes;
* personal data is looked for only on lines the byte-level `PiiGate` marked while the file was read.
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
from tuneline.datasets.lines import MAX_LINE_BYTES, ByteSource, Readable, open_text_lines
from tuneline.datasets.pii_gate import PiiGate
from tuneline.datasets.records import RecordChecker
from tuneline.datasets.shapes import ARRAY_HEAD_CHARS, ShapeSample, auto_convert_command
from tuneline.datasets.stats import SizeStats

UTF8_BOM = b"\xef\xbb\xbf"
UTF16_BOMS = (b"\xff\xfe", b"\xfe\xff")
# UTF-16 without a BOM: the first record's "{" with a NUL byte before or after it.
UTF16_STARTS = (b"{\x00", b"\x00{")
# Magic numbers of the archive formats people upload instead of the plain file.
COMPRESSED_MAGIC = (
    (b"\x1f\x8b", "gzip", "gunzip"),
    (b"PK\x03\x04", "zip", "unzip"),
    (b"\x28\xb5\x2f\xfd", "zstd", "zstd -d"),
    (b"\xfd7zXZ\x00", "xz", "unxz"),
    (b"BZh", "bzip2", "bunzip2"),
)
# A first line that is only the opening of a JSON value: the file is pretty-printed JSON, not JSON Lines.
_MULTI_LINE_OPENINGS = frozenset({"{", "[", "[{"})
# Duplicates are tracked by a 64-bit hash of the line; this many distinct lines are remembered (~100 bytes
# each), far above every Bedrock record quota, so memory stays bounded on any input.
MAX_TRACKED_LINES = 200_000
NEAR_LIMIT_FRACTION = 0.9
# readline() limit in characters: a line that fills it without a newline is longer than MAX_LINE_BYTES.
_LINE_LIMIT = MAX_LINE_BYTES + 1
_OVERSIZED_HEAD_CHARS = 200

# A JSON escape of a UTF-16 surrogate (\ud800-\udfff); only lines with a backslash are searched (memchr).
_SURROGATE_ESCAPE = re.compile(r"\\u[dD][89a-fA-F]")

PII_RULES = {kind: f"pii.{kind}" for kind in pii.KIND_LABELS}


def _reject_constant(name: str) -> float:
    # Python's json accepts NaN and Infinity; strict JSON parsers (and Bedrock) do not.
    raise ValueError(f"{name} is not valid JSON")


_STRICT_JSON = json.JSONDecoder(parse_constant=_reject_constant)
# The decoder's own C scanner, called directly: it parses one value at an index and says where it ended,
# without decode()'s Python-level whitespace handling (the hot loop checks the end itself).
_SCAN_JSON: Callable[[str, int], tuple[Any, int]] = _STRICT_JSON.scan_once  # type: ignore[attr-defined]


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
    shapes: ShapeSample | None = None,
) -> FileScan:
    """Scan one file. `seen` collects line hashes for duplicates; `earlier` holds the training file's hashes
    when this is the validation file (overlap makes the validation loss look better than it is). `shapes`
    gets the first records (or the head of a JSON array) to tell what an unconverted file looks like."""
    scan = FileScan(name=name, role=role)
    checker.file = name
    if seen is None:
        seen = {}
    gate = PiiGate()
    source = ByteSource(stream, observe=gate.feed, progress=progress)
    reader = open_text_lines(source)
    readline = reader.readline
    unusual = _UnusualLines(scan, sink, readline, checker)

    scan_json = _SCAN_JSON
    check = checker.check
    surrogate_escape = _SURROGATE_ESCAPE.search
    ceil = math.ceil
    marks = gate.marks
    seen_get = seen.get
    earlier_get = earlier.get if earlier else None
    token_counts: dict[int, int] = {}
    counts_get = token_counts.get
    near_limit = int(max_tokens * NEAR_LIMIT_FRACTION)
    characters = images = videos = 0
    line_no = 0
    position = 0  # byte offset just past the current line
    sample_lines = shapes.limit if shapes is not None else 0

    while True:
        text = readline(_LINE_LIMIT)
        if not text:
            break
        line_no += 1
        if text.isascii():
            position += len(text)
            clean = True
        else:
            size, clean = _utf8_size(text)
            position += size
            if size > _LINE_LIMIT:  # fewer characters than the limit but more bytes: the slow path reports it
                clean = False
        try:
            record, end = scan_json(text, 0)
        except (StopIteration, ValueError, RecursionError):
            record, end = None, -1
        if clean and end == len(text) - 1 and text[-1] == "\n" and type(record) is dict:
            key_text = text
        else:
            record, key_text, skipped = unusual.check(text, line_no, clean, record, end)
            position += skipped
            if record is None:
                if line_no <= sample_lines:
                    _sample_unparsed(shapes, unusual, text, readline)
                if unusual.stop:
                    break
                gate.marked_before(position)
                continue

        if line_no <= sample_lines:
            shapes.add(record)  # type: ignore[union-attr]
        if "\\" in key_text and surrogate_escape(key_text) is not None:
            _check_surrogates(record, sink, line_no, name)
        checker.line = line_no
        chars = check(record)
        tokens = ceil(chars / chars_per_token)
        if checker.images or checker.videos:
            images += checker.images
            videos += checker.videos
            tokens += checker.images * tokens_per_image
        characters += chars
        # Records, total and maximum tokens all follow from this count per token value.
        token_counts[tokens] = counts_get(tokens, 0) + 1
        if tokens > near_limit:
            _size_finding(sink, tokens, max_tokens, chars, chars_per_token, line_no, name)

        key = hash(key_text)
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
        if marks and marks[0] < position and gate.marked_before(position):
            _scan_pii(key_text[:-1], scan, sink, line_no, name)

    scan.bytes = source.total
    scan.lines = line_no
    scan.images = images
    scan.videos = videos
    scan.size = SizeStats(
        records=sum(token_counts.values()),
        characters=characters,
        tokens_total=sum(tokens * count for tokens, count in token_counts.items()),
        tokens_max=max(token_counts, default=0),
        token_counts=Counter(token_counts),
    )
    return scan


def _sample_unparsed(
    shapes: ShapeSample | None, unusual: _UnusualLines, text: str, readline: Callable[[int], str]
) -> None:
    """Tell the shape sample about a line that is no record: prose, or the start of a JSON array."""
    if shapes is None:
        return
    if unusual.array is not None:
        shapes.add_array(unusual.array)
        unusual.array = None
    elif unusual.multi_line:
        # The scan stops here, so this reads the head of the array once, up to a bound.
        head = [text]
        size = len(text)
        while size < ARRAY_HEAD_CHARS:
            more = readline(_LINE_LIMIT)
            if not more:
                break
            head.append(more)
            size += len(more)
        shapes.add_array_text("".join(head))
    else:
        shapes.add_unparsed(text)


def _check_surrogates(record: Any, sink: FindingCollector, line_no: int, name: str) -> None:
    """Report an escaped UTF-16 surrogate without its other half ("\\ud800" alone): valid JSON syntax, but
    not a character, so the text cannot be written as UTF-8 or tokenized."""
    try:
        json.dumps(record, ensure_ascii=False).encode()
    except UnicodeEncodeError as error:
        code = ord(error.object[error.start])
        sink.error(
            "encoding.lone-surrogate",
            f"the escape \\u{code:04x} is half of a UTF-16 surrogate pair without its other half, which is not a "
            "character; Bedrock cannot read it as text: write the character itself, or both halves of its pair "
            "(an emoji such as \\ud83d\\ude00), or remove the escape",
            line_no,
            name,
        )
    except (ValueError, RecursionError):
        # Not serializable or too deeply nested: other rules report such a record; there is no surrogate to name.
        return


def _utf8_size(text: str) -> tuple[int, bool]:
    """Byte length of a decoded non-ASCII line, and whether its bytes were valid UTF-8 (surrogateescape
    turns each invalid byte into a lone surrogate, which strict encoding refuses)."""
    try:
        return len(text.encode()), True
    except UnicodeEncodeError:
        return len(text.encode("utf-8", "surrogateescape")), False


class _UnusualLines:
    """Lines the fast path does not take, checked as the exact bytes of the file.

    `check` returns (record or None, the line as hashed for duplicates: its text after BOM and CR removal
    plus "\n", extra bytes read past the line). `stop` is set when the rest of the file cannot be read.
    """

    def __init__(
        self, scan: FileScan, sink: FindingCollector, readline: Callable[[int], str], checker: RecordChecker
    ) -> None:
        self.scan = scan
        self.sink = sink
        self.readline = readline
        self.checker = checker
        self.stop = False
        # The first line as a JSON array of objects, or a pretty-printed file's first line: for the shape sample.
        self.array: list[Any] | None = None
        self.multi_line = False

    def check(self, text: str, line_no: int, clean: bool, parsed: Any, end: int) -> tuple[Any, str, int]:
        if clean and end == len(text) - 2 and text.endswith("\r\n") and type(parsed) is dict:
            # An ordinary record with a Windows line ending: every line of a CRLF file comes this way.
            self._count_crlf(line_no)
            return parsed, text[:-2] + "\n", 0
        name = self.scan.name
        sink = self.sink
        if line_no == 1 and self._unreadable_file(text[:8].encode("utf-8", "surrogateescape")):
            self.stop = True
            return None, "", 0
        if not text.endswith("\n") and len(text) >= _LINE_LIMIT:
            return None, "", self._oversized(text, line_no)
        content = text[:-1] if text.endswith("\n") else text
        raw = content.encode("utf-8", "surrogateescape")
        if len(raw) > MAX_LINE_BYTES:
            return None, "", self._oversized(text, line_no)
        if line_no == 1 and raw.startswith(UTF8_BOM):
            _report_bom(sink, line_no, name)
            raw = raw[len(UTF8_BOM) :]
            content = content[1:]
            parsed, end = None, -1
        crlf = raw.endswith(b"\r")
        if crlf:
            raw = raw[:-1]
            content = content[:-1]
        if line_no == 1 and content.strip() in _MULTI_LINE_OPENINGS:
            self.multi_line = content.strip() != "{"
            fix = (
                f"convert the JSON array with `{self._convert_command()}`"
                if self.multi_line
                else "export the records as JSON Lines, one object per line"
            )
            sink.error(
                "jsonl.multi-line-json",
                "the file is pretty-printed JSON: each record spreads over several lines, and Bedrock reads one "
                f"JSON object per line; {fix}",
                line_no,
                name,
            )
            self.stop = True
            return None, "", 0
        if not (clean and end == len(content) and parsed is not None):
            try:
                parsed = _STRICT_JSON.decode(raw.decode())
            except (ValueError, RecursionError) as error:
                parsed = _line_fault(raw, error, line_no, name, sink)
                if parsed is None:
                    return None, "", 0
        if crlf:
            # Counted only on a readable line: a lone CR at the end of a CR-only file is reported as such.
            self._count_crlf(line_no)
        if type(parsed) is list and parsed and all(type(item) is dict for item in parsed):
            if line_no == 1:
                self.array = parsed
            sink.error(
                "jsonl.not-object",
                f"the line is a JSON array of {len(parsed)} objects; JSONL needs each record as one object on its "
                f"own line, without the surrounding [ ]: `{self._convert_command()}` writes one record per line",
                line_no,
                name,
            )
            return None, "", 0
        if type(parsed) is not dict:
            sink.error(
                "jsonl.not-object",
                f"the line is a JSON {_json_type(parsed)}, not an object; each line must be one record "
                'like {"...": ...}',
                line_no,
                name,
            )
            return None, "", 0
        return parsed, content + "\n", 0

    def _convert_command(self) -> str:
        return auto_convert_command(
            self.scan.name,
            model_id=self.checker.rules.canonical_id,
            customization_type=self.checker.customization_type,
        )

    def _unreadable_file(self, head: bytes) -> bool:
        """Report a first line that shows the whole file is not UTF-8 text (UTF-16, an archive)."""
        if head[:2] in UTF16_BOMS or head[:2] in UTF16_STARTS:
            self.sink.error(
                "encoding.utf16",
                "the file is UTF-16 encoded; Bedrock reads UTF-8 only: re-save it as UTF-8 (without BOM)",
                1,
                self.scan.name,
            )
            return True
        for magic, kind, command in COMPRESSED_MAGIC:
            if head.startswith(magic):
                self.sink.error(
                    "encoding.compressed",
                    f"the file is {kind}-compressed; Bedrock reads plain .jsonl text only: decompress it "
                    f"({command}) and upload the .jsonl file",
                    1,
                    self.scan.name,
                )
                return True
        return False

    def _count_crlf(self, line_no: int) -> None:
        self.scan.crlf_lines += 1
        if self.scan.crlf_lines == 1:
            self.sink.warning(
                "encoding.crlf",
                "Windows line endings (CRLF); most parsers accept them, but `tuneline fix` writes a clean "
                "copy with plain LF",
                line_no,
                self.scan.name,
            )

    def _oversized(self, text: str, line_no: int) -> int:
        """Report a line longer than MAX_LINE_BYTES and read past its end; returns the bytes skipped."""
        head = text[:_OVERSIZED_HEAD_CHARS].encode("utf-8", "surrogateescape")
        self.sink.error(
            "record.too-large",
            f"the line is longer than {MAX_LINE_BYTES // (1024 * 1024)} MB (starts {head[:60]!r}); no Bedrock "
            "model accepts a record this size: check for missing line breaks or split the record",
            line_no,
            self.scan.name,
        )
        skipped = 0
        rest = text
        while not rest.endswith("\n"):
            rest = self.readline(_LINE_LIMIT)
            if not rest:
                break
            skipped += len(rest.encode("utf-8", "surrogateescape"))
        return skipped


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
    if message == "Extra data" and _cr_before(raw, error.pos):
        sink.error(
            "encoding.cr-line-endings",
            "records are separated by a lone carriage return (CR, old Mac line endings), so the file reads as "
            "one line; JSONL needs a line feed (LF, \\n) after each record: convert the line endings to LF "
            "(e.g. tr '\\r' '\\n' < in.jsonl > out.jsonl)",
            line_no,
            name,
        )
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
        f"not valid JSON ({message.removesuffix(' at')} at column {column}); {_json_hint(raw, message, error.pos)}",
        line_no,
        name,
    )
    return None


def _json_hint(raw: bytes, message: str, position: int) -> str:
    """How to fix the commonest ways a hand-written or exported line breaks JSON."""
    if b"\x00" in raw:
        return (
            "the line has NUL bytes (\\x00), which no JSON text has: is the file UTF-16 or binary? re-save it as UTF-8"
        )
    text = raw.decode()
    at = text[position : position + 5]
    before = text[:position].rstrip()
    if at.startswith("'"):
        return 'JSON keys and strings take double quotes ("..."), not single quotes'
    if before.endswith(",") and at[:1] in ("}", "]"):
        return f"remove the trailing comma before {at[:1]!r}"
    if at.startswith(("None", "True", "False")):
        return "write null, true and false in lower case (JSON, not Python)"
    if message == "Extra data":
        return "a line holds exactly one JSON object: put each record on its own line"
    if message.startswith("Unterminated string") or (message.startswith("Expecting") and position >= len(text)):
        return (
            "the line ends inside the record: each record must be complete on one line (a line break in a text "
            "must be written as \\n)"
        )
    return "each line must be one complete JSON object"


def _cr_before(raw: bytes, position: int) -> bool:
    """Whether the whitespace just before character `position` of the line holds a CR."""
    before = raw.decode()[:position]
    gap = before[len(before.rstrip(" \t\r\n")) :]
    return "\r" in gap


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
