"""Custom Model Import: check a Hugging Face model folder and derive the import's names.

`check_model_folder(LocalFolder(path))` or `check_model_folder(S3Folder(s3_client, bucket, prefix))`
returns the shared `Report`; see `marker` for the `_READY` convention that starts an import.
"""

from tuneline.imports.checker import check_model_folder
from tuneline.imports.sources import FolderSource, LocalFolder, S3Folder

__all__ = ["FolderSource", "LocalFolder", "S3Folder", "check_model_folder"]
