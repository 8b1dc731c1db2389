"""Plausible training and validation curves, written as the CSV files Bedrock puts under the output prefix.

Layout and columns follow the Bedrock user guide (model-customization-analyze):
`<s3Uri>/model-customization-job-<jobId>/training_artifacts/step_wise_training_metrics.csv` and
`.../validation_artifacts/post_fine_tuning_validation/validation/validation_metrics.csv`.
"""

from __future__ import annotations

import csv
import io
import math
import random
from dataclasses import dataclass

TRAINING_METRICS_PATH = "training_artifacts/step_wise_training_metrics.csv"
VALIDATION_METRICS_PATH = "validation_artifacts/post_fine_tuning_validation/validation/validation_metrics.csv"
MAX_STEPS_PER_EPOCH = 200  # keeps the files small for big datasets; the curve's shape is what matters


@dataclass(frozen=True)
class Curves:
    training_csv: str
    validation_csv: str | None
    final_training_loss: float
    final_validation_loss: float | None


def steps_per_epoch(record_count: int, batch_size: int) -> int:
    return max(1, min(MAX_STEPS_PER_EPOCH, math.ceil(max(record_count, 1) / max(batch_size, 1))))


def simulate_curves(*, seed: str, record_count: int, epochs: int, batch_size: int, with_validation: bool) -> Curves:
    """A decaying loss with noise, reproducible per job (the seed is the job ARN)."""
    rng = random.Random(seed)
    start, floor = rng.uniform(2.2, 3.2), rng.uniform(0.25, 0.6)
    per_epoch = steps_per_epoch(record_count, batch_size)
    total = per_epoch * max(epochs, 1)
    decay = 4.0 / total

    def loss_at(step: int) -> float:
        return floor + (start - floor) * math.exp(-decay * step)

    training = io.StringIO()
    writer = csv.writer(training, lineterminator="\n")
    writer.writerow(["step_number", "epoch_number", "training_loss", "perplexity"])
    loss = start
    for step in range(total):
        loss = max(0.01, loss_at(step) * rng.uniform(0.94, 1.06))
        writer.writerow([step, step // per_epoch, f"{loss:.6f}", f"{math.exp(loss):.6f}"])
    final_training = round(loss, 6)
    if not with_validation:
        return Curves(training.getvalue(), None, final_training, None)
    validation = io.StringIO()
    writer = csv.writer(validation, lineterminator="\n")
    writer.writerow(["step_number", "epoch_number", "validation_loss", "perplexity"])
    validation_loss = start
    for epoch in range(max(epochs, 1)):
        step = (epoch + 1) * per_epoch - 1
        validation_loss = loss_at(step) * rng.uniform(1.02, 1.12)
        writer.writerow([step, epoch, f"{validation_loss:.6f}", f"{math.exp(validation_loss):.6f}"])
    return Curves(training.getvalue(), validation.getvalue(), final_training, round(validation_loss, 6))
