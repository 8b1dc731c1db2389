"""Release serving: delete what a failed serving attempt bought, unless the profile or a commitment keeps it.

Called again by the workflow while Bedrock refuses the delete (still Creating); the previous result in the state
says which attempt this is."""

from __future__ import annotations

from typing import Any

from tuneline.pipeline.clients import client
from tuneline.serving import workflow_state as keys
from tuneline.serving.release import next_attempt, release_serving


def handler(event: dict[str, Any], context: Any = None) -> dict[str, Any]:
    state = event["state"]
    return release_serving(
        keys.part(state, keys.REQUEST),
        keys.resource_arn(state),
        keys.resource_status(state),
        bedrock=client("bedrock"),
        error=keys.part(state, keys.ERROR).get("Error"),
        attempt=next_attempt(keys.part(state, keys.RELEASE)),
    )
