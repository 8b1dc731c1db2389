"""Personal data and secrets in training text: e-mail addresses, phone numbers, card numbers, AWS keys.

Training data ends up inside the model weights, and a model can repeat it. The scan is a warning (the data
owner decides); the converters can redact what it finds. Card numbers must pass the Luhn check, phone numbers
need separators or a leading "+", so IDs, years and amounts do not count.

The validator runs these detectors only on lines its byte-level gate marks (see `pii_gate.py`); inside, each
pattern still sits behind a cheap test: an `in` test, or for numbers one search for a run of digits.
"""

from __future__ import annotations

import re
from collections import Counter
from collections.abc import Iterator

EMAIL = "email"
PHONE = "phone"
CARD = "card-number"
AWS_ACCESS_KEY = "aws-access-key"
AWS_SECRET_KEY = "aws-secret-key"

KIND_LABELS = {
    EMAIL: "an e-mail address",
    PHONE: "a phone number",
    CARD: "a payment card number",
    AWS_ACCESS_KEY: "an AWS access key id",
    AWS_SECRET_KEY: "an AWS secret access key",
}
REDACTIONS = {
    EMAIL: "[EMAIL]",
    PHONE: "[PHONE]",
    CARD: "[CARD_NUMBER]",
    AWS_ACCESS_KEY: "[AWS_ACCESS_KEY]",
    AWS_SECRET_KEY: "[AWS_SECRET_KEY]",
}

MAX_EMAIL_LOCAL_PART = 64
MAX_EMAIL_DOMAIN = 255
_EMAIL = re.compile(r"[A-Za-z0-9._%+-]+@[A-Za-z0-9-]+(?:\.[A-Za-z0-9-]+)*\.[A-Za-z]{2,}")
_ACCESS_KEY = re.compile(r"(?:AKIA|ASIA|ABIA|ACCA)[A-Z0-9]{16}(?![A-Z0-9])")
_SECRET_KEY = re.compile(r"(?i)secret.{0,20}?[\"'\s:=]+([A-Za-z0-9/+=]{40})(?![A-Za-z0-9/+=])")
# A run of digits with phone/card separators, at least 7 characters: the only places phone and card numbers
# can be. Its first character is a plain set, which lets the regex engine skip ahead quickly.
NUMBERISH = r"[\d+(][\d ().-]{5,}\d"
_NUMBERISH = re.compile(NUMBERISH)
# Where those spans are, found fast: folding ASCII digits and "+" to "0" and the separators " ().-" to " " turns
# a NUMBERISH span with 7 digits into 7 zeros with only spaces between them, which a regex whose first character
# is a literal finds at memory speed. No NUMBERISH span with 7 ASCII digits escapes it.
NUMBER_DIGITS = 7
NUMBER_FOLD = bytes.maketrans(b"0123456789+ ().-", b"0" * 11 + b" " * 5)
NUMBER_RUN = rb"0" + rb" *+0" * (NUMBER_DIGITS - 1)
_NUMBER_RUN = re.compile(NUMBER_RUN)
_ZEROS_AND_SPACES = re.compile(rb"[0 ]*+")
_FOLDED_SEPARATOR = ord(" ")
# 13-19 digits, optionally grouped with single spaces or dashes.
_CARD = re.compile(r"(?<![\d-])\d(?:[ -]?\d){12,18}(?!\d)")
# +CC and grouped digits, or (area) 123-4567, or 555-123-4567 / 555.123.4567 / 555 123 4567.
_PHONE = re.compile(
    r"(?<![\d+])(?:\+\d{1,3}[ .-]?(?:\(\d{1,4}\)[ .-]?)?\d{1,4}(?:[ .-]?\d{2,4}){1,4}"
    r"|\(\d{3}\)[ .-]?\d{3}[ .-]\d{4}"
    r"|\d{3}[.-]\d{3}[.-]\d{4}"
    r"|\d{3} \d{3} \d{4})(?!\d)"
)
_SEPARATORS = str.maketrans("", "", " ().+-")


def luhn_valid(digits: str) -> bool:
    total = 0
    for index, char in enumerate(reversed(digits)):
        value = ord(char) - 48
        if index % 2 == 1:
            value *= 2
            if value > 9:
                value -= 9
        total += value
    return total % 10 == 0


def numberish_spans(text: str) -> Iterator[re.Match[str]]:
    """The NUMBERISH matches of `text` that can hold 7 digits, found without running NUMBERISH over all of it.

    For ASCII text the search is confined to the stretches of digits and separators in which the number fold
    shows a run of 7 digits; each stretch is searched whole, so the matches there are exactly those a search
    of the whole text finds. Other text is searched whole (the detectors' \\d matches all Unicode digits).
    """
    if not text.isascii():
        yield from _NUMBERISH.finditer(text)
        return
    folded = text.encode().translate(NUMBER_FOLD)
    searched_to = 0
    for run in _NUMBER_RUN.finditer(folded):
        if run.start() < searched_to:
            continue  # inside the stretch already searched
        # A run starts at the first digit of its stretch; the stretch may begin with separators.
        start = run.start()
        while start > searched_to and folded[start - 1] == _FOLDED_SEPARATOR:
            start -= 1
        stretch = _ZEROS_AND_SPACES.match(folded, run.end())
        end = stretch.end() if stretch else run.end()
        yield from _NUMBERISH.finditer(text, start, end)
        searched_to = end


def find_pii(text: str) -> Iterator[tuple[str, int, int]]:
    """Yield (kind, start, end) for each finding, in no particular order."""
    at = text.find("@")
    while at != -1:
        # Match around each "@" only: an e-mail pattern run over the whole text is slow on long prose.
        start = max(0, at - MAX_EMAIL_LOCAL_PART)
        match = _EMAIL.search(text, start, at + MAX_EMAIL_DOMAIN + 1)
        while match is not None and match.end() <= at:
            match = _EMAIL.search(text, match.end(), at + MAX_EMAIL_DOMAIN + 1)
        if match is not None and match.start() <= at:
            yield EMAIL, match.start(), match.end()
            at = text.find("@", match.end())
        else:
            at = text.find("@", at + 1)
    for match in _ACCESS_KEY.finditer(text):
        yield AWS_ACCESS_KEY, match.start(), match.end()
    if "ecret" in text or "ECRET" in text:
        for match in _SECRET_KEY.finditer(text):
            yield AWS_SECRET_KEY, match.start(1), match.end(1)
    for candidate in numberish_spans(text):
        span = candidate.group()
        offset = candidate.start()
        digits = len(span.translate(_SEPARATORS))
        if digits < 7:
            continue
        cards: list[tuple[int, int]] = []
        if digits >= 13:
            for match in _CARD.finditer(span):
                number = match.group().replace(" ", "").replace("-", "")
                if 13 <= len(number) <= 19 and luhn_valid(number):
                    cards.append((match.start(), match.end()))
                    yield CARD, offset + match.start(), offset + match.end()
        for match in _PHONE.finditer(span):
            if not any(s <= match.start() < e for s, e in cards):
                yield PHONE, offset + match.start(), offset + match.end()


def pii_kinds(text: str) -> Counter[str]:
    return Counter(kind for kind, _, _ in find_pii(text))


def redact(text: str) -> tuple[str, Counter[str]]:
    """The text with every finding replaced by a placeholder such as [EMAIL], and the counts per kind."""
    spans = sorted(find_pii(text), key=lambda item: (item[1], -item[2]))
    counts: Counter[str] = Counter()
    pieces: list[str] = []
    position = 0
    for kind, start, end in spans:
        if start < position:  # overlaps a span already replaced
            continue
        pieces.append(text[position:start])
        pieces.append(REDACTIONS[kind])
        counts[kind] += 1
        position = end
    pieces.append(text[position:])
    return "".join(pieces), counts
