"""Turn S3 `Object Created` events into workflow executions, exactly one per object version."""

from __future__ import annotations

import json
import logging
from collections.abc import Callable, Iterable, Mapping
from dataclasses import dataclass
from typing import Any

from botocore.exceptions import ClientError

from tuneline.alerts.messages import upload_ignored
from tuneline.jobs.ignored_uploads import explain_ignored_upload
from tuneline.jobs.keys import classify_key
from tuneline.jobs.naming import execution_name
from tuneline.pipeline.alert_topic import publish

logger = logging.getLogger(__name__)


@dataclass(frozen=True)
class StartRequest:
    name: str
    input: dict[str, Any]


def object_from_event(event: Mapping[str, Any]) -> tuple[str, str, str | None]:
    """(bucket, key as delivered, version id) from an EventBridge S3 event."""
    detail = event["detail"]
    version = detail["object"].get("version-id") or detail["object"].get("versionId")
    return detail["bucket"]["name"], detail["object"]["key"], version


def upload_time(event: Mapping[str, Any]) -> str | None:
    """When the object was uploaded, as ISO 8601 UTC: the event's `time` (an ISO string on AWS, with one-second
    resolution; a number of seconds in some emulations). The capacity queue orders uploads by it
    (docs/decisions/0015-queue-on-a-deadline.md)."""
    from datetime import UTC, datetime

    value = event.get("time")
    if isinstance(value, int | float) and not isinstance(value, bool):
        return datetime.fromtimestamp(float(value), UTC).isoformat().replace("+00:00", "Z")
    if isinstance(value, str) and value:
        try:
            parsed = datetime.fromisoformat(value.replace("Z", "+00:00"))
        except ValueError:
            return None
        return parsed.astimezone(UTC).isoformat().replace("+00:00", "Z")
    return None


def start_request(bucket: str, key: str, version_id: str | None, size: int | None = None) -> StartRequest | None:
    """The execution to start for a real (decoded) key, or None when the object is not a training file."""
    incoming = classify_key(key, url_encoded=False)
    if incoming is None or incoming.kind != "training":
        return None
    return StartRequest(
        name=execution_name(bucket, key, version_id),
        input={
            "bucket": bucket,
            "key": key,
            "versionId": version_id,
            "profile": incoming.profile,
            "dataset": incoming.dataset,
            "sizeBytes": size,
        },
    )


def resolve_key(s3: Any, bucket: str, delivered_key: str, version_id: str | None) -> tuple[str, int] | None:
    """The real key and size of the delivered object, or None when it no longer exists.

    S3 notifications URL-encode keys ("a b.jsonl" arrives as "a+b.jsonl"); whether a given delivery path does
    is not something to bet a dataset on, so try the key as delivered, then decoded, and keep the one S3 knows.
    """
    from urllib.parse import unquote_plus

    candidates = [delivered_key]
    decoded = unquote_plus(delivered_key)
    if decoded != delivered_key:
        candidates.append(decoded)
    for key in candidates:
        try:
            extra = {"VersionId": version_id} if version_id else {}
            head = s3.head_object(Bucket=bucket, Key=key, **extra)
        except ClientError as error:
            if error.response.get("Error", {}).get("Code") in {"404", "NoSuchKey", "NoSuchVersion", "NotFound"}:
                continue
            raise
        return key, int(head.get("ContentLength", 0))
    return None


def start(sfn: Any, state_machine_arn: str, request: StartRequest) -> bool:
    """Start the execution; False when an execution with this name exists (a duplicate event)."""
    try:
        sfn.start_execution(stateMachineArn=state_machine_arn, name=request.name, input=json.dumps(request.input))
    except ClientError as error:
        if error.response.get("Error", {}).get("Code") == "ExecutionAlreadyExists":
            logger.info("duplicate event: execution %s already exists", request.name)
            return False
        raise
    logger.info("started execution %s for s3://%s/%s", request.name, request.input["bucket"], request.input["key"])
    return True


def handle_events(
    events: Iterable[Mapping[str, Any]],
    *,
    s3: Any,
    sfn: Any,
    state_machine_arn: str,
    to_request: Callable[[str, str, str | None, int | None], StartRequest | None] | None = None,
    on_ignored: Callable[[str, str], object] | None = None,
) -> int:
    """Start executions for the events' objects; returns how many were started.

    `to_request` decides which objects start what (default: training files start the customize workflow);
    objects it returns None for are ignored, and `on_ignored(bucket, key)` hears of each.
    """
    to_request = to_request or start_request
    started = 0
    for event in events:
        bucket, delivered_key, version_id = object_from_event(event)
        resolved = resolve_key(s3, bucket, delivered_key, version_id)
        if resolved is None:
            logger.warning(
                "s3://%s/%s (version %s) no longer exists; nothing to start", bucket, delivered_key, version_id
            )
            continue
        key, size = resolved
        request = to_request(bucket, key, version_id, size)
        if request is None:
            logger.info("s3://%s/%s starts nothing (not a training file or marker)", bucket, key)
            if on_ignored is not None:
                on_ignored(bucket, key)
            continue
        uploaded_at = upload_time(event)
        if uploaded_at:
            request.input["uploadedAt"] = uploaded_at
        started += int(start(sfn, state_machine_arn, request))
    return started


def alert_ignored_upload(sns: Any, topic_arn: str, bucket: str, key: str) -> bool:
    """Alert when `key` looks like a dataset under the wrong extension; True when an alert went out."""
    ignored = explain_ignored_upload(key, bucket)
    if ignored is None:
        return False
    publish(sns, topic_arn, upload_ignored(ignored, bucket))
    logger.info("s3://%s/%s is not a .jsonl dataset: alert sent", bucket, key)
    return True
