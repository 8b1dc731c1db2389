"""The Guard step's re-check: a staged file overwritten after validation stops the job, naming the file."""

from __future__ import annotations

import pytest

from tests.unit.pipeline.conftest import Account
from tuneline.errors import StagedDataChanged
from tuneline.pipeline.staged_integrity import check_staged_unchanged, record_staged

KEYS = ["staged/tuneline-job/train.jsonl", "staged/tuneline-job/validation.jsonl"]


def _stage(account: Account) -> list[dict[str, str | None]]:
    for key in KEYS:
        account.s3.put_object(Bucket=account.bucket, Key=key, Body=b'{"prompt": "a", "completion": "b"}\n')
    return record_staged(account.s3, account.bucket, KEYS)


def test_unchanged_staged_files_pass(account: Account) -> None:
    recorded = _stage(account)
    assert [r["key"] for r in recorded] == KEYS
    assert all(r["versionId"] and r["etag"] for r in recorded)
    check_staged_unchanged(account.s3, account.bucket, recorded)


def test_an_overwritten_file_is_named_with_what_changed(account: Account) -> None:
    recorded = _stage(account)
    account.s3.put_object(Bucket=account.bucket, Key=KEYS[1], Body=b'{"prompt": "x", "completion": "y"}\n')
    with pytest.raises(StagedDataChanged) as raised:
        check_staged_unchanged(account.s3, account.bucket, recorded)
    assert f"s3://{account.bucket}/{KEYS[1]}" in str(raised.value)
    assert "versionId and etag" in str(raised.value)


def test_the_same_bytes_written_again_are_still_a_change(account: Account) -> None:
    # A new version with identical content is still a write nobody but the Validate step may make.
    recorded = _stage(account)
    account.s3.put_object(Bucket=account.bucket, Key=KEYS[0], Body=b'{"prompt": "a", "completion": "b"}\n')
    with pytest.raises(StagedDataChanged, match="versionId"):
        check_staged_unchanged(account.s3, account.bucket, recorded)
