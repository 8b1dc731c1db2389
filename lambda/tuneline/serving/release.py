"""Give back what a failed serving attempt bought, within the profile's rules.

- Commitment throughput is never deleted: Bedrock refuses before the term ends, and it is paid for anyway.
- A resource Bedrock itself reports as Failed is deleted (it serves nothing and holds quota).
- After a failed smoke test it is deleted unless the profile sets keepOnSmokeFailure (kept serving still expires
  through the janitor at its `tuneline:expires-at`).
- After any other failure (never became ready, a status check or the smoke step itself failed) it is deleted:
  there is no answer to inspect, and a resource stuck in Creating would otherwise wait for the janitor.

Bedrock refuses to delete throughput or a deployment while it is still `Creating` (ConflictException,
docs/bedrock.md §6.1). The workflow then tries again later: `release_serving` answers `RETRYING` and the
state machine waits RELEASE_RETRY_SECONDS before the next attempt, at most RELEASE_ATTEMPTS attempts in all.
After the last one the resource is left to the janitor, which deletes it at its `tuneline:expires-at`
(`LEFT_FOR_JANITOR`), and the alert says so.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass
from typing import Any

from botocore.exceptions import ClientError

DELETED = "deleted"
KEPT = "kept"
ALREADY_GONE = "already gone"
# Bedrock refused the delete (still Creating): the workflow waits and tries again.
RETRYING = "not deleted yet"
# Refused on every attempt: the janitor deletes it at its expiry.
LEFT_FOR_JANITOR = "left for the janitor"
# The workflow tries to delete this many times, this far apart (serving takes 20-30 minutes to create).
RELEASE_ATTEMPTS = 6
RELEASE_RETRY_SECONDS = 300
REFUSED_ERRORS = frozenset({"ConflictException"})
FAILED_STATUS = "Failed"
# The error the workflow records when the served model answered wrongly (stacks/constructs/serving.py).
SMOKE_TEST_FAILED = "SmokeTestFailed"


@dataclass(frozen=True)
class ReleaseDecision:
    delete: bool
    reason: str


def decide_release(request: Mapping[str, Any], status: str | None, error: str | None = None) -> ReleaseDecision:
    """`error` is the workflow's error name (`SmokeTestFailed`, `ServingNotReady`, a Lambda or Bedrock error)."""
    if request.get("hasCommitment"):
        return ReleaseDecision(False, f"commitment {request.get('commitment')} cannot be deleted before its term ends")
    if status == FAILED_STATUS:
        return ReleaseDecision(True, "Bedrock reports it as Failed")
    if error != SMOKE_TEST_FAILED:
        return ReleaseDecision(True, f"serving did not get as far as a smoke-test answer ({error or 'unknown error'})")
    if request.get("keepOnSmokeFailure"):
        expiry = request.get("expiresAt")
        until = f" until {expiry}, when the janitor deletes it" if expiry else ""
        return ReleaseDecision(False, f"the profile sets keepOnSmokeFailure: kept for inspection{until}")
    return ReleaseDecision(True, "the smoke test did not pass and the profile does not keep it")


def release_serving(
    request: Mapping[str, Any],
    resource_arn: str | None,
    status: str | None,
    *,
    bedrock: Any,
    error: str | None = None,
    attempt: int = 1,
) -> dict[str, Any]:
    """Delete (or keep) the resource this execution bought; the result feeds the failure alert.

    `attempt` counts the tries of this release (1 for the first); a refusal before the last one answers
    RETRYING, the last one LEFT_FOR_JANITOR."""
    if not resource_arn:
        return {"action": "nothing bought", "reason": "no resource was created", "arn": None}
    decision = decide_release(request, status, error)
    if not decision.delete:
        return {"action": KEPT, "reason": decision.reason, "arn": resource_arn}
    try:
        delete_serving(bedrock, str(request.get("kind")), resource_arn)
    except ClientError as failure:
        code = failure.response.get("Error", {}).get("Code")
        if code == "ResourceNotFoundException":
            return {"action": ALREADY_GONE, "reason": decision.reason, "arn": resource_arn}
        if code not in REFUSED_ERRORS:
            raise
        refused = {
            "reason": decision.reason,
            "arn": resource_arn,
            "attempt": attempt,
            "attempts": RELEASE_ATTEMPTS,
            "retrySeconds": RELEASE_RETRY_SECONDS,
            "refusal": f"{code}: {failure.response.get('Error', {}).get('Message', '')}",
        }
        if attempt < RELEASE_ATTEMPTS:
            return {"action": RETRYING, **refused}
        return {"action": LEFT_FOR_JANITOR, **refused, "expiresAt": request.get("expiresAt")}
    return {"action": DELETED, "reason": decision.reason, "arn": resource_arn}


def delete_serving(bedrock: Any, kind: str, arn: str) -> None:
    """Delete an on-demand deployment (`kind` "deployment") or Provisioned Throughput (any other kind)."""
    if kind == "deployment":
        bedrock.delete_custom_model_deployment(customModelDeploymentIdentifier=arn)
    else:
        bedrock.delete_provisioned_model_throughput(provisionedModelId=arn)


def next_attempt(previous: Mapping[str, Any]) -> int:
    """The attempt number of a release, from the result of the previous one in the workflow state."""
    if previous.get("action") != RETRYING:
        return 1
    return int(previous.get("attempt") or 0) + 1
