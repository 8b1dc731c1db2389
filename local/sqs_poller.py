"""SQS -> Lambda event-source mappings, polled the way Lambda polls.

moto 5.2.5 invokes the function inside `SendMessage`, one message per invocation, and ignores
`ReportBatchItemFailures`, so a poison message blocks the sender and never reaches the dead-letter queue.
The emulator detaches SQS mappings from moto's queues and polls them here instead: batches of up to
`BatchSize`, successful messages deleted, failed ones (the whole batch, or the `batchItemFailures` the
function reports) made visible again at once, so the queue's redrive policy moves them to the DLQ after
`maxReceiveCount` receives (moto applies the redrive on receive). Visibility timeouts are not waited out:
they are simulated time.
"""

from __future__ import annotations

import json
import threading
from dataclasses import dataclass
from typing import Any

from moto.awslambda.models import EventSourceMapping
from moto.awslambda.utils import get_backend as lambda_backend
from moto.sqs.models import Message, Queue, sqs_backends

POLL_INTERVAL_SECONDS = 0.05


@dataclass(frozen=True)
class SqsMapping:
    account_id: str
    region: str
    queue_name: str
    queue_arn: str
    function_arn: str
    batch_size: int
    reports_item_failures: bool


def adopt_sqs_mappings(account_id: str, region: str) -> list[SqsMapping]:
    """Takes every enabled SQS mapping away from moto's send-time trigger and returns it for polling."""
    adopted = []
    for queue in list(sqs_backends[account_id][region].queues.values()):
        for function_arn, esm in list(queue.lambda_event_source_mappings.items()):
            del queue.lambda_event_source_mappings[function_arn]
            if esm.enabled:
                adopted.append(_mapping(account_id, region, queue, esm))
    return adopted


def _mapping(account_id: str, region: str, queue: Queue, esm: EventSourceMapping) -> SqsMapping:
    return SqsMapping(
        account_id=account_id,
        region=region,
        queue_name=queue.name,
        queue_arn=queue.queue_arn,
        function_arn=esm.function_arn,
        batch_size=int(esm.batch_size or 10),
        reports_item_failures="ReportBatchItemFailures" in (esm.function_response_types or []),
    )


def sqs_event(mapping: SqsMapping, messages: list[Message]) -> dict[str, Any]:
    """The event Lambda builds for a batch of SQS messages."""
    return {
        "Records": [
            {
                "messageId": message.id,
                "receiptHandle": message.receipt_handle,
                "body": message.body,
                "attributes": {
                    "ApproximateReceiveCount": str(message.approximate_receive_count),
                    "SentTimestamp": str(message.sent_timestamp),
                    "SenderId": message.sender_id,
                    "ApproximateFirstReceiveTimestamp": str(message.approximate_first_receive_timestamp),
                },
                "messageAttributes": message.message_attributes,
                "md5OfBody": message.body_md5,
                "eventSource": "aws:sqs",
                "eventSourceARN": mapping.queue_arn,
                "awsRegion": mapping.region,
            }
            for message in messages
        ]
    }


def failed_message_ids(mapping: SqsMapping, messages: list[Message], payload: str, errored: bool) -> set[str]:
    """Which messages go back to the queue after an invocation."""
    all_ids = {message.id for message in messages}
    if errored:
        return all_ids
    if not mapping.reports_item_failures:
        return set()
    try:
        response = json.loads(payload) if payload else None
    except ValueError:
        return all_ids
    if not isinstance(response, dict) or not response.get("batchItemFailures"):
        return set()
    reported = {str(item.get("itemIdentifier")) for item in response["batchItemFailures"] if isinstance(item, dict)}
    # Lambda treats an unknown or empty identifier as a failure of the whole batch.
    return all_ids if not reported <= all_ids else reported


class SqsEventSourcePoller:
    def __init__(self, poll_interval: float = POLL_INTERVAL_SECONDS) -> None:
        self._mappings: list[SqsMapping] = []
        self._poll_interval = poll_interval
        self._stop = threading.Event()
        self._thread: threading.Thread | None = None
        self._busy = threading.Lock()

    def add(self, mappings: list[SqsMapping]) -> None:
        with self._busy:
            self._mappings.extend(mappings)

    @property
    def mappings(self) -> list[SqsMapping]:
        return list(self._mappings)

    def start(self) -> None:
        self._thread = threading.Thread(target=self._run, name="sqs-event-source-poller", daemon=True)
        self._thread.start()

    def stop(self) -> None:
        self._stop.set()
        if self._thread is not None:
            self._thread.join(timeout=30)

    def poll_once(self) -> int:
        """Delivers at most one batch per mapping; returns the number of messages handed to functions."""
        handled = 0
        with self._busy:
            for mapping in self._mappings:
                handled += self._deliver_batch(mapping)
        return handled

    def _run(self) -> None:
        while not self._stop.is_set():
            if self.poll_once() == 0:
                self._stop.wait(self._poll_interval)

    def _deliver_batch(self, mapping: SqsMapping) -> int:
        sqs = sqs_backends[mapping.account_id][mapping.region]
        queue = sqs.get_queue(mapping.queue_name)
        visibility = int(getattr(queue, "visibility_timeout", 30))
        messages = sqs.receive_message(mapping.queue_name, mapping.batch_size, 0, visibility)
        if not messages:
            return 0
        response_headers: dict[str, Any] = {}
        payload = lambda_backend(mapping.account_id, mapping.region).invoke(
            function_name=mapping.function_arn,
            qualifier=None,
            body=json.dumps(sqs_event(mapping, messages)),
            headers={},
            response_headers=response_headers,
        )
        text = payload.decode() if isinstance(payload, bytes) else str(payload or "")
        failed = failed_message_ids(mapping, messages, text, "x-amz-function-error" in response_headers)
        for message in messages:
            if message.id in failed:
                sqs.change_message_visibility(mapping.queue_name, str(message.receipt_handle), visibility_timeout=0)
            else:
                sqs.delete_message(mapping.queue_name, str(message.receipt_handle))
        return len(messages)
