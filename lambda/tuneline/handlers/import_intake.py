"""Import intake: SQS batch of S3 `_READY` marker events -> one import execution per marker version."""

from __future__ import annotations

import logging
from typing import Any

from tuneline.pipeline.clients import client
from tuneline.pipeline.import_intake import handle_marker_events
from tuneline.pipeline.settings import Settings
from tuneline.pipeline.sqs_batch import process_batch

logging.getLogger("tuneline").setLevel(logging.INFO)


def handler(event: dict[str, Any], context: Any = None) -> dict[str, Any]:
    settings = Settings.from_env()
    return process_batch(
        event,
        lambda body: handle_marker_events(
            [body], s3=client("s3"), sfn=client("stepfunctions"), state_machine_arn=settings.state_machine_arn
        ),
    )
