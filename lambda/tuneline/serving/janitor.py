"""The janitor: enforce the expiry of Tuneline's serving, warn an hour before, and report commitment ends.

Runs on a schedule. It lists Provisioned Throughput and custom-model deployments, reads their tags, and acts
only on resources tagged `tuneline:managed=true`:
- no-commitment throughput and deployments past `tuneline:expires-at` are deleted;
- within the warning window before expiry, one warning per expiry (remembered in a tag);
- commitment throughput is never deleted; when its term has ended, one alert says so.
Untagged resources, and managed ones without an expiry tag (a person removed it to keep them), are left alone.
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Iterable, Iterator, Mapping
from dataclasses import dataclass, field
from typing import Any

from botocore.exceptions import ClientError

from tuneline.serving.tags import (
    EXPIRES_AT_TAG,
    MANAGED_TAG,
    MANAGED_VALUE,
    TERM_END_ALERTED_TAG,
    WARNED_TAG,
    iso_utc,
    parse_time,
    tags_to_dict,
)

WARN_BEFORE = dt.timedelta(hours=1)
PROVISIONED = "provisioned"
DEPLOYMENT = "deployment"

DELETE = "delete"
WARN = "warn"
TERM_ENDED = "term-ended"


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
            "due": iso_utc(self.action.due),
            "done": self.done,
            "detail": self.detail,
            "execution": resource.tags.get("tuneline:execution"),
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
        expires_at = parse_time(resource.tags.get(EXPIRES_AT_TAG))
        if expires_at is None:
            continue
        if now >= expires_at:
            actions.append(JanitorAction(DELETE, resource, expires_at))
        elif now >= expires_at - warn_before and resource.tags.get(WARNED_TAG) != iso_utc(expires_at):
            actions.append(JanitorAction(WARN, resource, expires_at))
    return actions


def list_served_resources(bedrock: Any) -> list[ServedResource]:
    resources: list[ServedResource] = []
    for summary in _pages(bedrock.list_provisioned_model_throughputs, "provisionedModelSummaries"):
        tags = _tags(bedrock, summary["provisionedModelArn"])
        if tags is None:
            continue
        resources.append(
            ServedResource(
                kind=PROVISIONED,
                arn=summary["provisionedModelArn"],
                name=summary.get("provisionedModelName", ""),
                status=summary.get("status"),
                tags=tags,
                model_arn=summary.get("modelArn"),
                model_units=summary.get("modelUnits"),
                commitment=summary.get("commitmentDuration"),
                commitment_expiration=parse_time(summary.get("commitmentExpirationTime")),
            )
        )
    for summary in _pages(bedrock.list_custom_model_deployments, "modelDeploymentSummaries"):
        tags = _tags(bedrock, summary["customModelDeploymentArn"])
        if tags is None:
            continue
        resources.append(
            ServedResource(
                kind=DEPLOYMENT,
                arn=summary["customModelDeploymentArn"],
                name=summary.get("customModelDeploymentName", ""),
                status=summary.get("status"),
                tags=tags,
                model_arn=summary.get("modelArn"),
            )
        )
    return resources


def apply_action(action: JanitorAction, *, bedrock: Any) -> Outcome:
    """Carry out one action. Errors become a not-done outcome, so one stuck resource does not stop the rest."""
    resource = action.resource
    try:
        if action.action == DELETE:
            if resource.kind == DEPLOYMENT:
                bedrock.delete_custom_model_deployment(customModelDeploymentIdentifier=resource.arn)
            else:
                bedrock.delete_provisioned_model_throughput(provisionedModelId=resource.arn)
            return Outcome(action, True, "deleted")
        marker = WARNED_TAG if action.action == WARN else TERM_END_ALERTED_TAG
        bedrock.tag_resource(resourceARN=resource.arn, tags=[{"key": marker, "value": iso_utc(action.due)}])
        return Outcome(action, True, "alerted")
    except ClientError as error:
        code = error.response.get("Error", {}).get("Code", "")
        if action.action == DELETE and code == "ResourceNotFoundException":
            return Outcome(action, True, "already deleted")
        return Outcome(action, False, f"{code}: {error.response.get('Error', {}).get('Message', '')}")


def run_janitor(*, bedrock: Any, now: dt.datetime) -> list[Outcome]:
    actions = plan_actions(list_served_resources(bedrock), now)
    return [apply_action(action, bedrock=bedrock) for action in actions]


def _pages(operation: Any, items_key: str) -> Iterator[Mapping[str, Any]]:
    token: str | None = None
    while True:
        response = operation(**({"nextToken": token} if token else {}))
        yield from response.get(items_key, [])
        token = response.get("nextToken")
        if not token:
            return


def _tags(bedrock: Any, arn: str) -> dict[str, str] | None:
    """The resource's tags; None when it was deleted since it was listed."""
    try:
        return tags_to_dict(bedrock.list_tags_for_resource(resourceARN=arn).get("tags"))
    except ClientError as error:
        if error.response.get("Error", {}).get("Code") == "ResourceNotFoundException":
            return None
        raise
