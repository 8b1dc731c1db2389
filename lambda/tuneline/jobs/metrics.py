"""Read the metric CSVs a finished job writes and boil them down to the numbers a person checks first.

Bedrock writes `step_wise_training_metrics.csv` (step_number, epoch_number, training_loss, perplexity) and
`validation_metrics.csv` (same, with validation_loss) under the job's output prefix. Their folders differ
between the documentation and AWS samples, so the files are found by name anywhere under the prefix. Parsing
is forgiving about what varies in practice (header spelling, column order, BOM, CRLF, blank or NaN values)
and skips rows it cannot use instead of failing a job whose model was trained fine.
"""

from __future__ import annotations

import csv
import math
import re
import statistics
from collections.abc import Callable, Iterable, Sequence
from dataclasses import dataclass
from typing import Any

TRAINING_METRICS_FILE = "step_wise_training_metrics.csv"
VALIDATION_METRICS_FILE = "validation_metrics.csv"
TRAINING_FOLDER = "training_artifacts/"
VALIDATION_FOLDER = "validation_artifacts/"
JOB_FOLDER_PREFIX = "model-customization-job-"

# Overfitting: validation loss ended this much above its best while training loss kept falling.
OVERFITTING_RISE = 0.05

_STEP_NAMES = ("step_number", "step", "steps", "global_step", "step_num", "iteration")
_EPOCH_NAMES = ("epoch_number", "epoch", "epochs", "epoch_num")
_TRAINING_LOSS_NAMES = ("training_loss", "train_loss", "loss")
_VALIDATION_LOSS_NAMES = ("validation_loss", "val_loss", "valid_loss", "eval_loss", "loss")
_TRAINING_PERPLEXITY_NAMES = ("perplexity", "training_perplexity", "train_perplexity", "ppl")
_VALIDATION_PERPLEXITY_NAMES = ("perplexity", "validation_perplexity", "val_perplexity", "eval_perplexity", "ppl")
# Files without a header row follow the documented column order.
_POSITIONAL_COLUMNS = ("step", "epoch", "loss", "perplexity")
_DELIMITERS = (",", ";", "\t")


@dataclass(frozen=True)
class MetricFiles:
    training_key: str | None
    validation_key: str | None


@dataclass(frozen=True)
class MetricPoint:
    step: int | None
    epoch: float | None
    loss: float
    perplexity: float | None


@dataclass(frozen=True)
class MetricSeries:
    """Usable rows in file order (sorted by step when every row has one), and how many rows were unusable.

    `steps` counts distinct step numbers over all rows, usable or not: a NaN loss is still a step trained.
    """

    points: tuple[MetricPoint, ...]
    skipped_rows: int = 0
    steps: int | None = None


@dataclass(frozen=True)
class MetricsSummary:
    training_steps: int
    epochs: int | None
    first_training_loss: float | None
    final_training_loss: float | None
    best_training_loss: float | None
    final_validation_loss: float | None
    best_validation_loss: float | None
    best_validation_epoch: float | None
    final_perplexity: float | None
    final_perplexity_source: str | None
    improvement_pct: float | None
    overfitting: bool
    overfitting_detail: str | None
    validation_points: int
    skipped_rows: int

    @property
    def has_validation(self) -> bool:
        return self.validation_points > 0

    def to_dict(self) -> dict[str, Any]:
        return {
            "trainingSteps": self.training_steps,
            "epochs": self.epochs,
            "firstTrainingLoss": _rounded(self.first_training_loss),
            "finalTrainingLoss": _rounded(self.final_training_loss),
            "bestTrainingLoss": _rounded(self.best_training_loss),
            "finalValidationLoss": _rounded(self.final_validation_loss),
            "bestValidationLoss": _rounded(self.best_validation_loss),
            "bestValidationEpoch": _plain_epoch(self.best_validation_epoch),
            "finalPerplexity": _rounded(self.final_perplexity),
            "finalPerplexitySource": self.final_perplexity_source,
            "improvementPct": None if self.improvement_pct is None else round(self.improvement_pct, 2),
            "overfitting": self.overfitting,
            "overfittingDetail": self.overfitting_detail,
            "hasValidation": self.has_validation,
            "validationPoints": self.validation_points,
            "skippedRows": self.skipped_rows,
        }


def find_metric_files(keys: Sequence[str], *, job_arn: str | None = None) -> MetricFiles:
    """Pick the training and validation metric files among the keys listed under a job's output prefix.

    With several candidates (an output prefix reused by more than one job), the one in the folder of
    `job_arn` wins, then one in the documented artifacts folder, then the first in key order.
    """
    job_folder = f"{JOB_FOLDER_PREFIX}{job_arn.rsplit('/', 1)[-1]}/" if job_arn else None
    return MetricFiles(
        training_key=_pick(keys, TRAINING_METRICS_FILE, TRAINING_FOLDER, job_folder),
        validation_key=_pick(keys, VALIDATION_METRICS_FILE, VALIDATION_FOLDER, job_folder),
    )


def parse_training_metrics(text: str) -> MetricSeries:
    return _parse(text, _TRAINING_LOSS_NAMES, _TRAINING_PERPLEXITY_NAMES)


def parse_validation_metrics(text: str) -> MetricSeries:
    return _parse(text, _VALIDATION_LOSS_NAMES, _VALIDATION_PERPLEXITY_NAMES)


def summarize(training: MetricSeries, validation: MetricSeries | None = None) -> MetricsSummary:
    train = training.points
    checked = validation.points if validation else ()
    evaluations = _evaluations(checked)
    overfitting_detail = _overfitting(train, evaluations)
    best_evaluation = min(evaluations, key=lambda e: e.loss) if evaluations else None
    first_loss = train[0].loss if train else None
    final_loss = train[-1].loss if train else None
    # Validation perplexity says more about the model than training perplexity, when there is one.
    final_perplexity, perplexity_source = _last_perplexity(checked), "validation"
    if final_perplexity is None:
        final_perplexity, perplexity_source = _last_perplexity(train), "training"
    return MetricsSummary(
        training_steps=training.steps if training.steps is not None else _count_steps(train),
        epochs=_count_epochs(train) or _count_epochs(checked),
        first_training_loss=first_loss,
        final_training_loss=final_loss,
        best_training_loss=min(p.loss for p in train) if train else None,
        final_validation_loss=evaluations[-1].loss if evaluations else None,
        best_validation_loss=best_evaluation.loss if best_evaluation else None,
        best_validation_epoch=best_evaluation.epoch if best_evaluation else None,
        final_perplexity=final_perplexity,
        final_perplexity_source=perplexity_source if final_perplexity is not None else None,
        improvement_pct=(
            (first_loss - final_loss) / first_loss * 100
            if first_loss is not None and final_loss is not None and first_loss > 0
            else None
        ),
        overfitting=overfitting_detail is not None,
        overfitting_detail=overfitting_detail,
        validation_points=len(checked),
        skipped_rows=training.skipped_rows + (validation.skipped_rows if validation else 0),
    )


@dataclass(frozen=True)
class _Evaluation:
    """One validation result: the mean over an epoch's validation rows, or one row when epochs are unknown."""

    epoch: float | None
    loss: float
    position: float  # 0..1, how far through training this evaluation was taken


def _evaluations(points: Sequence[MetricPoint]) -> list[_Evaluation]:
    if not points:
        return []
    numbered = [(p.epoch, p.loss) for p in points if p.epoch is not None]
    if len(numbered) == len(points):
        by_epoch: dict[float, list[float]] = {}
        for epoch, loss in numbered:
            by_epoch.setdefault(epoch, []).append(loss)
        epochs = sorted(by_epoch)
        return [
            _Evaluation(epoch=epoch, loss=statistics.fmean(by_epoch[epoch]), position=(index + 1) / len(epochs))
            for index, epoch in enumerate(epochs)
        ]
    return [
        _Evaluation(epoch=p.epoch, loss=p.loss, position=(index + 1) / len(points)) for index, p in enumerate(points)
    ]


def _overfitting(train: Sequence[MetricPoint], evaluations: list[_Evaluation]) -> str | None:
    """A sentence explaining the overfitting, or None.

    Overfitting means: the best validation loss came before the last evaluation, the last validation loss is
    more than OVERFITTING_RISE (5%) above that best, and the training loss at the last evaluation is still
    below the training loss at the best one (training kept improving while validation got worse).
    """
    if len(evaluations) < 2 or not train:
        return None
    best = min(evaluations, key=lambda e: e.loss)
    last = evaluations[-1]
    if best is last or last.loss - best.loss <= OVERFITTING_RISE * abs(best.loss):
        return None
    training_at = _training_loss_lookup(train, evaluations)
    training_at_best, training_at_last = training_at(best), training_at(last)
    if training_at_best is None or training_at_last is None or training_at_last >= training_at_best:
        return None
    rise = (last.loss - best.loss) / abs(best.loss) * 100 if best.loss else math.inf
    where = f"epoch {_plain_epoch(best.epoch)}" if best.epoch is not None else "an earlier evaluation"
    return (
        f"validation loss was best at {where} ({best.loss:.4f}) and ended {rise:.0f}% higher ({last.loss:.4f}) "
        f"while training loss kept falling ({training_at_best:.4f} -> {training_at_last:.4f})"
    )


def _training_loss_lookup(
    train: Sequence[MetricPoint], evaluations: list[_Evaluation]
) -> Callable[[_Evaluation], float | None]:
    """Mean training loss around an evaluation: over the same epoch when both files number epochs alike,
    otherwise over the matching slice of training steps."""
    train_epochs = {p.epoch for p in train}
    if all(e.epoch is not None and e.epoch in train_epochs for e in evaluations):

        def same_epoch(evaluation: _Evaluation) -> float | None:
            losses = [p.loss for p in train if p.epoch == evaluation.epoch]
            return statistics.fmean(losses) if losses else None

        return same_epoch

    slice_width = 1 / len(evaluations)

    def same_slice(evaluation: _Evaluation) -> float | None:
        start = max(0, round((evaluation.position - slice_width) * len(train)))
        end = max(start + 1, round(evaluation.position * len(train)))
        losses = [p.loss for p in train[start:end]]
        return statistics.fmean(losses) if losses else None

    return same_slice


def _parse(text: str, loss_names: tuple[str, ...], perplexity_names: tuple[str, ...]) -> MetricSeries:
    lines = [line for line in text.lstrip("\ufeff").splitlines() if line.strip()]
    if not lines:
        return MetricSeries(points=())
    delimiter = max(_DELIMITERS, key=lines[0].count)
    rows = list(csv.reader(lines, delimiter=delimiter))
    header = [_normalize_header(cell) for cell in rows[0]]
    if all(_number(cell) is not None for cell in rows[0] if cell.strip()):
        columns = dict(zip(_POSITIONAL_COLUMNS, range(len(rows[0])), strict=False))
        data_rows = rows
    else:
        columns = {
            role: index
            for role, index in (
                ("step", _column(header, _STEP_NAMES)),
                ("epoch", _column(header, _EPOCH_NAMES)),
                ("loss", _column(header, loss_names)),
                ("perplexity", _column(header, perplexity_names)),
            )
            if index is not None
        }
        data_rows = rows[1:]
    if "loss" not in columns:
        return MetricSeries(points=(), skipped_rows=len(data_rows))

    points: list[MetricPoint] = []
    for row in data_rows:
        point = _point(row, columns)
        if point is not None:
            points.append(point)
    if points and all(p.step is not None for p in points):
        points.sort(key=lambda p: p.step or 0)
    step_index = columns.get("step")
    steps = (
        {_number(row[step_index]) for row in data_rows if step_index < len(row)} - {None}
        if step_index is not None
        else set()
    )
    return MetricSeries(
        points=tuple(points), skipped_rows=len(data_rows) - len(points), steps=len(steps) if steps else None
    )


def _point(row: list[str], columns: dict[str, int]) -> MetricPoint | None:
    def cell(role: str) -> float | None:
        index = columns.get(role)
        return _number(row[index]) if index is not None and index < len(row) else None

    loss = cell("loss")
    if loss is None:
        return None
    step = cell("step")
    return MetricPoint(
        step=int(step) if step is not None and step.is_integer() else None,
        epoch=cell("epoch"),
        loss=loss,
        perplexity=cell("perplexity"),
    )


def _normalize_header(cell: str) -> str:
    # "Step Number", "stepNumber", " step-number " and "STEP_NUMBER" all become "step_number".
    text = re.sub(r"(?<=[a-z0-9])(?=[A-Z])", "_", cell.strip().lstrip("\ufeff"))
    return re.sub(r"[^a-z0-9]+", "_", text.lower()).strip("_")


def _column(header: list[str], names: tuple[str, ...]) -> int | None:
    for name in names:
        if name in header:
            return header.index(name)
    return None


def _number(text: str) -> float | None:
    """A finite float, or None for blanks, text, NaN and infinities."""
    try:
        value = float(text.strip())
    except ValueError:
        return None
    return value if math.isfinite(value) else None


def _count_steps(points: Sequence[MetricPoint]) -> int:
    steps = {p.step for p in points if p.step is not None}
    return len(steps) if steps else len(points)


def _count_epochs(points: Iterable[MetricPoint]) -> int | None:
    epochs = {p.epoch for p in points if p.epoch is not None}
    return len(epochs) or None


def _last_perplexity(points: Sequence[MetricPoint]) -> float | None:
    for point in reversed(points):
        if point.perplexity is not None:
            return point.perplexity
    return None


def _pick(keys: Sequence[str], file_name: str, folder: str, job_folder: str | None) -> str | None:
    candidates = [key for key in keys if key.rsplit("/", 1)[-1].lower() == file_name]
    if not candidates:
        return None

    def preference(key: str) -> tuple[bool, bool, str]:
        return (not (job_folder and job_folder in key), folder not in key, key)

    return min(candidates, key=preference)


def _rounded(value: float | None) -> float | None:
    return None if value is None else round(value, 6)


def _plain_epoch(epoch: float | None) -> int | float | None:
    if epoch is None:
        return None
    return int(epoch) if float(epoch).is_integer() else epoch
