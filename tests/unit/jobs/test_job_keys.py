"""Which S3 keys are datasets, companions or noise, as they arrive in S3 events."""

from __future__ import annotations

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from tuneline.jobs.keys import (
    IncomingObject,
    classify_key,
    companion_keys,
    decode_event_key,
    is_job_trigger,
    match_companions,
)


@pytest.mark.parametrize(
    ("event_key", "expected"),
    [
        ("incoming/support/train.jsonl", ("support", "", "train", "training")),
        ("incoming/support/train.validation.jsonl", ("support", "", "train", "validation")),
        ("incoming/support/train.job.json", ("support", "", "train", "manifest")),
        ("incoming/support/2026/q4/chat.jsonl", ("support", "2026/q4", "chat", "training")),
        ("incoming/support/2026/q4/chat.validation.jsonl", ("support", "2026/q4", "chat", "validation")),
        ("incoming/support/TRAIN.JSONL", ("support", "", "TRAIN", "training")),
        ("incoming/support/Train.Validation.JSONL", ("support", "", "Train", "validation")),
        ("incoming/support/Train.JOB.JSON", ("support", "", "Train", "manifest")),
        # S3 events URL-encode keys: "+" is a space, %XX any other byte.
        ("incoming/support/march+tickets.jsonl", ("support", "", "march tickets", "training")),
        ("incoming/support/caf%C3%A9%2Bbar.jsonl", ("support", "", "café+bar", "training")),
        ("incoming/support/a%2Fb.jsonl", ("support", "a", "b", "training")),
        # Names that merely contain the suffix words are still plain training files.
        ("incoming/support/my.job.jsonl", ("support", "", "my.job", "training")),
        ("incoming/support/validation.jsonl", ("support", "", "validation", "training")),
        # A profile folder that is not configured is still classified: intake reports it as unknown.
        ("incoming/Unknown-Profile/train.jsonl", ("Unknown-Profile", "", "train", "training")),
    ],
)
def test_classify_key_reads_profile_folder_dataset_and_kind(event_key: str, expected: tuple[str, ...]) -> None:
    incoming = classify_key(event_key)

    assert incoming is not None
    assert (incoming.profile, incoming.folder, incoming.dataset, incoming.kind) == expected


@pytest.mark.parametrize(
    "event_key",
    [
        "train.jsonl",  # not under incoming/
        "incoming/train.jsonl",  # no profile folder
        "incoming//train.jsonl",  # empty profile
        "incoming/+/train.jsonl",  # blank profile once decoded
        "staged/job/train.jsonl",  # pipeline output never triggers
        "imports/model/config.json",
        "reports/job/report.json",
        "incoming/support/train.jsonl/",  # console "folder" marker
        "incoming/support/",
        "incoming/support/.jsonl",  # empty dataset name
        "incoming/support/.validation.jsonl",
        "incoming/support/+.jsonl",  # a blank name once decoded
        "incoming/support/.job.json",
        "incoming/support/._train.jsonl",  # macOS resource fork copied with a folder
        "incoming/support/.DS_Store",
        "incoming/support/../other/train.jsonl",
        "incoming/support/a/../train.jsonl",
        "incoming/support/./train.jsonl",
        "incoming/support/%2E%2E/train.jsonl",  # ".." hidden in URL encoding
        "incoming/support/train.jsonl.gz",
        "incoming/support/train.json",
        "incoming/support/train.csv",
        "Incoming/support/train.jsonl",  # S3 keys are case-sensitive: not our prefix
    ],
)
def test_classify_key_ignores_keys_that_are_not_datasets(event_key: str) -> None:
    assert classify_key(event_key) is None


def test_classify_key_keeps_the_real_key_not_the_event_encoding() -> None:
    incoming = classify_key("incoming/support/march+tickets%281%29.jsonl")

    assert incoming is not None
    assert incoming.key == "incoming/support/march tickets(1).jsonl"


def test_classify_key_takes_real_keys_verbatim_when_told_so() -> None:
    # A real key may contain "+" and "%": decoding it again would change the name.
    incoming = classify_key("incoming/support/a+b%20c.jsonl", url_encoded=False)

    assert incoming is not None
    assert incoming.dataset == "a+b%20c"
    assert incoming.key == "incoming/support/a+b%20c.jsonl"


def test_decode_event_key_turns_plus_into_space_and_percent_escapes_into_bytes() -> None:
    assert decode_event_key("a+b%2Bc%C3%A9") == "a b+cé"


@pytest.mark.parametrize(
    ("event_key", "triggers"),
    [
        ("incoming/support/train.jsonl", True),
        ("incoming/support/deep/er/train.JSONL", True),
        ("incoming/support/train.validation.jsonl", False),
        ("incoming/support/train.job.json", False),
        ("incoming/support/train.jsonl/", False),
        ("output/tuneline-support.train.abc/metrics.csv", False),
        ("incoming/support/readme.md", False),
    ],
)
def test_only_training_files_trigger_a_job(event_key: str, triggers: bool) -> None:
    assert is_job_trigger(event_key) is triggers


@pytest.mark.parametrize(
    ("training_key", "validation_key", "manifest_key"),
    [
        (
            "incoming/support/train.jsonl",
            "incoming/support/train.validation.jsonl",
            "incoming/support/train.job.json",
        ),
        (
            "incoming/support/a/b/march tickets.jsonl",
            "incoming/support/a/b/march tickets.validation.jsonl",
            "incoming/support/a/b/march tickets.job.json",
        ),
        (
            "incoming/support/DATA.JSONL",
            "incoming/support/DATA.validation.jsonl",
            "incoming/support/DATA.job.json",
        ),
    ],
)
def test_companion_keys_follow_the_naming_convention(training_key: str, validation_key: str, manifest_key: str) -> None:
    assert companion_keys(training_key) == (validation_key, manifest_key)


@pytest.mark.parametrize(
    "not_training", ["incoming/support/train.validation.jsonl", "incoming/support/train.job.json", "x.jsonl"]
)
def test_companion_keys_refuses_keys_that_are_not_training_files(not_training: str) -> None:
    with pytest.raises(ValueError, match="not a training file"):
        companion_keys(not_training)


def test_companion_properties_point_back_to_the_training_file() -> None:
    incoming = classify_key("incoming/support/x/chat.validation.jsonl")

    assert isinstance(incoming, IncomingObject)
    assert incoming.training_key == "incoming/support/x/chat.jsonl"
    assert incoming.manifest_key == "incoming/support/x/chat.job.json"


def test_training_key_of_an_uppercase_training_file_is_itself() -> None:
    incoming = classify_key("incoming/support/CHAT.JSONL")

    assert incoming is not None
    assert incoming.training_key == "incoming/support/CHAT.JSONL"


def test_match_companions_prefers_exact_names_and_accepts_other_letter_case() -> None:
    listed = [
        "incoming/support/Data.JSONL",
        "incoming/support/Data.Validation.JSONL",
        "incoming/support/data.job.json",  # differs in case from "Data": accepted
        "incoming/support/Other.validation.jsonl",
    ]

    validation, manifest = match_companions("incoming/support/Data.JSONL", listed)

    assert validation == "incoming/support/Data.Validation.JSONL"
    assert manifest == "incoming/support/data.job.json"


def test_match_companions_returns_none_when_there_are_none() -> None:
    assert match_companions("incoming/p/d.jsonl", ["incoming/p/d.jsonl", "incoming/p/e.job.json"]) == (None, None)


def test_match_companions_exact_name_wins_over_a_case_variant() -> None:
    listed = ["incoming/p/d.VALIDATION.jsonl", "incoming/p/d.validation.jsonl"]

    assert match_companions("incoming/p/d.jsonl", listed)[0] == "incoming/p/d.validation.jsonl"


@settings(max_examples=300, deadline=None)
@given(st.one_of(st.text(max_size=200), st.builds(lambda rest: f"incoming/{rest}", st.text(max_size=200))))
def test_any_key_is_classified_without_error_and_results_are_consistent(key: str) -> None:
    incoming = classify_key(key)

    if incoming is not None:
        assert incoming.key.startswith("incoming/")
        assert incoming.dataset.strip() and not incoming.dataset.startswith(".")
        assert ".." not in incoming.key.split("/")
        assert classify_key(incoming.key, url_encoded=False) == incoming
        assert is_job_trigger(key) is (incoming.kind == "training")


def test_the_training_half_of_a_split_pairs_with_its_validation_half() -> None:
    listed = ["incoming/p/faq.train.jsonl", "incoming/p/faq.validation.jsonl", "incoming/p/faq.job.json"]
    assert match_companions("incoming/p/faq.train.jsonl", listed) == (
        "incoming/p/faq.validation.jsonl",
        "incoming/p/faq.job.json",
    )
    # A companion named after the whole training file name still wins.
    listed.append("incoming/p/faq.train.validation.jsonl")
    assert match_companions("incoming/p/faq.train.jsonl", listed)[0] == "incoming/p/faq.train.validation.jsonl"
    # `.train` alone is no dataset name, and other files named like it are not companions.
    assert match_companions("incoming/p/train.jsonl", ["incoming/p/.validation.jsonl"]) == (None, None)
    assert match_companions("incoming/p/mytrain.jsonl", ["incoming/p/my.validation.jsonl"]) == (None, None)
