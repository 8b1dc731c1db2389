"""The personal-data gate marks every line on which a detector can find something, however the file is cut
into blocks, and leaves ordinary lines alone (that is what makes it worth having)."""

from __future__ import annotations

import re
from collections.abc import Iterable

from hypothesis import given, settings
from hypothesis import strategies as st

from tuneline.datasets.pii import AWS_SECRET_KEY, NUMBERISH, find_pii, numberish_spans
from tuneline.datasets.pii_gate import PiiGate


def marked_lines(data: bytes, block: int) -> set[int]:
    """1-based numbers of the lines of `data` with a mark, feeding the gate `block` bytes at a time."""
    gate = PiiGate()
    for offset in range(0, len(data), block):
        gate.feed(data[offset : offset + block], offset)
    marked = set()
    end = 0
    for number, line in enumerate(data.split(b"\n"), 1):
        end += len(line) + 1
        if gate.marked_before(end):
            marked.add(number)
    return marked


def lines_with_findings(data: bytes) -> set[int]:
    """Lines where a detector the gate covers finds something (secret keys only in `name = key` form)."""
    lines = set()
    for number, line in enumerate(data.decode().split("\n"), 1):
        for kind, start, _ in find_pii(line):
            if kind != AWS_SECRET_KEY or "=" in line[max(0, start - 30) : start]:
                lines.add(number)
    return lines


DIGITS = "0123456789"
PIECES = st.one_of(
    st.sampled_from(["order", "the", "Call", "AWS", "card", "ref", "x", "é", "\\n", '\\"', "secret"]),
    st.text(alphabet=DIGITS + " ()./-+", min_size=1, max_size=24),
    st.text(alphabet=DIGITS, min_size=1, max_size=19),
    st.sampled_from(
        [
            "+1 555-123-4567",
            "(555) 123-4567",
            "555.123.4567",
            "+33 1 23 45 67 89",
            "+44 20 7946 0958",
            "020 7946 0507",
            "(020) 7946 0507",
            "07700 900123",
            "5550131234",
            "030/12345678",
            "03-1234-5678",
            "98765 43210",
            "123-45-6789",
            "DE89 3704 0044 0532 0130 00",
            "GB82WEST12345698765432",
            "4111 1111 1111 1111",
            "4111-1111-1111-1111",
            "4111111111111111",
            "jane.doe@example.com",
            "AKIAIOSFODNN7EXAMPLE",
            "ASIAY34FZKBOKMUTVV7A",
            "aws_secret_access_key = wJalrXUtnFEMI/K7MDENG/bPxRfiCYEXAMPLEKEY",
            "AWS_SECRET_ACCESS_KEY=wJalrXUtnFEMI/K7MDENG/bPxRfiCYEXAMPLEKEY",
        ]
    ),
)
LINES = st.lists(st.lists(PIECES, max_size=12).map(" ".join), min_size=1, max_size=6)


@settings(max_examples=300, deadline=None)
@given(LINES, st.integers(min_value=1, max_value=40))
def test_every_line_with_a_finding_is_marked_whatever_the_blocks(lines: list[str], block: int) -> None:
    data = "\n".join(lines).encode()
    assert lines_with_findings(data) <= marked_lines(data, block)


def test_numbers_and_keys_cut_by_a_block_boundary_are_marked() -> None:
    for text in ("call 555 123 4567 now", "id AKIAIOSFODNN7EXAMPLE", "x 1  2  3  4  5  6  7 y", "ACCA"):
        data = f"first line\n{text}\nlast line".encode()
        for block in range(1, len(data) + 1):
            assert marked_lines(data, block) == {2}, (text, block)


def test_ordinary_prose_with_short_numbers_is_not_marked() -> None:
    data = (
        b'{"text": "In 2023 we shipped 12345 parcels to 42 regions (about 3.5% more); see page 12-14."}\n'
        b'{"text": "Version 1.2.3, build 2024-01, Team A and Team B."}\n'
    )
    assert marked_lines(data, 64 * 1024) == set()


def test_a_line_full_of_at_signs_gets_one_mark() -> None:
    gate = PiiGate()
    gate.feed(b"@" * 1000 + b"\n" + b"=" * 1000 + b"\n", 0)
    assert len(gate.marks) == 2


def long_spans(matches: Iterable[re.Match[str]]) -> list[tuple[int, int]]:
    return [m.span() for m in matches if sum(c.isdigit() for c in m.group()) >= 7]


@settings(max_examples=500, deadline=None)
@given(st.text(alphabet=DIGITS + " ()./-+abcAZ\n", max_size=80))
def test_number_spans_are_those_of_a_whole_text_search(text: str) -> None:
    assert long_spans(numberish_spans(text)) == long_spans(re.finditer(NUMBERISH, text))


def test_number_spans_skip_text_without_a_long_number() -> None:
    assert list(numberish_spans("In 2023 we shipped 12345 parcels, see 12-14")) == []
    assert [m.group() for m in numberish_spans("call (555) 123-4567 or 2024")] == ["(555) 123-4567"]
    # Other scripts' digits match the detectors' \d, so such text is searched whole.
    assert [m.group() for m in numberish_spans("رقم ٥٥٥١٢٣٤٥٦٧")] == ["٥٥٥١٢٣٤٥٦٧"]
