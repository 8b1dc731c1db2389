"""S3 objects as streams, so the Validate step needs no local disk whatever the dataset's size.

Bedrock accepts training files far beyond a Lambda's ephemeral storage (10 GB for Claude 3 Haiku, and no file
cap at all for models bounded by records), so the step reads the uploaded version straight from S3, copies it
server-side when it is staged unchanged, and streams a normalized or split copy back through multipart uploads.
"""

from __future__ import annotations

from collections.abc import Callable, Mapping
from types import TracebackType
from typing import Any

from tuneline.datasets.fix import NormalizedReader
from tuneline.datasets.lines import Readable

# S3 parts must be at least 5 MiB (all but the last) and at most 10,000: 16 MiB parts reach 160 GB, more than
# any Bedrock dataset, while two writers (training and validation) hold well under the function's memory.
PART_BYTES = 16 * 1024 * 1024


class ObjectVersion:
    """One version of an uploaded object: read it (optionally normalized) or copy it as it is."""

    def __init__(self, s3: Any, ref: Mapping[str, Any]) -> None:
        self.s3 = s3
        self.bucket: str = ref["bucket"]
        self.key: str = ref["key"]
        self.version_id: str | None = ref.get("versionId")

    def open(self, *, normalize: bool = False) -> Readable:
        extra = {"VersionId": self.version_id} if self.version_id else {}
        body = self.s3.get_object(Bucket=self.bucket, Key=self.key, **extra)["Body"]
        return NormalizedReader(body) if normalize else body

    def copy_to(self, bucket: str, key: str) -> None:
        """Server-side copy (multipart for big objects); the bytes never pass through the function."""
        source = {"Bucket": self.bucket, "Key": self.key}
        if self.version_id:
            source["VersionId"] = self.version_id
        self.s3.copy(source, bucket, key)


class Rereadable:
    """A stream whose `seek(0)` opens it again: a two-pass reader (the split) over an S3 body."""

    def __init__(self, opener: Callable[[], Readable]) -> None:
        self._opener = opener
        self._stream = opener()

    def read(self, size: int = -1, /) -> bytes:
        return self._stream.read(size) if size is not None and size >= 0 else self._stream.read()

    def seekable(self) -> bool:
        return True

    def tell(self) -> int:
        return 0

    def seek(self, offset: int, whence: int = 0, /) -> int:
        if offset != 0 or whence != 0:
            raise ValueError("an S3 stream can only go back to its start")
        self._stream = self._opener()
        return 0


class MultipartWriter:
    """A write-only stream into one S3 object, sent in parts as it fills; a small object is one PUT.

    Use it as a context manager: leaving normally completes the object, an exception aborts the upload so no
    part is left behind (the bucket's lifecycle rule would clear it after 7 days anyway).
    """

    def __init__(self, s3: Any, bucket: str, key: str, *, part_bytes: int = PART_BYTES) -> None:
        self.s3 = s3
        self.bucket = bucket
        self.key = key
        self.part_bytes = part_bytes
        self.bytes_written = 0
        self._buffer = bytearray()
        self._upload_id: str | None = None
        self._parts: list[dict[str, Any]] = []

    def write(self, data: bytes) -> int:
        self._buffer += data
        self.bytes_written += len(data)
        while len(self._buffer) >= self.part_bytes:
            self._send_part(bytes(self._buffer[: self.part_bytes]))
            del self._buffer[: self.part_bytes]
        return len(data)

    def __enter__(self) -> MultipartWriter:
        return self

    def __exit__(
        self, kind: type[BaseException] | None, error: BaseException | None, trace: TracebackType | None
    ) -> None:
        if kind is None:
            self._complete()
        elif self._upload_id is not None:
            self.s3.abort_multipart_upload(Bucket=self.bucket, Key=self.key, UploadId=self._upload_id)

    def _send_part(self, data: bytes) -> None:
        if self._upload_id is None:
            self._upload_id = self.s3.create_multipart_upload(Bucket=self.bucket, Key=self.key)["UploadId"]
        number = len(self._parts) + 1
        response = self.s3.upload_part(
            Bucket=self.bucket, Key=self.key, UploadId=self._upload_id, PartNumber=number, Body=data
        )
        self._parts.append({"PartNumber": number, "ETag": response["ETag"]})

    def _complete(self) -> None:
        if self._upload_id is None:
            self.s3.put_object(Bucket=self.bucket, Key=self.key, Body=bytes(self._buffer))
            return
        if self._buffer:
            self._send_part(bytes(self._buffer))
            self._buffer.clear()
        self.s3.complete_multipart_upload(
            Bucket=self.bucket, Key=self.key, UploadId=self._upload_id, MultipartUpload={"Parts": self._parts}
        )
