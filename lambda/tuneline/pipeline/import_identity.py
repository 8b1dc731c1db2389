"""What a model folder holds, as one digest: the same files and options give the same import.

The import names (job, imported model, client request token) derive from this digest instead of from
the marker's object version, so writing `_READY` again over an unchanged folder finds the earlier import
instead of starting a second one, while changed weights, config or tokenizer files import anew.

A file is identified by its key, size and ETag, all read from one listing (no object is downloaded). An
ETag changes whenever the bytes change; it can also change for identical bytes uploaded with another
multipart part size, which only ever errs towards importing again. The marker's options that shape the
imported model (its name, description and tags) are part of the identity; the smoke-test options are not,
as they change nothing in Bedrock.
"""

from __future__ import annotations

import hashlib
import json
from dataclasses import dataclass
from typing import Any

from tuneline.imports.marker import MARKER_NAME, ImportManifest


@dataclass(frozen=True)
class FolderObject:
    name: str  # relative to the folder, with `/` between parts
    size: int
    etag: str


def list_folder(s3: Any, bucket: str, folder: str) -> list[FolderObject]:
    """Every object under `folder` except the marker and console-made "folder" placeholders, by name."""
    prefix = folder.strip("/") + "/"
    objects: list[FolderObject] = []
    for page in s3.get_paginator("list_objects_v2").paginate(Bucket=bucket, Prefix=prefix):
        for item in page.get("Contents", []):
            name = item["Key"][len(prefix) :]
            if not name or name.endswith("/") or name == MARKER_NAME:
                continue
            objects.append(FolderObject(name=name, size=int(item["Size"]), etag=str(item.get("ETag", ""))))
    return sorted(objects, key=lambda item: item.name)


def folder_identity(objects: list[FolderObject], manifest: ImportManifest) -> str:
    """SHA-256 hex digest of the folder's files and the import options that shape the imported model."""
    document = {
        "files": [[item.name, item.size, item.etag] for item in sorted(objects, key=lambda item: item.name)],
        "importedModelName": manifest.imported_model_name,
        "description": manifest.description,
        "tags": dict(sorted(manifest.tags.items())),
    }
    canonical = json.dumps(document, sort_keys=True, separators=(",", ":"), ensure_ascii=True)
    return hashlib.sha256(canonical.encode("ascii")).hexdigest()
