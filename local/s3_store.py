"""S3 as the simulated Bedrock service sees it: reads and writes straight on moto's S3 backend.

Going to the backend (not through the HTTP API) keeps the service's writes out of the caller's request
path and works the same whether moto runs in-process or as a server.
"""

from __future__ import annotations

from typing import Any

from moto.s3.exceptions import MissingBucket
from moto.s3.models import s3_backends


class MotoObjectStore:
    def __init__(self, account_id: str, partition: str = "aws") -> None:
        self._account_id = account_id
        self._partition = partition

    @property
    def _backend(self) -> Any:
        return s3_backends[self._account_id][self._partition]

    def read(self, bucket: str, key: str) -> bytes | None:
        try:
            found = self._backend.get_object(bucket, key)
        except MissingBucket:
            return None
        return bytes(found.value) if found is not None else None

    def list_keys(self, bucket: str, prefix: str) -> list[str]:
        try:
            keys = self._backend.get_bucket(bucket).keys
        except MissingBucket:
            return []
        return sorted(key for key in keys if key.startswith(prefix))

    def write(self, bucket: str, key: str, body: bytes, content_type: str) -> None:
        written = self._backend.put_object(bucket, key, body)
        written.set_metadata({"Content-Type": content_type})
