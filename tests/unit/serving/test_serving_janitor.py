"""The janitor deletes expired Tuneline serving, warns once an hour before, and leaves everything else alone."""

from __future__ import annotations

import datetime as dt

import pytest

from tests.unit.serving.fakes import FakeBedrock
from tuneline.serving.janitor import (
    DELETE,
    TERM_ENDED,
    WARN,
    ServedResource,
    list_served_resources,
    plan_actions,
    run_janitor,
)
from tuneline.serving.tags import EXPIRES_AT_TAG, MANAGED_TAG, TERM_END_ALERTED_TAG, WARNED_TAG

NOW = dt.datetime(2026, 11, 20, 12, 0, tzinfo=dt.UTC)
EXPIRY = "2026-11-20T12:30:00Z"


def _resource(tags: dict[str, str], **kwargs: object) -> ServedResource:
    return ServedResource(kind="provisioned", arn="arn:x", name="pt", status="InService", tags=tags, **kwargs)  # type: ignore[arg-type]


def _managed(**extra: str) -> dict[str, str]:
    return {MANAGED_TAG: "true", **extra}


@pytest.mark.parametrize(
    ("tags", "now", "expected"),
    [
        (_managed(**{EXPIRES_AT_TAG: EXPIRY}), NOW - dt.timedelta(hours=2), []),  # far from expiry
        (_managed(**{EXPIRES_AT_TAG: EXPIRY}), NOW, [WARN]),  # within the hour
        (_managed(**{EXPIRES_AT_TAG: EXPIRY}), NOW - dt.timedelta(minutes=30), [WARN]),  # exactly an hour before
        (_managed(**{EXPIRES_AT_TAG: EXPIRY, WARNED_TAG: EXPIRY}), NOW, []),  # already warned for this expiry
        (_managed(**{EXPIRES_AT_TAG: EXPIRY, WARNED_TAG: "2026-11-20T08:00:00Z"}), NOW, [WARN]),  # expiry moved
        (_managed(**{EXPIRES_AT_TAG: EXPIRY}), NOW + dt.timedelta(minutes=30), [DELETE]),  # at expiry
        (_managed(**{EXPIRES_AT_TAG: EXPIRY, WARNED_TAG: EXPIRY}), NOW + dt.timedelta(days=3), [DELETE]),
        ({EXPIRES_AT_TAG: EXPIRY}, NOW + dt.timedelta(days=3), []),  # not Tuneline's
        ({MANAGED_TAG: "false", EXPIRES_AT_TAG: EXPIRY}, NOW + dt.timedelta(days=3), []),
        (_managed(), NOW + dt.timedelta(days=3), []),  # expiry tag removed: kept on purpose
        (_managed(**{EXPIRES_AT_TAG: "next tuesday"}), NOW + dt.timedelta(days=3), []),
        ({}, NOW + dt.timedelta(days=3), []),
    ],
)
def test_expiry_rules(tags: dict[str, str], now: dt.datetime, expected: list[str]) -> None:
    assert [a.action for a in plan_actions([_resource(tags)], now)] == expected


def test_commitment_throughput_is_never_deleted_and_its_term_end_is_reported_once() -> None:
    end = NOW - dt.timedelta(hours=1)
    tags = _managed(**{EXPIRES_AT_TAG: "2020-01-01T00:00:00Z"})  # even a stray expiry tag cannot delete it
    committed = _resource(tags, commitment="OneMonth", commitment_expiration=end)
    assert [a.action for a in plan_actions([committed], NOW)] == [TERM_ENDED]
    before_end = _resource(tags, commitment="OneMonth", commitment_expiration=NOW + dt.timedelta(days=1))
    assert plan_actions([before_end], NOW) == []
    alerted = _resource(
        {**tags, TERM_END_ALERTED_TAG: "2026-11-20T11:00:00Z"}, commitment="OneMonth", commitment_expiration=end
    )
    assert plan_actions([alerted], NOW) == []
    untagged = _resource({}, commitment="OneMonth", commitment_expiration=end)
    assert plan_actions([untagged], NOW) == []


def test_lists_every_page_of_throughput_and_deployments_with_their_tags() -> None:
    bedrock = FakeBedrock(page_size=2)
    for i in range(5):
        bedrock.add_throughput(f"{i:012d}", _managed())
    bedrock.add_deployment("dddddddddddd", _managed(**{EXPIRES_AT_TAG: EXPIRY}))
    resources = list_served_resources(bedrock)
    assert len(resources) == 6
    assert [r.kind for r in resources].count("deployment") == 1
    assert all(r.managed for r in resources)


def test_a_run_deletes_expired_warns_near_expiry_and_ignores_the_rest() -> None:
    bedrock = FakeBedrock()
    expired_pt = bedrock.add_throughput("aaaaaaaaaaaa", _managed(**{EXPIRES_AT_TAG: "2026-11-20T11:00:00Z"}))
    expired_od = bedrock.add_deployment("bbbbbbbbbbbb", _managed(**{EXPIRES_AT_TAG: "2026-11-20T11:59:59Z"}))
    expiring = bedrock.add_throughput("cccccccccccc", _managed(**{EXPIRES_AT_TAG: EXPIRY}))
    untagged = bedrock.add_throughput("dddddddddddd", {EXPIRES_AT_TAG: "2020-01-01T00:00:00Z"})
    committed = bedrock.add_throughput(
        "eeeeeeeeeeee", _managed(), commitment="SixMonths", commitment_end=NOW + dt.timedelta(days=30)
    )

    outcomes = run_janitor(bedrock=bedrock, now=NOW)

    done = {(o.action.action, o.action.resource.arn) for o in outcomes if o.done}
    assert done == {(DELETE, expired_pt), (DELETE, expired_od), (WARN, expiring)}
    assert set(bedrock.throughputs) == {expiring, untagged, committed}
    assert not bedrock.deployments
    assert bedrock.tags[expiring][WARNED_TAG] == EXPIRY

    # The next run (15 minutes later) does not warn again.
    assert run_janitor(bedrock=bedrock, now=NOW + dt.timedelta(minutes=15)) == []


def test_a_resource_that_cannot_be_deleted_does_not_stop_the_others() -> None:
    bedrock = FakeBedrock()
    stuck = bedrock.add_throughput("aaaaaaaaaaaa", _managed(**{EXPIRES_AT_TAG: "2026-11-20T11:00:00Z"}))
    other = bedrock.add_throughput("bbbbbbbbbbbb", _managed(**{EXPIRES_AT_TAG: "2026-11-20T11:00:00Z"}))
    bedrock.delete_errors[stuck] = "ConflictException"
    outcomes = {o.action.resource.arn: o for o in run_janitor(bedrock=bedrock, now=NOW)}
    assert outcomes[stuck].done is False and outcomes[stuck].detail.startswith("ConflictException")
    assert outcomes[other].done is True and other not in bedrock.throughputs
