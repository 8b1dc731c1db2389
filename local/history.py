"""Reading an execution's history the way the AWS console and the bill count it."""

from __future__ import annotations

from typing import Any

# AWS bills Standard workflows per state transition: one per state entered.
TRANSITION_SUFFIX = "StateEntered"


def execution_history(stepfunctions: Any, execution_arn: str) -> list[dict[str, Any]]:
    """Every history event of an execution, oldest first."""
    events: list[dict[str, Any]] = []
    kwargs: dict[str, Any] = {"executionArn": execution_arn, "maxResults": 1000}
    while True:
        page = stepfunctions.get_execution_history(**kwargs)
        events.extend(page["events"])
        if not page.get("nextToken"):
            return events
        kwargs["nextToken"] = page["nextToken"]


def states_entered(events: list[dict[str, Any]]) -> list[str]:
    """State names in the order the execution entered them (repeats included)."""
    return [
        event[detail]["name"]
        for event in events
        if event["type"].endswith(TRANSITION_SUFFIX)
        for detail in event
        if detail.lower().endswith("stateenteredeventdetails")
    ]


def state_transitions(events: list[dict[str, Any]]) -> int:
    return sum(1 for event in events if event["type"].endswith(TRANSITION_SUFFIX))
