"""The janitor deletes expired Tuneline serving, warns once an hour before, and leaves everything else alone."""

from __future__ import annotations

import datetime as dt

import pytest

from tests.unit.serving.fakes import FakeBedrock, client_error
from tuneline.layout import (
    BAD_EXPIRY_ALERTED_TAG,
    EXECUTION_TAG,
    EXPIRES_AT_TAG,
    MANAGED_TAG,
    TERM_END_ALERTED_TAG,
    WARNED_TAG,
)
from tuneline.serving.janitor import (
    BAD_EXPIRY,
    DELETE,
    TERM_ENDED,
    WARN,
    ServedResource,
    list_served_resources,
    plan_actions,
    release_for_ended_execution,
    run_janitor,
)
from tuneline.serving.tags import parse_time

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
        # Unreadable: never deleted (a person edited it), but reported once per bad value.
        (_managed(**{EXPIRES_AT_TAG: "next tuesday"}), NOW + dt.timedelta(days=3), [BAD_EXPIRY]),
        (_managed(**{EXPIRES_AT_TAG: "next tuesday", BAD_EXPIRY_ALERTED_TAG: "next tuesday"}), NOW, []),
        (_managed(**{EXPIRES_AT_TAG: "next friday", BAD_EXPIRY_ALERTED_TAG: "next tuesday"}), NOW, [BAD_EXPIRY]),
        ({EXPIRES_AT_TAG: "next tuesday"}, NOW, []),  # not Tuneline's: not even reported
        # Other ways people write the same moment (12:30 UTC).
        (_managed(**{EXPIRES_AT_TAG: "2026-11-20T14:30:00+02:00"}), NOW + dt.timedelta(minutes=30), [DELETE]),
        (_managed(**{EXPIRES_AT_TAG: "2026-11-20T14:30:00+02:00"}), NOW + dt.timedelta(minutes=29), [WARN]),
        (_managed(**{EXPIRES_AT_TAG: "2026-11-20 12:30 UTC"}), NOW + dt.timedelta(minutes=30), [DELETE]),
        (_managed(**{EXPIRES_AT_TAG: "2026-11-20t12:30:00z"}), NOW + dt.timedelta(minutes=30), [DELETE]),
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


@pytest.mark.parametrize(
    "text",
    [
        "2026-11-20T12:30:00Z",
        "2026-11-20T12:30:00.000Z",
        "2026-11-20t12:30:00z",
        "2026-11-20T12:30:00",
        "2026-11-20 12:30",
        "2026-11-20T13:30:00+01:00",
        "2026-11-20T07:30:00-0500",
        "2026-11-20T12:30:00 UTC",
        "2026-11-20 12:30:00 GMT",
        "1795177800",
        "1795177800000",
    ],
)
def test_expiry_tags_as_people_write_them(text: str) -> None:
    assert parse_time(text) == dt.datetime(2026, 11, 20, 12, 30, tzinfo=dt.UTC)


@pytest.mark.parametrize("text", ["next tuesday", "20/11/2026 12:30", "2026-11-20T12:30:00+02:00 UTC", "UTC", ""])
def test_unreadable_expiry_tags(text: str) -> None:
    assert parse_time(text) is None


def test_an_unreadable_expiry_is_reported_once_and_never_deleted() -> None:
    bedrock = FakeBedrock()
    edited = bedrock.add_throughput("aaaaaaaaaaaa", _managed(**{EXPIRES_AT_TAG: "tomorrow 5pm"}))
    first = run_janitor(bedrock=bedrock, now=NOW)
    assert [(o.action.action, o.done) for o in first] == [(BAD_EXPIRY, True)]
    assert edited in bedrock.throughputs and bedrock.tags[edited][BAD_EXPIRY_ALERTED_TAG] == "tomorrow 5pm"
    assert run_janitor(bedrock=bedrock, now=NOW + dt.timedelta(days=1)) == []
    bedrock.tags[edited][EXPIRES_AT_TAG] = "2026-11-20T11:00:00Z"  # fixed: the janitor deletes it again
    assert [o.action.action for o in run_janitor(bedrock=bedrock, now=NOW)] == [DELETE]
    assert edited not in bedrock.throughputs


def test_a_failed_report_leaves_no_marker_so_the_next_run_alerts_again() -> None:
    bedrock = FakeBedrock()
    expiring = bedrock.add_throughput("aaaaaaaaaaaa", _managed(**{EXPIRES_AT_TAG: EXPIRY}))
    expired = bedrock.add_throughput("bbbbbbbbbbbb", _managed(**{EXPIRES_AT_TAG: "2026-11-20T11:00:00Z"}))

    def failing_report(outcomes: object) -> None:
        raise RuntimeError("SNS is down")

    with pytest.raises(RuntimeError):
        run_janitor(bedrock=bedrock, now=NOW, report=failing_report)
    assert WARNED_TAG not in bedrock.tags[expiring] and expired not in bedrock.throughputs

    reported: list[list[str]] = []
    retry = run_janitor(bedrock=bedrock, now=NOW, report=lambda o: reported.append([x.action.action for x in o]))
    assert reported == [[WARN]] and [o.action.action for o in retry] == [WARN]
    assert bedrock.tags[expiring][WARNED_TAG] == EXPIRY
    assert run_janitor(bedrock=bedrock, now=NOW, report=lambda o: reported.append([])) == [] and len(reported) == 1


def test_a_resource_whose_tags_cannot_be_read_does_not_stop_the_run() -> None:
    bedrock = FakeBedrock()
    hidden = bedrock.add_throughput("aaaaaaaaaaaa", _managed(**{EXPIRES_AT_TAG: "2026-11-20T11:00:00Z"}))
    expired = bedrock.add_deployment("bbbbbbbbbbbb", _managed(**{EXPIRES_AT_TAG: "2026-11-20T11:00:00Z"}))
    read_tags = bedrock.list_tags_for_resource

    def list_tags(resourceARN: str) -> dict[str, object]:
        if resourceARN == hidden:
            raise client_error("AccessDeniedException", "not allowed")
        return read_tags(resourceARN)

    bedrock.list_tags_for_resource = list_tags  # type: ignore[method-assign]
    outcomes = {o.action.resource.arn: o for o in run_janitor(bedrock=bedrock, now=NOW)}
    assert outcomes[expired].done and expired not in bedrock.deployments
    assert not outcomes[hidden].done and "AccessDeniedException" in outcomes[hidden].detail
    assert hidden in bedrock.throughputs


def test_a_run_repeated_after_it_stopped_half_way_finishes_the_work_once() -> None:
    bedrock = FakeBedrock()
    first = bedrock.add_throughput("aaaaaaaaaaaa", _managed(**{EXPIRES_AT_TAG: "2026-11-20T11:00:00Z"}))
    second = bedrock.add_throughput("bbbbbbbbbbbb", _managed(**{EXPIRES_AT_TAG: "2026-11-20T11:00:00Z"}))
    bedrock.delete_provisioned_model_throughput(provisionedModelId=first)  # the first run got this far
    again = run_janitor(bedrock=bedrock, now=NOW)
    assert [(o.action.resource.arn, o.done) for o in again] == [(second, True)]
    assert not bedrock.throughputs


def test_an_ended_execution_releases_only_its_own_no_commitment_serving() -> None:
    bedrock = FakeBedrock()
    later = {EXPIRES_AT_TAG: "2026-11-27T12:00:00Z"}
    own_throughput = bedrock.add_throughput("aaaaaaaaaaaa", _managed(**{EXECUTION_TAG: "exec-1"}, **later))
    own_deployment = bedrock.add_deployment("bbbbbbbbbbbb", _managed(**{EXECUTION_TAG: "exec-1"}))
    committed = bedrock.add_throughput(
        "cccccccccccc", _managed(**{EXECUTION_TAG: "exec-1"}), commitment="OneMonth", commitment_end=NOW
    )
    other_run = bedrock.add_throughput("dddddddddddd", _managed(**{EXECUTION_TAG: "exec-2"}, **later))
    unmanaged = bedrock.add_throughput("eeeeeeeeeeee", {EXECUTION_TAG: "exec-1"})

    outcomes = release_for_ended_execution(bedrock=bedrock, execution_name="exec-1", now=NOW)

    assert sorted((o.action.resource.arn, o.done, o.detail) for o in outcomes) == sorted(
        [(own_throughput, True, "deleted"), (own_deployment, True, "deleted")]
    )
    assert own_throughput not in bedrock.throughputs and own_deployment not in bedrock.deployments
    assert {committed, other_run, unmanaged} <= set(bedrock.throughputs)


def test_releasing_an_ended_execution_reports_what_could_not_be_deleted() -> None:
    bedrock = FakeBedrock()
    stuck = bedrock.add_throughput("aaaaaaaaaaaa", _managed(**{EXECUTION_TAG: "exec-1"}))
    bedrock.delete_errors[stuck] = "ConflictException"
    [outcome] = release_for_ended_execution(bedrock=bedrock, execution_name="exec-1", now=NOW)
    assert outcome.done is False and outcome.detail.startswith("ConflictException")
    assert release_for_ended_execution(bedrock=bedrock, execution_name="", now=NOW) == []
