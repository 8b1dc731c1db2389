"""Small readers for values AWS hands over: S3 URIs, and fields that arrive in camelCase or PascalCase."""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any


def split_s3_uri(uri: str) -> tuple[str, str]:
    """`s3://bucket/a/b` -> ("bucket", "a/b")."""
    without_scheme = uri.removeprefix("s3://")
    bucket, _, prefix = without_scheme.partition("/")
    return bucket, prefix


def lookup(data: Mapping[str, Any] | None, name: str) -> Any:
    """A field by its camelCase name, also found in PascalCase (AWS SDK integrations and `.sync` results in
    Step Functions)."""
    if not data:
        return None
    if name in data:
        return data[name]
    pascal = name[:1].upper() + name[1:]
    return data.get(pascal)
