"""A byte-level gate in front of the personal-data detectors of `pii.py`.

The detectors are regular expressions that cost several times a JSON parse when run over every line, and
almost no line holds personal data. So the validator shows every raw block of the file to a `PiiGate`, which
marks the byte offsets where a detector could match, and runs the detectors only on lines with a mark.

The gate never hides a finding of the detectors it covers, because each mark condition follows from them:

* an e-mail address contains "@";
* a phone, card or social security number, or an IBAN, is only looked for at a NUMBERISH span with 7 digits,
  which `pii.NUMBER_FOLD` turns into a run of 7 zeros with only spaces between them (`pii.NUMBER_RUN`);
* an AWS access key id starts with AKIA, ASIA, ABIA or ACCA;
* an AWS secret access key written the way credentials and environment files write it
  (`aws_secret_access_key = ...`, `AWS_SECRET_ACCESS_KEY=...`) has a "=" before it.

One translate (the number fold of `pii.py`, plus "A" folded to "0") and one regex whose first
character is the literal "0" find both number runs and key prefixes; `find` (memchr) finds "@" and "=", at
most once per line. That is all the work per byte, less than the JSON parse of the same bytes.

Limits, by design: digits are ASCII digits, so numbers written only with other Unicode digits are not looked
for; a secret access key introduced by the word "secret" and only ":", quotes or spaces is reported when its
line is marked for another reason (usually the access key id next to it): searching every byte for the word
would cost as much as the rest of the gate.
"""

from __future__ import annotations

import re
from collections import deque

from tuneline.datasets.pii import NUMBER_DIGITS, NUMBER_FOLD

# "A" joins the digits so that the four access key prefixes read 0KI0, 0SI0, 0BI0 and 0CC0 after folding.
_FOLD = NUMBER_FOLD.translate(bytes.maketrans(b"A", b"0"))
# A number run (`pii.NUMBER_RUN`) is a "0" and six more, each after any spaces. Spelling out the byte after the
# first "0" (another "0", or a space) makes every branch start with a literal, which the regex engine rejects
# without entering the branch: most tries end right there.
_NEXT_ZERO = rb" *+0"
_MARK = re.compile(
    rb"0(?:0" + _NEXT_ZERO * (NUMBER_DIGITS - 2) + rb"| " + _NEXT_ZERO * (NUMBER_DIGITS - 1) + rb"|KI0|SI0|BI0|CC0)"
)
# Bytes that every e-mail address and every `name = key` secret contains.
_MARK_BYTES = (b"@", b"=")
_LEADING_RUN = re.compile(rb"[0 ]*+")
_ZERO = ord("0")
_SPACE = ord(" ")


class PiiGate:
    """Collects marks (absolute byte offsets, ascending) from consecutive blocks of one stream.

    `feed` is the `observe` hook of `lines.ByteSource`. The scanner asks `marked_before(end)` once per line,
    in order, with the line's end offset: marks of earlier lines are dropped on the way, so memory holds only
    the marks of blocks read ahead.
    """

    def __init__(self) -> None:
        self.marks: deque[int] = deque()
        # The end of the previous block, as far as a match that continues in the next block needs it.
        self._carried = b""

    def feed(self, block: bytes, offset: int) -> None:
        # bytearray.translate skips the "did anything change" test of bytes.translate: a fifth less time.
        folded = bytearray(block).translate(_FOLD)
        found = [offset + match.start() for match in _MARK.finditer(folded)]
        carried = self._carried
        if carried and self._continues(carried, folded):
            # The match began in the previous block, on the line this block continues.
            found.append(offset)
        for byte in _MARK_BYTES:
            at = block.find(byte)
            while at != -1:
                found.append(offset + at)
                # One mark per line is enough: go on from the next line.
                end = block.find(b"\n", at)
                at = -1 if end == -1 else block.find(byte, end)
        if found:
            found.sort()
            self.marks.extend(found)
        self._carried = _carry(folded, carried)

    @staticmethod
    def _continues(carried: bytes, folded: bytearray) -> bool:
        """A match that starts in the carried bytes and ends in this block: only the block's leading run of
        zeros and spaces (and a key prefix's last three bytes) can take part in it."""
        lead = _LEADING_RUN.match(folded)
        joined = carried + folded[: (lead.end() if lead else 0) + 3]
        return any(match.start() < len(carried) for match in _MARK.finditer(joined))

    def marked_before(self, end: int) -> bool:
        """True if a mark lies before byte offset `end`; drops those marks."""
        marks = self.marks
        if not marks or marks[0] >= end:
            return False
        while marks and marks[0] < end:
            marks.popleft()
        return True


def _carry(folded: bytearray, carried: bytes) -> bytes:
    """What a match continued in the next block needs from the end of this one.

    A trailing run of zeros and spaces counts only by its zeros (spaces never break a number run), so at
    most six zeros are carried; otherwise the last three bytes, the most of a key prefix that can be cut.
    """
    zeros = 0
    index = len(folded) - 1
    while index >= 0 and zeros < NUMBER_DIGITS - 1:
        byte = folded[index]
        if byte == _ZERO:
            zeros += 1
        elif byte != _SPACE:
            break
        index -= 1
    if index == len(folded) - 1:
        return bytes(folded[-3:]) if len(folded) >= 3 else (carried + folded)[-3:]
    if index < 0:  # the whole block continues the previous block's run
        zeros = min(NUMBER_DIGITS - 1, zeros + carried.count(b"0"))
    return b"0" * zeros
