"""Where the serving steps keep their results in the customize workflow's state (JSONPath keys).

The final result goes to `$.serving` only when serving finished (served, skipped or not requested): a failure
alert names "Serve model" as the failed step exactly when that key is missing.
"""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

REQUEST = "servingRequest"  # prepare_request's result
RESOURCE = "servingResource"  # {"arn": ...} of what the create task bought
STATUS = "servingStatus"  # the last Get*-status description (PascalCase)
POLL = "servingPoll"  # {"count": n} status checks made
SMOKE = "smoke"  # run_smoke_test's result
ERROR = "servingError"  # {"Error", "Cause"} of the failure being handled
RELEASE = "servingRelease"  # release_serving's result
RESULT = "serving"


def part(state: Mapping[str, Any], key: str) -> dict[str, Any]:
    value = state.get(key)
    return dict(value) if isinstance(value, Mapping) else {}


def resource_arn(state: Mapping[str, Any]) -> str | None:
    arn = part(state, RESOURCE).get("arn")
    return str(arn) if arn else None


def resource_status(state: Mapping[str, Any]) -> str | None:
    status = part(state, STATUS)
    value = status.get("Status", status.get("status"))
    return str(value) if value else None
