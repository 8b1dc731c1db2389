"""Small readers for values AWS hands over: S3 URIs, and fields that arrive in camelCase or PascalCase."""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any


def split_s3_uri(uri: str) -> tuple[str, str]:
    """`s3://bucket/a/b` -> ("bucket", "a/b")."""
    without_scheme = uri.removeprefix("s3://")
    bucket, _, prefix = without_scheme.partition("/")
    return bucket, prefix


def job_field(job: Mapping[str, Any], name: str) -> Any:
    """A field of the `.sync` result, which may arrive in the API's camelCase or in PascalCase."""
    return job.get(name, job.get(name[:1].upper() + name[1:]))
