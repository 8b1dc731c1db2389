"""What the Validate step stages, read straight from S3: verbatim, normalized, split, or with a companion file."""

from __future__ import annotations

from typing import Any

import pytest

from tests.unit.pipeline.conftest import EXAMPLES, Account
from tuneline.errors import DatasetRejected
from tuneline.handlers import plan, validate

NOVA = "amazon.nova-micro-v1:0:128k"
TRAIN = (EXAMPLES / "support-bot" / "train.jsonl").read_bytes()
# The same records as a Windows editor saves them: a byte order mark, CRLF endings and a blank line.
TRAIN_FROM_WINDOWS = b"\xef\xbb\xbf" + TRAIN.replace(b"\n", b"\r\n") + b"\r\n"


def _use_profile(account: Account, **settings: Any) -> None:
    account.use_profiles({"p": {"baseModel": NOVA, "budgetUsd": 50, **settings}})


def _run(account: Account, body: bytes, *, companion: bytes | None = None) -> tuple[dict[str, Any], dict[str, Any]]:
    key = "incoming/p/train.jsonl"
    if companion is not None:
        account.upload("incoming/p/train.validation.jsonl", companion)
    version = account.upload(key, body)
    state = plan.handler({"bucket": account.bucket, "key": key, "versionId": version, "profile": "p"})
    return state, validate.handler({"plan": state})


def _staged(account: Account, key: str) -> bytes:
    return bytes(account.s3.get_object(Bucket=account.bucket, Key=key)["Body"].read())


def test_without_auto_fix_the_staged_copy_is_the_uploaded_bytes(account: Account) -> None:
    _use_profile(account, autoFix=False)
    state, result = _run(account, TRAIN)
    assert result["split"] is None
    assert _staged(account, state["stagedTrainingKey"]) == TRAIN


def test_auto_fix_stages_the_normalized_copy_and_keeps_the_upload(account: Account) -> None:
    _use_profile(account, autoFix=True)
    state, result = _run(account, TRAIN_FROM_WINDOWS)
    assert result["valid"] is True
    assert _staged(account, state["stagedTrainingKey"]) == TRAIN
    assert _staged(account, "incoming/p/train.jsonl") == TRAIN_FROM_WINDOWS


def test_without_auto_fix_a_windows_file_is_rejected(account: Account) -> None:
    _use_profile(account, autoFix=False)
    with pytest.raises(DatasetRejected, match=r"encoding\.bom"):
        _run(account, TRAIN_FROM_WINDOWS)
    assert account.keys("staged/") == []


def test_a_split_of_a_normalized_file_partitions_its_records(account: Account) -> None:
    _use_profile(account, autoFix=True, validationSplit=0.25)
    state, result = _run(account, TRAIN_FROM_WINDOWS)
    train = _staged(account, state["stagedTrainingKey"]).splitlines()
    held_out = _staged(account, state["stagedValidationKey"]).splitlines()
    assert result["split"]["validation_records"] == len(held_out) == 15
    assert sorted(train + held_out) == sorted(TRAIN.splitlines())


def test_a_companion_validation_file_is_staged_beside_the_training_file(account: Account) -> None:
    _use_profile(account, autoFix=False)
    companion = b"".join(TRAIN.splitlines(keepends=True)[:10])
    state, result = _run(account, TRAIN, companion=companion)
    assert result["split"] is None
    assert _staged(account, state["stagedValidationKey"]) == companion
