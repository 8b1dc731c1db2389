"""Prepare serving: the plan's serving settings -> what to buy, its deterministic name, token, tags and expiry."""

from __future__ import annotations

from typing import Any

from tuneline.serving.request import prepare_request, request_time


def handler(event: dict[str, Any], context: Any = None) -> dict[str, Any]:
    return prepare_request(
        event["plan"],
        event.get("metrics"),
        event.get("job"),
        execution=str(event.get("execution") or ""),
        now=request_time(event.get("enteredTime")),
    )
