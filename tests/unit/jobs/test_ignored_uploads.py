"""Uploads under incoming/ that are not datasets: which get an explanation, and what it says."""

from __future__ import annotations

import pytest

from tuneline.jobs.ignored_uploads import MISTAKEN_EXTENSIONS, explain_ignored_upload


@pytest.mark.parametrize(
    "key",
    [
        "incoming/support-bot/train.jsonl",
        "incoming/support-bot/Train.JSONL",
        "incoming/support-bot/train.validation.jsonl",
        "incoming/support-bot/train.job.json",
        "incoming/support-bot/.DS_Store",
        "incoming/support-bot/._train.csv",
        "incoming/support-bot/folder.csv/",
        "incoming/train.csv",  # no profile folder: not an upload for any profile
        "incoming/support-bot/README.md",
        "staged/tuneline-x/train.csv",
    ],
)
def test_datasets_companions_and_other_files_need_no_explanation(key: str) -> None:
    assert explain_ignored_upload(key) is None


@pytest.mark.parametrize("extension", MISTAKEN_EXTENSIONS)
def test_every_mistaken_extension_is_explained_with_the_file_and_the_name_to_use(extension: str) -> None:
    ignored = explain_ignored_upload(f"incoming/support-bot/team/train{extension}")
    assert ignored is not None
    assert ignored.profile == "support-bot"
    assert ignored.file_name == f"train{extension}"
    assert ignored.file_name in ignored.reason
    assert "incoming/support-bot/team/train.jsonl" in ignored.fix


def test_the_extension_is_recognised_in_any_case() -> None:
    ignored = explain_ignored_upload("incoming/support-bot/Questions.CSV")
    assert ignored is not None and "tuneline convert Questions.CSV --from csv" in (ignored.command or "")
    assert ignored.fix.endswith("incoming/support-bot/Questions.jsonl.")


def test_a_compressed_dataset_is_told_to_upload_the_plain_file_under_its_own_name() -> None:
    ignored = explain_ignored_upload("incoming/support-bot/train.jsonl.gz")
    assert ignored is not None
    assert "compressed" in ignored.reason
    assert "incoming/support-bot/train.jsonl" in ignored.fix and "train.jsonl.jsonl" not in ignored.fix


def test_a_json_file_is_told_to_rename_or_convert_it() -> None:
    ignored = explain_ignored_upload("incoming/support-bot/train.json")
    assert ignored is not None
    assert "rename it to incoming/support-bot/train.jsonl" in ignored.fix
    # Splitting an array of Alpaca or chat records with jq only leads to a rejection: convert finds the shape.
    assert ignored.command == "tuneline convert train.json --from auto --model <base-model-id> -o train.jsonl"


def test_a_csv_gets_the_convert_command() -> None:
    ignored = explain_ignored_upload("incoming/support-bot/faq.csv")
    assert ignored is not None
    assert ignored.command is not None and ignored.command.startswith("tuneline convert faq.csv --from csv")
    assert ignored.command.endswith("-o faq.jsonl")


def test_plain_text_and_tsv_advice_gives_a_command_that_converts_them() -> None:
    text = explain_ignored_upload("incoming/p/manual.txt")
    assert text is not None and text.command == (
        "tuneline convert manual.txt --from text --model <base-model-id> --type CONTINUED_PRE_TRAINING -o manual.jsonl"
    )
    table = explain_ignored_upload("incoming/p/faq.tsv")
    assert table is not None and (table.command or "").startswith("tuneline convert faq.tsv --from csv")
    assert "tab" in table.fix
    array = explain_ignored_upload("incoming/p/chat.json")
    assert array is not None and array.command == (
        "tuneline convert chat.json --from auto --model <base-model-id> -o chat.jsonl"
    )


@pytest.mark.parametrize(
    "key",
    ["incoming/support-bot/../other/train.jsonl", "incoming/support-bot/./train.jsonl", "incoming/p/a/../x.csv"],
)
def test_a_key_with_a_dot_folder_is_explained_with_the_clean_key(key: str) -> None:
    ignored = explain_ignored_upload(key, "data-bucket")
    assert ignored is not None
    assert "'..'" in ignored.reason and key in ignored.reason
    clean = "/".join(part for part in key.split("/") if part not in (".", ".."))
    assert clean in ignored.fix and ignored.command is not None
    assert ignored.command.endswith(f"s3://data-bucket/{clean}")
