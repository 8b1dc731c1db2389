"""Summaries per model and category, and the document `tuneline evaluate --format json` prints."""

from __future__ import annotations

import pytest

from tuneline.evaluation.engine import NoPairedScores, evaluate, score_items, summarize
from tuneline.evaluation.records import EvalItem

ITEMS = [
    EvalItem("Capital of France?", "Paris", "geo"),
    EvalItem("Capital of Japan?", "Tokyo", "geo"),
    EvalItem("User as JSON", '{"name": "Ada"}', "json"),
    EvalItem("2+2?", "4", None),
]
BASE = ["Paris, I think", "Kyoto", "name: Ada", "five"]
CUSTOM = ["Paris", "Tokyo", '{"name": "Ada"}', "4"]


def test_summary_means_each_metric_and_json_validity_only_over_json_references() -> None:
    summary = summarize(score_items(ITEMS, CUSTOM))
    assert summary["count"] == 4
    assert summary["exactMatch"] == 1.0 and summary["rougeL"] == 1.0
    assert summary["jsonValid"] == 1.0  # one JSON reference, answered with JSON
    assert summary["lengthRatio"] == 1.0
    base = summarize(score_items(ITEMS, BASE))
    # Normalization strips JSON's punctuation, so "name: Ada" matches exactly; jsonValid is what tells them apart.
    assert base["exactMatch"] == 0.25 and base["jsonValid"] == 0.0
    # rougeL per record: "Paris, I think" P 1/3 R 1 -> 0.5; Kyoto 0; "name ada" 1.0; "five" 0.
    assert base["rougeL"] == pytest.approx(1.5 / 4)


def test_categories_are_summarized_apart_and_records_without_one_are_grouped() -> None:
    categories = summarize(score_items(ITEMS, BASE))["byCategory"]
    assert list(categories) == ["(none)", "geo", "json"]
    assert categories["geo"]["count"] == 2 and "jsonValid" not in categories["geo"]
    assert categories["json"]["jsonValid"] == 0.0


def test_no_category_anywhere_gives_an_empty_breakdown_and_no_json_validity() -> None:
    items = [EvalItem("q", "plain answer")]
    summary = summarize(score_items(items, ["plain answer"]))
    assert summary["byCategory"] == {} and "jsonValid" not in summary


def test_two_models_are_compared_and_gated_with_the_first_as_baseline() -> None:
    result = evaluate({"base": score_items(ITEMS, BASE), "custom": score_items(ITEMS, CUSTOM)}, baseline=None)
    assert set(result) == {"models", "comparison", "gate"}
    comparison = result["comparison"]
    assert (comparison["baseline"], comparison["candidate"], comparison["metric"]) == ("base", "custom", "rougeL")
    # The JSON record ties on rougeL (both tokenize to "name ada"); the other three are wins.
    assert (comparison["wins"], comparison["ties"], comparison["losses"]) == (3, 1, 0)
    assert result["gate"]["passed"] is True


def test_the_named_baseline_and_gate_metric_are_used() -> None:
    scored = {"custom": score_items(ITEMS, CUSTOM), "base": score_items(ITEMS, BASE)}
    result = evaluate(scored, baseline="custom", gate_metric="jsonValid", min_improvement=0.0)
    assert result["comparison"]["baseline"] == "custom" and result["comparison"]["metric"] == "jsonValid"
    # Paired over the one JSON reference only: the base fails it.
    assert (result["comparison"]["wins"], result["comparison"]["losses"]) == (0, 1)
    assert result["gate"]["passed"] is False and result["gate"]["reason"] == "not-better"


@pytest.mark.parametrize("count", [1, 3])
def test_no_comparison_or_gate_unless_there_are_exactly_two_models(count: int) -> None:
    scored = {f"m{i}": score_items(ITEMS, CUSTOM) for i in range(count)}
    result = evaluate(scored, baseline=None)
    assert set(result) == {"models"} and len(result["models"]) == count


def test_json_validity_cannot_gate_without_json_references() -> None:
    items = [EvalItem("q", "plain")]
    with pytest.raises(NoPairedScores, match="jsonValid"):
        evaluate(
            {"a": score_items(items, ["x"]), "b": score_items(items, ["plain"])}, baseline=None, gate_metric="jsonValid"
        )


def test_progress_hears_the_characters_scored() -> None:
    heard: list[int] = []
    score_items(ITEMS, CUSTOM, progress=heard.append)
    assert heard[-1] == sum(len(item.reference) + len(text) for item, text in zip(ITEMS, CUSTOM, strict=True))
    assert heard == sorted(heard) and len(heard) == len(ITEMS)
