"""Subjects SNS accepts and bodies that read on a phone."""

from __future__ import annotations

import datetime as dt

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from tuneline.alerts.text import (
    BODY_WIDTH,
    MAX_SUBJECT_LENGTH,
    duration_between,
    field,
    make_alert,
    numbered,
    subject_line,
    wrap,
)
from tuneline.aws_values import lookup


@settings(max_examples=300, deadline=None)
@given(st.text(max_size=400))
def test_subjects_are_always_valid_for_sns_email(text: str) -> None:
    subject = subject_line(text)

    assert 1 <= len(subject) <= MAX_SUBJECT_LENGTH < 100
    assert subject.isascii()
    assert subject.isprintable()
    assert "\n" not in subject and "\r" not in subject


@pytest.mark.parametrize(
    ("text", "expected"),
    [
        ("Tuneline: job started - café", "Tuneline: job started - cafe"),
        ("two\nlines\tand  spaces", "two lines and spaces"),
        ("", "Tuneline alert"),
        ("日本語", "Tuneline alert"),
    ],
)
def test_subject_line_cleans_text(text: str, expected: str) -> None:
    assert subject_line(text) == expected


def test_long_subjects_are_cut_with_an_ellipsis() -> None:
    subject = subject_line("Tuneline: " + "x" * 200)

    assert len(subject) == MAX_SUBJECT_LENGTH
    assert subject.endswith("...")


def test_wrap_keeps_lines_short_and_long_words_whole() -> None:
    uri = "s3://bucket/" + "k" * 100
    lines = wrap(f"Read the report at {uri} and fix the lines it lists before you upload again.")

    assert uri in lines
    assert all(len(line) <= BODY_WIDTH for line in lines if line != uri)


@pytest.mark.parametrize(
    ("value", "expected"),
    [
        ("short", ["Label: short"]),
        (None, []),
        ("", []),
        ("s3://bucket/incoming/support/march tickets with a long name.jsonl", None),
        ("arn:aws:bedrock:us-east-1:123456789012:custom-model/amazon.nova-micro-v1:0:128k/abc", None),
    ],
)
def test_field_puts_long_identifiers_whole_on_their_own_line(value: str | None, expected: list[str] | None) -> None:
    lines = field("Label", value)

    if expected is not None:
        assert lines == expected
    else:
        assert lines == ["Label:", f"  {value}"]


def test_numbered_items_wrap_under_their_text() -> None:
    lines = numbered(["word " * 30])

    assert lines[0].startswith("1. word")
    assert all(line.startswith("   ") for line in lines[1:])
    assert all(len(line) <= BODY_WIDTH for line in lines)


def test_make_alert_skips_empty_sections_and_ends_with_a_newline() -> None:
    alert = make_alert("Subject", ["First paragraph.", None, [], ["a", "b"]])

    assert alert.body == "First paragraph.\n\na\nb\n"


@pytest.mark.parametrize(
    ("start", "end", "expected"),
    [
        ("2026-11-02T10:00:00Z", "2026-11-02T12:14:59Z", "2h 14m"),
        ("2026-11-02T10:00:00.123Z", "2026-11-02T10:09:00.000Z", "8m"),
        ("2026-11-01T10:00:00+00:00", "2026-11-03T11:30:00+00:00", "2d 1h 30m"),
        (dt.datetime(2026, 11, 2, 10, tzinfo=dt.UTC), dt.datetime(2026, 11, 2, 11, tzinfo=dt.UTC), "1h 0m"),
        ("2026-11-02T10:00:00Z", None, None),
        ("not a time", "2026-11-02T10:00:00Z", None),
        ("2026-11-02T12:00:00Z", "2026-11-02T10:00:00Z", None),
    ],
)
def test_duration_between(start, end, expected) -> None:
    assert duration_between(start, end) == expected


def test_lookup_reads_camel_and_pascal_case() -> None:
    assert lookup({"outputModelArn": "a"}, "outputModelArn") == "a"
    assert lookup({"OutputModelArn": "b"}, "outputModelArn") == "b"
    assert lookup(None, "outputModelArn") is None
