"""What an unconverted dataset looks like, and the `tuneline convert` command that turns it into the right format.

People validate the file they have: OpenAI chat or ShareGPT JSONL, Alpaca or Dolly records, prompt/response
fields, one JSON array, plain text. Every record then fails the model's format, and thousands of findings never
say what the file is. The scanner hands the first `SAMPLE_RECORDS` records (or the head of a JSON array) to a
`ShapeSample`, which classifies each with a few dict lookups; only a report with errors asks it for a verdict, so
valid data pays one integer comparison per line.
"""

from __future__ import annotations

import json
import shlex
from collections import Counter
from dataclasses import dataclass
from typing import Any

from tuneline.datasets.models import (
    CONTINUED_PRE_TRAINING,
    FINE_TUNING,
    FORMAT_CLAUDE_MESSAGES,
    FORMAT_CONTINUED_PRETRAINING,
    FORMAT_CONVERSE,
    FORMAT_IMAGE_CAPTION,
    FORMAT_PROMPT_COMPLETION,
    ModelRules,
)
from tuneline.datasets.tables import DELIMITER_NAMES, table_header

RULE = "dataset.other-shape"
SAMPLE_RECORDS = 200
# Share of the sampled records that must have one other shape before the report says so.
MAJORITY = 0.6
# The head of a pretty-printed JSON array read to see its records (the scan stops at its first line).
ARRAY_HEAD_CHARS = 4 * 1024 * 1024
# How much of the lines that are not JSON is kept to tell a table (CSV, TSV) from prose.
TABLE_HEAD_CHARS = 256 * 1024

_PROMPT_FIELDS = ("prompt", "question", "query", "instruction", "input", "user", "human", "request", "source", "q")
_ANSWER_FIELDS = ("response", "answer", "completion", "output", "reply", "target", "assistant", "bot", "a")
_USER_ROLES = frozenset({"user", "human"})
_ASSISTANT_ROLES = frozenset({"assistant", "model", "gpt", "bot", "chatbot"})
_CLAUDE_ROLES = frozenset({"user", "assistant"})


@dataclass(frozen=True)
class Shape:
    """A record shape: `key` names it, `source` is the `convert --from` that reads it (None: none does)."""

    key: str
    label: str
    source: str | None
    prompt_field: str | None = None
    answer_field: str | None = None
    context_field: str | None = None


CHAT = Shape("chat", "OpenAI chat records ('messages' of role/content)", "chat")
SHAREGPT = Shape("sharegpt", "ShareGPT records ('conversations' of from/value)", "chat")
ALPACA = Shape("alpaca", "Alpaca records (instruction/input/output)", "alpaca")
DOLLY = Shape("dolly", "Dolly records (instruction/context/response)", "dolly")
TEXT = Shape("text", "plain text, not JSON Lines", "text")
# The Bedrock formats themselves: another model's format is a shape too.
PROMPT_COMPLETION = Shape("prompt-completion", "prompt/completion records", "jsonl")
CONVERSE = Shape("converse", "Bedrock conversation records (content block lists)", "chat")
CLAUDE = Shape("claude", "chat records ('messages' of user/assistant role and text content)", "chat")
# Read by `--from jsonl --prompt-field input` into continued pre-training records (one JSON array of them).
PRETRAINING = Shape("pretraining", "continued pre-training records ({'input': text})", "jsonl", prompt_field="input")
CAPTION = Shape("caption", "image caption records (image-ref/caption)", None)

NATIVE = {
    FORMAT_PROMPT_COMPLETION: PROMPT_COMPLETION,
    FORMAT_CONVERSE: CONVERSE,
    FORMAT_CLAUDE_MESSAGES: CLAUDE,
    FORMAT_CONTINUED_PRETRAINING: PRETRAINING,
    FORMAT_IMAGE_CAPTION: CAPTION,
}


def record_shape(record: dict[str, Any]) -> Shape | None:
    """The shape of one parsed JSON object, or None when it has no shape we know."""
    messages = record.get("messages")
    if type(messages) is list:
        return _messages_shape(record, messages)
    conversations = record.get("conversations")
    if type(conversations) is list:
        if any(type(turn) is dict and ("from" in turn or "value" in turn) for turn in conversations):
            return SHAREGPT
        return CHAT if any(type(turn) is dict and "role" in turn for turn in conversations) else None
    if "instruction" in record:
        if "response" in record:
            return DOLLY
        if "output" in record:
            return ALPACA
    if "prompt" in record and "completion" in record:
        return PROMPT_COMPLETION
    if "image-ref" in record and "caption" in record:
        return CAPTION
    if len(record) == 1 and type(record.get("input")) is str:
        return PRETRAINING
    return _flat_shape(record)


def _messages_shape(record: dict[str, Any], messages: list[Any]) -> Shape | None:
    turns = [message for message in messages if type(message) is dict]
    if not turns:
        return None
    if "schemaVersion" in record or type(record.get("system")) is list:
        return CONVERSE
    contents = [turn.get("content") for turn in turns]
    if all(type(content) is str for content in contents):
        roles = {turn.get("role") for turn in turns}
        system = record.get("system")
        if roles <= _CLAUDE_ROLES and (system is None or type(system) is str):
            return CLAUDE
        return CHAT
    blocks = [block for content in contents if type(content) is list for block in content if type(block) is dict]
    if any("type" in block for block in blocks):
        return CHAT  # OpenAI content parts: {"type": "text", "text": ...}
    return CONVERSE if blocks else None


def _flat_shape(record: dict[str, Any]) -> Shape | None:
    """Flat records with a prompt and an answer field: known names first, else exactly two text fields in order."""
    texts = [key for key, value in record.items() if type(key) is str and type(value) is str]
    lowered = {key.lower(): key for key in texts}
    prompt = next((lowered[name] for name in _PROMPT_FIELDS if name in lowered), None)
    answer = next((lowered[name] for name in _ANSWER_FIELDS if name in lowered and lowered[name] != prompt), None)
    if prompt is None or answer is None:
        if len(record) != 2 or len(texts) != 2:
            return None
        prompt, answer = texts
    context = lowered.get("context")
    return Shape(
        f"fields:{prompt}:{answer}:{context}",
        f"flat records with the prompt in {prompt!r} and the answer in {answer!r}",
        "jsonl",
        prompt_field=prompt,
        answer_field=answer,
        context_field=context if context not in (prompt, answer) else None,
    )


def table_shape(lines: list[str], *, complete: bool) -> Shape | None:
    """A delimited table with a header (CSV, TSV, ...) whose question and answer columns are known by name, or are
    its only two columns; a table without them is still a table (no columns to name in the command)."""
    found = table_header(lines, complete=complete)
    if found is None:
        return None
    delimiter, columns = found
    lowered = {column.lower(): column for column in columns}
    prompt = next((lowered[name] for name in _PROMPT_FIELDS if name in lowered), None)
    answer = next((lowered[name] for name in _ANSWER_FIELDS if name in lowered and lowered[name] != prompt), None)
    if (prompt is None or answer is None) and len(columns) == 2:
        prompt, answer = columns
    kind = {"\t": "TSV", ",": "CSV"}.get(delimiter, f"{DELIMITER_NAMES[delimiter]}-separated")
    return Shape(
        f"table:{delimiter}:{prompt}:{answer}",
        f"a {kind} table with a header row (columns {', '.join(map(repr, columns[:6]))}"
        f"{', ...' if len(columns) > 6 else ''})",
        "csv",
        prompt_field=prompt if answer is not None else None,
        answer_field=answer if prompt is not None else None,
    )


class ShapeSample:
    """The shapes of the first records of one file, gathered while it is scanned."""

    def __init__(self, limit: int = SAMPLE_RECORDS) -> None:
        self.limit = limit
        self.records = 0
        self.text_lines = 0
        self.shapes: Counter[Shape] = Counter()
        self.array = False
        # The first lines that are not JSON, as read (a table's header and rows), up to TABLE_HEAD_CHARS.
        self.text_head: list[str] = []
        self._text_head_chars = 0
        self._text_head_cut = False

    def add(self, record: dict[str, Any]) -> None:
        self.records += 1
        shape = record_shape(record)
        if shape is not None:
            self.shapes[shape] += 1

    def add_unparsed(self, text: str) -> None:
        """A line that is not a JSON object: blank lines do not count, prose (or a table row) does."""
        if self._text_head_chars + len(text) <= TABLE_HEAD_CHARS:
            self.text_head.append(text)
            self._text_head_chars += len(text)
        else:
            self._text_head_cut = True
        stripped = text.lstrip("\ufeff \t\r\n")
        if not stripped:
            return
        self.records += 1
        if stripped[0] not in "{[":
            self.text_lines += 1

    def add_array(self, items: list[Any]) -> None:
        """The records at the head of a file that is one JSON array."""
        self.array = True
        self.records = 0
        self.text_lines = 0
        self.shapes.clear()
        for item in items[: self.limit]:
            if type(item) is dict:
                self.add(item)
            else:
                self.records += 1

    def add_array_text(self, head: str) -> None:
        """Parse the complete records of the first `ARRAY_HEAD_CHARS` of a pretty-printed JSON array."""
        decoder = json.JSONDecoder()
        text = head.lstrip("\ufeff \t\r\n")
        if not text.startswith("["):
            return
        position = 1
        items: list[Any] = []
        while len(items) < self.limit:
            while position < len(text) and text[position] in " \t\r\n,":
                position += 1
            if position >= len(text) or text[position] == "]":
                break
            try:
                item, position = decoder.raw_decode(text, position)
            except ValueError:
                break  # the head ends inside a record, or the array is broken: judge what was read
            items.append(item)
        if items:
            self.add_array(items)

    def verdict(self, native: Shape | None) -> tuple[Shape, int] | None:
        """The other shape most sampled records have, with their count, or None."""
        if not self.records:
            return None
        needed = MAJORITY * self.records
        if self.array:
            # A JSON array is the wrong container even when its records have the right shape.
            shape, count = self.shapes.most_common(1)[0] if self.shapes else (None, 0)
            return (shape, count) if shape is not None and count >= needed else None
        if self.text_lines >= needed:
            complete = not self._text_head_cut and len(self.text_head) < self.limit
            return table_shape(self.text_head, complete=complete) or TEXT, self.text_lines
        for shape, count in self.shapes.most_common(2):
            if shape != native and count >= needed:
                return shape, count
        return None


@dataclass(frozen=True)
class ShapeAdvice:
    message: str
    command: str | None


def advise(
    sample: ShapeSample,
    *,
    rules: ModelRules,
    model_id: str,
    customization_type: str,
    file_name: str,
) -> ShapeAdvice | None:
    """What the file looks like and how to convert it, when most of the sample has another shape."""
    target = rules.format_for(customization_type)
    native = NATIVE.get(target or "")
    found = sample.verdict(native)
    if found is None or target == FORMAT_IMAGE_CAPTION:
        return None
    shape, count = found
    if sample.array:
        what = f"one JSON array of {shape.label} ({count} of the first {sample.records} records)"
    elif shape is TEXT:
        what = f"{shape.label} ({count} of the first {sample.records} lines)"
    else:
        what = f"{shape.label} ({count} of the first {sample.records} records)"
    message = (
        f"the file looks like {what}; {rules.display_name} {customization_type} expects one {target} record per line"
    )
    if shape is PRETRAINING and not sample.array:
        # JSON lines of continued pre-training records: only the customization type is wrong.
        if CONTINUED_PRE_TRAINING not in rules.customization_types:
            return ShapeAdvice(f"{message}; {rules.display_name} has no continued pre-training", None)
        source_name = "-" if file_name.startswith("<") else file_name
        command = f"tuneline validate {shlex.quote(source_name)} --model {model_id} --type {CONTINUED_PRE_TRAINING}"
        return ShapeAdvice(f"{message}; they train with --type {CONTINUED_PRE_TRAINING}", command)
    if shape.source is None:
        return ShapeAdvice(f"{message}; no converter reads them for this model", None)
    kind = customization_type
    if shape in (TEXT, PRETRAINING) and customization_type != CONTINUED_PRE_TRAINING:
        if CONTINUED_PRE_TRAINING not in rules.customization_types:
            return ShapeAdvice(
                f"{message}; {customization_type} needs question/answer records, and {rules.display_name} has no "
                "continued pre-training on plain text",
                None,
            )
        message += (
            f"; {customization_type} needs question/answer records, plain text trains with {CONTINUED_PRE_TRAINING}"
        )
        kind = CONTINUED_PRE_TRAINING
    if shape.source == "csv" and shape.prompt_field is None:
        return ShapeAdvice(
            f"{message}; convert it with `tuneline convert --from csv --question-column <column> --answer-column "
            "<column>`, naming its prompt and answer columns",
            None,
        )
    command = convert_command(shape, file_name=file_name, model_id=model_id, customization_type=kind)
    return ShapeAdvice(f"{message}; convert it, then validate the output", command)


# `convert --from auto`: the shape is found from the first records when the file is converted.
_AUTO = Shape("auto", "a shape `tuneline convert --from auto` recognises", "auto")


def auto_convert_command(file_name: str, *, model_id: str, customization_type: str) -> str:
    """`tuneline convert FILE --from auto ...`: for findings made before the shape of the file is known."""
    return convert_command(_AUTO, file_name=file_name, model_id=model_id, customization_type=customization_type)


def convert_command(
    shape: Shape, *, file_name: str, model_id: str, customization_type: str, output: str | None = None
) -> str:
    """The `tuneline convert` command that reads `shape` from `file_name` (default output: `<stem>.converted.jsonl`
    next to it). Field and column options are given only where they differ from the defaults."""
    if shape.source is None:
        raise ValueError(f"no converter reads {shape.label}")
    source_name = "-" if file_name.startswith("<") else file_name
    parts = ["tuneline", "convert", shlex.quote(source_name), "--from", shape.source]
    if shape.source == "csv":
        options: tuple[tuple[str, str | None, str | None], ...] = (
            ("--question-column", shape.prompt_field, "question"),
            ("--answer-column", shape.answer_field, "answer"),
        )
    else:
        options = (
            ("--prompt-field", shape.prompt_field, "prompt"),
            ("--context-field", shape.context_field, None),
            ("--answer-field", shape.answer_field, "completion"),
        )
    for option, value, default in options:
        if value is not None and value != default:
            parts += [option, shlex.quote(value)]
    parts += ["--model", shlex.quote(model_id)]
    if customization_type != FINE_TUNING:
        parts += ["--type", customization_type]
    parts += ["-o", shlex.quote(output or _output_name(file_name))]
    return " ".join(parts)


def _output_name(file_name: str) -> str:
    if file_name.startswith("<"):
        return "converted.jsonl"
    directory, slash, base = file_name.replace("\\", "/").rpartition("/")
    stem = base
    for suffix in (".jsonl", ".json", ".txt", ".text", ".md", ".csv", ".tsv"):
        if stem.lower().endswith(suffix) and len(stem) > len(suffix):
            stem = stem[: -len(suffix)]
            break
    prefix = file_name[: len(directory) + len(slash)]
    return f"{prefix}{stem}.converted.jsonl"


def detect_source(head: bytes) -> Shape | None:
    """The shape of a file to convert from the first bytes of it (`convert --from auto`): JSON lines or one JSON
    array, classified like `validate` does; plain text when most lines are not JSON. None when unsure."""
    text = head.decode("utf-8", "replace").lstrip("\ufeff \t\r\n")
    sample = ShapeSample()
    if text.startswith("["):
        sample.add_array_text(text)
        if not sample.array:
            try:
                items = json.loads(text)
            except ValueError:
                items = None
            if type(items) is list:
                sample.add_array(items)
    else:
        lines = text.splitlines(keepends=True)
        if len(head) >= ARRAY_HEAD_CHARS and len(lines) > 1:
            lines = lines[:-1]  # cut by the head's bound
        for line in lines[: sample.limit]:
            try:
                record = json.loads(line) if line.strip() else None
            except ValueError:
                record = None
            if type(record) is dict:
                sample.add(record)
            else:
                sample.add_unparsed(line)
    found = sample.verdict(None)
    return found[0] if found is not None else None
