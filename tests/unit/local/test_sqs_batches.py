"""Which messages of an SQS batch go back to the queue after the function ran."""

from __future__ import annotations

from types import SimpleNamespace
from typing import Any

import pytest

from local.sqs_poller import SqsMapping, failed_message_ids, sqs_event

MESSAGES: list[Any] = [
    SimpleNamespace(
        id=f"m{i}",
        receipt_handle=f"r{i}",
        body="{}",
        approximate_receive_count=1,
        sent_timestamp=1,
        sender_id="s",
        approximate_first_receive_timestamp=2,
        message_attributes={},
        body_md5="x",
    )
    for i in range(3)
]


def mapping(reports: bool) -> SqsMapping:
    return SqsMapping("123456789012", "us-east-1", "q", "arn:aws:sqs:us-east-1:123456789012:q", "fn", 10, reports)


def test_an_error_returns_the_whole_batch() -> None:
    assert failed_message_ids(mapping(True), MESSAGES, "", errored=True) == {"m0", "m1", "m2"}


def test_reported_item_failures_return_only_those_messages() -> None:
    payload = '{"batchItemFailures": [{"itemIdentifier": "m1"}]}'
    assert failed_message_ids(mapping(True), MESSAGES, payload, errored=False) == {"m1"}


def test_item_failures_are_ignored_unless_the_mapping_reports_them() -> None:
    payload = '{"batchItemFailures": [{"itemIdentifier": "m1"}]}'
    assert failed_message_ids(mapping(False), MESSAGES, payload, errored=False) == set()


@pytest.mark.parametrize("payload", ['{"batchItemFailures": [{"itemIdentifier": "unknown"}]}', "not json"])
def test_an_unusable_response_fails_the_whole_batch(payload: str) -> None:
    assert failed_message_ids(mapping(True), MESSAGES, payload, errored=False) == {"m0", "m1", "m2"}


def test_the_event_has_one_record_per_message_in_lambda_shape() -> None:
    records = sqs_event(mapping(True), MESSAGES)["Records"]
    assert [r["messageId"] for r in records] == ["m0", "m1", "m2"]
    assert records[0]["eventSource"] == "aws:sqs"
    assert records[0]["attributes"]["ApproximateReceiveCount"] == "1"
