"""Reinforcement fine-tuning profiles: Nova 2 Lite only, rftConfig hyperparameters typed and within their API
ranges (docs/bedrock.md §3), one grader per profile; every mistake names its key."""

from __future__ import annotations

import copy
from typing import Any

import pytest

from tuneline.profiles import ConfigError, parse_profiles, profiles_document, profiles_from_document

RFT: dict[str, Any] = {
    "baseModel": "amazon.nova-2-lite-v1:0:256k",
    "customizationType": "REINFORCEMENT_FINE_TUNING",
    "rftConfig": {
        "grader": {"type": "numeric", "tolerance": 0.01, "referenceField": "final_answer"},
        "hyperParameters": {"epochCount": 2, "batchSize": 32, "learningRate": 5e-5, "reasoningEffort": "High"},
    },
}


def profile(**changes: Any) -> dict[str, Any]:
    body = copy.deepcopy(RFT)
    for path, value in changes.items():
        target = body
        *parents, last = path.split("__")
        for part in parents:
            target = target[part]
        if value is None:
            target.pop(last, None)
        else:
            target[last] = value
    return {"math": body}


def error_of(raw: dict[str, Any]) -> ConfigError:
    with pytest.raises(ConfigError) as caught:
        parse_profiles(raw)
    return caught.value


def test_an_rft_profile_parses_with_typed_hyperparameters_and_defaults() -> None:
    parsed = parse_profiles(profile())["math"]
    assert parsed.rft is not None
    assert dict(parsed.rft.hyperparameters) == {
        "epochCount": 2,
        "batchSize": 32,
        "learningRate": 5e-5,
        "reasoningEffort": "high",
    }
    assert parsed.rft.grader.type == "numeric" and parsed.rft.grader.built_in
    assert (parsed.rft.skip_training_above, parsed.rft.dry_run_samples) == (0.95, 5)


def test_the_functions_read_the_same_rft_profile_from_the_document() -> None:
    assert profiles_from_document(profiles_document(profile())) == parse_profiles(profile())


def test_other_base_models_are_refused_with_the_models_that_support_rft() -> None:
    error = error_of(profile(baseModel="amazon.nova-lite-v1:0:300k"))
    assert error.key == "tuneline.profiles.math.customizationType"
    assert "amazon.nova-2-lite-v1:0:256k" in error.problem


@pytest.mark.parametrize(
    ("name", "value", "allowed"),
    [
        ("epochCount", 51, "from 1 to 50"),
        ("batchSize", 8, "from 16 to 512"),
        ("learningRate", 0.01, "from 1e-07 to 0.001"),
        ("trainingSamplePerPrompt", 1, "from 2 to 16"),
        ("evalInterval", 101, "from 1 to 100"),
        ("inferenceMaxTokens", 0.5, "whole number"),
        ("reasoningEffort", "maximum", "'low', 'medium', 'high'"),
        ("reasoningEffort", 2, "'low', 'medium', 'high'"),
    ],
)
def test_rft_hyperparameters_out_of_range_name_the_key_and_the_range(name: str, value: Any, allowed: str) -> None:
    error = error_of(profile(**{f"rftConfig__hyperParameters__{name}": value}))
    assert error.key == f"tuneline.profiles.math.rftConfig.hyperParameters.{name}"
    assert allowed in error.problem


def test_an_unknown_rft_hyperparameter_lists_the_allowed_ones() -> None:
    error = error_of(profile(rftConfig__hyperParameters__learningRateWarmupSteps=10))
    assert "trainingSamplePerPrompt" in error.problem


@pytest.mark.parametrize(
    ("grader", "key", "words"),
    [
        ({"type": "fuzzy"}, "grader.type", "exact, regex, numeric"),
        ({"type": "regex"}, "grader.pattern", "required"),
        ({"type": "regex", "pattern": "(a"}, "grader.pattern", "not a valid regular expression"),
        ({"type": "regex", "pattern": "(a)(b)"}, "grader.pattern", "at most one group"),
        ({"type": "jsonField", "path": "a..b"}, "grader.path", "not a path"),
        ({"type": "jsonSchema", "schema": {"oneOf": []}}, "grader.schema", "oneOf"),
        ({"type": "llmJudge", "modelId": "us.amazon.nova-pro-v1:0"}, "grader.rubric", "required"),
        ({"type": "lambdaArn", "lambdaArn": "my-function"}, "grader.lambdaArn", "not a Lambda function ARN"),
        ({"type": "exact", "pattern": "x"}, "grader.pattern", "unknown setting"),
        ({"type": "exact", "timeoutSeconds": 901}, "grader.timeoutSeconds", "from 10 to 900"),
    ],
)
def test_grader_mistakes_name_the_key(grader: dict[str, Any], key: str, words: str) -> None:
    error = error_of(profile(rftConfig__grader=grader))
    assert error.key == f"tuneline.profiles.math.rftConfig.{key}"
    assert words in error.problem


def test_rft_needs_rftconfig_and_other_types_refuse_it() -> None:
    assert error_of(profile(rftConfig=None)).key == "tuneline.profiles.math.rftConfig"
    fine_tuning = profile(customizationType="FINE_TUNING")
    assert "only used with" in error_of(fine_tuning).problem


def test_top_level_hyperparameters_are_refused_for_rft() -> None:
    error = error_of(profile(hyperParameters={"epochCount": 2}))
    assert error.key == "tuneline.profiles.math.hyperParameters" and "rftConfig.hyperParameters" in error.problem


def test_skip_training_above_is_a_fraction() -> None:
    assert "out of range" in error_of(profile(rftConfig__skipTrainingAbove=95)).problem


def test_a_users_own_grader_is_named_by_arn_and_is_not_built() -> None:
    arn = "arn:aws:lambda:us-east-1:111122223333:function:my-grader:live"
    parsed = parse_profiles(profile(rftConfig__grader={"type": "lambdaArn", "lambdaArn": arn}))["math"]
    assert parsed.rft is not None and parsed.rft.grader.lambda_arn == arn and not parsed.rft.grader.built_in
