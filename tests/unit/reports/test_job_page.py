"""The job report page: verdict and next steps per outcome, charts from the metric rows, evaluation, dataset
findings with true counts, and a self-contained document."""

from __future__ import annotations

import html
import re

from tests.unit.reports.samples import NAMES, sample
from tuneline.reports.job_page import render_job_report


def _text(page: str) -> str:
    body = page.split("</style>", 1)[-1]
    return " ".join(html.unescape(re.sub(r"<[^>]+>", " ", body)).split())


def test_every_page_is_self_contained() -> None:
    for name in NAMES:
        page = render_job_report(sample(name))
        assert page.startswith("<!DOCTYPE html>")
        assert 'name="viewport"' in page
        assert not re.search(r'<(script|link|img)[^>]*(src|href)="(https?:)?//', page), name
        assert "<script" not in page  # the job page needs none


def test_a_trained_run_charts_every_metric_row() -> None:
    record = sample("succeeded")
    page = render_job_report(record)
    training, validation = record["series"]["training"], record["series"]["validation"]
    assert f'data-series="training loss" data-points="{len(training)}"' in page
    assert f'data-series="validation loss" data-points="{len(validation)}"' in page
    assert f'data-series="training perplexity" data-points="{len(training)}"' in page
    text = _text(page)
    assert "succeeded" in text and "Training finished" in text
    assert "0.4443" in text  # final training loss, as the summary has it
    assert "54 training, 6 validation" in text


def test_an_evaluated_run_shows_scores_the_comparison_and_categories() -> None:
    page = render_job_report(sample("evaluated"))
    text = _text(page)
    assert "beats its base" in text
    assert "base 0.41 → custom 0.52" in text
    assert "+0.11 (95% interval 0.08 to 0.14)" in text
    assert "142 wins, 31 ties, 27 losses" in text
    assert len(re.findall(r'class="bar" data-series="custom"', page)) == 3  # one bar per category
    assert "aws bedrock-runtime converse" in text and "2026-12-08T08:40:00Z" in text


def test_a_gate_not_passed_says_so_and_what_to_look_at() -> None:
    record = sample("evaluated")
    record["evaluation"]["gate"]["passed"] = False
    text = _text(render_job_report(record))
    assert "did not beat its base" in text
    assert "Evaluation gate not passed" in text


def test_a_rejected_dataset_lists_counts_by_rule_and_the_first_findings_with_lines() -> None:
    record = sample("rejected")
    text = _text(render_job_report(record))
    assert "Dataset rejected: 4 problems found." in text
    assert "Nothing was started and nothing was charged." in text
    assert "tuneline validate <file> --model amazon.nova-micro-v1:0:128k --type FINE_TUNING" in text
    for rule in ("jsonl.invalid-json", "message.first-role", "message.last-role", "text.reserved-keyword"):
        assert rule in text
    assert "broken.jsonl 4 message.first-role" in text  # file, line, rule of the first finding
    assert "Training" not in re.findall(r"<h2>([^<]+)</h2>", render_job_report(record))


def test_true_counts_come_from_the_validator_not_from_the_listed_findings() -> None:
    record = sample("rejected")
    record["validationReport"]["stats"]["error_counts"] = {"jsonl.invalid-json": 1250}
    text = _text(render_job_report(record))
    assert "1,250 problems found" in text and "jsonl.invalid-json 1,250" in text


def test_a_failed_run_names_the_step_the_meaning_and_the_action() -> None:
    text = _text(render_job_report(sample("failed")))
    assert "Run failed at “Create customization job”: Bedrock ended the job with an internal error." in text
    assert "Upload the training file again" in text
    assert "States.TaskFailed" in text


def test_a_record_with_almost_nothing_still_renders() -> None:
    page = render_job_report({"jobName": "tuneline-x", "outcome": "failed"})
    assert "tuneline-x" in page and "Run failed" in page


def test_markup_in_data_is_escaped() -> None:
    record = sample("rejected")
    record["validationReport"]["errors"][0]["message"] = "<img src=x onerror=alert(1)>"
    page = render_job_report(record)
    assert "<img" not in page and "&lt;img src=x" in page
