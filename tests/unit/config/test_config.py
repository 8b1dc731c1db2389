"""Typed configuration: every bad setting names its key, the rule and what is allowed."""

from __future__ import annotations

import copy
import json
from typing import Any

import pytest

from stacks.config import load_config
from tuneline.profiles import (
    ConfigError,
    ConfigErrors,
    Profile,
    parse_profiles,
    profiles_document,
    profiles_from_document,
)

GOOD: dict[str, Any] = {
    "alertEmails": ["ml@example.com"],
    "network": "none",
    "profiles": {
        "support-bot": {
            "baseModel": "amazon.nova-micro-v1:0:128k",
            "hyperParameters": {"epochCount": 2, "learningRate": 0.00001},
            "validationSplit": 0.1,
            "budgetUsd": 50,
        }
    },
}


def _with(path: str, value: Any) -> dict[str, Any]:
    config = copy.deepcopy(GOOD)
    target = config
    *parents, last = path.split(".")
    for part in parents:
        target = target.setdefault(part, {})
    target[last] = value
    return config


def test_good_config_loads_typed_values() -> None:
    config = load_config(GOOD)
    profile = config.profiles["support-bot"]
    assert config.network == "none"
    assert profile.customization_type == "FINE_TUNING"
    assert profile.hyperparameters == {"epochCount": "2", "learningRate": "1e-05"}
    assert profile.validation_split == 0.1
    assert profile.serving.mode == "none"


@pytest.mark.parametrize(
    ("path", "value", "key", "says"),
    [
        ("network", "public", "tuneline.network", "not one of create, none"),
        ("alertEmails", ["not-an-email"], "tuneline.alertEmails", "e-mail addresses"),
        ("colour", "blue", "tuneline.colour", "unknown setting"),
        ("workflowTimeoutHours", 0, "tuneline.workflowTimeoutHours", "from 1 to 336"),
        ("profiles", {}, "tuneline.profiles", "at least one profile"),
        ("profiles.Bad_Name", {"baseModel": "amazon.nova-micro-v1:0:128k"}, "tuneline.profiles.Bad_Name", "lowercase"),
        ("profiles.support-bot.baseModel", "amazon.nova-nano", "tuneline.profiles.support-bot.baseModel", "nova-micro"),
        (
            "profiles.support-bot.customizationType",
            "PRETRAINING",
            "tuneline.profiles.support-bot.customizationType",
            "FINE_TUNING, CONTINUED_PRE_TRAINING, DISTILLATION",
        ),
        (
            "profiles.support-bot.hyperParameters",
            {"epochCount": 99},
            "tuneline.profiles.support-bot.hyperParameters.epochCount",
            "5",
        ),
        (
            "profiles.support-bot.hyperParameters",
            {"batchSize": 8},
            "tuneline.profiles.support-bot.hyperParameters.batchSize",
            "allowed: epochCount",
        ),
        ("profiles.support-bot.validationSplit", 0.9, "tuneline.profiles.support-bot.validationSplit", "from 0 to 0.5"),
        ("profiles.support-bot.budgetUsd", -1, "tuneline.profiles.support-bot.budgetUsd", "out of range"),
        ("profiles.support-bot.concurrency", 1.5, "tuneline.profiles.support-bot.concurrency", "whole number"),
        ("profiles.support-bot.autoFix", "yes", "tuneline.profiles.support-bot.autoFix", "true or false"),
        ("profiles.support-bot.teacherModel", "x", "tuneline.profiles.support-bot.teacherModel", "DISTILLATION"),
        ("profiles.support-bot.serving", {"mode": "cloud"}, "tuneline.profiles.support-bot.serving.mode", "none"),
        (
            "profiles.support-bot.uploaderPrincipals",
            "arn:aws:iam::111122223333:role/Uploader",
            "tuneline.profiles.support-bot.uploaderPrincipals",
            "must be a list",
        ),
        (
            "profiles.support-bot.uploaderPrincipals",
            ["arn:aws:iam::111122223333:role/Uploader", "alice"],
            "tuneline.profiles.support-bot.uploaderPrincipals[1]",
            "role/Uploader",
        ),
        (
            "profiles.support-bot.uploaderPrincipals",
            ["arn:aws:sts::111122223333:assumed-role/Uploader/alice"],
            "tuneline.profiles.support-bot.uploaderPrincipals[0]",
            "not its session",
        ),
        ("profiles.support-bot.mediaPrefix", "media", "tuneline.profiles.support-bot.mediaPrefix", "ending in '/'"),
        ("profiles.support-bot.mediaPrefix", "/media/", "tuneline.profiles.support-bot.mediaPrefix", "a folder"),
        ("profiles.support-bot.mediaPrefix", "media/../", "tuneline.profiles.support-bot.mediaPrefix", "'..'"),
        ("profiles.support-bot.mediaPrefix", "imports/", "tuneline.profiles.support-bot.mediaPrefix", "overlaps"),
        ("profiles.support-bot.mediaPrefix", "staged/x/", "tuneline.profiles.support-bot.mediaPrefix", "'staged/'"),
        ("profiles.support-bot.mediaPrefix", "a b/", "tuneline.profiles.support-bot.mediaPrefix", "letters, digits"),
        (
            "profiles.support-bot.includeSmokeTextInAlerts",
            "yes",
            "tuneline.profiles.support-bot.includeSmokeTextInAlerts",
            "true or false",
        ),
    ],
)
def test_bad_setting_names_key_and_rule(path: str, value: Any, key: str, says: str) -> None:
    with pytest.raises(ConfigError) as raised:
        load_config(_with(path, value))
    assert raised.value.key == key
    assert says in str(raised.value)


@pytest.mark.parametrize(
    ("path", "value", "key", "meant"),
    [
        ("alertEmail", ["ml@example.com"], "tuneline.alertEmail", "alertEmails"),
        ("network", "Create", "tuneline.network", "create"),
        ("profiles.support-bot.hyperParameter", {}, "tuneline.profiles.support-bot.hyperParameter", "hyperParameters"),
        ("profiles.support-bot.budgetUSD", 5, "tuneline.profiles.support-bot.budgetUSD", "budgetUsd"),
        (
            "profiles.support-bot.hyperParameters",
            {"epochcount": 2},
            "tuneline.profiles.support-bot.hyperParameters.epochcount",
            "epochCount",
        ),
        (
            "profiles.support-bot.baseModel",
            "amazon.nova-mikro-v1:0:128k",
            "tuneline.profiles.support-bot.baseModel",
            "amazon.nova-micro-v1:0:128k",
        ),
        (
            "profiles.support-bot.customizationType",
            "fine_tuning",
            "tuneline.profiles.support-bot.customizationType",
            "FINE_TUNING",
        ),
        (
            "profiles.support-bot.serving",
            {"mode": "ondemand"},
            "tuneline.profiles.support-bot.serving.mode",
            "on-demand",
        ),
        (
            "profiles.support-bot.serving",
            {"mode": "provisioned", "ttlHour": 4},
            "tuneline.profiles.support-bot.serving.ttlHour",
            "ttlHours",
        ),
        (
            "profiles.support-bot.serving",
            {"mode": "provisioned", "commitment": "onemonth"},
            "tuneline.profiles.support-bot.serving.commitment",
            "OneMonth",
        ),
    ],
)
def test_a_typo_suggests_the_setting_or_value_meant(path: str, value: Any, key: str, meant: str) -> None:
    with pytest.raises(ConfigError) as raised:
        load_config(_with(path, value))
    assert raised.value.key == key
    assert f"did you mean {meant!r}?" in str(raised.value)


@pytest.mark.parametrize(
    ("path", "value", "fix"),
    [
        ("profiles.support-bot.budgetUsd", -5, "use a number from 0.01 to 1000000"),
        ("profiles.support-bot.budgetUsd", "50", "(without quotes)"),
        ("profiles.support-bot.teacherModel", "amazon.nova-pro-v1:0", "remove it or set customizationType"),
        (
            "profiles.support-bot.serving",
            {"mode": "provisioned", "commitment": "OneMonth", "acknowledgeCommitment": "true"},
            "must be true or false (without quotes), got 'true'",
        ),
        (
            "profiles.support-bot.serving",
            {"mode": "on-demand", "commitment": "OneMonth"},
            "set mode to 'provisioned' or remove commitment",
        ),
    ],
)
def test_a_bad_value_says_how_to_fix_it(path: str, value: Any, fix: str) -> None:
    with pytest.raises(ConfigError) as raised:
        load_config(_with(path, value))
    assert fix in str(raised.value)


def test_missing_context_says_where_to_put_it() -> None:
    with pytest.raises(ConfigError, match=r"cdk\.json"):
        load_config(None)


def test_distillation_needs_a_known_teacher_for_the_student() -> None:
    profile = {"baseModel": "amazon.nova-lite-v1:0:300k", "customizationType": "DISTILLATION"}
    with pytest.raises(ConfigError, match="teacherModel"):
        parse_profiles({"d": profile})
    ok = parse_profiles({"d": {**profile, "teacherModel": "us.amazon.nova-pro-v1:0"}})
    assert ok["d"].teacher_model == "us.amazon.nova-pro-v1:0"


def test_commitment_needs_explicit_acknowledgement() -> None:
    serving = {"mode": "provisioned", "commitment": "OneMonth"}
    base = {"baseModel": "amazon.nova-micro-v1:0:128k", "serving": serving}
    with pytest.raises(ConfigError) as raised:
        parse_profiles({"p": base})
    assert raised.value.key == "tuneline.profiles.p.serving.acknowledgeCommitment"
    assert "billed for the whole term" in str(raised.value)
    acknowledged = parse_profiles({"p": {**base, "serving": {**serving, "acknowledgeCommitment": True}}})
    assert acknowledged["p"].serving.commitment == "OneMonth"


def test_on_demand_on_an_unsupported_model_lists_supported_ones() -> None:
    with pytest.raises(ConfigError) as raised:
        parse_profiles({"p": {"baseModel": "meta.llama3-1-8b-instruct-v1:0:128k", "serving": "on-demand"}})
    assert raised.value.key == "tuneline.profiles.p.serving.mode"
    assert "amazon.nova-micro-v1:0:128k" in str(raised.value)


def test_validation_split_refused_where_the_model_takes_no_validation_set() -> None:
    with pytest.raises(ConfigError, match="accepts no validation set"):
        parse_profiles({"p": {"baseModel": "amazon.titan-image-generator-v2:0", "validationSplit": 0.1}})


def test_uploader_principals_are_read_for_the_stack() -> None:
    uploaders = ["arn:aws:iam::111122223333:role/Uploader", "arn:aws:iam::111122223333:role/aws-reserved/sso/Admin_*"]
    config = load_config(_with("profiles.support-bot.uploaderPrincipals", uploaders))
    assert config.profiles["support-bot"].uploader_principals == tuple(uploaders)
    assert profiles_from_document(config.profiles_document)["support-bot"].uploader_principals == tuple(uploaders)


def test_the_functions_read_back_the_profiles_synth_accepted_from_the_settings_as_written() -> None:
    context = _with("profiles.served", {"baseModel": "amazon.nova-lite-v1:0:300k", "serving": "on-demand"})
    config = load_config(context)
    # The document is cdk.json's own text, so a setting added to Profile reaches the functions unchanged.
    assert json.loads(config.profiles_document) == context["profiles"]
    restored = profiles_from_document(config.profiles_document)
    assert restored == config.profiles
    assert isinstance(restored["support-bot"], Profile) and restored["served"].serving.mode == "on-demand"


def test_the_profiles_document_does_not_depend_on_the_order_of_keys_in_cdk_json() -> None:
    # The document is part of the code asset's hash: reordering cdk.json must not make a new deployment.
    reordered = copy.deepcopy(GOOD)
    reordered["profiles"]["support-bot"] = dict(reversed(list(GOOD["profiles"]["support-bot"].items())))
    assert load_config(reordered).profiles_document == load_config(GOOD).profiles_document


def test_the_media_prefix_defaults_to_media_and_survives_the_trip_to_the_lambdas() -> None:
    profiles = parse_profiles(
        {
            "a": {"baseModel": "amazon.nova-lite-v1:0:300k"},
            "b": {"baseModel": "amazon.nova-lite-v1:0:300k", "mediaPrefix": "team-b/img/"},
        }
    )
    assert profiles["a"].media_prefix == "media/"
    assert (
        profiles_from_document(
            profiles_document(
                {
                    "a": {"baseModel": "amazon.nova-lite-v1:0:300k"},
                    "b": {"baseModel": "amazon.nova-lite-v1:0:300k", "mediaPrefix": "team-b/img/"},
                }
            )
        )["b"].media_prefix
        == "team-b/img/"
    )


def test_every_mistake_is_reported_in_one_reading_in_the_order_of_the_settings() -> None:
    config = _with("network", "public")
    config["profiles"]["support-bot"]["budgetUsd"] = "50"
    config["profiles"]["second"] = {"baseModel": "amazon.nova-micro-v1:0:128k", "concurency": 2}
    with pytest.raises(ConfigErrors) as raised:
        load_config(config)
    assert [error.key for error in raised.value.errors] == [
        "tuneline.network",
        "tuneline.profiles.support-bot.budgetUsd",
        "tuneline.profiles.second.concurency",
    ]
    message = str(raised.value)
    assert "'public' is not one of create, none" in message
    assert "(without quotes), got '50'" in message
    assert "did you mean 'concurrency'?" in message
    # Still a ConfigError, naming the first mistake, for code that handles one.
    assert isinstance(raised.value, ConfigError) and raised.value.key == "tuneline.network"


def test_one_mistake_is_raised_as_itself() -> None:
    with pytest.raises(ConfigError) as raised:
        load_config(_with("retainData", "yes"))
    assert type(raised.value) is ConfigError
    assert raised.value.mistakes == (raised.value,)


def test_mistakes_inside_one_profile_and_its_nested_settings_are_all_reported() -> None:
    profile = {
        "baseModel": "amazon.nova-micro-v1:0:128k",
        "hyperParameters": {"epochCount": 99, "batchSize": 8},
        "serving": {"mode": "provisioned", "ttlHours": 0, "keepOnSmokeFailure": "no"},
        "evaluation": {"prompts": 5000, "gate": {"metric": "bleu", "minImprovment": 0.1}},
        "uploaderPrincipals": ["alice", "bob"],
    }
    with pytest.raises(ConfigErrors) as raised:
        parse_profiles({"p": profile})
    assert [error.key for error in raised.value.errors] == [
        "tuneline.profiles.p.hyperParameters.epochCount",
        "tuneline.profiles.p.hyperParameters.batchSize",
        "tuneline.profiles.p.serving.ttlHours",
        "tuneline.profiles.p.serving.keepOnSmokeFailure",
        "tuneline.profiles.p.uploaderPrincipals[0]",
        "tuneline.profiles.p.uploaderPrincipals[1]",
        "tuneline.profiles.p.evaluation.prompts",
        "tuneline.profiles.p.evaluation.gate.minImprovment",
        "tuneline.profiles.p.evaluation.gate.metric",
    ]


@pytest.mark.parametrize(
    ("profile", "key"),
    [
        # The hyperparameters, the teacher and on-demand support are rules of the base model: an unknown base
        # model is the one mistake, not four.
        (
            {
                "baseModel": "amazon.nova-nano-v9",
                "hyperParameters": {"epochCount": 99},
                "validationSplit": 0.1,
                "serving": "on-demand",
            },
            "tuneline.profiles.p.baseModel",
        ),
        # A misspelt customizationType does not also make teacherModel "only used with DISTILLATION".
        (
            {"baseModel": "amazon.nova-lite-v1:0:300k", "customizationType": "DISTILATION", "teacherModel": "x"},
            "tuneline.profiles.p.customizationType",
        ),
        # A commitment on the wrong mode is one mistake, not also a missing acknowledgement.
        (
            {"baseModel": "amazon.nova-micro-v1:0:128k", "serving": {"mode": "on-demand", "commitment": "OneMonth"}},
            "tuneline.profiles.p.serving.commitment",
        ),
    ],
)
def test_a_setting_that_depends_on_a_wrong_one_is_not_reported_again(profile: dict[str, Any], key: str) -> None:
    with pytest.raises(ConfigError) as raised:
        parse_profiles({"p": profile})
    assert [error.key for error in raised.value.mistakes] == [key]


def test_every_bad_profile_name_and_body_is_reported() -> None:
    with pytest.raises(ConfigErrors) as raised:
        parse_profiles({"Bad_Name": {"baseModel": "amazon.nova-micro-v1:0:128k"}, "ok": {"budgetUsd": 5}})
    assert [error.key for error in raised.value.errors] == [
        "tuneline.profiles.Bad_Name",
        "tuneline.profiles.ok.baseModel",
    ]
