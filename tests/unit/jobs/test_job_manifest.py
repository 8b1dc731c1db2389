"""Job manifests: options users may set per job, and clear errors for everything else."""

from __future__ import annotations

import json
from typing import Any

import pytest

from tuneline.errors import ManifestInvalid
from tuneline.jobs.manifest import JobManifest, apply_manifest, parse_manifest

FILE = "s3://data/incoming/support/chat.job.json"


def _parse(body: Any) -> JobManifest:
    data = body if isinstance(body, bytes) else json.dumps(body).encode()
    return parse_manifest(data, file=FILE)


def test_a_full_manifest_is_parsed_into_typed_options() -> None:
    manifest = _parse(
        {
            "hyperParameters": {"epochCount": 3, "learningRate": 0.00002, "learningRateWarmupSteps": "5"},
            "validationSplit": 0.1,
            "budgetUsd": 25,
            "customModelName": "support_bot-v2",
            "tags": {"team": "search", "cost-center": 1234, "owner": "ana@example.com"},
            "description": "  Support bot,\n March data  ",
        }
    )

    assert manifest.hyperparameters == {"epochCount": "3", "learningRate": "2e-05", "learningRateWarmupSteps": "5"}
    assert manifest.validation_split == 0.1
    assert manifest.budget_usd == 25.0
    assert manifest.custom_model_name == "support_bot-v2"
    assert manifest.tags == {"team": "search", "cost-center": "1234", "owner": "ana@example.com"}
    assert manifest.description == "Support bot, March data"
    assert manifest.file == FILE


def test_an_empty_object_changes_nothing() -> None:
    manifest = _parse({})

    assert manifest == JobManifest(file=FILE)


def test_a_byte_order_mark_is_accepted() -> None:
    assert _parse(b'\xef\xbb\xbf{"budgetUsd": 5}').budget_usd == 5.0


@pytest.mark.parametrize(
    ("data", "expected_parts"),
    [
        (b"", ["(file)", "is empty"]),
        (b"  \n", ["(file)", "is empty"]),
        (b"\xff\xfe{}", ["not UTF-8"]),
        (b'{"budgetUsd": 5,\n "tags": {"a": "b",}\n}', ["line 2 column", "not valid JSON"]),
        (b"{'budgetUsd': 5}", ["line 1 column 2", "not valid JSON"]),
        (b"[1, 2]", ["must hold a JSON object", "a list"]),
        (b'"text"', ["must hold a JSON object"]),
        (b'{"budgetUsd": NaN}', ["NaN", "not a JSON number"]),
        (b'{"budgetUsd": 5, "budgetUsd": 500}', ["budgetUsd", "appears twice"]),
    ],
)
def test_unreadable_manifests_are_rejected_with_the_place_to_look(data: bytes, expected_parts: list[str]) -> None:
    with pytest.raises(ManifestInvalid) as caught:
        parse_manifest(data, file=FILE)

    message = str(caught.value)
    assert message.startswith(FILE)
    assert "Fix:" in message
    for part in expected_parts:
        assert part in message


@pytest.mark.parametrize(
    ("body", "key", "rule"),
    [
        ({"epochs": 3}, "epochs", "is not a manifest setting"),
        ({"hyperparameters": {}}, "hyperparameters", "did you mean 'hyperParameters'"),
        ({"BudgetUSD": 3}, "BudgetUSD", "did you mean 'budgetUsd'"),
        ({"hyperParameters": [1]}, "hyperParameters", "must be an object"),
        ({"hyperParameters": {"epochCount": True}}, "hyperParameters.epochCount", "number or a string"),
        ({"hyperParameters": {"epochCount": None}}, "hyperParameters.epochCount", "number or a string"),
        ({"hyperParameters": {"epochCount": " "}}, "hyperParameters.epochCount", "is empty"),
        ({"validationSplit": "0.1"}, "validationSplit", "must be a number"),
        ({"validationSplit": 0.9}, "validationSplit", "out of range"),
        ({"validationSplit": -0.1}, "validationSplit", "out of range"),
        ({"budgetUsd": 0}, "budgetUsd", "out of range"),
        ({"budgetUsd": True}, "budgetUsd", "must be a number"),
        ({"customModelName": "my.model"}, "customModelName", "not a valid model name"),
        ({"customModelName": "my--model"}, "customModelName", "not a valid model name"),
        ({"customModelName": "_model"}, "customModelName", "not a valid model name"),
        ({"customModelName": "model\n"}, "customModelName", "not a valid model name"),
        ({"customModelName": "m" * 64}, "customModelName", "not a valid model name"),
        ({"customModelName": 7}, "customModelName", "must be a string"),
        ({"tags": ["team"]}, "tags", "must be an object"),
        ({"tags": {f"k{i}": "v" for i in range(41)}}, "tags", "at most 40"),
        ({"tags": {"": "v"}}, "tags.", "1-128 characters"),
        ({"tags": {"k" * 129: "v"}}, "tags.", "1-128 characters"),
        ({"tags": {"team!": "v"}}, "tags.team!", "may contain only"),
        ({"tags": {"aws:team": "v"}}, "tags.aws:team", "reserved"),
        ({"tags": {"Tuneline:profile": "v"}}, "tags.Tuneline:profile", "reserved"),
        ({"tags": {"team": "a" * 257}}, "tags.team", "at most 256"),
        ({"tags": {"team": "search (eu)"}}, "tags.team", "may contain only"),
        ({"tags": {"team": ["a"]}}, "tags.team", "must be a string"),
        ({"description": 3}, "description", "must be a string"),
        ({"description": "d" * 257}, "description", "at most 256"),
    ],
)
def test_each_broken_rule_names_the_file_the_key_the_rule_and_a_fix(body: Any, key: str, rule: str) -> None:
    with pytest.raises(ManifestInvalid) as caught:
        _parse(body)

    message = str(caught.value)
    assert message.startswith(f"{FILE}: {key}")
    assert rule in message
    assert "Fix:" in message


def test_apply_merges_hyperparameters_over_the_profile(make_profile) -> None:
    profile = make_profile(hyperParameters={"epochCount": 2, "learningRate": 0.00001})

    applied = apply_manifest(profile, _parse({"hyperParameters": {"epochCount": 4}}))

    assert applied.hyperparameters == {"epochCount": "4", "learningRate": "1e-05"}
    assert profile.hyperparameters["epochCount"] == "2"  # the configured profile is untouched


def test_apply_lowers_the_budget_and_sets_the_split(make_profile) -> None:
    applied = apply_manifest(make_profile(budgetUsd=50), _parse({"budgetUsd": 12.5, "validationSplit": 0.2}))

    assert applied.budget_usd == 12.5
    assert applied.validation_split == 0.2


def test_a_manifest_without_options_returns_the_profile_unchanged(make_profile) -> None:
    profile = make_profile(budgetUsd=50, validationSplit=0.1)

    assert apply_manifest(profile, _parse({"tags": {"team": "a"}})) == profile


def test_a_manifest_may_not_raise_the_platform_budget(make_profile) -> None:
    with pytest.raises(ManifestInvalid) as caught:
        apply_manifest(make_profile(budgetUsd=50), _parse({"budgetUsd": 5000}))

    message = str(caught.value)
    assert message.startswith(f"{FILE}: budgetUsd")
    assert "$5,000.00" in message and "$50.00" in message
    assert "may only lower" in message


@pytest.mark.parametrize(
    ("hyperparameters", "expected"),
    [
        ({"epochCount": 9}, "epochCount must be"),
        ({"epochCount": "2.5"}, "epochCount must be"),
        ({"learningRate": 1}, "learningRate must be"),
        ({"batchSize": 8}, "has no hyperparameter 'batchSize'"),
        ({"epochcount": 2}, "did you mean 'epochCount'"),
    ],
)
def test_hyperparameters_are_checked_against_the_base_model(make_profile, hyperparameters: dict, expected: str) -> None:
    with pytest.raises(ManifestInvalid) as caught:
        apply_manifest(make_profile(), _parse({"hyperParameters": hyperparameters}))

    message = str(caught.value)
    assert message.startswith(f"{FILE}: hyperParameters.")
    assert expected in message
    assert "Fix:" in message


def test_a_validation_split_for_a_model_without_validation_is_rejected(no_validation_profile) -> None:
    with pytest.raises(ManifestInvalid, match=r"validationSplit: .*accepts no validation set"):
        apply_manifest(no_validation_profile, _parse({"validationSplit": 0.1}))


def test_a_zero_split_is_fine_for_a_model_without_validation(no_validation_profile) -> None:
    assert apply_manifest(no_validation_profile, _parse({"validationSplit": 0})).validation_split == 0.0


@pytest.mark.parametrize("data", [b"[" * 100_000, b'{"tags": ' + b'{"a": ' * 5_000 + b"1" + b"}" * 5_001])
def test_a_manifest_nested_too_deeply_is_invalid_json_naming_the_file(data: bytes) -> None:
    with pytest.raises(ManifestInvalid) as caught:
        parse_manifest(data, file=FILE)

    message = str(caught.value)
    assert message.startswith(FILE) and "is not valid JSON (nested too deeply" in message
    assert "recursion" not in message.lower()
