"""Tag keys and values people write in manifests and markers, checked like AWS checks them."""

from __future__ import annotations

import pytest

from tuneline.imports.marker import parse_manifest as parse_marker
from tuneline.jobs.manifest import ManifestInvalid, parse_manifest
from tuneline.jobs.tags import tag_key_problem, tag_value_problem


@pytest.mark.parametrize(
    "key", ["team", "cost center", "Kostenstelle", "部署", "équipe-2", "a:b/c=d+e@f_g.h", "k" * 128]
)
def test_keys_in_the_aws_tag_charset_are_accepted(key: str) -> None:
    assert tag_key_problem(key) is None


@pytest.mark.parametrize(
    ("key", "says"),
    [
        (" aws:owner", "reserved"),
        ("\u00a0tuneline:profile", "reserved"),  # a no-break space is a space too
        ("AWS:Owner ", "reserved"),
        ("\taws:owner", "may contain only"),
        ("team\n", "may contain only"),
        ("team\x00", "may contain only"),
        ("team#1", "may contain only"),
        (" team", "start or end with spaces"),
        ("   ", "1-128 characters"),
        ("k" * 129, "1-128 characters"),
    ],
)
def test_keys_are_checked_after_trimming_and_against_the_charset(key: str, says: str) -> None:
    problem = tag_key_problem(key)
    assert problem is not None and says in problem


def test_values_take_letters_of_any_script_but_no_control_characters() -> None:
    assert tag_value_problem("Équipe données 東京 1+1=2") is None
    assert tag_value_problem("") is None
    assert tag_value_problem("line one\nline two") is not None
    assert tag_value_problem("tab\there") is not None


def test_a_manifest_and_a_marker_refuse_a_spaced_reserved_key() -> None:
    with pytest.raises(ManifestInvalid, match="reserved"):
        parse_manifest(b'{"tags": {" aws:owner": "me"}}', file="incoming/p/train.job.json")
    with pytest.raises(ManifestInvalid, match="reserved"):
        parse_marker(b'{"tags": {" tuneline:job": "x"}}', key="imports/m/_READY")
