"""Prepare the serving purchase: what to buy, under which deterministic name and token, with which tags.

The workflow hands over the plan (profile's `serving` settings), the summary (custom model ARN), the job
description and the execution's name and clock; the result is what the create tasks send, field for field.
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Mapping
from typing import Any

from tuneline.aws_values import lookup
from tuneline.serving.errors import ServingNotPossible
from tuneline.serving.names import serving_name, serving_token
from tuneline.serving.quotas import quota_to_raise
from tuneline.serving.tags import iso_utc, parse_time, serving_tags

PROVISIONED = "provisioned"
ON_DEMAND = "on-demand"
# The kind of resource each mode buys; the state machine branches on it.
KIND_BY_MODE = {PROVISIONED: "provisioned", ON_DEMAND: "deployment"}
NO_COMMITMENT = "none"


def prepare_request(
    plan: Mapping[str, Any],
    metrics: Mapping[str, Any] | None,
    job: Mapping[str, Any] | None,
    *,
    execution: str,
    now: dt.datetime,
) -> dict[str, Any]:
    from tuneline.datasets.models import UnknownModelError, resolve_model

    serving = plan.get("serving") or {}
    mode = serving.get("mode", "none")
    if mode not in KIND_BY_MODE:
        raise ServingNotPossible(f"serving mode {mode!r} buys nothing; expected {PROVISIONED} or {ON_DEMAND}")
    kind = KIND_BY_MODE[mode]
    model_arn = (metrics or {}).get("customModelArn") or lookup(job or {}, "outputModelArn")
    if not model_arn:
        raise ServingNotPossible(
            f"job {plan.get('jobName')} finished without a custom model ARN, so there is nothing to serve"
        )

    base_model = str(plan.get("baseModelIdentifier", ""))
    try:
        rules = resolve_model(base_model)
        model_name = rules.display_name
    except UnknownModelError:
        rules, model_name = None, base_model
    if kind == "deployment" and rules is not None and not rules.on_demand_deployment:
        raise ServingNotPossible(f"{model_name} does not support on-demand custom model deployment")

    commitment = serving.get("commitment", NO_COMMITMENT) if kind == "provisioned" else NO_COMMITMENT
    has_commitment = commitment != NO_COMMITMENT
    ttl_hours = int(serving.get("ttlHours", 8))
    # Commitment throughput is paid for the whole term and cannot be deleted earlier: it gets no expiry.
    expires_at = None if has_commitment else now + dt.timedelta(hours=ttl_hours)
    token = str(plan["clientRequestToken"])
    return {
        "kind": kind,
        "mode": mode,
        "name": serving_name(str(plan.get("customModelName") or plan.get("jobName") or ""), token, kind),
        "clientRequestToken": serving_token(token, kind),
        "modelArn": model_arn,
        "modelUnits": int(serving.get("modelUnits", 1)),
        "commitment": commitment if has_commitment else None,
        "hasCommitment": has_commitment,
        "ttlHours": None if has_commitment else ttl_hours,
        "expiresAt": iso_utc(expires_at) if expires_at else None,
        "keepOnSmokeFailure": bool(serving.get("keepOnSmokeFailure", False)),
        "tags": serving_tags(
            execution=execution,
            job_name=str(plan.get("jobName", "")),
            expires_at=expires_at,
            inherited=plan.get("tags") or [],
        ),
        "description": f"Tuneline on-demand deployment of {plan.get('customModelName') or model_arn}",
        "baseModel": base_model,
        "baseModelName": model_name,
        "converse": bool(rules.converse_supported) if rules is not None else True,
        "quotaName": quota_to_raise(kind, has_commitment, model_name),
    }


def request_time(value: Any) -> dt.datetime:
    """The time the workflow entered the step (`$$.State.EnteredTime`), or now when it is not given."""
    return parse_time(value) or dt.datetime.now(dt.UTC)
