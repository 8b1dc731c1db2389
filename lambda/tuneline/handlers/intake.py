"""Intake: SQS batch of S3 events -> one Step Functions execution per training-file version; an alert for
an upload that is not a .jsonl dataset, or for a companion file that landed after its job was planned."""

from __future__ import annotations

import logging
from typing import Any

from tuneline.pipeline.clients import client
from tuneline.pipeline.intake import alert_ignored_upload, handle_events
from tuneline.pipeline.late_companions import alert_late_companion
from tuneline.pipeline.settings import Settings
from tuneline.pipeline.sqs_batch import process_batch

logging.getLogger("tuneline").setLevel(logging.INFO)


def handler(event: dict[str, Any], context: Any = None) -> dict[str, Any]:
    settings = Settings.from_env()

    def explain(bucket: str, key: str) -> None:
        if not alert_ignored_upload(client("sns"), settings.alert_topic_arn, bucket, key):
            alert_late_companion(
                s3=client("s3"),
                sfn=client("stepfunctions"),
                sns=client("sns"),
                topic_arn=settings.alert_topic_arn,
                state_machine_arn=settings.state_machine_arn,
                bucket=bucket,
                key=key,
            )

    return process_batch(
        event,
        lambda body: handle_events(
            [body],
            s3=client("s3"),
            sfn=client("stepfunctions"),
            state_machine_arn=settings.state_machine_arn,
            on_ignored=explain,
        ),
    )
