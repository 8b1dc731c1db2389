"""Size statistics per file: records, characters and estimated tokens (total, max, p50, p95).

Percentiles are exact yet memory stays bounded: we keep a count per distinct token value, and per-record
token estimates are small integers with few distinct values whatever the number of records.
"""

from __future__ import annotations

import math
from collections import Counter
from dataclasses import dataclass, field
from typing import Any


@dataclass
class SizeStats:
    records: int = 0
    characters: int = 0
    tokens_total: int = 0
    tokens_max: int = 0
    token_counts: Counter[int] = field(default_factory=Counter)

    def add(self, characters: int, tokens: int) -> None:
        self.records += 1
        self.characters += characters
        self.tokens_total += tokens
        if tokens > self.tokens_max:
            self.tokens_max = tokens
        self.token_counts[tokens] += 1

    def merge(self, other: SizeStats) -> SizeStats:
        merged = SizeStats(
            records=self.records + other.records,
            characters=self.characters + other.characters,
            tokens_total=self.tokens_total + other.tokens_total,
            tokens_max=max(self.tokens_max, other.tokens_max),
        )
        merged.token_counts = self.token_counts + other.token_counts
        return merged

    def percentile(self, fraction: float) -> int:
        """Nearest-rank percentile of the per-record token estimates (0 when there are no records)."""
        if not self.records:
            return 0
        rank = max(1, math.ceil(fraction * self.records))
        seen = 0
        for tokens in sorted(self.token_counts):
            seen += self.token_counts[tokens]
            if seen >= rank:
                return tokens
        return self.tokens_max

    def to_dict(self) -> dict[str, Any]:
        return {
            "records": self.records,
            "characters": self.characters,
            "estimated_tokens": {
                "total": self.tokens_total,
                "max": self.tokens_max,
                "p50": self.percentile(0.50),
                "p95": self.percentile(0.95),
            },
        }
