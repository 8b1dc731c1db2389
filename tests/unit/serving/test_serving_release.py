"""What a failed serving attempt gives back: never a commitment, always a Failed resource, else per profile."""

from __future__ import annotations

from typing import Any

import pytest
from botocore.exceptions import ClientError

from tests.unit.serving.conftest import make_plan, make_request
from tests.unit.serving.fakes import FakeBedrock
from tuneline.serving.release import (
    LEFT_FOR_JANITOR,
    RELEASE_ATTEMPTS,
    RETRYING,
    decide_release,
    next_attempt,
    release_serving,
)

SMOKE = "SmokeTestFailed"


@pytest.mark.parametrize(
    ("serving", "status", "error", "delete"),
    [
        ({}, "InService", SMOKE, True),
        ({}, "Failed", "ServingFailed", True),
        ({}, None, "States.TaskFailed", True),
        ({"keepOnSmokeFailure": True}, "InService", SMOKE, False),
        ({"keepOnSmokeFailure": True}, "Failed", "ServingFailed", True),
        # Keeping is for inspecting wrong answers: a resource that never answered is not kept.
        ({"keepOnSmokeFailure": True}, "Creating", "ServingNotReady", True),
        ({"keepOnSmokeFailure": True}, "InService", "Lambda.Unknown", True),
        ({"keepOnSmokeFailure": True}, None, None, True),
        ({"commitment": "OneMonth"}, "InService", SMOKE, False),
        ({"commitment": "OneMonth"}, "Failed", "ServingFailed", False),
        ({"commitment": "OneMonth"}, "Creating", "ServingNotReady", False),
        ({"mode": "on-demand"}, "Active", SMOKE, True),
        ({"mode": "on-demand", "keepOnSmokeFailure": True}, "Active", SMOKE, False),
        ({"mode": "on-demand", "keepOnSmokeFailure": True}, "Creating", "ServingNotReady", True),
    ],
)
def test_release_rules(serving: dict[str, Any], status: str | None, error: str | None, delete: bool) -> None:
    assert decide_release(make_request(make_plan(**serving)), status, error).delete is delete


def test_release_after_a_stuck_creation_says_why_it_deleted() -> None:
    decision = decide_release(make_request(make_plan(keepOnSmokeFailure=True)), "Creating", "ServingNotReady")
    assert "ServingNotReady" in decision.reason and "smoke test did not pass" not in decision.reason


def test_kept_serving_names_its_expiry() -> None:
    decision = decide_release(make_request(make_plan(keepOnSmokeFailure=True)), "InService", SMOKE)
    assert "2026-11-20T20:00:00Z" in decision.reason and "janitor" in decision.reason


def test_release_deletes_the_bought_throughput_or_deployment() -> None:
    bedrock = FakeBedrock()
    throughput = bedrock.add_throughput("aaaaaaaaaaaa")
    deployment = bedrock.add_deployment("bbbbbbbbbbbb")
    assert release_serving(make_request(), throughput, "InService", bedrock=bedrock)["action"] == "deleted"
    on_demand = make_request(make_plan(mode="on-demand"))
    assert release_serving(on_demand, deployment, "Active", bedrock=bedrock)["action"] == "deleted"
    assert not bedrock.throughputs and not bedrock.deployments


def test_release_keeps_commitments_and_tolerates_what_is_already_gone() -> None:
    bedrock = FakeBedrock()
    committed = bedrock.add_throughput("cccccccccccc", commitment="OneMonth")
    result = release_serving(make_request(make_plan(commitment="OneMonth")), committed, "InService", bedrock=bedrock)
    assert result["action"] == "kept" and bedrock.calls == []
    gone = release_serving(make_request(), "arn:aws:bedrock:us-east-1:1:provisioned-model/x", None, bedrock=bedrock)
    assert gone["action"] == "already gone"
    assert release_serving(make_request(), None, None, bedrock=bedrock)["action"] == "nothing bought"


def test_release_surfaces_other_errors() -> None:
    bedrock = FakeBedrock()
    arn = bedrock.add_throughput("dddddddddddd")
    bedrock.delete_errors[arn] = "AccessDeniedException"
    with pytest.raises(ClientError):
        release_serving(make_request(), arn, "InService", bedrock=bedrock)


def test_a_delete_refused_while_creating_is_tried_again_until_the_last_attempt_then_left_to_the_janitor() -> None:
    bedrock = FakeBedrock()
    arn = bedrock.add_throughput("eeeeeeeeeeee")
    bedrock.delete_errors[arn] = "ConflictException"
    request = make_request()

    results = [
        release_serving(request, arn, "Creating", bedrock=bedrock, error="ServingNotReady", attempt=attempt)
        for attempt in range(1, RELEASE_ATTEMPTS + 1)
    ]

    assert [r["action"] for r in results] == [RETRYING] * (RELEASE_ATTEMPTS - 1) + [LEFT_FOR_JANITOR]
    assert [r["attempt"] for r in results] == list(range(1, RELEASE_ATTEMPTS + 1))
    last = results[-1]
    assert last["expiresAt"] == request["expiresAt"] and last["refusal"].startswith("ConflictException")
    assert arn in bedrock.throughputs and bedrock.calls == [("delete", arn)] * RELEASE_ATTEMPTS

    del bedrock.delete_errors[arn]  # created at last: the next workflow's release would delete it
    assert release_serving(request, arn, "InService", bedrock=bedrock, error="ServingNotReady")["action"] == "deleted"


def test_the_attempt_number_follows_from_the_previous_release_in_the_state() -> None:
    assert next_attempt({}) == 1
    assert next_attempt({"action": RETRYING, "attempt": 2}) == 3
    assert next_attempt({"action": "deleted", "attempt": 4}) == 1
