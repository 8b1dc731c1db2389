"""Converters from common dataset shapes to the format a Bedrock base model expects.

Sources: CSV/TSV/semicolon tables with chosen question/answer (and optional system) columns (the delimiter is
sniffed from the header), Alpaca (`instruction`, `input`, `output`), Dolly (`instruction`, `context`,
`response`), any flat JSON record with named fields (`jsonl`), chat (OpenAI `messages` or ShareGPT
`conversations`) and plain text for continued pre-training (passages split on blank lines, or packed into
chunks of N tokens, never over the model's limit). JSON sources are JSON lines or one JSON array.

Each source yields neutral `Example`s; one writer per target format turns them into lines. Nothing is dropped
silently: every skipped record is counted by reason, and what a target cannot hold (tool calls, images the
model does not take) refuses the conversion with the count unless skipping those records is asked for.
Personal data can be redacted on the way (see `pii.py`).
"""

from __future__ import annotations

import csv
import io
import json
import math
import re
from collections import Counter
from collections.abc import Callable, Iterator
from dataclasses import dataclass, field
from typing import Any, BinaryIO

from tuneline.datasets import pii
from tuneline.datasets.dedupe import Deduplicator
from tuneline.datasets.lines import MAX_LINE_BYTES, Readable, iter_lines
from tuneline.datasets.models import (
    DISTILLATION,
    FINE_TUNING,
    FORMAT_CLAUDE_MESSAGES,
    FORMAT_CONTINUED_PRETRAINING,
    FORMAT_CONVERSE,
    FORMAT_PROMPT_COMPLETION,
    ModelRules,
)
from tuneline.datasets.shapes import ShapeSample
from tuneline.datasets.tables import DELIMITER_NAMES, DELIMITERS, sniff_delimiter
from tuneline.suggest import did_you_mean

SOURCES = ("csv", "alpaca", "chat", "dolly", "jsonl", "text")
MAX_SKIPPED_LINES_LISTED = 20
_IMAGE_FORMATS = {"png": "png", "jpg": "jpeg", "jpeg": "jpeg", "gif": "gif", "webp": "webp"}

# Why a record was skipped (the keys of ConvertSummary.skipped_reasons).
SKIP_NOT_JSON = "not valid JSON"
SKIP_NOT_OBJECT = "not a JSON object"
SKIP_TOO_LONG = "line longer than the reader's limit"
SKIP_NO_MESSAGES = "no 'messages' or 'conversations' list"
SKIP_EMPTY_PROMPT = "empty prompt"
SKIP_EMPTY_ANSWER = "empty answer"
SKIP_ORDER = "turns do not start with the user and end with an answer"
SKIP_SURROGATE = "broken character (half of a surrogate pair)"
SKIP_TOOLS = "tool calls or tool results (no Bedrock customization format has tool use)"
SKIP_IMAGES = "images the target cannot hold"
SKIP_DUPLICATE = "copy of an earlier record (--dedupe)"
SKIP_NOT_TEXT = "field value is not text"


class ConvertError(ValueError):
    """The source cannot be converted (missing column, unsupported target, ...)."""


class ConvertRefused(ValueError):
    """The data holds what the target cannot keep (tool calls, images); converting would silently change what is
    trained. `summary` has the counts."""

    def __init__(self, message: str, summary: ConvertSummary) -> None:
        super().__init__(message)
        self.summary = summary


class NoRecordFits(ConvertRefused):
    """The records are not of the shape the source reads (a Dolly conversion of OpenAI chat records):
    `summary.sample` holds what they look like."""


@dataclass
class Example:
    """One training example, independent of any file format."""

    line: int
    system: str | None
    turns: list[tuple[str, str]]  # (role, text), roles "user" / "assistant"
    # Image S3 URIs per turn (parallel to `turns`), kept as image blocks where the target takes them.
    images: list[list[str]] = field(default_factory=list)
    passage: bool = False  # plain text for continued pre-training: one "user" turn, no answer


@dataclass
class ConvertSummary:
    source: str
    target_format: str
    records_in: int = 0
    records_out: int = 0
    skipped: int = 0
    skipped_lines: list[int] = field(default_factory=list)
    skipped_reasons: Counter[str] = field(default_factory=Counter)
    pii_found: Counter[str] = field(default_factory=Counter)
    redactions: Counter[str] = field(default_factory=Counter)
    # Chat specifics: what the source had that the target treats differently.
    tool_records: int = 0
    image_records: int = 0
    images_kept: int = 0
    unweighted_turns: int = 0
    unweighted_records: int = 0
    delimiter: str | None = None
    warnings: list[str] = field(default_factory=list)
    # The first records of a JSON source as read: what the file looks like when nothing fits --from.
    sample: ShapeSample = field(default_factory=ShapeSample)

    def skip(self, line: int, reason: str = "incomplete record") -> None:
        self.skipped += 1
        self.skipped_reasons[reason] += 1
        if len(self.skipped_lines) < MAX_SKIPPED_LINES_LISTED:
            self.skipped_lines.append(line)

    def to_dict(self) -> dict[str, Any]:
        return {
            "source": self.source,
            "target_format": self.target_format,
            "records_in": self.records_in,
            "records_out": self.records_out,
            "skipped": self.skipped,
            "skipped_lines": self.skipped_lines,
            "skipped_reasons": dict(self.skipped_reasons.most_common()),
            "pii_found": dict(self.pii_found),
            "redactions": dict(self.redactions),
            "tool_records": self.tool_records,
            "image_records": self.image_records,
            "images_kept": self.images_kept,
            "unweighted_turns": self.unweighted_turns,
            "delimiter": self.delimiter,
            "warnings": self.warnings,
        }


def convert_stream(
    src: BinaryIO | Readable,
    dst: BinaryIO,
    *,
    source: str,
    rules: ModelRules,
    customization_type: str = FINE_TUNING,
    question_column: str = "question",
    answer_column: str = "answer",
    system_column: str | None = None,
    system_prompt: str | None = None,
    redact_pii: bool = False,
    delimiter: str | None = None,
    prompt_field: str = "prompt",
    context_field: str | None = None,
    answer_field: str = "completion",
    system_field: str | None = None,
    chunk_tokens: int | None = None,
    skip_unsupported: bool = False,
    dedupe: bool = False,
) -> ConvertSummary:
    """Convert `src` into `dst`. Raises ConvertError for a setup that cannot work (missing column, target the
    source cannot fill) and ConvertRefused, after reading everything, when records hold what the target cannot
    keep and `skip_unsupported` is False (the caller discards what was written)."""
    target = rules.format_for(customization_type)
    if target not in WRITERS:
        raise ConvertError(
            f"cannot convert to the {target or customization_type} format of {rules.display_name}; converters "
            f"write {', '.join(sorted(WRITERS))}"
        )
    if source == "text" and target != FORMAT_CONTINUED_PRETRAINING:
        raise ConvertError(
            f"plain text has no prompts and answers: it trains only with --type CONTINUED_PRE_TRAINING (a model "
            f"that supports it, e.g. amazon.titan-text-express-v1); {rules.display_name} {customization_type} "
            "needs question/answer records (--from csv, jsonl, alpaca, dolly or chat)"
        )
    summary = ConvertSummary(source=source, target_format=target)
    keep_images = target == FORMAT_CONVERSE and bool(rules.image_formats)
    if source == "csv":
        examples = read_csv(src, question_column, answer_column, system_column, summary, delimiter=delimiter)
    elif source == "alpaca":
        examples = read_fields(src, summary, "instruction", "input", "output", "system", require=False)
    elif source == "dolly":
        examples = read_fields(src, summary, "instruction", "context", "response", None, require=True)
    elif source == "jsonl":
        examples = read_fields(
            src,
            summary,
            prompt_field,
            context_field,
            answer_field,
            system_field,
            require=True,
            passages=target == FORMAT_CONTINUED_PRETRAINING,
            named_by_options=True,
        )
    elif source == "chat":
        examples = read_chat(src, summary, image_formats=rules.image_formats if keep_images else ())
    elif source == "text":
        limit = rules.max_tokens_for(None)
        tokens = min(chunk_tokens, limit) if chunk_tokens else limit
        examples = read_text(
            src, summary, max_chars=max(1, math.floor(tokens * rules.chars_per_token)), pack=bool(chunk_tokens)
        )
    else:
        raise ConvertError(f"unknown source {source!r}; use one of {', '.join(SOURCES)}")
    write = WRITERS[target]
    duplicates = Deduplicator() if dedupe else None
    for example in examples:
        summary.records_in += 1
        if system_prompt and not example.system and not example.passage:
            example.system = system_prompt
        reason = _unusable(example, prompts_only=customization_type == DISTILLATION)
        if reason:
            summary.skip(example.line, reason)
            continue
        if example.images and any(example.images):
            if not keep_images:
                summary.skip(example.line, SKIP_IMAGES)
                continue
            summary.images_kept += sum(len(uris) for uris in example.images)
        _scan_and_redact(example, summary, redact_pii)
        try:
            line = json.dumps(write(example), ensure_ascii=False).encode()
        except UnicodeEncodeError:
            # Half of a surrogate pair ("\ud83d" alone in the source): not a character, no valid record.
            summary.skip(example.line, SKIP_SURROGATE)
            continue
        if duplicates is not None and not duplicates.keep(line, example.line):
            summary.skip(example.line, SKIP_DUPLICATE)
            continue
        dst.write(line + b"\n")
        summary.records_out += 1
    # Every record read was written or skipped (also those the reader skipped before yielding anything).
    summary.records_in = summary.records_out + summary.skipped
    _finish_chat(summary, rules, keep_images, skip_unsupported)
    return summary


def _finish_chat(summary: ConvertSummary, rules: ModelRules, keep_images: bool, skip_unsupported: bool) -> None:
    """Refuse (or, with skip_unsupported, report) what the target cannot hold; warn about weight-0 turns."""
    if summary.unweighted_turns:
        summary.warnings.append(
            f'{summary.unweighted_turns} assistant turn(s) in {summary.unweighted_records} record(s) have "weight": 0 '
            "(OpenAI does not train on them). Bedrock has no per-turn weight and trains on every assistant turn, "
            "so they are trained now: remove those turns (or records) if the model must not learn them"
        )
    problems = []
    tools = summary.skipped_reasons.get(SKIP_TOOLS, 0)
    if tools:
        problems.append(
            f"{tools} record(s) have tool calls or tool results, and {rules.display_name} customization data "
            "has no tool use (docs/bedrock.md §2)"
        )
    images = summary.skipped_reasons.get(SKIP_IMAGES, 0)
    if images:
        where = (
            "their images are not S3 URIs (s3://bucket/key) of a format the model takes "
            f"({', '.join(rules.image_formats)}); upload the images to the dataset's bucket and use s3:// URIs"
            if keep_images
            else f"{rules.display_name} {summary.target_format} records take no images"
        )
        problems.append(f"{images} record(s) have images: {where}")
    if not problems:
        return
    if skip_unsupported:
        summary.warnings.extend(f"skipped: {problem}" for problem in problems)
        return
    raise ConvertRefused(
        "; ".join(problems) + ". Converting them would silently change what is trained, so nothing was written: "
        "fix those records, or pass --skip-unsupported to leave them out (they are counted)",
        summary,
    )


def _unusable(example: Example, *, prompts_only: bool) -> str | None:
    """Why the example cannot be a record, or None. A record starts with the user and ends with the answer to
    learn (distillation prompts may stop at the user turn); a passage needs only text."""
    if example.passage:
        return None if example.turns and example.turns[0][1].strip() else SKIP_EMPTY_PROMPT
    keep = [not (prompts_only and role == "assistant" and not text) for role, text in example.turns]
    example.turns = [turn for turn, kept in zip(example.turns, keep, strict=True) if kept]
    if example.images:
        example.images = [uris for uris, kept in zip(example.images, keep, strict=False) if kept]
    turns = example.turns
    if not turns:
        return SKIP_EMPTY_PROMPT
    if turns[0][0] != "user" or not (prompts_only or turns[-1][0] == "assistant"):
        if len(turns) == 1 and turns[0][0] == "user":
            return SKIP_EMPTY_ANSWER
        return SKIP_ORDER
    for index, (role, text) in enumerate(turns):
        if not text.strip() and not (example.images and index < len(example.images) and example.images[index]):
            return SKIP_EMPTY_ANSWER if role == "assistant" else SKIP_EMPTY_PROMPT
    return None


def _scan_and_redact(example: Example, summary: ConvertSummary, redact: bool) -> None:
    def clean(text: str) -> str:
        summary.pii_found.update(pii.pii_kinds(text))
        if not redact:
            return text
        redacted, counts = pii.redact(text)
        summary.redactions.update(counts)
        return redacted

    if example.system:
        example.system = clean(example.system)
    example.turns = [(role, clean(text)) for role, text in example.turns]


# --- sources -------------------------------------------------------------------------------------------------


def read_csv(
    src: BinaryIO | Readable,
    question: str,
    answer: str,
    system: str | None,
    summary: ConvertSummary,
    *,
    delimiter: str | None = None,
) -> Iterator[Example]:
    buffered = _as_buffered(src)
    delimiter = delimiter or sniff_delimiter(buffered.peek(64 * 1024))
    summary.delimiter = delimiter
    # utf-8-sig drops the BOM spreadsheet programs like to write; newline="" lets csv handle quoted newlines.
    text = io.TextIOWrapper(buffered, encoding="utf-8-sig", newline="")
    # csv's default cap (128 KB per field) is below a long answer; no record gets near this one.
    csv.field_size_limit(max(csv.field_size_limit(), MAX_LINE_BYTES))
    reader = csv.DictReader(text, delimiter=delimiter)
    rows = _csv_rows(reader)
    columns = [column.strip() if isinstance(column, str) else column for column in next(rows)]
    if not columns:
        raise ConvertError("the CSV file is empty; its first row must name the columns, e.g. question,answer")
    reader.fieldnames = columns
    options = (("--question-column", question), ("--answer-column", answer), ("--system-column", system))
    for option, column in options:
        if column and column not in columns:
            others = [d for d in DELIMITERS if d != delimiter and any(d in c for c in columns)]
            hint = (
                f"; the header holds a {DELIMITER_NAMES[others[0]]}: pass --delimiter {_shell_delimiter(others[0])}"
                if others
                else ""
            )
            raise ConvertError(
                f"{option} {column!r} is not a column of the CSV header; {did_you_mean(column, columns)}columns "
                f"are: {', '.join(map(repr, columns))} (read with the "
                f"{DELIMITER_NAMES.get(delimiter, repr(delimiter))} delimiter){hint}"
            )
    for row in rows:
        line = reader.line_num
        system_text = _text(row.get(system)) if system else None
        yield Example(
            line=line,
            system=system_text or None,
            turns=[("user", _text(row.get(question))), ("assistant", _text(row.get(answer)))],
        )


def parse_delimiter(text: str) -> str:
    """`--delimiter`: one character, or tab written as \\t, "tab" or a real tab."""
    named = {"tab": "\t", "\\t": "\t", "comma": ",", "semicolon": ";", "pipe": "|"}
    value = named.get(text.lower(), text)
    if len(value) != 1 or value in '"\r\n':
        raise ConvertError(f"--delimiter must be one character (or tab), got {text!r}")
    return value


def _shell_delimiter(delimiter: str) -> str:
    return {"\t": "tab", ";": "';'", "|": "'|'"}.get(delimiter, delimiter)


def _csv_rows(reader: csv.DictReader[str]) -> Iterator[Any]:
    """The header's column names, then the rows of `reader`; a file that is not UTF-8 or not CSV stops with a
    ConvertError (the text is decoded in blocks, so a bad byte is not tied to a line)."""
    try:
        yield reader.fieldnames or []
        yield from reader
    except UnicodeDecodeError as error:
        raise ConvertError(
            f"the CSV is not UTF-8 (it has the byte {error.object[error.start : error.start + 1]!r}); re-save it as "
            'UTF-8 ("CSV UTF-8" in spreadsheet programs)'
        ) from error
    except csv.Error as error:
        raise ConvertError(f"the CSV cannot be read at line {reader.line_num}: {error}") from error


def read_fields(
    src: BinaryIO | Readable,
    summary: ConvertSummary,
    prompt: str,
    context: str | None,
    answer: str,
    system: str | None,
    *,
    require: bool,
    passages: bool = False,
    named_by_options: bool = False,
) -> Iterator[Example]:
    """Flat JSON records: prompt (+ context, after a blank line) -> user turn, answer -> assistant turn.

    With `require`, the first object must have the prompt and answer fields (a misspelled field name stops
    the conversion with the fields that record has, instead of skipping every record). With `passages`
    (continued pre-training), the fields present are joined into one passage and only the prompt is required:
    `{"input": ...}` records, or one JSON array of them, are read with `--prompt-field input`. A missing field
    is a ConvertError (a usage error) when the field names are options, else the records have another shape
    (NoRecordFits).
    """
    checked = not require
    required = (prompt,) if passages else (prompt, answer)
    for line, item in _json_items(src, summary):
        if not isinstance(item, dict):
            summary.skip(line, SKIP_NOT_OBJECT)
            continue
        if not checked:
            checked = True
            missing = [name for name in required if name not in item]
            if missing:
                keys = [str(key) for key in item]
                if not named_by_options:
                    summary.records_in = summary.skipped + 1
                    summary.skip(line, f"no field {missing[0]!r}")
                    raise NoRecordFits(
                        f"the first record (line {line}) has no field {missing[0]!r}; its fields are: "
                        f"{', '.join(map(repr, keys)) or 'none'}",
                        summary,
                    )
                raise ConvertError(
                    f"the first record (line {line}) has no field {missing[0]!r}; {did_you_mean(missing[0], keys)}"
                    f"its fields are: {', '.join(map(repr, keys)) or 'none'} (name them with --prompt-field, "
                    "--context-field, --answer-field, --system-field and --from jsonl)"
                )
        values = [item.get(name) if name else None for name in (prompt, context, answer, system)]
        if any(value is not None and not isinstance(value, (str, int, float)) for value in values):
            summary.skip(line, SKIP_NOT_TEXT)
            continue
        question, extra, response, system_text = (_text(value) for value in values)
        text = f"{question}\n\n{extra}" if question and extra else question or extra
        if passages:
            passage = "\n\n".join(part for part in (system_text, text, response) if part)
            yield Example(line=line, system=None, turns=[("user", passage)], passage=True)
            continue
        yield Example(line=line, system=system_text or None, turns=[("user", text), ("assistant", response)])


def read_chat(
    src: BinaryIO | Readable, summary: ConvertSummary, *, image_formats: tuple[str, ...] = ()
) -> Iterator[Example]:
    """OpenAI chat (`messages` of role/content) or ShareGPT (`conversations` of from/value) records."""
    for line, item in _json_items(src, summary):
        if not isinstance(item, dict):
            summary.skip(line, SKIP_NOT_OBJECT)
            continue
        messages = item.get("messages")
        if not isinstance(messages, list):
            messages = item.get("conversations")
        if not isinstance(messages, list):
            summary.skip(line, SKIP_NO_MESSAGES)
            continue
        system_parts: list[str] = []
        turns: list[tuple[str, str]] = []
        images: list[list[str]] = []
        has_tools = False
        has_images = False
        unweighted = 0
        for message in messages:
            if not isinstance(message, dict):
                continue
            role = message.get("role", message.get("from"))
            content = message.get("content", message.get("value"))
            if role in ("tool", "function", "ipython") or message.get("tool_calls") or message.get("function_call"):
                has_tools = True
            text, uris, other_media = _content_parts(content, image_formats)
            has_tools = has_tools or other_media == "tool"
            if uris or other_media == "image":
                has_images = True
            if role in ("system", "developer"):
                system_parts.append(text)
            elif role in ("user", "human"):
                _append_turn(turns, images, "user", text, uris)
            elif role in ("assistant", "model", "gpt", "bot", "chatbot"):
                if message.get("weight") == 0:
                    unweighted += 1
                _append_turn(turns, images, "assistant", text, uris)
        if isinstance(item.get("system"), str):
            system_parts.insert(0, item["system"])
        if has_tools:
            summary.tool_records += 1
            summary.skip(line, SKIP_TOOLS)
            continue
        if has_images:
            summary.image_records += 1
            if (
                not image_formats
                or any(not _keepable(uri, image_formats) for group in images for uri in group)
                or (not any(images))
            ):
                summary.skip(line, SKIP_IMAGES)
                continue
        if unweighted:
            summary.unweighted_turns += unweighted
            summary.unweighted_records += 1
        yield Example(
            line=line,
            system="\n\n".join(p for p in system_parts if p) or None,
            turns=turns,
            images=images if any(images) else [],
        )


def _append_turn(turns: list[tuple[str, str]], images: list[list[str]], role: str, text: str, uris: list[str]) -> None:
    # Two messages in a row from the same side become one turn: Bedrock needs strict alternation.
    if turns and turns[-1][0] == role:
        joined = "\n\n".join(part for part in (turns[-1][1], text) if part)
        turns[-1] = (role, joined)
        images[-1].extend(uris)
    else:
        turns.append((role, text))
        images.append(list(uris))


def _content_parts(content: Any, image_formats: tuple[str, ...]) -> tuple[str, list[str], str | None]:
    """(text, image URIs, "image"/"tool" when the content has media or tool parts that are not kept)."""
    if isinstance(content, str):
        return content, [], None
    if not isinstance(content, list):
        return "", [], None
    texts: list[str] = []
    uris: list[str] = []
    other: str | None = None
    for block in content:
        if isinstance(block, str):
            texts.append(block)
            continue
        if not isinstance(block, dict):
            continue
        kind = block.get("type")
        if isinstance(block.get("text"), str) and kind in (None, "text", "input_text", "output_text"):
            texts.append(block["text"])
        elif kind in ("image_url", "image", "input_image") or "image" in block or "image_url" in block:
            uri = _image_uri(block)
            if uri is None:
                other = other or "image"
            else:
                uris.append(uri)
        elif (
            kind in ("tool_use", "tool_result", "function_call", "tool_call")
            or "toolUse" in block
            or ("toolResult" in block)
        ):
            other = "tool"
        elif kind is not None or any(key in block for key in ("video", "audio", "document", "file")):
            other = other or "image"
    return "\n".join(texts), uris, other


def _image_uri(block: dict[str, Any]) -> str | None:
    """The URI of an image part in the OpenAI, Anthropic-ish or Converse shape, or None."""
    value: Any = block.get("image_url", block.get("image"))
    if isinstance(value, dict):
        source = value.get("source")
        if isinstance(source, dict):
            location = source.get("s3Location")
            value = location.get("uri") if isinstance(location, dict) else source.get("url")
        else:
            value = value.get("url", value.get("uri"))
    if value is None and isinstance(block.get("url"), str):
        value = block["url"]
    return value if isinstance(value, str) and value else None


def _keepable(uri: str, image_formats: tuple[str, ...]) -> bool:
    return uri.startswith("s3://") and _image_format(uri) in image_formats


def _image_format(uri: str) -> str | None:
    return _IMAGE_FORMATS.get(uri.rsplit("?", 1)[0].rsplit(".", 1)[-1].lower())


def read_text(src: BinaryIO | Readable, summary: ConvertSummary, *, max_chars: int, pack: bool) -> Iterator[Example]:
    """Plain text: one passage per paragraph (blank-line separated), or, with `pack`, paragraphs packed into
    chunks of up to `max_chars`. A paragraph longer than `max_chars` is cut at sentence or word ends."""
    text = io.TextIOWrapper(_as_buffered(src), encoding="utf-8-sig", errors="strict")
    chunk: list[str] = []
    chunk_line = 0
    size = 0
    try:
        for line, paragraph in _paragraphs(text):
            for piece in _cut(paragraph, max_chars):
                if not pack:
                    yield Example(line=line, system=None, turns=[("user", piece)], passage=True)
                    continue
                if chunk and size + 2 + len(piece) > max_chars:
                    yield Example(line=chunk_line, system=None, turns=[("user", "\n\n".join(chunk))], passage=True)
                    chunk, size = [], 0
                if not chunk:
                    chunk_line = line
                    size = len(piece)
                else:
                    size += 2 + len(piece)
                chunk.append(piece)
    except UnicodeDecodeError as error:
        raise ConvertError(
            f"the text is not UTF-8 (it has the byte {error.object[error.start : error.start + 1]!r}); re-save "
            "it as UTF-8"
        ) from error
    if chunk:
        yield Example(line=chunk_line, system=None, turns=[("user", "\n\n".join(chunk))], passage=True)


def _paragraphs(text: io.TextIOWrapper) -> Iterator[tuple[int, str]]:
    lines: list[str] = []
    start = 0
    for number, raw in enumerate(text, 1):
        stripped = raw.rstrip("\r\n")
        if stripped.strip():
            if not lines:
                start = number
            lines.append(stripped.rstrip())
        elif lines:
            yield start, "\n".join(lines)
            lines = []
    if lines:
        yield start, "\n".join(lines)


# A sentence ends with . ! ? and a space, or with the ideographic full stop / full-width ! ? (no space follows).
_SENTENCE_END = re.compile(r"[.!?]\s|[\u3002\uff01\uff1f]")


def _cut(paragraph: str, max_chars: int) -> Iterator[str]:
    while len(paragraph) > max_chars:
        window = paragraph[: max_chars + 1]
        ends = [m.end() for m in _SENTENCE_END.finditer(window)]
        cut = ends[-1] if ends and ends[-1] > max_chars // 2 else window.rfind(" ") + 1 or window.rfind("\n") + 1
        if cut <= max_chars // 4:
            cut = max_chars  # no boundary (CJK text without spaces, a URL): cut at the limit
        head, paragraph = paragraph[:cut].rstrip(), paragraph[cut:].lstrip()
        if head:
            yield head
    if paragraph.strip():
        yield paragraph


def _text(value: Any) -> str:
    if isinstance(value, bool):
        return ""
    if isinstance(value, (int, float)):
        return str(value)
    return value.strip() if isinstance(value, str) else ""


def _json_items(src: BinaryIO | Readable, summary: ConvertSummary) -> Iterator[tuple[int, Any]]:
    """JSON lines, or a single JSON array (Alpaca's usual file) which must be read whole."""
    buffered = _as_buffered(src)
    head = buffered.peek(64).lstrip(b"\xef\xbb\xbf \t\r\n")
    if head.startswith(b"["):
        try:
            items = json.loads(buffered.read().decode("utf-8-sig"))
        except (ValueError, RecursionError) as error:
            raise ConvertError(
                f"the file starts with '[' but is not one valid JSON array ({_reason(error)}); fix the JSON, or "
                "write one JSON object per line"
            ) from error
        if not isinstance(items, list):
            raise ConvertError("the file starts with '[' but is not a JSON array; write one JSON object per line")
        summary.sample.add_array(items)
        for index, item in enumerate(items, 1):
            yield index, item
        return
    sample = summary.sample
    for line_no, (raw, oversized) in enumerate(iter_lines(buffered), 1):
        if line_no == 1 and raw.startswith(b"\xef\xbb\xbf"):
            raw = raw[3:]
        if not raw.strip():
            continue
        if oversized:
            summary.skip(line_no, SKIP_TOO_LONG)
            continue
        try:
            item = json.loads(raw.decode("utf-8-sig"))
        except (ValueError, RecursionError):
            if sample.records < sample.limit:
                sample.add_unparsed(raw.decode("utf-8", "replace") + "\n")
            summary.skip(line_no, SKIP_NOT_JSON)
            continue
        if sample.records < sample.limit:
            if isinstance(item, dict):
                sample.add(item)
            else:
                sample.add_unparsed(raw.decode("utf-8", "replace") + "\n")
        yield line_no, item


def _reason(error: Exception) -> str:
    if isinstance(error, RecursionError):
        return "nested too deeply"
    if isinstance(error, UnicodeDecodeError):
        return f"byte {error.start + 1} is not UTF-8"
    return str(error)


def _as_buffered(src: BinaryIO | Readable) -> io.BufferedReader:
    if isinstance(src, io.BufferedReader):
        return src
    return io.BufferedReader(_RawAdapter(src))


class _RawAdapter(io.RawIOBase):
    """Lets io.BufferedReader / TextIOWrapper sit on anything with read(n), e.g. an S3 StreamingBody."""

    def __init__(self, stream: BinaryIO | Readable) -> None:
        self.stream = stream

    def readable(self) -> bool:
        return True

    def readinto(self, buffer: Any) -> int:
        data = self.stream.read(len(buffer))
        buffer[: len(data)] = data
        return len(data)


# --- writers -------------------------------------------------------------------------------------------------


def _prompt_completion(example: Example) -> dict[str, Any]:
    # Multi-turn history becomes part of the prompt; the last answer is the completion.
    history = [text for _, text in example.turns[:-1]]
    if example.system:
        history.insert(0, example.system)
    return {"prompt": "\n\n".join(history), "completion": example.turns[-1][1]}


def _converse(example: Example) -> dict[str, Any]:
    record: dict[str, Any] = {"schemaVersion": FORMAT_CONVERSE}
    if example.system:
        record["system"] = [{"text": example.system}]
    messages = []
    for index, (role, text) in enumerate(example.turns):
        uris = example.images[index] if index < len(example.images) else []
        content: list[dict[str, Any]] = [
            {"image": {"format": _image_format(uri), "source": {"s3Location": {"uri": uri}}}} for uri in uris
        ]
        if text.strip():
            content.append({"text": text})
        messages.append({"role": role, "content": content})
    record["messages"] = messages
    return record


def _claude_messages(example: Example) -> dict[str, Any]:
    record: dict[str, Any] = {}
    if example.system:
        record["system"] = example.system
    record["messages"] = [{"role": role, "content": text} for role, text in example.turns]
    return record


def _continued_pretraining(example: Example) -> dict[str, Any]:
    parts = [example.system] if example.system else []
    parts.extend(text for _, text in example.turns)
    return {"input": "\n\n".join(parts)}


WRITERS: dict[str, Callable[[Example], dict[str, Any]]] = {
    FORMAT_PROMPT_COMPLETION: _prompt_completion,
    FORMAT_CONVERSE: _converse,
    FORMAT_CLAUDE_MESSAGES: _claude_messages,
    FORMAT_CONTINUED_PRETRAINING: _continued_pretraining,
}
