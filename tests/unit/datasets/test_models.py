"""The model rules table: identifiers, limits and hyperparameter ranges as data."""

from __future__ import annotations

import pytest

from tuneline.datasets.models import (
    MODEL_RULES,
    TEACHERS,
    HyperParameterRange,
    UnknownModelError,
    check_teacher,
    inference_profile_parts,
    is_inference_profile,
    known_model_ids,
    resolve_model,
)


@pytest.mark.parametrize(
    ("model_id", "family"),
    [
        ("amazon.nova-micro-v1:0:128k", "nova-micro"),
        ("amazon.nova-micro-v1:0", "nova-micro"),
        ("amazon.nova-lite-v1:0:300k", "nova-lite"),
        ("amazon.nova-pro-v1:0", "nova-pro"),
        ("amazon.nova-2-lite-v1:0:256k", "nova-2-lite"),
        ("anthropic.claude-3-haiku-20240307-v1:0:200k", "claude-3-haiku"),
        ("anthropic.claude-3-haiku-20240307-v1:0", "claude-3-haiku"),
        ("meta.llama3-1-8b-instruct-v1:0:128k", "llama3-1-8b"),
        ("meta.llama3-1-70b-instruct-v1:0", "llama3-1-70b"),
        ("meta.llama3-2-1b-instruct-v1:0", "llama3-2-1b"),
        ("meta.llama3-2-90b-instruct-v1:0:128k", "llama3-2-90b"),
        ("meta.llama3-3-70b-instruct-v1:0", "llama3-3-70b"),
        ("amazon.titan-text-express-v1:0:8k", "titan-text-express"),
        ("amazon.titan-text-express-v1", "titan-text-express"),
        ("amazon.titan-image-generator-v2:0", "titan-image-generator-v2"),
        ("amazon.titan-embed-image-v1:0", "titan-embed-image-v1"),
        ("amazon.nova-canvas-v1:0", "nova-canvas"),
        ("arn:aws:bedrock:us-east-1::foundation-model/amazon.nova-micro-v1:0:128k", "nova-micro"),
        ("arn:aws:bedrock:us-west-2::foundation-model/meta.llama3-3-70b-instruct-v1:0", "llama3-3-70b"),
        ("  Amazon.Nova-Micro-V1:0  ", "nova-micro"),
    ],
)
def test_resolve_model_accepts_ids_with_or_without_context_and_arns(model_id: str, family: str) -> None:
    assert resolve_model(model_id).family == family


def test_unknown_model_error_lists_the_known_ids() -> None:
    with pytest.raises(UnknownModelError) as raised:
        resolve_model("openai.gpt-oss-120b-1:0")
    assert "amazon.nova-micro-v1:0:128k" in str(raised.value)
    assert isinstance(raised.value, ValueError)


@pytest.mark.parametrize(
    ("typed", "meant"),
    [
        ("amazon.nova-mikro-v1:0:128k", "amazon.nova-micro-v1:0:128k"),
        ("amazon.nova-mikro-v1:0", "amazon.nova-micro-v1:0:128k"),
        ("meta.llama3-1-8b-instruct", "meta.llama3-1-8b-instruct-v1:0:128k"),
        ("anthropic.claude-3-haiku", "anthropic.claude-3-haiku-20240307-v1:0:200k"),
    ],
)
def test_unknown_model_error_suggests_the_close_known_id(typed: str, meant: str) -> None:
    with pytest.raises(UnknownModelError) as raised:
        resolve_model(typed)
    assert raised.value.suggestion == meant
    assert f"did you mean {meant!r}?" in str(raised.value)


def test_unknown_model_error_suggests_nothing_for_an_unrelated_id() -> None:
    with pytest.raises(UnknownModelError) as raised:
        resolve_model("openai.gpt-oss-120b-1:0")
    assert raised.value.suggestion is None
    assert "did you mean" not in str(raised.value)


def test_every_bedrock_fine_tuning_id_is_known() -> None:
    ids = known_model_ids()
    for model_id in (
        "amazon.nova-2-lite-v1:0:256k",
        "amazon.nova-canvas-v1:0",
        "amazon.nova-lite-v1:0:300k",
        "amazon.nova-micro-v1:0:128k",
        "amazon.nova-pro-v1:0:300k",
        "amazon.titan-image-generator-v2:0",
        "amazon.titan-embed-image-v1:0",
        "anthropic.claude-3-haiku-20240307-v1:0:200k",
        "meta.llama3-1-8b-instruct-v1:0:128k",
        "meta.llama3-1-70b-instruct-v1:0:128k",
        "meta.llama3-2-1b-instruct-v1:0:128k",
        "meta.llama3-2-3b-instruct-v1:0:128k",
        "meta.llama3-2-11b-instruct-v1:0:128k",
        "meta.llama3-2-90b-instruct-v1:0:128k",
        "amazon.titan-text-express-v1:0:8k",
    ):
        assert model_id in ids
    assert len(ids) == len(set(ids))


def test_table_rows_are_consistent() -> None:
    for rules in MODEL_RULES:
        assert set(rules.formats) <= set(rules.customization_types) | {"DISTILLATION"}
        assert all(rules.format_for(t) for t in rules.customization_types)
        low, high = rules.training_records
        assert 0 < low <= high
        assert rules.chars_per_token > 0 and rules.max_tokens_per_record > 0
        assert rules.training_price_per_1k_tokens_usd > 0
        if rules.epochs_hyperparameter:
            assert rules.epochs_hyperparameter in rules.hyperparameters
        for name, spec in rules.hyperparameters.items():
            assert spec.name == name
            if spec.default is not None:
                assert spec.check(spec.default) is None, (rules.family, name)


@pytest.mark.parametrize(
    ("model", "limits"),
    [
        ("amazon.nova-micro-v1:0", ((8, 20_000), True, 32_000)),
        ("amazon.nova-2-lite-v1:0", ((200, 20_000), False, 32_000)),
        ("anthropic.claude-3-haiku-20240307-v1:0", ((32, 10_000), True, 32_000)),
        ("meta.llama3-1-8b-instruct-v1:0", ((100, 10_000), True, 16_000)),
        ("meta.llama3-2-90b-instruct-v1:0", ((100, 10_000), True, 10_000)),
        ("amazon.titan-image-generator-v2:0", ((5, 10_000), False, 256)),
    ],
)
def test_documented_limits(model: str, limits: tuple[tuple[int, int], bool, int]) -> None:
    rules = resolve_model(model)
    assert (rules.training_records, rules.validation_allowed, rules.max_tokens_per_record) == limits


def test_distillation_needs_at_least_100_prompts_under_1_gb() -> None:
    rules = resolve_model("amazon.nova-lite-v1:0")
    assert rules.training_records_for("DISTILLATION") == (100, 20_000)
    assert rules.max_training_file_bytes_for("DISTILLATION") == 1024**3
    assert rules.training_records_for("FINE_TUNING") == (8, 20_000)


def test_titan_express_token_limit_shrinks_with_batch_size() -> None:
    rules = resolve_model("amazon.titan-text-express-v1:0:8k")
    assert rules.max_tokens_for() == 4096
    assert rules.max_tokens_for({"batchSize": "1"}) == 4096
    assert rules.max_tokens_for({"batchSize": "4"}) == 2048


@pytest.mark.parametrize(
    ("value", "ok"),
    [
        ("1", True),
        ("5", True),
        ("0", False),
        ("6", False),
        ("2.5", False),
        ("two", False),
        ("nan", False),
        ("1_0", False),
    ],
)
def test_integer_hyperparameter_range(value: str, ok: bool) -> None:
    spec = resolve_model("amazon.nova-micro-v1:0").hyperparameters["epochCount"]
    problem = spec.check(value)
    assert (problem is None) == ok
    if not ok:
        assert problem is not None and "1 to 5" in problem


def test_hyperparameter_words_and_floats() -> None:
    steps = HyperParameterRange("stepCount", 10, 40_000, None, True, ("auto",))
    assert steps.check("AUTO") is None
    assert steps.check("9") is not None
    rate = resolve_model("amazon.nova-micro-v1:0").hyperparameters["learningRate"]
    assert rate.check("0.00001") is None
    assert rate.check("1e-5") is None
    assert "0.0001" in (rate.check("0.01") or "")


def test_validation_and_serving_flags() -> None:
    assert resolve_model("amazon.titan-image-generator-v2:0").validation_allowed is False
    assert resolve_model("meta.llama3-3-70b-instruct-v1:0").on_demand_deployment is True
    assert resolve_model("meta.llama3-1-8b-instruct-v1:0").on_demand_deployment is False
    assert resolve_model("amazon.titan-image-generator-v2:0").converse_supported is False


@pytest.mark.parametrize(
    ("teacher", "student", "ok"),
    [
        ("amazon.nova-pro-v1:0", "amazon.nova-micro-v1:0", True),
        ("us.amazon.nova-premier-v1:0", "amazon.nova-pro-v1:0", True),
        (
            "arn:aws:bedrock:us-east-1:123456789012:inference-profile/us.amazon.nova-premier-v1:0",
            "amazon.nova-lite-v1:0",
            True,
        ),
        ("amazon.nova-pro-v1:0", "amazon.nova-pro-v1:0", False),
        ("anthropic.claude-3-5-sonnet-20241022-v2:0", "anthropic.claude-3-haiku-20240307-v1:0", True),
        ("meta.llama3-1-405b-instruct-v1:0", "meta.llama3-3-70b-instruct-v1:0", True),
        ("us.meta.llama3-3-70b-instruct-v1:0", "meta.llama3-2-3b-instruct-v1:0", True),
        # Nova Premier and Llama 3.3 70B teach only through an inference profile.
        ("meta.llama3-3-70b-instruct-v1:0", "meta.llama3-2-3b-instruct-v1:0", False),
        ("amazon.nova-premier-v1:0", "amazon.nova-pro-v1:0", False),
        ("arn:aws:bedrock:us-east-1::foundation-model/amazon.nova-premier-v1:0", "amazon.nova-pro-v1:0", False),
        ("meta.llama3-3-70b-instruct-v1:0", "meta.llama3-1-70b-instruct-v1:0", False),
        ("amazon.titan-text-express-v1", "amazon.nova-micro-v1:0", False),
    ],
)
def test_check_teacher(teacher: str, student: str, ok: bool) -> None:
    problem = check_teacher(teacher, resolve_model(student))
    assert (problem is None) == ok
    if not ok:
        assert problem is not None and "teacher" in problem


def test_single_turn_teachers_are_anthropic_and_llama() -> None:
    for teacher in TEACHERS.values():
        assert teacher.single_turn == (not teacher.model_id.startswith("amazon."))


@pytest.mark.parametrize(
    ("model_id", "geography", "foundation_model"),
    [
        ("us.meta.llama3-1-405b-instruct-v1:0", "us", "meta.llama3-1-405b-instruct-v1:0"),
        ("us-gov.anthropic.claude-3-haiku-20240307-v1:0", "us-gov", "anthropic.claude-3-haiku-20240307-v1:0"),
        ("APAC.Amazon.nova-pro-v1:0", "APAC", "Amazon.nova-pro-v1:0"),
        (
            "arn:aws:bedrock:us-east-1:111122223333:inference-profile/eu.amazon.nova-pro-v1:0",
            "eu",
            "amazon.nova-pro-v1:0",
        ),
        ("amazon.nova-pro-v1:0", None, "amazon.nova-pro-v1:0"),
        (
            "arn:aws:bedrock:us-east-1::foundation-model/meta.llama3-1-8b-instruct-v1:0",
            None,
            "meta.llama3-1-8b-instruct-v1:0",
        ),
        # A geography Tuneline has never seen is still a geography: whatever precedes a known provider.
        ("mars.amazon.nova-pro-v1:0", "mars", "amazon.nova-pro-v1:0"),
    ],
)
def test_an_inference_profile_is_split_into_its_geography_and_model_by_one_rule(
    model_id: str, geography: str | None, foundation_model: str
) -> None:
    assert inference_profile_parts(model_id) == (geography, foundation_model)
    if not model_id.startswith("arn:"):
        assert is_inference_profile(model_id) is (geography is not None)
