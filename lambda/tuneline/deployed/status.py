"""What a deployed stack is doing now: runs in progress (and their place in the profile's queue), recent results
from the leaderboard, live serving with its time to expiry, and this month's estimated spend per profile."""

from __future__ import annotations

import datetime as dt
import json
from collections.abc import Mapping, Sequence
from typing import Any

from botocore.exceptions import ClientError

from tuneline.deployed.stack import DeployedStack
from tuneline.layout import EXPIRES_AT_TAG, JOB_TAG, LEADERBOARD_KEY
from tuneline.reports.leaderboard import parse_board
from tuneline.serving.janitor import DEPLOYMENT, PROVISIONED, list_served_resources
from tuneline.serving.tags import parse_time

# The state a run waits in while its profile has no free job slot (docs/decisions/0005-capacity-queue.md).
QUEUE_STATE = "Check budget and capacity"
RECENT_RESULTS = 10
# How each kind of serving is billed (docs/bedrock.md §6.2, §6.3). docs/bedrock.md records no hourly rate for
# Provisioned Throughput, so status shows the model units that are billed and says the rate is unknown
# rather than guess one; an on-demand deployment costs nothing while nobody calls it.
PER_MODEL_UNIT_HOUR = "per-model-unit-hour"
PER_TOKEN = "per-token"
BILLING = {PROVISIONED: PER_MODEL_UNIT_HOUR, DEPLOYMENT: PER_TOKEN}


def gather_status(
    stack: DeployedStack, *, s3: Any, stepfunctions: Any, bedrock: Any, now: dt.datetime
) -> dict[str, Any]:
    rows = _leaderboard_rows(s3, stack.bucket)
    return {
        "stack": stack.name,
        "bucket": stack.bucket,
        "running": _running(stepfunctions, stack.customize_state_machine_arn)
        if stack.customize_state_machine_arn
        else [],
        "recent": rows[:RECENT_RESULTS],
        "serving": _serving(bedrock, now),
        "spend": month_to_date_spend(rows, now),
        "generatedAt": now.astimezone(dt.UTC).isoformat(timespec="seconds").replace("+00:00", "Z"),
    }


def month_to_date_spend(rows: Sequence[Mapping[str, Any]], now: dt.datetime) -> dict[str, float]:
    """Estimated training cost of this month's runs per profile (runs that were started: not the rejected)."""
    month = now.astimezone(dt.UTC).strftime("%Y-%m")
    spend: dict[str, float] = {}
    for row in rows:
        cost = row.get("estimatedCostUsd")
        if (
            str(row.get("endedAt") or "").startswith(month)
            and isinstance(cost, int | float)
            and row.get("status") != "rejected"
        ):
            profile = str(row.get("profile"))
            spend[profile] = round(spend.get(profile, 0.0) + float(cost), 2)
    return spend


def queue_positions(running: Sequence[Mapping[str, Any]]) -> list[dict[str, Any]]:
    """Runs with their place in line: within a profile, the runs waiting for capacity in order of start."""
    waiting: dict[str, int] = {}
    placed = []
    for run in sorted(running, key=lambda r: str(r.get("startedAt"))):
        run = dict(run)
        if run.get("state") == QUEUE_STATE:
            profile = str(run.get("profile"))
            waiting[profile] = waiting.get(profile, 0) + 1
            run["placeInLine"] = waiting[profile]
        placed.append(run)
    return placed


def _running(stepfunctions: Any, machine_arn: str) -> list[dict[str, Any]]:
    runs = []
    for page in stepfunctions.get_paginator("list_executions").paginate(
        stateMachineArn=machine_arn, statusFilter="RUNNING"
    ):
        for execution in page.get("executions", []):
            arn = execution["executionArn"]
            described = stepfunctions.describe_execution(executionArn=arn)
            started = described.get("startDate")
            runs.append(
                {
                    "execution": execution["name"],
                    "profile": _input(described).get("profile"),
                    "dataset": _input(described).get("key"),
                    "startedAt": started.isoformat() if isinstance(started, dt.datetime) else str(started),
                    "state": _current_state(stepfunctions, arn),
                }
            )
    return queue_positions(runs)


def _input(described: Mapping[str, Any]) -> dict[str, Any]:
    try:
        value = json.loads(described.get("input") or "{}")
    except ValueError:
        return {}
    return value if isinstance(value, dict) else {}


def _current_state(stepfunctions: Any, execution_arn: str) -> str | None:
    events = stepfunctions.get_execution_history(
        executionArn=execution_arn, reverseOrder=True, maxResults=20, includeExecutionData=False
    ).get("events", [])
    for event in events:
        details = event.get("stateEnteredEventDetails")
        if details:
            return str(details.get("name"))
    return None


def _serving(bedrock: Any, now: dt.datetime) -> list[dict[str, Any]]:
    try:
        resources = list_served_resources(bedrock)
    except ClientError:
        return []
    live = []
    for resource in resources:
        if not resource.managed:
            continue
        expires = parse_time(resource.tags.get(EXPIRES_AT_TAG))
        live.append(
            {
                "kind": resource.kind,
                "arn": resource.arn,
                "status": resource.status,
                "job": resource.tags.get(JOB_TAG),
                "modelUnits": resource.model_units,
                "billing": BILLING.get(resource.kind),
                "commitment": resource.commitment,
                "expiresAt": expires.isoformat() if expires else None,
                "hoursLeft": round((expires - now).total_seconds() / 3600, 1) if expires else None,
            }
        )
    return live


def _leaderboard_rows(s3: Any, bucket: str) -> list[dict[str, Any]]:
    try:
        body = s3.get_object(Bucket=bucket, Key=LEADERBOARD_KEY)["Body"].read()
    except ClientError:
        return []
    return list(parse_board(body)["rows"])
