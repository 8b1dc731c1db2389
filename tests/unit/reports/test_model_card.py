"""The model card follows the SageMaker Model Card schema's sections and names the data, settings and metrics."""

from __future__ import annotations

from tests.unit.reports.samples import sample
from tuneline.reports.model_card import PLACEHOLDER, build_model_card, model_card_markdown

SECTIONS = {
    "model_overview",
    "intended_uses",
    "business_details",
    "training_details",
    "evaluation_details",
    "additional_information",
}


def test_the_card_has_the_schema_sections_and_the_facts_of_the_run() -> None:
    record = sample("evaluated")
    card = build_model_card(record)
    assert set(card) == SECTIONS
    assert card["model_overview"]["model_id"] == record["summary"]["customModelArn"]
    details = card["training_details"]["training_job_details"]
    assert details["training_arn"] == record["summary"]["jobArn"]
    assert details["training_datasets"] == [record["plan"]["trainingDataUri"], record["plan"]["validationDataUri"]]
    assert {"name": "epochCount", "value": "2"} in details["hyper_parameters"]
    metrics = {m["name"]: m["value"] for m in details["training_metrics"]}
    assert metrics["final training loss"] == record["summary"]["metrics"]["finalTrainingLoss"]
    custom = card["additional_information"]["custom_details"]
    assert custom["source_data_version"] == record["source"]["versionId"]
    assert custom["source_data_etag"] == record["source"]["eTag"]
    assert custom["records"] == "60" and custom["base_model"] == "amazon.nova-micro-v1:0:128k"
    assert all(isinstance(v, str) for v in custom.values())  # the schema's custom_details are strings
    assert card["intended_uses"]["risk_rating"] == "Unknown"
    assert card["intended_uses"]["purpose_of_model"] == PLACEHOLDER
    [evaluation] = card["evaluation_details"]
    scores = {g["name"]: {m["name"]: m["value"] for m in g["metric_data"]} for g in evaluation["metric_groups"]}
    assert scores["custom"]["ROUGE-L"] == 0.52 and scores["base"]["exact match"] == 0.21


def test_without_evaluation_the_section_is_left_out() -> None:
    assert "evaluation_details" not in build_model_card(sample("succeeded"))


def test_the_markdown_card_carries_the_same_facts() -> None:
    record = sample("evaluated")
    markdown = model_card_markdown(build_model_card(record))
    assert markdown.startswith(f"# Model card: {record['plan']['customModelName']}")
    assert "| epochCount | 2 |" in markdown
    assert "| custom | 0.34 | 0.58 | 0.52 | 1.04 |" in markdown
    assert PLACEHOLDER in markdown
