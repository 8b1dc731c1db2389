"""Run records for the report tests: a trained run from the emulator (`make demo`), the same run with an
evaluation and serving, a run that failed at the job, and a rejected dataset (tests/data/reports/)."""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

SAMPLES = Path(__file__).resolve().parents[2] / "data" / "reports"
NAMES = ("evaluated", "succeeded", "failed", "rejected")


def sample(name: str) -> dict[str, Any]:
    record: dict[str, Any] = json.loads((SAMPLES / f"{name}.run.json").read_text(encoding="utf-8"))
    return record
