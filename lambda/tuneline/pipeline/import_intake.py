"""Turn `_READY` marker events into import executions, exactly one per marker object version.

A duplicate delivery of the same marker version meets ExecutionAlreadyExists. A marker written again is a
new version and starts a new execution, whose check step finds an earlier import of unchanged folder
content by name (see `import_identity`) and imports nothing twice.
"""

from __future__ import annotations

import logging
from collections.abc import Iterable, Mapping
from typing import Any

from tuneline.imports.marker import parse_marker_key
from tuneline.jobs.naming import MAX_EXECUTION_NAME_LENGTH, object_version_digest, slug
from tuneline.layout import IMPORT_EXECUTION_PREFIX
from tuneline.pipeline.intake import StartRequest, handle_events

logger = logging.getLogger(__name__)

EXECUTION_PREFIX = IMPORT_EXECUTION_PREFIX
_EXECUTION_HASH_LENGTH = 20
_FALLBACK_MODEL = "model"


def import_execution_name(bucket: str, key: str, version_id: str | None) -> str:
    """`import-<model>-<hash of bucket, key, version>`, at most 80 of `[A-Za-z0-9_-]`."""
    marker = parse_marker_key(key, url_encoded=False)
    digest = object_version_digest(bucket, key, version_id)[:_EXECUTION_HASH_LENGTH]
    room = MAX_EXECUTION_NAME_LENGTH - len(EXECUTION_PREFIX) - len(digest) - 1
    model_part = (slug(marker.model_name, room) if marker else "") or _FALLBACK_MODEL
    return f"{EXECUTION_PREFIX}{model_part}-{digest}"


def import_start_request(bucket: str, key: str, version_id: str | None) -> StartRequest | None:
    """The execution to start for a real (decoded) key, or None when the object is not an import marker."""
    marker = parse_marker_key(key, url_encoded=False)
    if marker is None:
        return None
    return StartRequest(
        name=import_execution_name(bucket, key, version_id),
        input={
            "bucket": bucket,
            "key": key,
            "versionId": version_id,
            "modelName": marker.model_name,
            "folder": marker.folder,
        },
    )


def handle_marker_events(events: Iterable[Mapping[str, Any]], *, s3: Any, sfn: Any, state_machine_arn: str) -> int:
    """Start import executions for the events' markers; returns how many were started."""
    return handle_events(
        events,
        s3=s3,
        sfn=sfn,
        state_machine_arn=state_machine_arn,
        to_request=lambda bucket, key, version_id, _size: import_start_request(bucket, key, version_id),
    )
