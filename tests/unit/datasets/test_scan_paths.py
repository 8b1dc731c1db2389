"""The scanner's fast and slow paths agree: a report depends on the bytes of the file only, never on how the
stream cuts them, and every unusual line is judged as the exact bytes it is."""

from __future__ import annotations

import io
import json

import pytest

from tuneline.datasets.lines import TEXT_BLOCK_BYTES
from tuneline.datasets.validator import validate_dataset

from .builders import converse, found, lines_of
from .test_lines import Trickle

NOVA = "amazon.nova-micro-v1:0:128k"


def line(*turns: str) -> bytes:
    return json.dumps(converse(*turns), ensure_ascii=False).encode()


MIXED = b"\n".join(
    [
        b"\xef\xbb\xbf" + line("Hello", "Hi."),
        line("Call me at +1 555-123-4567", "Noted.") + b"\r",
        b"",
        line("Crème brûlée? Write to chef@example.com", "Oui."),
        line("caf", "x").replace(b"caf", b"caf\xe9"),
        line("Pay with 4111 1111 1111 1111", "Done."),
        b'{"messages": [}',
        line("Hello", "Hi.") + b"\r",
        line("key AKIAIOSFODNN7EXAMPLE", "Rotate it."),
        b"[1, 2]",
        line("Naïve résumé, ring +33 1 23 45 67 89", "Merci."),
        line("Hello", "Hi."),
    ]
)


@pytest.mark.parametrize("step", [1, 3, 64, 1000, 1 << 20])
def test_the_report_does_not_depend_on_how_the_stream_is_cut(step: int) -> None:
    whole = validate_dataset(io.BytesIO(MIXED), model_id=NOVA).to_dict()
    assert validate_dataset(Trickle(MIXED, step), model_id=NOVA).to_dict() == whole


def test_unusual_lines_are_judged_at_their_lines() -> None:
    report = validate_dataset(io.BytesIO(MIXED), model_id=NOVA)
    assert {
        ("encoding.bom", 1),
        ("encoding.crlf", 2),
        ("pii.phone", 2),
        ("jsonl.blank-line", 3),
        ("pii.email", 4),
        ("encoding.invalid-utf8", 5),
        ("pii.card-number", 6),
        ("jsonl.invalid-json", 7),
        ("record.duplicate", 8),
        ("pii.aws-access-key", 9),
        ("jsonl.not-object", 10),
        ("pii.phone", 11),
        ("record.duplicate", 12),
    } <= found(report)
    # Line 1 lost its BOM, line 8 its CR, line 12 has no newline: all three are the same record.
    duplicates = [f.message for f in report.warnings if f.rule == "record.duplicate"]
    assert len(duplicates) == 2 and all(m.startswith("same record as line 1;") for m in duplicates)
    assert report.stats["files"]["training"]["bytes"] == len(MIXED)
    assert report.stats["files"]["training"]["lines"] == 12
    invalid = next(f for f in report.errors if f.rule == "encoding.invalid-utf8")
    assert "b'\\xe9" in invalid.message


def test_personal_data_is_found_at_its_line_across_block_boundaries() -> None:
    filler = converse("What is the status of my order?", "It ships tomorrow. " * 40)
    records = [filler] * 400
    suspects = {57: "+1 555-123-4567", 130: "ops@example.com", 260: "AKIAIOSFODNN7EXAMPLE"}
    for number, value in suspects.items():
        records[number - 1] = converse(f"Reach me via {value} {number}", "Noted.")
    data = lines_of(records)
    assert len(data) > 4 * TEXT_BLOCK_BYTES
    for step in (TEXT_BLOCK_BYTES, 4093):
        report = validate_dataset(Trickle(data, step), model_id=NOVA)
        assert {(f.rule, f.line) for f in report.warnings if f.rule.startswith("pii.")} == {
            ("pii.phone", 57),
            ("pii.email", 130),
            ("pii.aws-access-key", 260),
        }


def test_a_number_cut_by_the_read_boundary_is_found() -> None:
    head = lines_of([converse("x" * 50, "y")] * 30)
    tail = lines_of([converse("call 555 123 4567", "ok")])
    for cut in range(len(head) + 20, len(head) + 50):
        report = validate_dataset(Trickle(head + tail, cut), model_id=NOVA)
        assert ("pii.phone", 31) in found(report), cut


def test_a_secret_key_written_as_an_assignment_is_found_on_its_own() -> None:
    report = validate_dataset(
        io.BytesIO(lines_of([converse("aws_secret_access_key = wJalrXUtnFEMI/K7MDENG/bPxRfiCYEXAMPLEKEY", "Ok.")])),
        model_id=NOVA,
    )
    assert ("pii.aws-secret-key", 1) in found(report)


def test_a_line_too_large_in_bytes_but_not_in_characters_is_too_large() -> None:
    # 4.2 million two-byte characters: fewer characters than the limit, more bytes.
    big = b'{"prompt": "' + "é".encode() * 4_200_000 + b'"}'
    report = validate_dataset(io.BytesIO(lines_of([converse("a", "b"), big, converse("c", "d")])), model_id=NOVA)
    assert ("record.too-large", 2) in found(report)
    assert report.stats["records"] == 2
    assert report.stats["files"]["training"]["lines"] == 3
