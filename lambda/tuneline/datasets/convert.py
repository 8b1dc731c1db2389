"""Converters from common dataset shapes to the format a Bedrock base model expects.

Sources: CSV with chosen question/answer (and optional system) columns, Alpaca (`instruction`, `input`,
`output`; JSON lines or one JSON array) and chat JSONL (`messages` with system/user/assistant roles and string
or block content). Each source yields neutral `Example`s; one writer per target format turns them into lines.
Personal data can be redacted on the way (see `pii.py`).
"""

from __future__ import annotations

import csv
import io
import json
from collections import Counter
from collections.abc import Callable, Iterator
from dataclasses import dataclass, field
from typing import Any, BinaryIO

from tuneline.datasets import pii
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
from tuneline.suggest import did_you_mean

SOURCES = ("csv", "alpaca", "chat")
MAX_SKIPPED_LINES_LISTED = 20


class ConvertError(ValueError):
    """The source cannot be converted (missing column, unsupported target, ...)."""


@dataclass
class Example:
    """One training example, independent of any file format."""

    line: int
    system: str | None
    turns: list[tuple[str, str]]  # (role, text), roles "user" / "assistant"


@dataclass
class ConvertSummary:
    source: str
    target_format: str
    records_in: int = 0
    records_out: int = 0
    skipped: int = 0
    skipped_lines: list[int] = field(default_factory=list)
    pii_found: Counter[str] = field(default_factory=Counter)
    redactions: Counter[str] = field(default_factory=Counter)

    def skip(self, line: int) -> None:
        self.skipped += 1
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
            "pii_found": dict(self.pii_found),
            "redactions": dict(self.redactions),
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
) -> ConvertSummary:
    target = rules.format_for(customization_type)
    if target not in WRITERS:
        raise ConvertError(
            f"cannot convert to the {target or customization_type} format of {rules.display_name}; converters "
            f"write {', '.join(sorted(WRITERS))}"
        )
    summary = ConvertSummary(source=source, target_format=target)
    if source == "csv":
        examples = read_csv(src, question_column, answer_column, system_column, summary)
    elif source == "alpaca":
        examples = read_alpaca(src, summary)
    elif source == "chat":
        examples = read_chat(src, summary)
    else:
        raise ConvertError(f"unknown source {source!r}; use one of {', '.join(SOURCES)}")
    write = WRITERS[target]
    for example in examples:
        summary.records_in += 1
        if system_prompt and not example.system:
            example.system = system_prompt
        if not _usable(example, prompts_only=customization_type == DISTILLATION):
            summary.skip(example.line)
            continue
        _scan_and_redact(example, summary, redact_pii)
        try:
            line = json.dumps(write(example), ensure_ascii=False).encode()
        except UnicodeEncodeError:
            # Half of a surrogate pair ("\ud83d" alone in the source): not a character, no valid record.
            summary.skip(example.line)
            continue
        dst.write(line + b"\n")
        summary.records_out += 1
    return summary


def _usable(example: Example, *, prompts_only: bool) -> bool:
    """Starts with the user, ends with the answer to learn (distillation prompts may stop at the user turn)."""
    turns = [(role, text) for role, text in example.turns if not (prompts_only and role == "assistant" and not text)]
    example.turns = turns
    return (
        bool(turns)
        and turns[0][0] == "user"
        and (prompts_only or turns[-1][0] == "assistant")
        and all(text.strip() for _, text in turns)
    )


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
) -> Iterator[Example]:
    # utf-8-sig drops the BOM spreadsheet programs like to write; newline="" lets csv handle quoted newlines.
    text = io.TextIOWrapper(_as_buffered(src), encoding="utf-8-sig", newline="")
    # csv's default cap (128 KB per field) is below a long answer; no record gets near this one.
    csv.field_size_limit(max(csv.field_size_limit(), MAX_LINE_BYTES))
    reader = csv.DictReader(text)
    rows = _csv_rows(reader)
    columns = next(rows)
    if not columns:
        raise ConvertError("the CSV file is empty; its first row must name the columns, e.g. question,answer")
    options = (("--question-column", question), ("--answer-column", answer), ("--system-column", system))
    for option, column in options:
        if column and column not in columns:
            raise ConvertError(
                f"{option} {column!r} is not a column of the CSV header; {did_you_mean(column, columns)}columns "
                f"are: {', '.join(map(repr, columns))}"
            )
    for row in rows:
        line = reader.line_num
        system_text = (row.get(system) or "").strip() if system else None
        yield Example(
            line=line,
            system=system_text or None,
            turns=[("user", (row.get(question) or "").strip()), ("assistant", (row.get(answer) or "").strip())],
        )


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


def read_alpaca(src: BinaryIO | Readable, summary: ConvertSummary) -> Iterator[Example]:
    for line, item in _json_items(src, summary):
        if not isinstance(item, dict):
            summary.skip(line)
            continue
        instruction = _text(item.get("instruction"))
        extra = _text(item.get("input"))
        prompt = f"{instruction}\n\n{extra}" if instruction and extra else instruction or extra
        yield Example(
            line=line,
            system=_text(item.get("system")) or None,
            turns=[("user", prompt), ("assistant", _text(item.get("output")))],
        )


def read_chat(src: BinaryIO | Readable, summary: ConvertSummary) -> Iterator[Example]:
    for line, item in _json_items(src, summary):
        messages = item.get("messages") if isinstance(item, dict) else None
        if not isinstance(messages, list):
            summary.skip(line)
            continue
        system_parts: list[str] = []
        turns: list[tuple[str, str]] = []
        for message in messages:
            if not isinstance(message, dict):
                continue
            role = message.get("role")
            text = _content_text(message.get("content"))
            if role in ("system", "developer"):
                system_parts.append(text)
            elif role in ("user", "human"):
                _append_turn(turns, "user", text)
            elif role in ("assistant", "model", "gpt"):
                _append_turn(turns, "assistant", text)
        if isinstance(item.get("system"), str):
            system_parts.insert(0, item["system"])
        yield Example(line=line, system="\n\n".join(p for p in system_parts if p) or None, turns=turns)


def _append_turn(turns: list[tuple[str, str]], role: str, text: str) -> None:
    # Two messages in a row from the same side become one turn: Bedrock needs strict alternation.
    if turns and turns[-1][0] == role:
        turns[-1] = (role, f"{turns[-1][1]}\n\n{text}")
    else:
        turns.append((role, text))


def _content_text(content: Any) -> str:
    if isinstance(content, str):
        return content
    if isinstance(content, list):
        parts = [block.get("text") for block in content if isinstance(block, dict)]
        return "\n".join(p for p in parts if isinstance(p, str))
    return ""


def _text(value: Any) -> str:
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
        for index, item in enumerate(items, 1):
            yield index, item
        return
    for line_no, (raw, oversized) in enumerate(iter_lines(buffered), 1):
        if not raw.strip():
            continue
        if oversized:
            summary.skip(line_no)
            continue
        try:
            item = json.loads(raw.decode("utf-8-sig"))
        except (ValueError, RecursionError):
            summary.skip(line_no)
            continue
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
    record["messages"] = [{"role": role, "content": [{"text": text}]} for role, text in example.turns]
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
