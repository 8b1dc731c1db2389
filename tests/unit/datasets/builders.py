"""Helpers to build datasets in memory: one record per line, padded with good records where a model needs
a minimum count, so each test sees exactly the finding it is about."""

from __future__ import annotations

import io
import json
from collections.abc import Iterable
from pathlib import Path
from typing import Any

from tuneline.datasets.validator import validate_dataset
from tuneline.findings import Report

DATA = Path(__file__).resolve().parents[2] / "data" / "datasets"


def converse(*turns: str, system: str | None = None) -> dict[str, Any]:
    """Alternating user/assistant text turns, starting with the user."""
    record: dict[str, Any] = {"schemaVersion": "bedrock-conversation-2024"}
    if system is not None:
        record["system"] = [{"text": system}]
    record["messages"] = [
        {"role": "user" if i % 2 == 0 else "assistant", "content": [{"text": text}]} for i, text in enumerate(turns)
    ]
    return record


def haiku(*turns: str, system: str | None = None) -> dict[str, Any]:
    record: dict[str, Any] = {} if system is None else {"system": system}
    record["messages"] = [
        {"role": "user" if i % 2 == 0 else "assistant", "content": text} for i, text in enumerate(turns)
    ]
    return record


def lines_of(records: Iterable[Any]) -> bytes:
    return b"".join((r if isinstance(r, bytes) else json.dumps(r).encode()) + b"\n" for r in records)


def run(
    records: Iterable[Any],
    model: str = "amazon.nova-micro-v1:0",
    *,
    validation: Iterable[Any] | None = None,
    **options: Any,
) -> Report:
    return validate_dataset(
        io.BytesIO(lines_of(records)),
        model_id=model,
        validation=None if validation is None else io.BytesIO(lines_of(validation)),
        **options,
    )


def found(report: Report) -> set[tuple[str, int | None]]:
    """(rule, line) of every error and warning."""
    return {(f.rule, f.line) for f in report.errors + report.warnings}


def error_rules(report: Report) -> set[str]:
    return {f.rule for f in report.errors}
