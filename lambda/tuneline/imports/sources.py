"""Where a model folder lives: a local directory or an S3 prefix, behind one small interface.

The checker only ever lists the folder, reads byte ranges of weight files and reads small JSON files
whole, so the same engine runs on a laptop (CLI) and in Lambda against S3 without downloading
multi-gigabyte weights.
"""

from __future__ import annotations

import os
from pathlib import Path
from typing import Any, Protocol

from botocore.exceptions import BotoCoreError, ClientError


class SourceReadError(Exception):
    """A file could not be listed or read (missing, permission denied, network, ...)."""

    def __init__(self, name: str, reason: str) -> None:
        super().__init__(f"{name}: {reason}")
        self.name = name
        self.reason = reason


class FileTooLargeError(SourceReadError):
    """A file meant to be small (config, tokenizer config, shard index) is larger than allowed."""

    def __init__(self, name: str, max_bytes: int) -> None:
        super().__init__(name, f"larger than {max_bytes} bytes")
        self.max_bytes = max_bytes


UNREADABLE_RULE = "file-unreadable"


# What `git clone` of a model repository leaves in place of every large file when git-lfs is not
# installed: a ~130-byte text stub. Uploaded as is, it looks like a corrupt file of the right name.
LFS_POINTER_PREFIX = b"version https://git-lfs.github.com/spec/"
LFS_POINTER_RULE = "file-is-lfs-pointer"
LFS_POINTER_MESSAGE = (
    "the file is a Git LFS pointer, not its content (the repository was cloned without git-lfs): run "
    "`git lfs install && git lfs pull` in the clone, or download with `huggingface-cli download`, and "
    "upload the real file"
)


def is_lfs_pointer(head: bytes) -> bool:
    """True when the first bytes of a file are those of a Git LFS pointer."""
    return head.startswith(LFS_POINTER_PREFIX)


def same_name_other_case(files: dict[str, int], name: str) -> str | None:
    """A file whose name differs from `name` only in letter case (S3 keys and loaders are case-sensitive)."""
    wanted = name.lower()
    return next((other for other in sorted(files) if other.lower() == wanted and other != name), None)


def rename_hint(files: dict[str, int], name: str) -> str:
    """ " (found X: names are case-sensitive, rename it to name)", or "" when there is no such file."""
    other = same_name_other_case(files, name)
    return f" (found {other}: names are case-sensitive, rename it to {name})" if other else ""


def read_failure_rule(error: SourceReadError, too_large_rule: str) -> str:
    """`too_large_rule` when a small file is oversized (its content is wrong), else `file-unreadable`."""
    return too_large_rule if isinstance(error, FileTooLargeError) else UNREADABLE_RULE


class FolderSource(Protocol):
    """A model folder. Names are relative to the folder and use `/` between parts."""

    def list_files(self) -> dict[str, int]:
        """Every file under the folder (recursively), mapped to its size in bytes."""
        ...

    def read_bytes(self, name: str, start: int, end: int) -> bytes:
        """Bytes `start` (inclusive) to `end` (exclusive); fewer when the file ends first."""
        ...

    def read_all(self, name: str, max_bytes: int) -> bytes:
        """The whole file; raises FileTooLargeError when it is larger than `max_bytes`."""
        ...


class LocalFolder:
    """A model folder on the local disk."""

    def __init__(self, path: str | os.PathLike[str]) -> None:
        self.path = Path(path)

    @property
    def location(self) -> str:
        return str(self.path)

    def list_files(self) -> dict[str, int]:
        if not self.path.is_dir():
            raise SourceReadError(".", f"{self.path} is not a directory")
        files: dict[str, int] = {}

        def unlistable(error: OSError) -> None:
            # Path.rglob skips folders it cannot open; a folder we cannot list must not look empty.
            raise error

        try:
            for folder, _, names in os.walk(self.path, onerror=unlistable):
                for name in names:
                    file_path = Path(folder, name)
                    if file_path.is_file():
                        files[file_path.relative_to(self.path).as_posix()] = file_path.stat().st_size
        except OSError as error:
            where = self._relative(error.filename)
            reason = (error.strerror or str(error)).lower()
            if isinstance(error, PermissionError):
                reason += f"; make it readable (chmod -R u+rX {self.path})"
            raise SourceReadError(where, reason if where == "." else f"{where}: {reason}") from error
        return files

    def broken_links(self) -> dict[str, str]:
        """Symbolic links under the folder whose target is missing, mapped to the target they name.

        `list_files` leaves them out: they are not files, and nothing can be read through them.
        """
        links: dict[str, str] = {}
        try:
            for file_path in self.path.rglob("*"):
                if file_path.is_symlink() and not file_path.exists():
                    links[file_path.relative_to(self.path).as_posix()] = os.readlink(file_path)
        except OSError as error:
            raise SourceReadError(".", error.strerror or str(error)) from error
        return links

    def _relative(self, filename: object) -> str:
        if not filename:
            return "."
        try:
            return Path(str(filename)).relative_to(self.path).as_posix() or "."
        except ValueError:
            return str(filename)

    def read_bytes(self, name: str, start: int, end: int) -> bytes:
        if end <= start:
            return b""
        try:
            with (self.path / name).open("rb") as stream:
                stream.seek(start)
                return stream.read(end - start)
        except OSError as error:
            raise SourceReadError(name, error.strerror or str(error)) from error

    def read_all(self, name: str, max_bytes: int) -> bytes:
        try:
            with (self.path / name).open("rb") as stream:
                # One byte more than allowed tells "exactly at the limit" from "over it".
                data = stream.read(max_bytes + 1)
        except OSError as error:
            raise SourceReadError(name, error.strerror or str(error)) from error
        if len(data) > max_bytes:
            raise FileTooLargeError(name, max_bytes)
        return data


class S3Folder:
    """A model folder under an S3 prefix, read with ranged GETs only.

    `s3_client` is a boto3 S3 client (or anything with `list_objects_v2` and `get_object`).
    """

    def __init__(self, s3_client: Any, bucket: str, prefix: str) -> None:
        self.s3_client = s3_client
        self.bucket = bucket
        stripped = prefix.strip("/")
        self.prefix = f"{stripped}/" if stripped else ""

    @property
    def location(self) -> str:
        return f"s3://{self.bucket}/{self.prefix}"

    def list_files(self) -> dict[str, int]:
        files: dict[str, int] = {}
        request: dict[str, Any] = {"Bucket": self.bucket, "Prefix": self.prefix}
        while True:
            response = self._call(".", self.s3_client.list_objects_v2, **request)
            for item in response.get("Contents", []):
                name = item["Key"][len(self.prefix) :]
                # Zero-byte "folder" objects made by the console are not files.
                if name and not name.endswith("/"):
                    files[name] = int(item["Size"])
            if not response.get("IsTruncated"):
                return files
            request["ContinuationToken"] = response["NextContinuationToken"]

    def read_bytes(self, name: str, start: int, end: int) -> bytes:
        if end <= start:
            return b""
        return self._get_range(name, start, end - 1)

    def read_all(self, name: str, max_bytes: int) -> bytes:
        # A ranged read of one byte more than allowed never pulls a huge object into memory.
        data = self._get_range(name, 0, max_bytes)
        if len(data) > max_bytes:
            raise FileTooLargeError(name, max_bytes)
        return data

    def _get_range(self, name: str, first: int, last: int) -> bytes:
        try:
            response = self.s3_client.get_object(
                Bucket=self.bucket, Key=self.prefix + name, Range=f"bytes={first}-{last}"
            )
            return bytes(response["Body"].read())
        except (ClientError, BotoCoreError, OSError) as error:
            # S3 answers 416 InvalidRange when the range starts at or past the end (empty objects).
            if _error_code(error) == "InvalidRange":
                return b""
            raise SourceReadError(name, _describe_error(error)) from error

    def _call(self, name: str, operation: Any, **kwargs: Any) -> dict[str, Any]:
        try:
            return dict(operation(**kwargs))
        except (ClientError, BotoCoreError, OSError) as error:
            raise SourceReadError(name, _describe_error(error)) from error


def _error_code(error: Exception) -> str:
    if isinstance(error, ClientError):
        return str(error.response.get("Error", {}).get("Code", ""))
    return ""


def _describe_error(error: Exception) -> str:
    code = _error_code(error)
    return f"{code}: {error}" if code else str(error)
