"""Collects findings with a cap per rule, so a 10-million-line file with one systematic fault stays readable.

Every finding is counted; only the first `max_per_rule` of each rule are kept with their line.
"""

from __future__ import annotations

from collections import Counter

from tuneline.findings import Finding, Report


class FindingCollector:
    def __init__(self, max_per_rule: int = 20) -> None:
        self.max_per_rule = max(1, max_per_rule)
        self.errors: list[Finding] = []
        self.warnings: list[Finding] = []
        self.error_counts: Counter[str] = Counter()
        self.warning_counts: Counter[str] = Counter()

    def error(self, rule: str, message: str, line: int | None = None, file: str | None = None) -> None:
        self.error_counts[rule] += 1
        if self.error_counts[rule] <= self.max_per_rule:
            self.errors.append(Finding(rule=rule, message=message, line=line, file=file))

    def lead(self, rule: str, message: str, file: str | None = None, command: str | None = None) -> None:
        """An error that explains the others: it goes before every finding already collected."""
        self.error_counts[rule] += 1
        self.errors.insert(0, Finding(rule=rule, message=message, file=file, command=command))

    def warning(self, rule: str, message: str, line: int | None = None, file: str | None = None) -> None:
        self.warning_counts[rule] += 1
        if self.warning_counts[rule] <= self.max_per_rule:
            self.warnings.append(Finding(rule=rule, message=message, line=line, file=file))

    def wants_warning(self, rule: str) -> bool:
        """False once a warning rule is over its cap: callers may then skip building the message."""
        return self.warning_counts[rule] < self.max_per_rule

    def count_warning(self, rule: str) -> None:
        self.warning_counts[rule] += 1

    def truncated(self) -> dict[str, int]:
        """Rules whose findings were cut, with how many were left out."""
        cut: dict[str, int] = {}
        for counts in (self.error_counts, self.warning_counts):
            for rule, count in counts.items():
                if count > self.max_per_rule:
                    cut[rule] = cut.get(rule, 0) + count - self.max_per_rule
        return cut

    def to_report(self, stats: dict[str, object]) -> Report:
        stats = dict(stats)
        stats["error_counts"] = dict(sorted(self.error_counts.items()))
        stats["warning_counts"] = dict(sorted(self.warning_counts.items()))
        stats["findings_left_out"] = self.truncated()
        return Report(errors=list(self.errors), warnings=list(self.warnings), stats=stats)
