"""Finish the evaluation: keep the serving it created only when it is what the profile serves and the gate passed.

The evaluation buys with the serving step's name and token (pipeline/evaluation_prepare.py), so when the custom
model passes the gate and the profile serves it the same way, the resource stays and the serving step finds it
again (an idempotent create). In every other case it is deleted here: the gate failed (nothing is served), the
profile serves nothing, or it serves differently (committed throughput is bought only after this delete). On a
failure inside the stage the same step deletes it before the failure alert.
"""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

from botocore.exceptions import ClientError

from tuneline.serving.release import delete_serving

KEPT, DELETED, ALREADY_GONE, NOTHING = "kept", "deleted", "already gone", "nothing bought"


def finish_evaluation(state: Mapping[str, Any], *, bedrock: Any) -> dict[str, Any]:
    request = (state.get("evaluationSetup") or {}).get("request") or {}
    arn = (state.get("evaluationResource") or {}).get("arn")
    if not arn:
        return {"action": NOTHING, "arn": None, "reason": "the evaluation created no serving"}
    keep, reason = _keep(state, request)
    if keep:
        return {"action": KEPT, "arn": arn, "reason": reason}
    try:
        delete_serving(bedrock, str(request.get("kind")), arn)
    except ClientError as failure:
        if failure.response.get("Error", {}).get("Code") != "ResourceNotFoundException":
            raise
        return {"action": ALREADY_GONE, "arn": arn, "reason": reason}
    return {"action": DELETED, "arn": arn, "reason": reason}


def _keep(state: Mapping[str, Any], request: Mapping[str, Any]) -> tuple[bool, str]:
    if state.get("error") or state.get("evaluationError"):
        return False, "the evaluation failed"
    gate = (state.get("evaluation") or {}).get("gate") or {}
    if not gate.get("passed"):
        return False, "the custom model did not pass the gate, so nothing is served"
    serving = (state.get("plan") or {}).get("serving") or {}
    mode = serving.get("mode", "none")
    same = (mode == "on-demand" and request.get("kind") == "deployment") or (
        mode == "provisioned" and serving.get("commitment", "none") == "none" and request.get("kind") == "provisioned"
    )
    if same:
        return True, "the custom model passed the gate; this is the serving the profile asks for"
    if mode == "none":
        return False, "the profile serves nothing; the evaluation's serving is no longer needed"
    return False, "the profile serves the model another way, bought after this"
