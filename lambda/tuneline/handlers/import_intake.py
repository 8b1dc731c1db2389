"""Import intake: SQS batch of S3 `_READY` marker events -> one import execution per marker version."""

from __future__ import annotations

import json
import logging
from typing import Any

from tuneline.pipeline.clients import client
from tuneline.pipeline.import_intake import handle_marker_events
from tuneline.pipeline.settings import Settings

logger = logging.getLogger(__name__)
logger.setLevel(logging.INFO)


def handler(event: dict[str, Any], context: Any = None) -> dict[str, Any]:
    settings = Settings.from_env()
    failures = []
    for record in event.get("Records", []):
        try:
            handle_marker_events(
                [json.loads(record["body"])],
                s3=client("s3"),
                sfn=client("stepfunctions"),
                state_machine_arn=settings.state_machine_arn,
            )
        except Exception:
            # Only this message is retried (and parked in the DLQ after repeated failures), not the batch.
            logger.exception("could not start an import for message %s", record.get("messageId"))
            failures.append({"itemIdentifier": record["messageId"]})
    return {"batchItemFailures": failures}
