"""Phone numbers as people write them in the US, UK, Germany, France, India and Japan, IBANs and US social
security numbers; and the numbers of ordinary text (dates, versions, prices, timestamps, ids) left alone.

The phone detector is hand-written (the Lambda asset has no third-party dependencies); it is tested against
the library it stands in for, `phonenumbers` (a development dependency only), on a generated corpus.
"""

from __future__ import annotations

import random
import re

import pytest

from tuneline.datasets.pii import COUNTRY_CODES, find_pii, iban_valid, pii_kinds, redact

phonenumbers = pytest.importorskip("phonenumbers")

REGIONS = ("US", "GB", "DE", "FR", "IN", "JP")


def phones(text: str) -> list[str]:
    return sorted(text[start:end] for kind, start, end in find_pii(text) if kind == "phone")


@pytest.mark.parametrize(
    "number",
    [
        # UK
        "020 7946 0507",
        "(020) 7946 0507",
        "07700 900123",
        "0161 496 0000",
        "+44 (0)20 7946 0507",
        # US
        "5550131234",
        "(555) 013-1234",
        "555-013-1234",
        "1-800-555-0199",
        # Germany
        "030 12345678",
        "030/12345678",
        "(030) 1234567",
        "0151 12345678",
        "0049 30 12345678",
        # France
        "01 23 45 67 89",
        "06.12.34.56.78",
        "0123456789",
        # India
        "98765 43210",
        "9876543210",
        "022-2345-6789",
        "081234 56789",
        # Japan
        "03-1234-5678",
        "090-1234-5678",
        "0120-123-456",
        # bare 11 digits
        "07700900123",
        "12125550123",
    ],
)
def test_national_phone_formats_are_found_and_redacted(number: str) -> None:
    text, counts = redact(f"Reach me on {number}, after 5 pm.")
    assert text == "Reach me on [PHONE], after 5 pm."
    assert dict(counts) == {"phone": 1}


@pytest.mark.parametrize(
    "text",
    [
        "Shipped on 2024-05-12 and delivered 2024-05-14.",
        "The job started at 2024-05-12T10:30:00Z and ended 2024-05-12 11:45:09.",
        "Les données du 12.05.2024 10:30 et du 12/05/2024.",
        "Upgrade to version 10.0.19041.1234 or 2.31.0; build 2024.05.12.1030.",
        "It costs $1,234,567.89 (was 12345.67 EUR, or ¥ 1 234 567).",
        "Order #4839201734 and order 4839201735 shipped; invoice no. 5550131234.",
        "Unix time 1715000000, in ms 1715000000123.",
        "pi is 3.1415926535 and e is 2.7182818284.",
        "ISBN 978-3-16-148410-0, OID 1.2.840.113549.1.1.11, IP 192.168.100.200.",
        "Revenue 2019 2020 2021: 120 450 7800.",
        "The IBAN DE89 3704 0044 0532 0130 01 has a wrong check digit.",
        "Ticket ID 07700900123 is closed.",
    ],
)
def test_numbers_of_ordinary_text_are_not_personal_data(text: str) -> None:
    assert list(find_pii(text)) == []


@pytest.mark.parametrize(
    ("text", "kinds"),
    [
        ("Pay to DE89 3704 0044 0532 0130 00 today", {"iban": 1}),
        ("IBAN GB82WEST12345698765432.", {"iban": 1}),
        ("FR14 2004 1010 0505 0001 3M02 606 and NL91 ABNA 0417 1643 00", {"iban": 2}),
        ("GB82 WEST 1234 5698 7654 33", {}),  # check digits do not match
        ("SSN 123-45-6789", {"us-ssn": 1}),
        ("SSN 123 45 6789", {"us-ssn": 1}),
        ("000-12-3456, 666-12-3456, 912-12-3456, 123-00-4567, 123-45-0000", {}),  # never issued
        ("123-45 6789", {}),  # mixed separators are not how an SSN is written
    ],
)
def test_iban_and_ssn(text: str, kinds: dict[str, int]) -> None:
    assert dict(pii_kinds(text)) == kinds


def test_iban_mod_97() -> None:
    assert iban_valid("DE89370400440532013000")
    assert iban_valid("GB82 WEST 1234 5698 7654 32")
    assert not iban_valid("DE89370400440532013001")
    assert not iban_valid("DE8937040044")  # too short for any country


def test_an_iban_is_one_finding_not_also_a_phone_or_card() -> None:
    text, counts = redact("IBAN: DE89 3704 0044 0532 0130 00.")
    assert text == "IBAN: [IBAN]."
    assert dict(counts) == {"iban": 1}


# --- agreement with phonenumbers ------------------------------------------------------------------


def test_country_codes_are_those_of_phonenumbers() -> None:
    from phonenumbers.phonenumberutil import COUNTRY_CODE_TO_REGION_CODE

    assert {int(code) for code in COUNTRY_CODES} == set(COUNTRY_CODE_TO_REGION_CODE)


def generated_numbers(seed: int = 11, per_type: int = 25) -> list[tuple[str, object]]:
    """Valid numbers of six countries (fixed line, mobile, toll free), varied from the library's examples."""
    rng = random.Random(seed)
    kinds = (
        phonenumbers.PhoneNumberType.FIXED_LINE,
        phonenumbers.PhoneNumberType.MOBILE,
        phonenumbers.PhoneNumberType.TOLL_FREE,
    )
    found: list[tuple[str, object]] = []
    for region in REGIONS:
        for kind in kinds:
            example = phonenumbers.example_number_for_type(region, kind)
            if example is None:
                continue
            digits = str(example.national_number)
            made = 0
            for _ in range(per_type * 20):
                keep = rng.randint(max(1, len(digits) - 6), len(digits) - 1)
                candidate = digits[:keep] + "".join(rng.choice("0123456789") for _ in digits[keep:])
                number = phonenumbers.parse(candidate, region)
                if phonenumbers.is_valid_number(number):
                    found.append((region, number))
                    made += 1
                    if made == per_type:
                        break
    return found


NUMBERS = generated_numbers()
FORMATS = (
    phonenumbers.PhoneNumberFormat.NATIONAL,
    phonenumbers.PhoneNumberFormat.INTERNATIONAL,
    phonenumbers.PhoneNumberFormat.E164,
)


def test_the_generated_corpus_covers_every_country() -> None:
    assert {region for region, _ in NUMBERS} == set(REGIONS)
    assert len(NUMBERS) > 300


@pytest.mark.parametrize("region", REGIONS)
def test_every_number_phonenumbers_finds_is_found_whole(region: str) -> None:
    missed = []
    for number_region, number in NUMBERS:
        if number_region != region:
            continue
        spellings = [phonenumbers.format_number(number, style) for style in FORMATS]
        national = spellings[0]
        if re.sub(r"\D", "", national) != national and len(re.sub(r"\D", "", national)) in (10, 11):
            spellings.append(re.sub(r"\D", "", national))  # the same number typed without separators
        for spelling in spellings:
            text = f"Please call {spelling} after 5 pm."
            expected = [m.raw_string for m in phonenumbers.PhoneNumberMatcher(text, region)]
            if expected != [spelling]:
                continue  # the library does not find it either: no agreement to test
            # Found whole; a few toll-free numbers also pass the Luhn check and count as a card number.
            if [text[start:end] for kind, start, end in find_pii(text) if kind in ("phone", "card-number")] != [
                spelling
            ]:
                missed.append(spelling)
    assert missed == []


def random_digit_groups(rng: random.Random) -> str:
    groups = ["".join(rng.choice("0123456789") for _ in range(rng.randint(1, 6))) for _ in range(rng.randint(1, 5))]
    text = groups[0]
    for group in groups[1:]:
        text += rng.choice((" ", "-", ".", "/", "")) + group
    if rng.random() < 0.1:
        text = "(" + text[:3] + ")" + text[3:]
    return text


def test_whatever_is_taken_for_a_phone_is_a_possible_number_somewhere() -> None:
    # Random digit groups, in prose: anything the detector calls a phone number, phonenumbers calls a
    # possible number of at least one of the six countries (or, written with + or 00, of its country code).
    rng = random.Random(5)
    wrong = []
    flagged = 0
    for _ in range(20000):
        candidate = random_digit_groups(rng)
        for found in phones(f"Note {candidate} here."):
            flagged += 1
            international = "+" + found[2:] if found.startswith("00") else found
            regions = (None,) if international.startswith("+") else REGIONS
            if not any(possible(international, region) for region in regions):
                wrong.append(found)
    assert flagged > 300  # the corpus does reach the detector
    assert wrong == [], wrong


def possible(text: str, region: str | None) -> bool:
    try:
        return bool(phonenumbers.is_possible_number(phonenumbers.parse(text, region)))
    except phonenumbers.NumberParseException:
        return False
