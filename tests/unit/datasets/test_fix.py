"""`tuneline fix`: a normalized copy that the validator accepts."""

from __future__ import annotations

import io
import json

from tuneline.datasets.fix import FixSummary, normalize_stream
from tuneline.datasets.validator import validate_dataset

from .builders import DATA, converse, lines_of


def fix(data: bytes) -> tuple[bytes, FixSummary]:
    out = io.BytesIO()
    summary = normalize_stream(io.BytesIO(data), out)
    return out.getvalue(), summary


def test_bom_crlf_blank_lines_and_control_characters_are_repaired() -> None:
    record = json.dumps(converse("q", "a")).encode()
    data = b"\xef\xbb\xbf" + record + b"\r\n\r\n" + record.replace(b'"q"', b'"tab\there"') + b"\r\n   \n" + record
    fixed, summary = fix(data)
    assert fixed == record + b"\n" + record.replace(b'"q"', b'"tab\\there"') + b"\n" + record + b"\n"
    assert summary.to_dict() == {
        "lines_in": 5,
        "lines_out": 3,
        "bom_removed": 1,
        "crlf_fixed": 3,
        "blank_lines_removed": 2,
        "control_character_lines_fixed": 1,
        "unfixable_lines": 0,
        "changed": True,
    }


def test_clean_file_is_copied_unchanged() -> None:
    data = (DATA / "converse_train.jsonl").read_bytes()
    fixed, summary = fix(data)
    assert fixed == data
    assert not summary.changed


def test_control_characters_outside_strings_are_removed() -> None:
    fixed, summary = fix(b'{"a": 1\x00}\n')
    assert fixed == b'{"a": 1}\n'
    assert summary.control_character_lines_fixed == 1


def test_unfixable_lines_are_kept_and_counted() -> None:
    fixed, summary = fix(b'{"a": \n{"b": 1}\n\xff\xfe\n')
    assert fixed == b'{"a": \n{"b": 1}\n\xff\xfe\n'
    assert summary.unfixable_lines == 2


def test_fixed_broken_fixture_has_no_encoding_findings() -> None:
    fixed, _ = fix((DATA / "converse_broken.jsonl").read_bytes())
    report = validate_dataset(io.BytesIO(fixed), model_id="amazon.nova-micro-v1:0")
    rules = {f.rule for f in report.errors + report.warnings}
    assert not rules & {"encoding.bom", "encoding.crlf", "jsonl.blank-line", "jsonl.control-character"}
    assert "jsonl.invalid-json" in rules  # a truncated record cannot be repaired


def test_fix_output_of_generated_records_is_stable() -> None:
    data = lines_of([converse(f"q{i}", "a") for i in range(3)])
    once, _ = fix(data)
    twice, summary = fix(once)
    assert once == twice == data and not summary.changed
