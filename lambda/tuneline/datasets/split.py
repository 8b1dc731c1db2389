"""Deterministic train/validation split.

Whether a record goes to validation depends only on a hash of its content, never on its position or a random
seed: the same file always splits the same way, and adding records does not reshuffle the old ones. Every copy
of a record (exact, or equal once whitespace and letter case are normalized: `dedupe.record_key`) lands on the
same side, so no duplicate leaks into validation. The validation size is `ratio` of the records, moved into
the model's bounds (validation min/max, training min); the records with the smallest hashes are the ones held
out, a record with its copies as one group (a group that does not fit in what is left is skipped whole).

Two passes: the first hashes each record (8 bytes per record in memory), the second writes. A source that
cannot seek (an S3 body) is spooled to a temporary file first, so memory stays bounded.
"""

from __future__ import annotations

import heapq
import shutil
import tempfile
from array import array
from collections import Counter
from collections.abc import Iterator
from dataclasses import asdict, dataclass, field
from typing import Any, BinaryIO

from tuneline.datasets.dedupe import dedupe_lines, record_key
from tuneline.datasets.lines import Readable, Writable
from tuneline.datasets.models import FINE_TUNING, ModelRules

SPOOL_IN_MEMORY_BYTES = 16 * 1024 * 1024


class SplitError(ValueError):
    """The split is impossible for this model or ratio; the message says why."""


@dataclass(frozen=True)
class SplitSummary:
    records: int
    training_records: int
    validation_records: int
    ratio_requested: float
    notes: list[str] = field(default_factory=list)

    @property
    def ratio_actual(self) -> float:
        return self.validation_records / self.records if self.records else 0.0

    def to_dict(self) -> dict[str, Any]:
        data: dict[str, Any] = asdict(self)
        data["ratio_actual"] = round(self.ratio_actual, 6)
        return data


def record_hash(line: bytes) -> int:
    """64-bit content hash of a record line (stable across runs and machines, unlike hash()); copies of a
    record, exact or normalized, share it."""
    return record_key(line)


def split_stream(
    src: BinaryIO | Readable,
    train_dst: Writable,
    validation_dst: Writable,
    *,
    ratio: float,
    rules: ModelRules,
    customization_type: str = FINE_TUNING,
) -> SplitSummary:
    if not 0.0 < ratio < 1.0:
        raise SplitError(f"the validation ratio must be between 0 and 1 (exclusive), got {ratio}")
    if not rules.validation_allowed_for(customization_type) or rules.validation_records is None:
        raise SplitError(
            f"{rules.display_name} accepts no validation dataset for {customization_type}; train on the whole file"
        )
    with _seekable(src) as source:
        hashes = array("Q", (record_hash(line) for line in _records(source)))
        count = len(hashes)
        target, notes = _validation_size(count, ratio, rules, customization_type)
        held = _held_out(hashes, target)
        if held.records < target:
            notes.append(
                f"held out {held.records} record(s) instead of {target}: copies of a record stay together on one side"
            )
        source.seek(0)
        held_out = 0
        # The second pass reads the same records in the same order, so each one's key is already known.
        for key, line in zip(hashes, _records(source), strict=True):
            if key in held.keys:
                validation_dst.write(line + b"\n")
                held_out += 1
            else:
                train_dst.write(line + b"\n")
        written = count
    return SplitSummary(
        records=written,
        training_records=written - held_out,
        validation_records=held_out,
        ratio_requested=ratio,
        notes=notes,
    )


def _records(source: Readable) -> Iterator[bytes]:
    """The record lines both passes read: no BOM, CR or blank lines, nothing oversized."""
    return (line for _, line, oversized in dedupe_lines(source) if not oversized)


class _Held:
    def __init__(self, keys: frozenset[int], records: int) -> None:
        self.keys = keys
        self.records = records


def _held_out(hashes: array[int], target: int) -> _Held:
    """The record keys to hold out: the smallest hashes, whole groups of copies, `target` records at most.

    Only the candidates are counted and sorted (the validation set is small even when the file is not); when
    skipped groups leave room, more candidates are looked at.
    """
    if target <= 0 or not hashes:
        return _Held(frozenset(), 0)
    wanted = target
    while True:
        candidates = set(heapq.nsmallest(wanted, hashes))
        sizes = Counter(h for h in hashes if h in candidates)
        chosen: set[int] = set()
        filled = 0
        for key in sorted(candidates):
            if filled + sizes[key] <= target:
                chosen.add(key)
                filled += sizes[key]
                if filled == target:
                    break
        if filled == target or wanted >= len(hashes):
            return _Held(frozenset(chosen), filled)
        wanted *= 2


def _validation_size(count: int, ratio: float, rules: ModelRules, customization_type: str) -> tuple[int, list[str]]:
    assert rules.validation_records is not None
    v_min, v_max = rules.validation_records
    t_min, _ = rules.training_records_for(customization_type)
    notes: list[str] = []
    target = round(count * ratio)
    if target < v_min:
        notes.append(f"raised the validation set to {v_min} record(s), the model's minimum")
        target = v_min
    if target > v_max:
        notes.append(f"capped the validation set at {v_max} records, the model's maximum")
        target = v_max
    if count - target < t_min:
        target = max(0, count - t_min)
        notes.append(f"kept {t_min} records for training, the model's minimum")
        if target < v_min:
            notes.append(f"too few records ({count}) to hold out a validation set; everything stays in training")
            target = 0
    if rules.total_records_max is not None and count > rules.total_records_max:
        notes.append(
            f"{count} records exceed the model's total of {rules.total_records_max} for training and validation; "
            "the job will be rejected until the dataset is smaller"
        )
    return target, notes


class _seekable:
    """Context manager: the stream itself if it can seek, else a spooled temporary copy."""

    def __init__(self, src: BinaryIO | Readable) -> None:
        self.src = src
        self.spool: tempfile.SpooledTemporaryFile[bytes] | None = None

    def __enter__(self) -> Any:
        seekable = getattr(self.src, "seekable", None)
        if seekable is not None and seekable():
            self.start = self.src.tell()  # type: ignore[union-attr]
            return _Rewindable(self.src, self.start)
        self.spool = tempfile.SpooledTemporaryFile(max_size=SPOOL_IN_MEMORY_BYTES)
        shutil.copyfileobj(self.src, self.spool)
        self.spool.seek(0)
        return self.spool

    def __exit__(self, *exc: object) -> None:
        if self.spool is not None:
            self.spool.close()


class _Rewindable:
    """A seekable stream whose seek(0) goes back to where the split started reading."""

    def __init__(self, stream: Any, start: int) -> None:
        self.stream = stream
        self.start = start

    def read(self, size: int = -1) -> bytes:
        return self.stream.read(size)

    def seek(self, offset: int) -> None:
        self.stream.seek(self.start + offset)
