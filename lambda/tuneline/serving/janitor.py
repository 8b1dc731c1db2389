"""The janitor: enforce the expiry of Tuneline's serving, warn an hour before, and report commitment ends.

Runs on a schedule. It lists Provisioned Throughput and custom-model deployments, reads their tags, and acts
only on resources tagged `tuneline:managed=true`:
- no-commitment throughput and deployments past `tuneline:expires-at` are deleted;
- within the warning window before expiry, one warning per expiry (remembered in a tag);
- commitment throughput is never deleted; when its term has ended, one alert says so;
- an expiry tag nobody can read (a person typed a bad value) deletes nothing: one alert per bad value says the
  resource keeps billing until the tag is fixed.
Untagged resources, and managed ones without an expiry tag (a person removed it to keep them), are left alone.

A run is safe to repeat and to stop half-way: deleting what is gone counts as done, and the marker tag that
stops an alert from repeating is written only after the alert went out (`run_janitor(report=...)`), so a
failed publish means the alert is sent again by the next run rather than never.
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Callable, Iterable, Iterator, Mapping, Sequence
from dataclasses import dataclass, field
from typing import Any

from botocore.exceptions import ClientError

from tuneline.layout import (
    BAD_EXPIRY_ALERTED_TAG,
    EXECUTION_TAG,
    EXPIRES_AT_TAG,
    MANAGED_TAG,
    MANAGED_VALUE,
    TERM_END_ALERTED_TAG,
    WARNED_TAG,
)
from tuneline.serving.tags import iso_utc, parse_time, tags_to_dict

WARN_BEFORE = dt.timedelta(hours=1)
PROVISIONED = "provisioned"
DEPLOYMENT = "deployment"

DELETE = "delete"
WARN = "warn"
TERM_ENDED = "term-ended"
BAD_EXPIRY = "bad-expiry"
# A resource whose tags could not be read: nothing was decided about it this run.
UNREADABLE = "unreadable"
# The alert-only actions and the tag each one writes once its alert has gone out.
MARKER_TAGS = {WARN: WARNED_TAG, TERM_ENDED: TERM_END_ALERTED_TAG, BAD_EXPIRY: BAD_EXPIRY_ALERTED_TAG}


@dataclass(frozen=True)
class ServedResource:
    kind: str
    arn: str
    name: str
    status: str | None
    tags: Mapping[str, str] = field(default_factory=dict)
    model_arn: str | None = None
    model_units: int | None = None
    commitment: str | None = None
    commitment_expiration: dt.datetime | None = None

    @property
    def managed(self) -> bool:
        return self.tags.get(MANAGED_TAG) == MANAGED_VALUE


@dataclass(frozen=True)
class JanitorAction:
    action: str
    resource: ServedResource
    due: dt.datetime

    @property
    def marker(self) -> tuple[str, str] | None:
        """The tag (key, value) that records this alert as sent, for alert-only actions."""
        key = MARKER_TAGS.get(self.action)
        if key is None:
            return None
        if self.action == BAD_EXPIRY:
            return key, self.resource.tags.get(EXPIRES_AT_TAG, "")
        return key, iso_utc(self.due)


@dataclass(frozen=True)
class Outcome:
    action: JanitorAction
    done: bool
    detail: str = ""

    def to_dict(self) -> dict[str, Any]:
        resource = self.action.resource
        return {
            "action": self.action.action,
            "kind": resource.kind,
            "arn": resource.arn,
            "name": resource.name,
            "status": resource.status,
            "due": iso_utc(self.action.due),
            "done": self.done,
            "detail": self.detail,
            "execution": resource.tags.get(EXECUTION_TAG),
            "expiresAtTag": resource.tags.get(EXPIRES_AT_TAG),
        }


def plan_actions(
    resources: Iterable[ServedResource], now: dt.datetime, *, warn_before: dt.timedelta = WARN_BEFORE
) -> list[JanitorAction]:
    actions: list[JanitorAction] = []
    for resource in resources:
        if not resource.managed:
            continue
        if resource.commitment:
            end = resource.commitment_expiration
            if end is not None and now >= end and resource.tags.get(TERM_END_ALERTED_TAG) != iso_utc(end):
                actions.append(JanitorAction(TERM_ENDED, resource, end))
            continue
        tag = resource.tags.get(EXPIRES_AT_TAG)
        expires_at = parse_time(tag)
        if expires_at is None:
            # Removed on purpose: kept. Unreadable: kept too (a person edited it), but said so once per value.
            if tag is not None and resource.tags.get(BAD_EXPIRY_ALERTED_TAG) != tag:
                actions.append(JanitorAction(BAD_EXPIRY, resource, now))
            continue
        if now >= expires_at:
            actions.append(JanitorAction(DELETE, resource, expires_at))
        elif now >= expires_at - warn_before and resource.tags.get(WARNED_TAG) != iso_utc(expires_at):
            actions.append(JanitorAction(WARN, resource, expires_at))
    return actions


def list_served_resources(bedrock: Any, *, unreadable: list[Outcome] | None = None) -> list[ServedResource]:
    """Every throughput and deployment with its tags. One whose tags cannot be read is skipped this run and, if
    `unreadable` is given, added to it as a not-done outcome (one bad resource must not stop the run)."""
    resources: list[ServedResource] = []

    def tags_of(kind: str, arn: str, name: str, status: str | None) -> dict[str, str] | None:
        try:
            return _tags(bedrock, arn)
        except ClientError as error:
            if unreadable is not None:
                resource = ServedResource(kind=kind, arn=arn, name=name, status=status)
                action = JanitorAction(UNREADABLE, resource, dt.datetime.now(dt.UTC))
                unreadable.append(Outcome(action, False, f"reading its tags failed: {_error_text(error)}"))
            return None

    for summary in _pages(bedrock.list_provisioned_model_throughputs, "provisionedModelSummaries"):
        arn, name = summary["provisionedModelArn"], summary.get("provisionedModelName", "")
        tags = tags_of(PROVISIONED, arn, name, summary.get("status"))
        if tags is None:
            continue
        resources.append(
            ServedResource(
                kind=PROVISIONED,
                arn=arn,
                name=name,
                status=summary.get("status"),
                tags=tags,
                model_arn=summary.get("modelArn"),
                model_units=summary.get("modelUnits"),
                commitment=summary.get("commitmentDuration"),
                commitment_expiration=parse_time(summary.get("commitmentExpirationTime")),
            )
        )
    for summary in _pages(bedrock.list_custom_model_deployments, "modelDeploymentSummaries"):
        arn, name = summary["customModelDeploymentArn"], summary.get("customModelDeploymentName", "")
        tags = tags_of(DEPLOYMENT, arn, name, summary.get("status"))
        if tags is None:
            continue
        resources.append(
            ServedResource(
                kind=DEPLOYMENT,
                arn=arn,
                name=name,
                status=summary.get("status"),
                tags=tags,
                model_arn=summary.get("modelArn"),
            )
        )
    return resources


def bought_by_execution(resources: Iterable[ServedResource], execution_name: str) -> list[ServedResource]:
    """The no-commitment serving an execution bought: managed, tagged with its name, and not a commitment
    (a commitment was acknowledged in the profile and is never deleted by Tuneline)."""
    return [
        resource
        for resource in resources
        if resource.managed and not resource.commitment and resource.tags.get(EXECUTION_TAG) == execution_name
    ]


def release_for_ended_execution(*, bedrock: Any, execution_name: str, now: dt.datetime) -> list[Outcome]:
    """Delete the no-commitment serving of an execution that timed out or was aborted.

    Such an execution never reached its own release step, so without this the serving would bill until the
    janitor deletes it at its expiry (up to `ttlHours` later). Serving still being created cannot be deleted
    yet (Bedrock answers ConflictException, docs/bedrock.md §6.1): that outcome is not done, and the janitor,
    which retries on every run, deletes it at its expiry.
    """
    if not execution_name:
        return []
    targets = bought_by_execution(list_served_resources(bedrock), execution_name)
    return [apply_action(JanitorAction(DELETE, resource, now), bedrock=bedrock) for resource in targets]


def apply_action(action: JanitorAction, *, bedrock: Any) -> Outcome:
    """Carry out one delete. Errors become a not-done outcome, so one stuck resource does not stop the rest.

    Alert-only actions are done once the report is out; `mark_alerted` then records them."""
    resource = action.resource
    if action.action != DELETE:
        return Outcome(action, True, "alerted")
    try:
        if resource.kind == DEPLOYMENT:
            bedrock.delete_custom_model_deployment(customModelDeploymentIdentifier=resource.arn)
        else:
            bedrock.delete_provisioned_model_throughput(provisionedModelId=resource.arn)
        return Outcome(action, True, "deleted")
    except ClientError as error:
        if _error_code(error) == "ResourceNotFoundException":
            return Outcome(action, True, "already deleted")
        return Outcome(action, False, _error_text(error))


def mark_alerted(outcome: Outcome, *, bedrock: Any) -> Outcome:
    """After the alert went out: tag the resource so the same alert is not sent again."""
    marker = outcome.action.marker
    if marker is None or not outcome.done:
        return outcome
    try:
        bedrock.tag_resource(resourceARN=outcome.action.resource.arn, tags=[{"key": marker[0], "value": marker[1]}])
    except ClientError as error:
        return Outcome(outcome.action, True, f"alerted; the next run alerts again ({_error_text(error)})")
    return outcome


def run_janitor(
    *,
    bedrock: Any,
    now: dt.datetime,
    report: Callable[[Sequence[Outcome]], object] = lambda outcomes: None,
) -> list[Outcome]:
    """Delete what expired, then `report` every outcome, then mark the alerts sent. If `report` raises, no
    marker is written and the next run alerts again."""
    unreadable: list[Outcome] = []
    actions = plan_actions(list_served_resources(bedrock, unreadable=unreadable), now)
    outcomes = [apply_action(action, bedrock=bedrock) for action in actions] + unreadable
    if outcomes:
        report(outcomes)
    return [mark_alerted(outcome, bedrock=bedrock) for outcome in outcomes]


def _pages(operation: Any, items_key: str) -> Iterator[Mapping[str, Any]]:
    token: str | None = None
    while True:
        response = operation(**({"nextToken": token} if token else {}))
        yield from response.get(items_key, [])
        token = response.get("nextToken")
        if not token:
            return


def _error_code(error: ClientError) -> str:
    return str(error.response.get("Error", {}).get("Code", ""))


def _error_text(error: ClientError) -> str:
    return f"{_error_code(error)}: {error.response.get('Error', {}).get('Message', '')}"


def _tags(bedrock: Any, arn: str) -> dict[str, str] | None:
    """The resource's tags; None when it was deleted since it was listed."""
    try:
        return tags_to_dict(bedrock.list_tags_for_resource(resourceARN=arn).get("tags"))
    except ClientError as error:
        if error.response.get("Error", {}).get("Code") == "ResourceNotFoundException":
            return None
        raise
