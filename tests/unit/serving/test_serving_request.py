"""What a serving purchase asks for: valid deterministic names and tokens, tags, expiry, and refusals."""

from __future__ import annotations

import datetime as dt
from typing import Any

import pytest

from tests.unit.serving.conftest import CUSTOM_MODEL_ARN, NOW, make_plan, make_request
from tuneline.layout import EXECUTION_TAG, EXPIRES_AT_TAG, MANAGED_TAG
from tuneline.serving.errors import ServingNotPossible
from tuneline.serving.names import (
    CLIENT_REQUEST_TOKEN_PATTERN,
    MAX_SERVING_NAME_LENGTH,
    SERVING_NAME_PATTERN,
    serving_name,
    serving_token,
)
from tuneline.serving.request import prepare_request
from tuneline.serving.tags import MAX_TAGS, tags_to_dict

TOKEN = "tuneline-" + "f" * 64


@pytest.mark.parametrize(
    "model_name",
    [
        "tuneline-support-bot-train-0123456789ab",
        "a" * 63,
        "my_model_",
        "x-" * 31 + "x",
        "model.with.dots and spaces",
        "__--__",
        "",
        "Ünïcode-名前",
    ],
)
@pytest.mark.parametrize("kind", ["provisioned", "deployment"])
def test_names_match_the_api_pattern_for_any_model_name(model_name: str, kind: str) -> None:
    name = serving_name(model_name, TOKEN, kind)
    assert SERVING_NAME_PATTERN.fullmatch(name)
    assert len(name) <= MAX_SERVING_NAME_LENGTH


def test_names_and_tokens_are_deterministic_and_differ_by_kind_and_plan() -> None:
    assert serving_name("m", TOKEN, "provisioned") == serving_name("m", TOKEN, "provisioned")
    assert serving_name("m", TOKEN, "provisioned") != serving_name("m", TOKEN, "deployment")
    assert serving_name("m", TOKEN, "provisioned") != serving_name("m", TOKEN + "0", "provisioned")
    assert serving_token(TOKEN, "provisioned") == serving_token(TOKEN, "provisioned")
    assert serving_token(TOKEN, "provisioned") != TOKEN  # never the customization job's own token


@pytest.mark.parametrize("token", [TOKEN, "x" * 256, "bad_token!", "t"])
def test_tokens_match_the_api_pattern(token: str) -> None:
    for kind in ("provisioned", "deployment"):
        made = serving_token(token, kind)
        assert CLIENT_REQUEST_TOKEN_PATTERN.fullmatch(made) and len(made) <= 256


def test_no_commitment_throughput_expires_after_its_ttl_and_is_tagged() -> None:
    request = make_request(make_plan(ttlHours=6, modelUnits=2))
    assert request["kind"] == "provisioned"
    assert request["hasCommitment"] is False and request["commitment"] is None
    assert request["modelUnits"] == 2
    assert request["modelArn"] == CUSTOM_MODEL_ARN
    assert request["expiresAt"] == "2026-11-20T18:00:00Z"
    tags = tags_to_dict(request["tags"])
    assert tags[MANAGED_TAG] == "true"
    assert tags[EXECUTION_TAG] == "exec-1"
    assert tags[EXPIRES_AT_TAG] == "2026-11-20T18:00:00Z"
    assert tags["tuneline:profile"] == "support-bot"  # the job's own tags come along
    assert all(set(tag) == {"Key", "Value"} for tag in request["tags"])  # Step Functions SDK casing
    assert "No-commitment model units" in request["quotaName"] and "Amazon Nova Micro" in request["quotaName"]


def test_commitment_throughput_has_no_expiry() -> None:
    request = make_request(make_plan(commitment="SixMonths"))
    assert request["hasCommitment"] is True and request["commitment"] == "SixMonths"
    assert request["expiresAt"] is None and request["ttlHours"] is None
    assert EXPIRES_AT_TAG not in tags_to_dict(request["tags"])
    assert request["quotaName"].startswith("Model units per provisioned model")


def test_on_demand_is_a_deployment_with_an_expiry() -> None:
    request = make_request(make_plan(mode="on-demand", ttlHours=1))
    assert request["kind"] == "deployment"
    assert request["expiresAt"] == "2026-11-20T13:00:00Z"
    assert SERVING_NAME_PATTERN.fullmatch(request["name"]) and "-od-" in request["name"]


def test_on_demand_on_a_model_without_it_is_refused() -> None:
    plan = make_plan(mode="on-demand")
    plan["baseModelIdentifier"] = "meta.llama3-1-8b-instruct-v1:0:128k"
    with pytest.raises(ServingNotPossible, match="does not support on-demand"):
        make_request(plan)


def test_a_job_without_a_custom_model_cannot_be_served() -> None:
    with pytest.raises(ServingNotPossible, match="without a custom model ARN"):
        prepare_request(make_plan(), {"customModelArn": None}, {}, execution="e", now=NOW)


@pytest.mark.parametrize("job", [{"outputModelArn": CUSTOM_MODEL_ARN}, {"OutputModelArn": CUSTOM_MODEL_ARN}])
def test_model_arn_falls_back_to_the_job_description(job: dict[str, Any]) -> None:
    assert prepare_request(make_plan(), {}, job, execution="e", now=NOW)["modelArn"] == CUSTOM_MODEL_ARN


def test_tags_never_exceed_the_bedrock_limit_and_keep_tuneline_markers() -> None:
    plan = make_plan()
    plan["tags"] = [{"key": f"team-{i}", "value": "x"} for i in range(60)]
    tags = tags_to_dict(make_request(plan)["tags"])
    assert len(tags) == MAX_TAGS
    assert {MANAGED_TAG, EXECUTION_TAG, EXPIRES_AT_TAG} <= set(tags)


def test_same_plan_same_request_whenever_it_is_prepared() -> None:
    first = make_request()
    again = prepare_request(make_plan(), {"customModelArn": CUSTOM_MODEL_ARN}, {}, execution="exec-1", now=NOW)
    later = prepare_request(
        make_plan(), {"customModelArn": CUSTOM_MODEL_ARN}, {}, execution="exec-1", now=NOW + dt.timedelta(hours=1)
    )
    assert first == again
    assert (later["name"], later["clientRequestToken"]) == (first["name"], first["clientRequestToken"])
