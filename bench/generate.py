"""Synthetic but realistic `bedrock-conversation-2024` records for the benchmarks.

Records vary like real fine-tuning data: an optional system prompt, one to three user/assistant exchanges,
answers from a sentence to several paragraphs, with numbers, dates and the odd e-mail address. A pool of
records is generated once; the stream then repeats it with a running number in every record, so each line is
unique (no artificial duplicates) while generation stays much cheaper than validation.
"""

from __future__ import annotations

import json
import random
from collections.abc import Iterator
from pathlib import Path

WORDS = [
    "the",
    "model",
    "customer",
    "order",
    "account",
    "invoice",
    "shipment",
    "policy",
    "refund",
    "product",
    "warranty",
    "service",
    "region",
    "bucket",
    "report",
    "summary",
    "latency",
    "request",
    "response",
    "schedule",
    "meeting",
    "update",
    "review",
    "quality",
    "support",
    "ticket",
    "issue",
    "deploy",
    "release",
    "version",
    "feature",
    "change",
    "risk",
    "budget",
    "forecast",
    "quarter",
    "revenue",
    "margin",
    "contract",
    "partner",
    "analysis",
    "data",
    "pipeline",
    "training",
    "evaluation",
    "metric",
    "accuracy",
    "error",
    "retry",
    "timeout",
    "network",
    "storage",
    "cost",
]
GLUE = [
    "a",
    "an",
    "and",
    "or",
    "but",
    "with",
    "for",
    "to",
    "of",
    "in",
    "on",
    "at",
    "by",
    "from",
    "as",
    "is",
    "are",
    "was",
    "were",
    "will",
    "can",
    "should",
    "may",
]
SYSTEM_PROMPTS = (
    "You are a concise support assistant for an online store.",
    "You answer questions about internal finance reports. Be precise and cite figures.",
    "You are a helpful assistant that summarises meeting notes in plain language.",
)
POOL_SIZE = 4000


def _sentence(rng: random.Random) -> str:
    words = [rng.choice(WORDS if i % 2 == 0 else GLUE) for i in range(rng.randint(8, 22))]
    if rng.random() < 0.25:
        words.insert(rng.randint(0, len(words)), str(rng.randint(2, 99_999)))
    if rng.random() < 0.001:
        words.append("contact ops-team@example.com")
    text = " ".join(words)
    return text[0].upper() + text[1:] + rng.choice((".", ".", ".", "?", "!"))


def _paragraph(rng: random.Random, sentences: int) -> str:
    return " ".join(_sentence(rng) for _ in range(sentences))


def _record_template(rng: random.Random, short: bool = False) -> tuple[bytes, bytes]:
    """A record split around the place where the running number goes (start of the first user text).

    `short` records (about 1.5 KB: one exchange, a question and an answer of a few sentences) are what
    chat and support data mostly looks like; per byte they cost the validator more fixed work per record.
    """
    record: dict[str, object] = {"schemaVersion": "bedrock-conversation-2024"}
    if rng.random() < 0.6:
        record["system"] = [{"text": rng.choice(SYSTEM_PROMPTS)}]
    marker = "\x00MARK\x00"
    messages = []
    turns = 1 if short else rng.choice((1, 1, 1, 2, 3))
    for turn in range(turns):
        question = _paragraph(rng, rng.randint(1, 2) if short else rng.randint(1, 4))
        answer = _paragraph(rng, rng.randint(8, 18) if short else rng.randint(2, 14))
        messages.append({"role": "user", "content": [{"text": (marker if turn == 0 else "") + question}]})
        messages.append({"role": "assistant", "content": [{"text": answer}]})
    record["messages"] = messages
    line = json.dumps(record, separators=(",", ":"))
    before, after = line.split(json.dumps(marker)[1:-1], 1)
    return before.encode(), after.encode()


def _letters(number: int) -> bytes:
    """The running number in letters: digits would look like personal data to the scan."""
    code = bytearray()
    while True:
        number, rest = divmod(number, 26)
        code.append(97 + rest)
        if not number:
            return bytes(code)


def record_lines(seed: int = 7, short: bool = False) -> Iterator[bytes]:
    """Endless unique JSONL lines (with trailing newline)."""
    rng = random.Random(seed)
    pool = [_record_template(rng, short) for _ in range(POOL_SIZE)]
    number = 0
    while True:
        for before, after in pool:
            number += 1
            yield before + b"(ref " + _letters(number) + b") " + after + b"\n"


class GeneratedStream:
    """A readable binary stream of `size` bytes of records, generated on the fly (no disk needed)."""

    def __init__(self, size: int, seed: int = 7) -> None:
        self.remaining = size
        self.lines = record_lines(seed)
        self.buffer = b""

    def read(self, size: int = -1) -> bytes:
        if self.remaining <= 0:
            return b""
        want = self.remaining if size < 0 else min(size, self.remaining)
        parts = [self.buffer]
        have = len(self.buffer)
        while have < want:
            line = next(self.lines)
            parts.append(line)
            have += len(line)
        data = b"".join(parts)
        chunk, self.buffer = data[:want], data[want:]
        self.remaining -= len(chunk)
        return chunk


def write_file(path: Path, size: int, seed: int = 7, *, short: bool = False, records: int | None = None) -> Path:
    """Whole records up to about `size` bytes, or exactly `records` records."""
    path.parent.mkdir(parents=True, exist_ok=True)
    written = 0
    with path.open("wb") as out:
        for count, line in enumerate(record_lines(seed, short), start=1):
            out.write(line)
            written += len(line)
            if (records is None and written >= size) or count == records:
                break
    return path
