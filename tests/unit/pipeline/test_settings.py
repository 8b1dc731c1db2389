"""Where a function finds its profiles: the document in its own code, named by PROFILES_FILE
(docs/decisions/0010-profiles-at-run-time.md)."""

from __future__ import annotations

from pathlib import Path

import pytest

from tuneline.pipeline.settings import MissingSetting, Settings
from tuneline.profiles import PROFILES_FILE, profiles_document

PROFILES = {
    "support-bot": {"baseModel": "amazon.nova-micro-v1:0:128k", "budgetUsd": 50},
    "served": {"baseModel": "amazon.nova-lite-v1:0:300k", "serving": {"mode": "on-demand", "ttlHours": 4}},
}


def _task_root(folder: Path, text: str) -> Path:
    folder.mkdir()
    (folder / PROFILES_FILE).write_text(text, encoding="utf-8")
    return folder


def test_a_function_reads_the_profiles_document_in_its_code_with_the_synth_parser(tmp_path: Path) -> None:
    root = _task_root(tmp_path / "task", profiles_document(PROFILES))
    profiles = Settings({"LAMBDA_TASK_ROOT": str(root), "PROFILES_FILE": PROFILES_FILE}).profiles
    assert sorted(profiles) == ["served", "support-bot"]
    # Defaults are filled in by the same code as at synth, not carried in the document.
    assert profiles["support-bot"].concurrency == 1 and profiles["support-bot"].budget_usd == 50
    assert profiles["served"].serving.mode == "on-demand" and profiles["served"].serving.ttl_hours == 4


def test_each_code_folder_keeps_its_own_profiles(tmp_path: Path) -> None:
    # Two deployments side by side (the emulator runs several in one process): each reads its own document.
    first = _task_root(tmp_path / "first", profiles_document({"a": PROFILES["support-bot"]}))
    second = _task_root(tmp_path / "second", profiles_document({"b": PROFILES["served"]}))
    read = [
        sorted(Settings({"LAMBDA_TASK_ROOT": str(root), "PROFILES_FILE": PROFILES_FILE}).profiles)
        for root in (first, second, first)
    ]
    assert read == [["a"], ["b"], ["a"]]


def test_a_function_not_deployed_to_read_profiles_says_so_instead_of_guessing(tmp_path: Path) -> None:
    root = _task_root(tmp_path / "task", profiles_document(PROFILES))
    with pytest.raises(MissingSetting, match="PROFILES_FILE is not set; redeploy"):
        _ = Settings({"LAMBDA_TASK_ROOT": str(root)}).profiles


def test_a_code_folder_without_the_document_fails_naming_the_file(tmp_path: Path) -> None:
    with pytest.raises(MissingSetting, match=rf"{PROFILES_FILE} is missing; redeploy"):
        _ = Settings({"LAMBDA_TASK_ROOT": str(tmp_path), "PROFILES_FILE": PROFILES_FILE}).profiles
