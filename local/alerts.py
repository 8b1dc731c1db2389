"""Reads back what the stack publishes to its SNS topics, through an SQS queue subscribed to each topic.

In AWS the alert topic has e-mail subscribers; in the emulator an inbox queue stands in for them, so tests
and the demo can see every message (subject, body and topic) in the order it was published.
"""

from __future__ import annotations

import json
import time
from typing import Any

INBOX_QUEUE_NAME = "emulator-alert-inbox"


class AlertInbox:
    def __init__(self, sqs: Any, sns: Any) -> None:
        self._sqs = sqs
        self._sns = sns
        self._queue_url = sqs.create_queue(QueueName=INBOX_QUEUE_NAME)["QueueUrl"]
        self._queue_arn = sqs.get_queue_attributes(QueueUrl=self._queue_url, AttributeNames=["QueueArn"])["Attributes"][
            "QueueArn"
        ]
        self._topics: set[str] = set()
        self._received: list[dict[str, Any]] = []

    def subscribe(self, topic_arn: str) -> None:
        if topic_arn not in self._topics:
            self._sns.subscribe(TopicArn=topic_arn, Protocol="sqs", Endpoint=self._queue_arn)
            self._topics.add(topic_arn)

    def read(self, *, topic_arn: str | None = None, expected: int = 0, timeout: float = 10.0) -> list[dict[str, Any]]:
        """All messages received so far (waiting up to `timeout` for at least `expected` of them)."""
        deadline = time.monotonic() + timeout
        while True:
            self._drain()
            found = [m for m in self._received if topic_arn in (None, m["topic_arn"])]
            if len(found) >= expected or time.monotonic() >= deadline:
                return found
            time.sleep(0.05)

    def _drain(self) -> None:
        while True:
            messages = self._sqs.receive_message(QueueUrl=self._queue_url, MaxNumberOfMessages=10).get("Messages", [])
            if not messages:
                return
            for message in messages:
                envelope = json.loads(message["Body"])
                self._received.append(
                    {
                        "topic_arn": envelope.get("TopicArn"),
                        "subject": envelope.get("Subject"),
                        "message": envelope.get("Message"),
                        "timestamp": envelope.get("Timestamp"),
                        "attributes": envelope.get("MessageAttributes") or {},
                    }
                )
                self._sqs.delete_message(QueueUrl=self._queue_url, ReceiptHandle=message["ReceiptHandle"])
