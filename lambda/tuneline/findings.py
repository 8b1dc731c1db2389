"""Findings and reports shared by every checker (datasets, model folders, plans).

One shape for all of them so the CLI's `--format json`, the pipeline's reports in S3 and the alerts
read the same way: `{"valid": bool, "errors": [...], "warnings": [...], "stats": {...}}`.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any


@dataclass(frozen=True)
class Finding:
    """One broken rule. `line` is 1-based, or None for a rule about the whole file or folder."""

    rule: str
    message: str
    line: int | None = None
    file: str | None = None
    # A shell command that fixes the problem, shown on its own line (copied as it is).
    command: str | None = None

    def to_dict(self) -> dict[str, Any]:
        data: dict[str, Any] = {"line": self.line, "rule": self.rule, "message": self.message}
        if self.file is not None:
            data["file"] = self.file
        if self.command is not None:
            data["command"] = self.command
        return data

    def describe(self) -> str:
        """One human line: `train.jsonl line 12: [rule] message`."""
        where = self.file or "dataset"
        if self.line is not None:
            where = f"{where} line {self.line}"
        text = f"{where}: [{self.rule}] {self.message}"
        return f"{text}: {self.command}" if self.command else text


@dataclass
class Report:
    """Errors make a report invalid; warnings never do."""

    errors: list[Finding] = field(default_factory=list)
    warnings: list[Finding] = field(default_factory=list)
    stats: dict[str, Any] = field(default_factory=dict)

    @property
    def valid(self) -> bool:
        return not self.errors

    def to_dict(self) -> dict[str, Any]:
        return {
            "valid": self.valid,
            "errors": [f.to_dict() for f in self.errors],
            "warnings": [f.to_dict() for f in self.warnings],
            "stats": self.stats,
        }
