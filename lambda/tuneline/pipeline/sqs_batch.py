"""SQS batches with partial failure: a message that fails is reported alone, so only it is retried (and
parked in the dead-letter queue after repeated failures), never the whole batch."""

from __future__ import annotations

import json
import logging
from collections.abc import Callable, Mapping
from typing import Any

logger = logging.getLogger(__name__)


def process_batch(event: Mapping[str, Any], handle: Callable[[Mapping[str, Any]], object]) -> dict[str, Any]:
    """Call `handle` with each message's JSON body; return the Lambda `batchItemFailures` response."""
    failures = []
    for record in event.get("Records", []):
        try:
            handle(json.loads(record["body"]))
        except Exception:
            logger.exception("message %s failed; it will be retried", record.get("messageId"))
            failures.append({"itemIdentifier": record["messageId"]})
    return {"batchItemFailures": failures}
