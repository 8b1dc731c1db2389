"""The evaluation set: read from `<name>.eval.jsonl` or sampled from the validation set; written as the Map's items.

Pure functions over lines of text (docs/decisions/0011-evaluation-stage.md):

- a companion `<name>.eval.jsonl` is in Bedrock's evaluation dataset format (docs/bedrock.md §12.1): one JSON
  object per line with `prompt` (required), `referenceResponse` (required here: every metric compares with it)
  and an optional `category`; it is checked line by line and a broken line stops the stage with its number;
- without one, a deterministic sample of the validation set: the prompt is the conversation up to its last
  assistant turn and the reference is that turn (prompt-completion records: the prompt and the completion).
  The sample is the records with the smallest hash of their text, so it does not depend on the file's order
  and the same file always gives the same set.

Each prompt becomes one item of the Distributed Map: the Converse request parts both models are asked with, in
Step Functions' PascalCase (docs/bedrock.md §8), and `maxTokens` from the reference's length (§10: quotas reserve
input + maxTokens, so it is set explicitly).
"""

from __future__ import annotations

import hashlib
import json
import math
from collections.abc import Iterable, Mapping
from dataclasses import dataclass
from typing import Any

from tuneline.errors import EvaluationSetInvalid

# About four characters per token; twice the reference's length leaves room for a longer right answer.
CHARS_PER_TOKEN = 4
MIN_MAX_TOKENS = 64
MAX_MAX_TOKENS = 4096
MAX_PROMPT_CHARS = 100_000


@dataclass(frozen=True)
class Turn:
    role: str
    text: str


@dataclass(frozen=True)
class EvaluationPrompt:
    """One prompt of the set: the conversation to send, its reference answer and its category."""

    turns: tuple[Turn, ...]
    system: str
    reference: str
    category: str | None

    @property
    def prompt_text(self) -> str:
        """The prompt as one text, as Bedrock's evaluation dataset format holds it."""
        if len(self.turns) == 1 and not self.system:
            return self.turns[0].text
        lines = [f"System: {self.system}"] if self.system else []
        lines += [f"{turn.role.capitalize()}: {turn.text}" for turn in self.turns]
        return "\n".join(lines)

    def to_dataset_record(self) -> dict[str, Any]:
        record: dict[str, Any] = {"prompt": self.prompt_text, "referenceResponse": self.reference}
        if self.category:
            record["category"] = self.category
        return record

    def to_item(self, index: int) -> dict[str, Any]:
        """The Map item: what both Converse tasks send (PascalCase, docs/bedrock.md §8)."""
        return {
            "index": index,
            "messages": [{"Role": turn.role, "Content": [{"Text": turn.text}]} for turn in self.turns],
            "system": [{"Text": self.system}] if self.system else [],
            "maxTokens": max_tokens_for(self.reference),
        }


def max_tokens_for(reference: str) -> int:
    tokens = math.ceil(len(reference) / CHARS_PER_TOKEN) * 2
    return max(MIN_MAX_TOKENS, min(MAX_MAX_TOKENS, tokens))


def read_evaluation_set(lines: Iterable[str], *, file: str, limit: int) -> list[EvaluationPrompt]:
    """Parse `<name>.eval.jsonl`; the first `limit` prompts are used. Every line is checked."""
    prompts: list[EvaluationPrompt] = []
    for number, line in enumerate(lines, start=1):
        if not line.strip():
            continue
        where = f"{file} line {number}"
        try:
            record = json.loads(line)
        except json.JSONDecodeError as error:
            raise EvaluationSetInvalid(
                f"{where}: not valid JSON ({error.msg}); write one JSON object per line"
            ) from None
        if not isinstance(record, Mapping):
            raise EvaluationSetInvalid(f"{where}: must be a JSON object with prompt and referenceResponse")
        allowed = {"prompt", "referenceResponse", "category"}
        for key in record:
            if key not in allowed:
                raise EvaluationSetInvalid(
                    f"{where}: unknown key {key!r}; an evaluation record has prompt, referenceResponse and an "
                    "optional category (docs/bedrock.md §12.1)"
                )
        prompt = _text(record, "prompt", where)
        reference = _text(record, "referenceResponse", where)
        category = record.get("category")
        if category is not None and (not isinstance(category, str) or not category.strip()):
            raise EvaluationSetInvalid(f"{where}: key category must be a non-empty string when present")
        if len(prompt) > MAX_PROMPT_CHARS:
            raise EvaluationSetInvalid(f"{where}: key prompt is longer than {MAX_PROMPT_CHARS} characters")
        prompts.append(EvaluationPrompt((Turn("user", prompt),), "", reference, category))
    if not prompts:
        raise EvaluationSetInvalid(f"{file}: has no records; add lines with prompt and referenceResponse")
    return prompts[:limit]


def sample_validation_set(lines: Iterable[str], *, limit: int) -> list[EvaluationPrompt]:
    """Up to `limit` prompts from a (validated, staged) dataset, chosen by the hash of each record's text."""
    candidates: list[tuple[str, EvaluationPrompt]] = []
    for line in lines:
        if not line.strip():
            continue
        prompt = prompt_of_record(json.loads(line))
        if prompt is not None:
            candidates.append((hashlib.sha256(line.strip().encode()).hexdigest(), prompt))
    candidates.sort(key=lambda pair: pair[0])
    return [prompt for _, prompt in candidates[:limit]]


def prompt_of_record(record: Mapping[str, Any]) -> EvaluationPrompt | None:
    """The conversation up to the last assistant turn, and that turn; None when the record has no answer."""
    if isinstance(record.get("prompt"), str) and isinstance(record.get("completion"), str):
        return EvaluationPrompt((Turn("user", record["prompt"]),), "", record["completion"], None)
    messages = record.get("messages")
    if not isinstance(messages, list):
        return None
    turns = [Turn(str(m.get("role")), _content_text(m.get("content"))) for m in messages if isinstance(m, Mapping)]
    system = _content_text(record.get("system"))
    if turns and turns[0].role == "system":  # Bedrock conversation format keeps the system prompt as a turn
        system, turns = turns[0].text, turns[1:]
    last = max((i for i, t in enumerate(turns) if t.role == "assistant"), default=None)
    if last is None or last == 0 or not turns[last].text.strip():
        return None
    asked = tuple(t for t in turns[:last] if t.role in ("user", "assistant"))
    if not asked or asked[0].role != "user":
        return None
    return EvaluationPrompt(asked, system, turns[last].text, None)


def _content_text(content: Any) -> str:
    if isinstance(content, str):
        return content
    if isinstance(content, list):
        return " ".join(str(b["text"]) for b in content if isinstance(b, Mapping) and isinstance(b.get("text"), str))
    return ""


def _text(record: Mapping[str, Any], key: str, where: str) -> str:
    value = record.get(key)
    if not isinstance(value, str) or not value.strip():
        raise EvaluationSetInvalid(f"{where}: key {key} is required and must be a non-empty string")
    return value
