"""The Validate step's S3 streams against moto: multipart writes, aborts, versioned copies, re-reads."""

from __future__ import annotations

import pytest

from tests.unit.pipeline.conftest import Account
from tuneline.pipeline.s3_streams import MultipartWriter, ObjectVersion, Rereadable

MIB = 1024 * 1024
# S3's smallest allowed part (all but the last), so the tests exercise real multi-part objects cheaply.
SMALLEST_PART = 5 * MIB


def _body(account: Account, key: str) -> bytes:
    return bytes(account.s3.get_object(Bucket=account.bucket, Key=key)["Body"].read())


def test_a_small_object_is_one_put(account: Account) -> None:
    with MultipartWriter(account.s3, account.bucket, "staged/a.jsonl") as out:
        out.write(b'{"a": 1}\n')
        out.write(b'{"a": 2}\n')
    assert _body(account, "staged/a.jsonl") == b'{"a": 1}\n{"a": 2}\n'
    assert "-" not in account.s3.head_object(Bucket=account.bucket, Key="staged/a.jsonl")["ETag"]


def test_a_big_object_is_assembled_from_parts_in_order(account: Account) -> None:
    chunks = [bytes([65 + n]) * (MIB + 17) for n in range(12)]  # 12 MiB and a bit, in odd-sized writes
    with MultipartWriter(account.s3, account.bucket, "staged/big.jsonl", part_bytes=SMALLEST_PART) as out:
        for chunk in chunks:
            out.write(chunk)
    assert _body(account, "staged/big.jsonl") == b"".join(chunks)
    etag = account.s3.head_object(Bucket=account.bucket, Key="staged/big.jsonl")["ETag"]
    assert etag.strip('"').endswith("-3")
    assert out.bytes_written == sum(map(len, chunks))


def test_an_error_while_writing_aborts_the_upload_and_leaves_no_object(account: Account) -> None:
    with (
        pytest.raises(RuntimeError),
        MultipartWriter(account.s3, account.bucket, "staged/x.jsonl", part_bytes=SMALLEST_PART) as out,
    ):
        out.write(b"x" * (SMALLEST_PART + 1))
        raise RuntimeError("split failed")
    assert account.keys("staged/") == []
    assert account.s3.list_multipart_uploads(Bucket=account.bucket).get("Uploads", []) == []


@pytest.mark.parametrize("size", [100, 9 * MIB], ids=["small", "multipart-copy"])
def test_copy_takes_the_version_it_was_given_not_the_latest(account: Account, size: int) -> None:
    first = account.upload("incoming/p/train.jsonl", b"1" * size)
    account.upload("incoming/p/train.jsonl", b"2" * size)
    ObjectVersion(account.s3, {"bucket": account.bucket, "key": "incoming/p/train.jsonl", "versionId": first}).copy_to(
        account.bucket, "staged/train.jsonl"
    )
    assert _body(account, "staged/train.jsonl") == b"1" * size


def test_open_normalizes_when_asked_and_leaves_the_original_alone(account: Account) -> None:
    raw = b'\xef\xbb\xbf{"a": 1}\r\n\r\n{"a": 2}'
    version = account.upload("incoming/p/train.jsonl", raw)
    source = ObjectVersion(
        account.s3, {"bucket": account.bucket, "key": "incoming/p/train.jsonl", "versionId": version}
    )
    assert source.open(normalize=True).read() == b'{"a": 1}\n{"a": 2}\n'
    assert source.open().read() == raw


def test_rereadable_starts_over_on_seek_zero(account: Account) -> None:
    account.upload("incoming/p/train.jsonl", b"abcdef")
    source = ObjectVersion(account.s3, {"bucket": account.bucket, "key": "incoming/p/train.jsonl"})
    stream = Rereadable(source.open)
    assert stream.read(4) == b"abcd"
    stream.seek(0)
    assert stream.read() == b"abcdef"
    with pytest.raises(ValueError):
        stream.seek(3)
