"""Staged data cannot change between the check and the job.

The Validate step records the version and ETag of each staged dataset file it wrote; the Guard step, the last
step before the job is created and the one a queued job waits in, reads them again and stops the execution
when either changed. Bedrock reads the training data by URI, without a version (docs/bedrock.md §1, the job
request), so a file overwritten while the job waits in the queue would otherwise train unchecked data. The
bucket policy already denies writes to staged/ to everyone but the Validate role (docs/architecture.md, "Data
bucket"); this check makes a change visible even so.
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping
from typing import Any

from tuneline.errors import StagedDataChanged


def record_staged(s3: Any, bucket: str, keys: Iterable[str]) -> list[dict[str, str | None]]:
    """The current version id and ETag of each staged object, as the Validate step wrote it."""
    return [_identity(s3, bucket, key) for key in keys]


def check_staged_unchanged(s3: Any, bucket: str, recorded: Iterable[Mapping[str, Any]]) -> None:
    """Raise StagedDataChanged naming the first staged object whose version or ETag differs from the record."""
    for expected in recorded:
        current = _identity(s3, bucket, str(expected["key"]))
        changed = [field for field in ("versionId", "etag") if expected.get(field) != current[field]]
        if changed:
            raise StagedDataChanged(
                f"s3://{bucket}/{expected['key']} changed after it was validated ({' and '.join(changed)}: "
                f"{expected.get(changed[0])} -> {current[changed[0]]}). Staged data is written only by the "
                "Validate step; find who wrote it (CloudTrail data events or the bucket's access logs), then "
                "upload the dataset again."
            )


def _identity(s3: Any, bucket: str, key: str) -> dict[str, str | None]:
    head = s3.head_object(Bucket=bucket, Key=key)
    return {"key": key, "versionId": head.get("VersionId"), "etag": head.get("ETag")}
