"""Deterministic names: valid for their service, the same for one object version, new for the next one."""

from __future__ import annotations

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from tuneline.jobs.naming import (
    CLIENT_REQUEST_TOKEN_PATTERN,
    CUSTOM_MODEL_NAME_PATTERN,
    EXECUTION_NAME_PATTERN,
    JOB_NAME_PATTERN,
    execution_name,
    job_names,
    profile_of_job_name,
    slug,
)
from tuneline.layout import JOB_NAME_PREFIX
from tuneline.profiles import PROFILE_NAME_PATTERN

# Anything a user can type into a file name or a profile key, including unicode, punctuation and length.
any_text = st.text(min_size=0, max_size=300)
keys = st.one_of(
    any_text,
    st.builds(lambda p, d: f"incoming/{p}/{d}.jsonl", any_text, any_text),
)
versions = st.one_of(st.none(), st.text(min_size=1, max_size=64))
valid_profiles = st.from_regex(PROFILE_NAME_PATTERN, fullmatch=True)


def _names(profile: str, dataset: str, key: str, version: str | None, bucket: str = "data-bucket"):
    return job_names(profile=profile, dataset=dataset, bucket=bucket, key=key, version_id=version)


@settings(max_examples=300, deadline=None)
@given(profile=any_text, dataset=any_text, key=keys, version=versions)
def test_job_names_always_satisfy_the_bedrock_patterns(profile, dataset, key, version) -> None:
    names = _names(profile, dataset, key, version)

    assert JOB_NAME_PATTERN.fullmatch(names.job_name)
    assert 1 <= len(names.job_name) <= 63
    assert CUSTOM_MODEL_NAME_PATTERN.fullmatch(names.custom_model_name)
    assert len(names.custom_model_name) <= 63
    assert "__" not in names.custom_model_name and "--" not in names.custom_model_name
    assert CLIENT_REQUEST_TOKEN_PATTERN.fullmatch(names.client_request_token)
    assert len(names.client_request_token) <= 256
    assert names.job_name.startswith(JOB_NAME_PREFIX)
    assert names.custom_model_name.startswith(JOB_NAME_PREFIX)
    assert names.client_request_token.startswith(JOB_NAME_PREFIX)


@settings(max_examples=200, deadline=None)
@given(profile=any_text, dataset=any_text, key=keys, version=versions)
def test_job_names_are_deterministic(profile, dataset, key, version) -> None:
    assert _names(profile, dataset, key, version) == _names(profile, dataset, key, version)


@settings(max_examples=200, deadline=None)
@given(key=keys, first=versions, second=versions)
def test_every_object_version_gets_different_names(key, first, second) -> None:
    if (first or "null") == (second or "null"):
        return
    one, other = _names("support", "chat", key, first), _names("support", "chat", key, second)

    assert one.job_name != other.job_name
    assert one.custom_model_name != other.custom_model_name
    assert one.client_request_token != other.client_request_token


def test_same_key_in_another_bucket_gets_different_names() -> None:
    one = _names("p", "d", "incoming/p/d.jsonl", "v1", bucket="bucket-a")
    other = _names("p", "d", "incoming/p/d.jsonl", "v1", bucket="bucket-b")

    assert one.job_name != other.job_name


@settings(max_examples=300, deadline=None)
@given(profile=valid_profiles, dataset=any_text, key=keys, version=versions)
def test_profile_is_read_back_exactly_from_a_job_name(profile, dataset, key, version) -> None:
    assert profile_of_job_name(_names(profile, dataset, key, version).job_name) == profile


def test_profiles_that_prefix_each_other_are_told_apart() -> None:
    # "team" is a prefix of "team-a", and dataset names contain hyphens too: no substring guessing.
    team = _names("team", "a-chat", "incoming/team/a-chat.jsonl", "v1").job_name
    team_a = _names("team-a", "chat", "incoming/team-a/chat.jsonl", "v1").job_name

    assert profile_of_job_name(team) == "team"
    assert profile_of_job_name(team_a) == "team-a"


@pytest.mark.parametrize(
    "job_name",
    [
        "my-own-job",
        "tuneline-",
        "tuneline-support",  # no separator after the profile
        "tuneline-support.",  # nothing after it
        "tuneline-Support.chat.abc",  # not a valid profile name
        "Tuneline-support.chat.abc",
    ],
)
def test_job_names_not_made_by_tuneline_have_no_profile(job_name: str) -> None:
    assert profile_of_job_name(job_name) is None


def test_names_are_readable() -> None:
    names = _names("support", "March Tickets (v2)", "incoming/support/March Tickets (v2).jsonl", "3HL4kq")

    assert names.job_name.startswith("tuneline-support.march-tickets-v2.")
    assert names.custom_model_name.startswith("tuneline-support-march-tickets-v2-")


def test_long_dataset_names_are_shortened_to_fit_with_the_longest_profile() -> None:
    profile = "a" * 32
    names = _names(profile, "x" * 500, "incoming/p/x.jsonl", "v")

    assert len(names.job_name) <= 63
    assert profile_of_job_name(names.job_name) == profile


@settings(max_examples=300, deadline=None)
@given(bucket=any_text, key=keys, version=versions)
def test_execution_names_satisfy_step_functions_rules(bucket, key, version) -> None:
    name = execution_name(bucket, key, version)

    assert EXECUTION_NAME_PATTERN.fullmatch(name)
    assert name == execution_name(bucket, key, version)


@settings(max_examples=200, deadline=None)
@given(key=keys, first=versions, second=versions)
def test_execution_names_differ_per_object_version(key, first, second) -> None:
    if (first or "null") == (second or "null"):
        return
    assert execution_name("b", key, first) != execution_name("b", key, second)


def test_execution_name_starts_with_profile_and_dataset() -> None:
    name = execution_name("bucket", "incoming/support/q4/Chat Logs.jsonl", "v1")

    assert name.startswith("support-chat-logs-")
    assert len(name) <= 80


def test_an_unversioned_object_is_named_like_the_s3_null_version() -> None:
    assert execution_name("b", "incoming/p/d.jsonl", None) == execution_name("b", "incoming/p/d.jsonl", "null")


@pytest.mark.parametrize(
    ("text", "expected"),
    [
        ("March Tickets", "march-tickets"),
        ("Café--Crème!!", "cafe-creme"),
        ("___", ""),
        ("日本語", ""),
        ("A1_b2", "a1-b2"),
    ],
)
def test_slug(text: str, expected: str) -> None:
    assert slug(text, 40) == expected


def test_slug_never_ends_with_a_hyphen_when_cut() -> None:
    assert slug("abc def", 4) == "abc"
