"""Personal data and secrets in training text: e-mail addresses, phone numbers, card numbers, IBANs, US social
security numbers, AWS keys.

Training data ends up inside the model weights, and a model can repeat it. The scan is a warning (the data
owner decides); the converters can redact what it finds. Card numbers must pass the Luhn check and IBANs the
mod-97 check; social security numbers outside the ranges ever issued do not count. Phone numbers are the
spellings of international (+CC, 00CC) and national numbers (North America, UK, Germany, France, India, Japan
and other trunk-0 plans), and bare runs of 10-11 digits where a numbering plan allows them and no word such
as "order" or "#" makes them an id; dates, times, versions, prices and amounts do not count.

The phone detector is hand-written rather than the `phonenumbers` library: that library (about 50 MB of
metadata) would be the Lambda asset's only third-party dependency. tests/unit/datasets/test_pii_numbers.py
checks this detector against it: every number the library finds in a generated corpus of six countries is
found whole here, and everything taken for a phone number here is a possible number for the library.

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
IBAN = "iban"
SSN = "us-ssn"

KIND_LABELS = {
    EMAIL: "an e-mail address",
    PHONE: "a phone number",
    CARD: "a payment card number",
    AWS_ACCESS_KEY: "an AWS access key id",
    AWS_SECRET_KEY: "an AWS secret access key",
    IBAN: "a bank account number (IBAN)",
    SSN: "a US social security number",
}
REDACTIONS = {
    EMAIL: "[EMAIL]",
    PHONE: "[PHONE]",
    CARD: "[CARD_NUMBER]",
    AWS_ACCESS_KEY: "[AWS_ACCESS_KEY]",
    AWS_SECRET_KEY: "[AWS_SECRET_KEY]",
    IBAN: "[IBAN]",
    SSN: "[SSN]",
}

MAX_EMAIL_LOCAL_PART = 64
MAX_EMAIL_DOMAIN = 255
_EMAIL = re.compile(r"[A-Za-z0-9._%+-]+@[A-Za-z0-9-]+(?:\.[A-Za-z0-9-]+)*\.[A-Za-z]{2,}")
_ACCESS_KEY = re.compile(r"(?:AKIA|ASIA|ABIA|ACCA)[A-Z0-9]{16}(?![A-Z0-9])")
_SECRET_KEY = re.compile(r"(?i)secret.{0,20}?[\"'\s:=]+([A-Za-z0-9/+=]{40})(?![A-Za-z0-9/+=])")
# A run of digits with phone/card separators, at least 7 characters: the only places phone, card, social
# security numbers and an IBAN's digits can be. Its first character is a plain set, which lets the regex engine
# skip ahead quickly.
NUMBERISH = r"[\d+(][\d ()./-]{5,}\d"
_NUMBERISH = re.compile(NUMBERISH)
# Where those spans are, found fast: folding ASCII digits and "+" to "0" and the separators " ()./-" to " " turns
# a NUMBERISH span with 7 digits into 7 zeros with only spaces between them, which a regex whose first character
# is a literal finds at memory speed. No NUMBERISH span with 7 ASCII digits escapes it.
NUMBER_DIGITS = 7
NUMBER_FOLD = bytes.maketrans(b"0123456789+ ()./-", b"0" * 11 + b" " * 6)
NUMBER_RUN = rb"0" + rb" *+0" * (NUMBER_DIGITS - 1)
_NUMBER_RUN = re.compile(NUMBER_RUN)
_ZEROS_AND_SPACES = re.compile(rb"[0 ]*+")
_FOLDED_SEPARATOR = ord(" ")
# 13-19 digits, optionally grouped with single spaces or dashes; not after a "+" (a phone's country code).
_CARD = re.compile(r"(?<![\d+-])\d(?:[ -]?\d){12,18}(?!\d)")
# Phone numbers as people write them. Each branch is a numbering plan's usual spellings; the digit counts that a
# regex cannot express are checked in `_phone_ok`. Not preceded by a letter, digit or the punctuation of
# versions, paths and ids, nor by digits and one separator (the middle of a longer run of digit groups), nor
# followed by a letter, digit or a decimal part.
_PHONE = re.compile(
    r"(?<![\w+.,/#-])(?<!\d[ .-])(?:"
    # international: +CC or 00CC, then groups, an optional (0) or (area): +44 (0)20 7946 0507, 0049 30 1234567
    r"(?P<intl>(?:\+[1-9]\d{0,2}[ .-]?|00[1-9]\d{0,2}[ .-])(?:\(\d{1,4}\)[ .-]?)?\d{1,4}(?:[ .-]?\d{2,4}){1,4})"
    # North America: (555) 013-1234, 555-013-1234, 555.013.1234, 555 013 1234, 1-800-555-0199
    r"|(?P<nanp>(?:1[ .-]?)?(?:\([2-9]\d\d\)[ .-]?|[2-9]\d\d[ .-])\d{3}[ .-]\d{4})"
    # France: 01 23 45 67 89, 06.12.34.56.78, 0 801 23 45 67 (08 numbers)
    r"|(?P<fr>0[1-9](?:[ .-]\d\d){4}|0 [1-9]\d\d(?: \d\d){3})"
    # India mobile without trunk prefix, and toll free: 98765 43210, 1800 123 4567
    r"|(?P<in>[6-9]\d{4}[ -]\d{5}|1800[ -]\d{2,4}[ -]\d{3,4})"
    # trunk prefix 0 (UK, DE, JP, IN, ...): 020 7946 0507, (020) 7946 0507, 07700 900123, 030/1234567,
    # 03-1234-5678, 0120-123-456, 089 1234 5678
    r"|(?P<trunk>(?:\(0[1-9]\d{0,3}\)[ .-]?|0[1-9]\d{0,4}[ ./-])\d{2,10}(?:[ .-]\d{2,8}){0,3})"
    # bare digits, 10 or 11 (checked further in `_bare_phone_ok`): 5550131234, 07700900123
    r"|(?P<bare>\d{10,11})"
    r")(?![\w/]|[.,-]\d)"
)
_DIGIT_RUN = re.compile(r"\d+")
# ITU-T E.164 country calling codes in use (they are prefix-free, so a number's code is the one it starts
# with). tests/unit/datasets/test_pii_numbers.py keeps this list equal to the phonenumbers library's.
# fmt: off
COUNTRY_CODES = frozenset(str(code) for code in (
    1, 7, 20, 27, 30, 31, 32, 33, 34, 36, 39, 40, 41, 43, 44, 45, 46, 47, 48, 49, 51, 52,
    53, 54, 55, 56, 57, 58, 60, 61, 62, 63, 64, 65, 66, 81, 82, 84, 86, 90, 91, 92, 93, 94,
    95, 98, 211, 212, 213, 216, 218, 220, 221, 222, 223, 224, 225, 226, 227, 228, 229, 230, 231, 232, 233, 234,
    235, 236, 237, 238, 239, 240, 241, 242, 243, 244, 245, 246, 247, 248, 249, 250, 251, 252, 253, 254, 255, 256,
    257, 258, 260, 261, 262, 263, 264, 265, 266, 267, 268, 269, 290, 291, 297, 298, 299, 350, 351, 352, 353, 354,
    355, 356, 357, 358, 359, 370, 371, 372, 373, 374, 375, 376, 377, 378, 380, 381, 382, 383, 385, 386, 387, 389,
    420, 421, 423, 500, 501, 502, 503, 504, 505, 506, 507, 508, 509, 590, 591, 592, 593, 594, 595, 596, 597, 598,
    599, 670, 672, 673, 674, 675, 676, 677, 678, 679, 680, 681, 682, 683, 685, 686, 687, 688, 689, 690, 691, 692,
    800, 808, 850, 852, 853, 855, 856, 870, 878, 880, 881, 882, 883, 886, 888, 960, 961, 962, 963, 964, 965, 966,
    967, 968, 970, 971, 972, 973, 974, 975, 976, 977, 979, 992, 993, 994, 995, 996, 998,
))
# fmt: on
_MAX_COUNTRY_CODE = 3
# Plausible lengths (digits, prefix included) per branch: E.164 allows at most 15 digits after the "+".
_PHONE_DIGITS = {"intl": (8, 15), "nanp": (10, 11), "fr": (10, 10), "in": (10, 11), "trunk": (9, 14)}
# Words that make a bare run of digits an identifier rather than a phone number.
_ID_WORDS = re.compile(
    r"(?i)(?:order|invoice|tracking|account|acct|ticket|case|ref(?:erence)?|id|no|nr|sku|isbn|serial|"
    r"transaction|customer|booking|confirmation|po|iban|number|#)\W{0,3}$"
)

# IBAN: country, check digits, then the account in groups of four (ISO 13616), checked with mod 97.
_IBAN = re.compile(r"(?<![A-Za-z0-9])[A-Z]{2}\d\d(?: ?[A-Z0-9]{4}){2,7}(?: ?[A-Z0-9]{1,4})?(?![A-Za-z0-9])")
IBAN_MIN_LENGTH = 15
IBAN_MAX_LENGTH = 34
IBAN_WINDOW = 48
# US social security numbers, AAA-GG-SSSS (or spaces): area 000, 666 and 900-999, group 00 and serial 0000 are
# never issued (SSA), so those are not taken for one.
_SSN = re.compile(r"(?<![\w.,/-])(?!000|666|9\d\d)(\d{3})([ -])(?!00)\d\d\2(?!0000)\d{4}(?![\w/]|[.,-]\d)")
_SEPARATORS = str.maketrans("", "", " ()./+-")


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
    ibans: list[tuple[int, int]] = []
    ascii_text = text.isascii()
    for candidate in numberish_spans(text):
        span = candidate.group()
        offset = candidate.start()
        digits = len(span.translate(_SEPARATORS))
        if digits < 7:
            continue
        taken = [iban for iban in ibans if iban[1] > offset]
        if ascii_text:  # IBANs are ASCII; their digits put them next to this span
            for iban in _ibans_near(text, offset, candidate.end(), ibans):
                taken.append(iban)
                yield IBAN, iban[0], iban[1]
        phones = [m for m in _PHONE.finditer(text, offset, candidate.end()) if _phone_ok(text, m)]
        # Digits after a "+CC" belong to that phone number, even when they pass the Luhn check.
        international = [m.span() for m in phones if m.lastgroup == "intl"]
        if digits >= 13:
            for match in _CARD.finditer(span):
                number = match.group().replace(" ", "").replace("-", "")
                start, end = offset + match.start(), offset + match.end()
                if 13 <= len(number) <= 19 and luhn_valid(number) and not _inside(start, taken + international):
                    taken.append((start, end))
                    yield CARD, start, end
        if digits >= 9:
            for match in _SSN.finditer(text, offset, candidate.end()):
                if not _inside(match.start(), taken):
                    taken.append((match.start(), match.end()))
                    yield SSN, match.start(), match.end()
        for match in phones:
            if not _inside(match.start(), taken):
                yield PHONE, match.start(), match.end()


def _inside(position: int, spans: list[tuple[int, int]]) -> bool:
    return any(start <= position < end for start, end in spans)


def _phone_ok(text: str, match: re.Match[str]) -> bool:
    branch = match.lastgroup or ""
    number = match.group()
    digits = sum(len(run) for run in _DIGIT_RUN.findall(number))
    if branch == "bare":
        return _bare_phone_ok(text, match.start(), number)
    if branch == "intl":
        # Counted without the international prefix (+ or 00): E.164 numbers have at most 15 digits.
        groups = _DIGIT_RUN.findall(number[1:] if number[0] == "+" else number[2:])
        international = "".join(groups)
        digits = len(international)
        if len(groups[0]) <= _MAX_COUNTRY_CODE:  # written apart, as +44 20 ...: exactly a country code
            if groups[0] not in COUNTRY_CODES:
                return False
        elif not any(international[:size] in COUNTRY_CODES for size in range(1, _MAX_COUNTRY_CODE + 1)):
            return False
    low, high = _PHONE_DIGITS[branch]
    return low <= digits <= high


def _bare_phone_ok(text: str, start: int, number: str) -> bool:
    """Ten or eleven digits without separators: a phone number where a numbering plan allows that length
    (NANP and India: 10 digits, area not starting with 0 or 1; a leading trunk 0: 10-11 digits, as in the UK,
    France, Germany, Japan; 1 and a NANP number; India's toll free 1800), unless the words before make it an
    identifier. Ten digits starting with 1 are mostly Unix times, which are not taken."""
    first = number[0]
    if number.startswith("00"):  # an international prefix, and too short for a number behind it
        return False
    if number.startswith("1800"):
        plausible = True
    elif len(number) == 10:
        plausible = first != "1"
    else:
        plausible = first == "0" or (first == "1" and number[1] not in "01")
    return plausible and _ID_WORDS.search(text, max(0, start - 24), start) is None


def _ibans_near(text: str, start: int, end: int, found: list[tuple[int, int]]) -> Iterator[tuple[int, int]]:
    """IBANs whose digits include this span (not found before), with a valid mod-97 check."""
    window_start = max(0, start - IBAN_WINDOW)
    for match in _IBAN.finditer(text, window_start, min(len(text), end + IBAN_WINDOW)):
        if match.end() <= start or match.start() >= end:
            continue
        if any(s == match.start() for s, _ in found):
            continue
        if iban_valid(match.group()):
            found.append((match.start(), match.end()))
            yield match.start(), match.end()


def iban_valid(iban: str) -> bool:
    """ISO 13616: length 15-34, and the number formed by moving the first four characters to the end (letters
    as 10-35) leaves remainder 1 when divided by 97."""
    compact = iban.replace(" ", "")
    if not IBAN_MIN_LENGTH <= len(compact) <= IBAN_MAX_LENGTH:
        return False
    rearranged = compact[4:] + compact[:4]
    remainder = 0
    for char in rearranged:
        value = int(char, 36)
        remainder = (remainder * (100 if value > 9 else 10) + value) % 97
    return remainder == 1


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
