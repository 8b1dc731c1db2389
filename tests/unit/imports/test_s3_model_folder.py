"""The same check on an S3 prefix (moto): paginated listing, ranged reads only, same report as local."""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path
from typing import Any

import boto3
import pytest
from moto import mock_aws

from tests.unit.imports.model_folder_builder import write_model_folder
from tuneline.imports import LocalFolder, S3Folder, check_model_folder
from tuneline.imports.sources import FileTooLargeError, SourceReadError

BUCKET = "tuneline-data"
PREFIX = "imports/llama-support/"


class RecordingS3:
    """Wraps a boto3 S3 client: records every GetObject, and lists two keys per page to force paging."""

    def __init__(self, client: Any) -> None:
        self.client = client
        self.gets: list[tuple[str, str | None]] = []
        self.list_calls = 0

    def get_object(self, **kwargs: Any) -> Any:
        self.gets.append((kwargs["Key"], kwargs.get("Range")))
        return self.client.get_object(**kwargs)

    def list_objects_v2(self, **kwargs: Any) -> Any:
        self.list_calls += 1
        return self.client.list_objects_v2(MaxKeys=2, **kwargs)


@pytest.fixture
def s3() -> Iterator[Any]:
    with mock_aws():
        client = boto3.client("s3", region_name="us-east-1")
        client.create_bucket(Bucket=BUCKET)
        yield client


def upload(client: Any, folder: Path, prefix: str = PREFIX) -> None:
    for path in sorted(folder.rglob("*")):
        if path.is_file():
            client.put_object(Bucket=BUCKET, Key=prefix + path.relative_to(folder).as_posix(), Body=path.read_bytes())


def test_an_s3_folder_gets_the_same_report_as_the_local_one(s3: Any, tmp_path: Path) -> None:
    write_model_folder(tmp_path, shards=3)
    upload(s3, tmp_path)
    s3.put_object(Bucket=BUCKET, Key=PREFIX + "_READY", Body=b"")
    (tmp_path / "_READY").write_bytes(b"")
    recording = RecordingS3(s3)

    remote = check_model_folder(S3Folder(recording, BUCKET, PREFIX))
    local = check_model_folder(LocalFolder(tmp_path))

    assert remote.valid, remote.to_dict()
    assert remote.to_dict() == local.to_dict()
    assert recording.list_calls == 4  # 8 keys, two per page


def test_safetensors_files_are_only_read_by_range_within_their_header(s3: Any, tmp_path: Path) -> None:
    write_model_folder(tmp_path, shards=2)
    upload(s3, tmp_path)
    recording = RecordingS3(s3)

    check_model_folder(S3Folder(recording, BUCKET, PREFIX))

    weight_reads = [(key, byte_range) for key, byte_range in recording.gets if key.endswith(".safetensors")]
    assert len(weight_reads) == 4
    for key, byte_range in weight_reads:
        assert byte_range is not None
        first, last = (int(part) for part in byte_range.removeprefix("bytes=").split("-"))
        size = (tmp_path / key.removeprefix(PREFIX)).stat().st_size
        header_end = 8 + int.from_bytes((tmp_path / key.removeprefix(PREFIX)).read_bytes()[:8], "little")
        assert 0 <= first <= last < header_end < size


def test_a_corrupt_header_in_s3_is_reported(s3: Any, tmp_path: Path) -> None:
    write_model_folder(tmp_path)
    (tmp_path / "model.safetensors").write_bytes((2**20).to_bytes(8, "little") + b"{}")
    upload(s3, tmp_path)

    report = check_model_folder(S3Folder(s3, BUCKET, PREFIX))

    assert [f.rule for f in report.errors] == ["safetensors-header-corrupt"]
    assert report.errors[0].file == "model.safetensors"


def test_console_folder_objects_and_other_prefixes_are_not_files(s3: Any, tmp_path: Path) -> None:
    write_model_folder(tmp_path)
    upload(s3, tmp_path)
    s3.put_object(Bucket=BUCKET, Key=PREFIX, Body=b"")
    s3.put_object(Bucket=BUCKET, Key="imports/llama-support-v2/config.json", Body=b"{}")

    files = S3Folder(s3, BUCKET, "/" + PREFIX.rstrip("/")).list_files()

    assert sorted(files) == ["config.json", "model.safetensors", "tokenizer.json", "tokenizer_config.json"]
    assert files["model.safetensors"] == (tmp_path / "model.safetensors").stat().st_size


def test_reads_of_empty_objects_and_past_the_end_return_nothing(s3: Any) -> None:
    s3.put_object(Bucket=BUCKET, Key=PREFIX + "empty.json", Body=b"")
    s3.put_object(Bucket=BUCKET, Key=PREFIX + "small.json", Body=b"{}")
    folder = S3Folder(s3, BUCKET, PREFIX)

    assert folder.read_all("empty.json", 100) == b""
    assert folder.read_bytes("small.json", 10, 20) == b""
    assert folder.read_bytes("small.json", 0, 100) == b"{}"


def test_read_all_refuses_files_over_the_limit(s3: Any) -> None:
    s3.put_object(Bucket=BUCKET, Key=PREFIX + "config.json", Body=b"x" * 11)
    folder = S3Folder(s3, BUCKET, PREFIX)

    assert folder.read_all("config.json", 11) == b"x" * 11
    with pytest.raises(FileTooLargeError):
        folder.read_all("config.json", 10)


def test_a_missing_object_is_a_read_error(s3: Any) -> None:
    with pytest.raises(SourceReadError) as raised:
        S3Folder(s3, BUCKET, PREFIX).read_bytes("config.json", 0, 8)

    assert raised.value.name == "config.json"
    assert "NoSuchKey" in raised.value.reason


def test_a_missing_bucket_makes_the_folder_unreadable(s3: Any) -> None:
    report = check_model_folder(S3Folder(s3, "no-such-bucket", PREFIX))

    assert [f.rule for f in report.errors] == ["folder-unreadable"]
    assert "NoSuchBucket" in report.errors[0].message
