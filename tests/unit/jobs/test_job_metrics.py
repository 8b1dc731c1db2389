"""Metric files of a finished job: found anywhere under the output prefix, parsed forgivingly, summarized."""

from __future__ import annotations

import math
from collections.abc import Sequence
from pathlib import Path

import pytest

from tuneline.jobs.metrics import (
    MetricPoint,
    MetricSeries,
    find_metric_files,
    parse_training_metrics,
    parse_validation_metrics,
    summarize,
)

FIXTURES = Path(__file__).parents[2] / "data" / "metrics"
JOB = "output/tuneline-support.chat.0123456789ab/model-customization-job-abcdef123456"


def _fixture(case: str, name: str) -> str:
    return (FIXTURES / case / name).read_bytes().decode("utf-8")


def _summary(case: str) -> dict:
    training = parse_training_metrics(_fixture(case, "step_wise_training_metrics.csv"))
    validation = None
    if (FIXTURES / case / "validation_metrics.csv").exists():
        validation = parse_validation_metrics(_fixture(case, "validation_metrics.csv"))
    return summarize(training, validation).to_dict()


# --- finding the files -------------------------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("validation_path"),
    [
        # The documented layout and the one AWS sample code reads (an extra validation/ folder).
        "validation_artifacts/post_fine_tuning_validation/validation_metrics.csv",
        "validation_artifacts/post_fine_tuning_validation/validation/validation_metrics.csv",
    ],
)
def test_metric_files_are_found_in_either_documented_layout(validation_path: str) -> None:
    keys = [
        f"{JOB}/training_artifacts/step_wise_training_metrics.csv",
        f"{JOB}/{validation_path}",
        f"{JOB}/training_artifacts/other.csv",
        "output/.write_access_check_file.tmp",
    ]

    files = find_metric_files(keys)

    assert files.training_key == f"{JOB}/training_artifacts/step_wise_training_metrics.csv"
    assert files.validation_key == f"{JOB}/{validation_path}"


def test_training_only_jobs_have_no_validation_file() -> None:
    files = find_metric_files([f"{JOB}/training_artifacts/step_wise_training_metrics.csv"])

    assert files.validation_key is None


def test_no_metric_files_at_all() -> None:
    files = find_metric_files([f"{JOB}/distillation/prompt_insights.json"])

    assert (files.training_key, files.validation_key) == (None, None)


def test_the_jobs_own_folder_wins_when_the_prefix_holds_several_jobs() -> None:
    older = "output/x/model-customization-job-aaaaaaaaaaaa/training_artifacts/step_wise_training_metrics.csv"
    mine = "output/x/model-customization-job-zzzzzzzzzzzz/training_artifacts/step_wise_training_metrics.csv"
    arn = "arn:aws:bedrock:us-east-1:123456789012:model-customization-job/amazon.nova-micro-v1:0:128k/zzzzzzzzzzzz"

    assert find_metric_files([older, mine], job_arn=arn).training_key == mine


def test_file_names_match_without_case() -> None:
    key = f"{JOB}/training_artifacts/Step_Wise_Training_Metrics.CSV"

    assert find_metric_files([key]).training_key == key


# --- parsing -----------------------------------------------------------------------------------------------------


def test_a_documented_training_file_is_parsed_in_step_order() -> None:
    series = parse_training_metrics(_fixture("healthy", "step_wise_training_metrics.csv"))

    assert len(series.points) == 600
    assert series.skipped_rows == 0
    assert series.points[0].step == 0 and series.points[0].epoch == 1
    assert [p.step for p in series.points] == list(range(600))
    assert all(p.perplexity == pytest.approx(math.exp(p.loss), rel=1e-5) for p in series.points)


def test_bom_crlf_spaced_reordered_headers_and_nan_rows_are_handled() -> None:
    series = parse_training_metrics(_fixture("messy", "step_wise_training_metrics.csv"))

    assert len(series.points) == 317
    assert series.skipped_rows == 3  # two NaN losses and one blank loss
    assert series.steps == 320  # rows without a usable loss were still trained
    first = series.points[0]
    assert (first.step, first.epoch) == (0, 1)
    assert first.loss == pytest.approx(3.26513)
    assert first.perplexity == pytest.approx(26.1836)


def test_validation_file_with_columns_in_another_order() -> None:
    series = parse_validation_metrics(_fixture("messy", "validation_metrics.csv"))

    assert [(p.step, p.epoch, p.loss) for p in series.points] == [(159, 1, 1.61), (319, 2, 1.48)]


@pytest.mark.parametrize(
    "text",
    [
        "",
        "\ufeff",
        "\n\n",
        "step_number,epoch_number,training_loss,perplexity\n",
        "\ufeffstep_number,training_loss\r\n",
    ],
)
def test_empty_files_give_an_empty_series(text: str) -> None:
    assert parse_training_metrics(text).points == ()


def test_a_file_without_a_loss_column_gives_no_points_and_counts_its_rows() -> None:
    series = parse_training_metrics("step_number,epoch_number,accuracy\n0,1,0.5\n1,1,0.6\n")

    assert series.points == ()
    assert series.skipped_rows == 2


@pytest.mark.parametrize(
    ("header", "row", "expected"),
    [
        ("Step,Epoch,Loss,PPL", "3,1,0.5,1.65", MetricPoint(3, 1.0, 0.5, 1.65)),
        ("stepNumber,epochNumber,trainingLoss,perplexity", "3,1,0.5,1.65", MetricPoint(3, 1.0, 0.5, 1.65)),
        ("STEP-NUMBER;EPOCH-NUMBER;TRAINING-LOSS", "3;1;0.5", MetricPoint(3, 1.0, 0.5, None)),
        ("training_loss\tstep_number", "0.5\t3", MetricPoint(3, None, 0.5, None)),
        ("step_number,epoch_number,training_loss,perplexity", "3,1,0.5,inf", MetricPoint(3, 1.0, 0.5, None)),
        ("step_number,epoch_number,training_loss,perplexity", "3.0,1,5e-1,", MetricPoint(3, 1.0, 0.5, None)),
    ],
)
def test_header_spellings_and_delimiters(header: str, row: str, expected: MetricPoint) -> None:
    assert parse_training_metrics(f"{header}\n{row}\n").points == (expected,)


def test_a_file_without_a_header_row_follows_the_documented_column_order() -> None:
    series = parse_training_metrics("0,1,2.5,12.18\n1,1,2.25,9.49\n")

    assert series.points == (MetricPoint(0, 1.0, 2.5, 12.18), MetricPoint(1, 1.0, 2.25, 9.49))


def test_validation_loss_column_is_preferred_over_other_losses() -> None:
    series = parse_validation_metrics("step_number,training_loss,validation_loss\n10,0.4,0.9\n")

    assert series.points[0].loss == 0.9


def test_short_rows_are_skipped_not_fatal() -> None:
    series = parse_training_metrics("step_number,epoch_number,training_loss\n0,1,2.0\n1,1\n2,1,1.8\n")

    assert [p.step for p in series.points] == [0, 2]
    assert series.skipped_rows == 1


# --- summaries ---------------------------------------------------------------------------------------------------


def test_summary_of_a_healthy_run() -> None:
    summary = _summary("healthy")

    assert summary["trainingSteps"] == 600
    assert summary["epochs"] == 3
    assert summary["firstTrainingLoss"] == pytest.approx(2.834647)
    assert summary["finalTrainingLoss"] == pytest.approx(0.914834)
    assert summary["bestTrainingLoss"] <= summary["finalTrainingLoss"]
    assert summary["finalValidationLoss"] == pytest.approx(1.11876)
    assert summary["bestValidationLoss"] == pytest.approx(1.11876)
    assert summary["bestValidationEpoch"] == 3
    assert summary["finalPerplexity"] == pytest.approx(math.exp(1.11876), rel=1e-5)
    assert summary["finalPerplexitySource"] == "validation"
    assert summary["improvementPct"] == pytest.approx((2.834647 - 0.914834) / 2.834647 * 100, abs=0.01)
    assert summary["overfitting"] is False
    assert summary["overfittingDetail"] is None
    assert summary["hasValidation"] is True


def test_summary_flags_overfitting() -> None:
    summary = _summary("overfitting")

    assert summary["overfitting"] is True
    assert summary["bestValidationLoss"] == pytest.approx(1.047)
    assert summary["bestValidationEpoch"] == 1
    assert summary["finalValidationLoss"] == pytest.approx(1.418)
    assert "epoch 1" in summary["overfittingDetail"]
    assert "35% higher" in summary["overfittingDetail"]


def test_summary_without_validation_uses_training_perplexity() -> None:
    summary = _summary("training_only")

    assert summary["hasValidation"] is False
    assert summary["finalValidationLoss"] is None
    assert summary["overfitting"] is False
    assert summary["finalPerplexitySource"] == "training"
    assert summary["epochs"] == 2
    assert summary["trainingSteps"] == 500


def test_summary_of_an_empty_run() -> None:
    summary = _summary("empty")

    assert summary["trainingSteps"] == 0
    assert summary["finalTrainingLoss"] is None
    assert summary["improvementPct"] is None
    assert summary["finalPerplexity"] is None
    assert summary["overfitting"] is False


def _series(losses: list[float], *, epochs: Sequence[float] | None = None, steps_per_point: int = 1) -> MetricSeries:
    return MetricSeries(
        points=tuple(
            MetricPoint(step=i * steps_per_point, epoch=epochs[i] if epochs else None, loss=loss, perplexity=None)
            for i, loss in enumerate(losses)
        )
    )


FALLING_TRAINING = _series([2.0 - 0.1 * i for i in range(12)], epochs=[1] * 4 + [2] * 4 + [3] * 4)


@pytest.mark.parametrize(
    ("validation", "training", "overfitting"),
    [
        # Best at epoch 1, ends 10% higher, training falling: overfitting.
        ([1.0, 1.05, 1.10], FALLING_TRAINING, True),
        # Ends only 4% above its best: within noise.
        ([1.0, 1.02, 1.04], FALLING_TRAINING, False),
        # Best at the end: fine.
        ([1.2, 1.1, 1.0], FALLING_TRAINING, False),
        # Rises, but training rose too: a training problem, not overfitting.
        ([1.0, 1.05, 1.10], _series([1.0 + 0.1 * i for i in range(12)], epochs=[1] * 4 + [2] * 4 + [3] * 4), False),
        # A single evaluation cannot show a trend.
        ([1.0], FALLING_TRAINING, False),
    ],
)
def test_overfitting_definition(validation: list[float], training: MetricSeries, overfitting: bool) -> None:
    checked = _series(validation, epochs=[1, 2, 3][: len(validation)])

    assert summarize(training, checked).overfitting is overfitting


def test_overfitting_without_epoch_numbers_compares_matching_stretches_of_training() -> None:
    training = _series([2.0 - 0.01 * i for i in range(100)])
    validation = _series([1.0, 0.9, 0.95, 1.1])  # evaluations spread over the run, no epochs

    summary = summarize(training, validation)

    assert summary.overfitting is True
    assert "an earlier evaluation" in (summary.overfitting_detail or "")


def test_validation_rows_within_an_epoch_are_averaged() -> None:
    validation = _series([1.0, 1.2, 0.9, 0.9], epochs=[1, 1, 2, 2])

    summary = summarize(FALLING_TRAINING, validation)

    assert summary.best_validation_loss == pytest.approx(0.9)
    assert summary.best_validation_epoch == 2
    assert summary.final_validation_loss == pytest.approx(0.9)


def test_improvement_is_negative_when_loss_went_up() -> None:
    summary = summarize(_series([1.0, 1.5]))

    assert summary.improvement_pct == pytest.approx(-50.0)
