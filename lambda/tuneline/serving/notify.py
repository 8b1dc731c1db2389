"""Serving alerts from the workflow state: which message a serving step asks for, then publish it."""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

from tuneline.alerts.text import Alert
from tuneline.serving import workflow_state as keys
from tuneline.serving.messages import model_served, serving_failed, serving_quota

SERVED = "served"
FAILED = "failed"
QUOTA = "quota"


def build_serving_alert(kind: str, state: Mapping[str, Any]) -> Alert:
    plan = keys.part(state, "plan")
    request = keys.part(state, keys.REQUEST)
    if kind == SERVED:
        return model_served(plan, request, keys.part(state, keys.SMOKE))
    if kind == QUOTA:
        return serving_quota(plan, request, keys.part(state, keys.ERROR))
    if kind == FAILED:
        return serving_failed(
            plan,
            request,
            error=keys.part(state, keys.ERROR),
            smoke=keys.part(state, keys.SMOKE) or None,
            release=keys.part(state, keys.RELEASE) or None,
            metrics=keys.part(state, "metrics"),
        )
    raise ValueError(f"unknown serving alert kind {kind!r}; expected {SERVED}, {FAILED} or {QUOTA}")
