"""EventBridge patterns from the template, matched against sample events by moto's own matcher."""

from __future__ import annotations

import json
from typing import Any

from moto.events.models import EventPattern


def matches(pattern: dict[str, Any], event: Any) -> bool:
    return bool(EventPattern.load(json.dumps(pattern)).matches_event(event))


def object_created(bucket: str, key: str, *, size: int = 10) -> dict[str, Any]:
    """An S3 `Object Created` event as EventBridge delivers it."""
    return {
        "version": "0",
        "id": "1",
        "detail-type": "Object Created",
        "source": "aws.s3",
        "account": "123456789012",
        "time": "2026-11-20T18:41:12Z",
        "region": "us-east-1",
        "resources": [],
        "detail": {"bucket": {"name": bucket}, "object": {"key": key, "version-id": "v1", "size": size}},
    }
