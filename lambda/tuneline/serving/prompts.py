"""Smoke-test prompts from the job's own data: the first user turn, prompt, input or caption of a few records.

Works on every dataset format Tuneline stages (Bedrock conversation, Claude messages, prompt/completion,
continued pre-training, image captions, distillation prompts) by reading the field each format puts its
input in. Reading streams line by line and stops early, so a 10 GB training file costs a few kilobytes.
"""

from __future__ import annotations

import json
from collections.abc import Iterable, Iterator, Mapping
from dataclasses import dataclass
from typing import Any

from tuneline.aws_values import split_s3_uri

DEFAULT_PROMPT_COUNT = 3
# Long continued-pre-training documents make slow, costly prompts; the start of one is enough to get an answer.
MAX_PROMPT_CHARS = 2000
# Stop looking after this many lines even if few of them held a usable prompt.
MAX_LINES_SCANNED = 500
# Used only when the data holds no text input at all.
FALLBACK_PROMPT = "Reply with one short sentence to confirm that you are working."


@dataclass(frozen=True)
class Prompt:
    text: str
    system: str | None = None
    source: str = "default"

    def to_dict(self) -> dict[str, Any]:
        return {"text": self.text, "system": self.system, "source": self.source}


def prompt_of(record: Any) -> tuple[str, str | None] | None:
    """(input text, system text) of one dataset record, or None if it has no text input."""
    if not isinstance(record, Mapping):
        return None
    system = _text_of(record.get("system"))
    messages = record.get("messages")
    if isinstance(messages, list):
        for message in messages:
            if isinstance(message, Mapping) and message.get("role") == "user":
                text = _text_of(message.get("content"))
                return (_clip(text), _clip(system) if system else None) if text else None
        return None
    for field in ("prompt", "input", "caption", "inputText"):
        text = _text_of(record.get(field))
        if text:
            return _clip(text), None
    return None


def prompts_from_lines(lines: Iterable[bytes | str], *, wanted: int, source: str) -> list[Prompt]:
    """Up to `wanted` distinct prompts from JSON Lines, skipping blank, broken and input-less lines."""
    found: list[Prompt] = []
    seen: set[tuple[str, str | None]] = set()
    for number, line in enumerate(lines, start=1):
        if len(found) >= wanted or number > MAX_LINES_SCANNED:
            break
        text = line.decode("utf-8-sig", errors="replace") if isinstance(line, bytes) else line
        if not text.strip():
            continue
        try:
            extracted = prompt_of(json.loads(text))
        except ValueError:
            continue
        if extracted and extracted not in seen:
            seen.add(extracted)
            found.append(Prompt(text=extracted[0], system=extracted[1], source=source))
    return found


def smoke_prompts(plan: Mapping[str, Any], *, s3: Any, wanted: int = DEFAULT_PROMPT_COUNT) -> list[Prompt]:
    """Prompts from the staged validation data first (held out from training), then the training data."""
    prompts: list[Prompt] = []
    for uri in (plan.get("validationDataUri"), plan.get("trainingDataUri")):
        if not uri or len(prompts) >= wanted:
            continue
        for prompt in prompts_from_lines(_lines(s3, uri), wanted=wanted, source=uri):
            if len(prompts) < wanted and all(p.text != prompt.text for p in prompts):
                prompts.append(prompt)
    return prompts or [Prompt(text=FALLBACK_PROMPT)]


def _lines(s3: Any, uri: str) -> Iterator[bytes]:
    bucket, key = split_s3_uri(uri)
    try:
        body = s3.get_object(Bucket=bucket, Key=key)["Body"]
    except Exception:  # a missing staged file means fewer prompts, not a failed smoke test
        return
    try:
        yield from body.iter_lines()
    finally:
        body.close()


def _text_of(value: Any) -> str | None:
    """Plain text of a string, or of a list of content blocks (`{"text": ...}`; images and videos skipped)."""
    if isinstance(value, str):
        return value.strip() or None
    if isinstance(value, list):
        parts = [str(block["text"]) for block in value if isinstance(block, Mapping) and block.get("text")]
        joined = "\n".join(parts).strip()
        return joined or None
    return None


def _clip(text: str) -> str:
    return text if len(text) <= MAX_PROMPT_CHARS else text[:MAX_PROMPT_CHARS]
