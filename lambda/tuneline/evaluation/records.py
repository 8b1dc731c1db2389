"""Evaluation records as files hold them, read with line-precise findings (docs/bedrock.md §12.1, §12.3).

Two JSON Lines formats, both Bedrock's:

* the evaluation dataset (a custom prompt dataset): `prompt`, `referenceResponse`, optional `category`;
* bring-your-own-inference (BYOI) responses: the same keys plus `modelResponses: [{"response",
  "modelIdentifier"}]`, one response per record, one model per file.

A broken record becomes a `Finding` naming the file, the line, the key, the rule broken and the fix, the
shape every checker in Tuneline reports in. Blank lines, a byte-order mark and CRLF line ends are accepted,
as editors on every platform write them.
"""

from __future__ import annotations

import json
from collections.abc import Iterator, Mapping, Sequence
from dataclasses import dataclass
from typing import Any

from tuneline.datasets.lines import Readable, iter_lines
from tuneline.datasets.scan import UTF8_BOM
from tuneline.findings import Finding
from tuneline.suggest import close_match

# Bedrock takes at most this many prompts in one evaluation job (docs/bedrock.md §12.1).
MAX_PROMPTS_PER_JOB = 1000
# Findings kept per file: enough to see a pattern, few enough to read.
MAX_FINDINGS = 20

PROMPT, REFERENCE, CATEGORY = "prompt", "referenceResponse", "category"
MODEL_RESPONSES, RESPONSE, MODEL_IDENTIFIER = "modelResponses", "response", "modelIdentifier"
DATASET_KEYS = (PROMPT, REFERENCE, CATEGORY)
BYOI_KEYS = (*DATASET_KEYS, MODEL_RESPONSES)


@dataclass(frozen=True)
class EvalItem:
    """One prompt with the answer expected for it."""

    prompt: str
    reference: str
    category: str | None = None


@dataclass(frozen=True)
class Scored:
    """One model's response to one item, with its per-record metrics (`metrics.score_response`)."""

    item: EvalItem
    response: str
    scores: dict[str, float]


@dataclass(frozen=True)
class ModelResponse:
    """One record of a BYOI file: the item, the stored response and the model that produced it."""

    item: EvalItem
    response: str
    model_identifier: str
    line: int


class EvaluationDataError(Exception):
    """Records that cannot be evaluated; `findings` says where and why (file, line, key, rule, fix)."""

    def __init__(self, findings: Sequence[Finding]) -> None:
        self.findings = list(findings)
        super().__init__("; ".join(finding.describe() for finding in self.findings))


def to_dataset_record(item: EvalItem) -> dict[str, Any]:
    """The evaluation dataset line for an item (`category` only when it has one)."""
    record: dict[str, Any] = {PROMPT: item.prompt, REFERENCE: item.reference}
    if item.category is not None:
        record[CATEGORY] = item.category
    return record


def to_byoi_record(item: EvalItem, response: str, model_identifier: str) -> dict[str, Any]:
    """The BYOI line for one response: what an evaluation job with precomputed inference reads."""
    record = to_dataset_record(item)
    record[MODEL_RESPONSES] = [{RESPONSE: response, MODEL_IDENTIFIER: model_identifier}]
    return record


def read_evaluation_dataset(
    stream: Readable, *, file: str, max_prompts: int | None = MAX_PROMPTS_PER_JOB
) -> tuple[list[EvalItem], list[Finding]]:
    """The items of an evaluation dataset and the findings; any finding means the file is not usable."""
    reader = _Reader(file)
    items = [reader.item(record, line) for line, record in reader.records(stream)]
    usable = [item for item in items if item is not None]
    if max_prompts is not None and len(usable) > max_prompts:
        reader.add(
            None,
            "too-many-prompts",
            f"{len(usable)} prompts; an evaluation job takes at most {max_prompts}: keep a sample of "
            f"{max_prompts} or split the file",
        )
    if not usable and not reader.findings:
        reader.add(None, "no-records", "the file holds no records: give one JSON object per line")
    return usable, reader.findings


def read_model_responses(stream: Readable, *, file: str) -> tuple[list[ModelResponse], list[Finding]]:
    """The records of a BYOI file (one model's responses) and the findings; any finding means not usable."""
    reader = _Reader(file)
    responses: list[ModelResponse] = []
    first_identifier: tuple[str, int] | None = None
    for line, record in reader.records(stream, keys=BYOI_KEYS):
        item = reader.item(record, line, keys=BYOI_KEYS)
        answer = reader.model_response(record, line)
        if item is None or answer is None:
            continue
        response, identifier = answer
        if first_identifier is None:
            first_identifier = (identifier, line)
        elif identifier != first_identifier[0]:
            reader.add(
                line,
                "mixed-models",
                f"key '{MODEL_RESPONSES}[0].{MODEL_IDENTIFIER}': {identifier!r} differs from "
                f"{first_identifier[0]!r} on line {first_identifier[1]}; keep one model's responses per file",
            )
            continue
        responses.append(ModelResponse(item, response, identifier, line))
    if not responses and not reader.findings:
        reader.add(None, "no-records", "the file holds no records: give one JSON object per line")
    return responses, reader.findings


def pair_by_order(files: Mapping[str, tuple[str, Sequence[ModelResponse]]]) -> list[Finding]:
    """Findings for files that do not hold the same items in the same order (empty when they pair up).

    `files` maps a model name to (file name, its records). Records are matched by position: the n-th
    record of every file must have the same prompt, reference and category as the n-th of the first.
    """
    entries = list(files.values())
    if len(entries) < 2:
        return []
    first_file, first = entries[0]
    findings: list[Finding] = []
    for file, records in entries[1:]:
        if len(records) != len(first):
            findings.append(
                Finding(
                    "record-count-mismatch",
                    f"{len(records)} records, but {first_file} has {len(first)}: every file must answer the "
                    "same prompts in the same order, one record per prompt",
                    file=file,
                )
            )
            continue
        for theirs, ours in zip(first, records, strict=True):
            key = _first_difference(theirs.item, ours.item)
            if key is None:
                continue
            findings.append(
                Finding(
                    "records-out-of-step",
                    f"key '{key}' differs from {first_file} line {theirs.line}: records are matched by order, "
                    "so both files must list the same prompts in the same order (sort both the same way, or "
                    "regenerate the responses from one evaluation set)",
                    line=ours.line,
                    file=file,
                )
            )
            if len(findings) >= MAX_FINDINGS:
                return findings
    return findings


def _first_difference(first: EvalItem, second: EvalItem) -> str | None:
    # Surrounding whitespace is not a different prompt: tools differ in the trailing newline they keep.
    if first.prompt.strip() != second.prompt.strip():
        return PROMPT
    if first.reference.strip() != second.reference.strip():
        return REFERENCE
    if first.category != second.category:
        return CATEGORY
    return None


class _Reader:
    """Turns lines into records, collecting at most MAX_FINDINGS findings for one file."""

    def __init__(self, file: str) -> None:
        self.file = file
        self.findings: list[Finding] = []

    def add(self, line: int | None, rule: str, message: str) -> None:
        if len(self.findings) < MAX_FINDINGS:
            self.findings.append(Finding(rule, message, line=line, file=self.file))

    def records(self, stream: Readable, *, keys: Sequence[str] = DATASET_KEYS) -> Iterator[tuple[int, dict[str, Any]]]:
        """(line number, JSON object) for every non-blank line that is one; findings for the others."""
        for number, (raw, oversized) in enumerate(iter_lines(stream), 1):
            if number == 1 and raw.startswith(UTF8_BOM):
                raw = raw[len(UTF8_BOM) :]
            if oversized:
                self.add(number, "line-too-long", "the line is longer than 8 MB: shorten the record")
                continue
            if not raw.strip():
                continue
            try:
                record = json.loads(raw.decode("utf-8"))
            except UnicodeDecodeError as error:
                self.add(number, "not-utf8", f"byte {error.start + 1} is not UTF-8: save the file as UTF-8")
                continue
            except ValueError as error:
                self.add(
                    number,
                    "invalid-json",
                    f"not valid JSON ({error}): write one complete JSON object per line, with keys "
                    + ", ".join(repr(key) for key in keys),
                )
                continue
            if not isinstance(record, dict):
                self.add(
                    number,
                    "not-an-object",
                    f"a JSON {type(record).__name__}, not an object: write one JSON object per line",
                )
                continue
            yield number, record

    def item(self, record: dict[str, Any], line: int, *, keys: Sequence[str] = DATASET_KEYS) -> EvalItem | None:
        prompt = self._text(record, line, PROMPT, keys, required=True, non_empty=True)
        reference = self._text(record, line, REFERENCE, keys, required=True)
        category = self._text(record, line, CATEGORY, keys, required=False, non_empty=True)
        if prompt is None or reference is None or (CATEGORY in record and category is None):
            return None
        return EvalItem(prompt, reference, category)

    def model_response(self, record: dict[str, Any], line: int) -> tuple[str, str] | None:
        responses = record.get(MODEL_RESPONSES)
        if MODEL_RESPONSES not in record:
            self._missing(record, line, MODEL_RESPONSES, BYOI_KEYS, 'a list with one {"response", "modelIdentifier"}')
            return None
        if not isinstance(responses, list) or len(responses) != 1 or not isinstance(responses[0], dict):
            self.add(
                line,
                "model-responses",
                f"key '{MODEL_RESPONSES}' must be a list of exactly one object "
                '{"response": "...", "modelIdentifier": "..."}; give each model its own file',
            )
            return None
        answer = responses[0]
        where = f"{MODEL_RESPONSES}[0]"
        response = answer.get(RESPONSE)
        identifier = answer.get(MODEL_IDENTIFIER)
        if not isinstance(response, str):
            problem = "is missing" if RESPONSE not in answer else f"is a {type(response).__name__}"
            self.add(
                line,
                "response-not-text",
                f"key '{where}.{RESPONSE}' {problem}: give the model's answer as a string (\"\" for no answer)",
            )
            return None
        if not isinstance(identifier, str) or not identifier.strip():
            self.add(
                line,
                "model-identifier",
                f"key '{where}.{MODEL_IDENTIFIER}' must be a non-empty string "
                "naming the model (the inferenceSourceIdentifier of the evaluation job)",
            )
            return None
        return response, identifier

    def _text(
        self,
        record: dict[str, Any],
        line: int,
        key: str,
        keys: Sequence[str],
        *,
        required: bool,
        non_empty: bool = False,
    ) -> str | None:
        if key not in record:
            if required:
                self._missing(record, line, key, keys, "a string")
            return None
        value = record[key]
        if not isinstance(value, str):
            self.add(line, "not-text", f"key '{key}' is a JSON {_json_type(value)}: give a string")
            return None
        if non_empty and not value.strip():
            self.add(line, "empty-text", f"key '{key}' is empty: give the text, or leave the key out if optional")
            return None
        return value

    def _missing(self, record: dict[str, Any], line: int, key: str, keys: Sequence[str], what: str) -> None:
        unknown = [name for name in record if name not in keys]
        typo = next((name for name in unknown if close_match(name, [key]) == key), None)
        hint = f"; '{typo}' looks like a misspelling of it" if typo else ""
        self.add(line, "missing-key", f"key '{key}' is missing{hint}: add {what}")


def _json_type(value: Any) -> str:
    if value is None:
        return "null"
    return {bool: "boolean", int: "number", float: "number", list: "array", dict: "object"}.get(type(value), "value")
