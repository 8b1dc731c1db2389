"""Uploads under `incoming/` that start nothing because they are not JSON Lines, and what to do instead.

People drop `train.json`, `train.csv` or `train.jsonl.gz` where a `train.jsonl` belongs and then wait for
an alert that never comes. The intake sees every upload under incoming/ and explains, by alert, why nothing
started and how to turn the file into a dataset. A key with a "." or ".." folder is refused as well (tools
resolve such paths differently from S3, which keeps them literally). Companion files, hidden files, folder
markers and other files are not mistakes and get no alert.
"""

from __future__ import annotations

import shlex
from dataclasses import dataclass

from tuneline.jobs.keys import TRAINING_SUFFIX, classify_key
from tuneline.layout import INCOMING_PREFIX

# Extensions people upload in place of .jsonl.
MISTAKEN_EXTENSIONS = (".json", ".csv", ".tsv", ".txt", ".gz", ".zip", ".bz2", ".zst", ".parquet", ".xlsx")

_COMPRESSED = {".gz", ".zip", ".bz2", ".zst"}
_TABLES = {".csv", ".tsv"}
_BINARY_TABLES = {".parquet", ".xlsx"}


@dataclass(frozen=True)
class IgnoredUpload:
    key: str
    profile: str
    file_name: str
    reason: str
    fix: str
    command: str | None = None


def explain_ignored_upload(key: str, bucket: str = "DATA_BUCKET") -> IgnoredUpload | None:
    """Why the real (decoded) `key` starts no job, or None when it is a dataset, a companion or no mistake.

    `bucket` goes into the upload command the advice shows.
    """
    if not key.startswith(INCOMING_PREFIX) or key.endswith("/") or classify_key(key, url_encoded=False):
        return None
    parts = key[len(INCOMING_PREFIX) :].split("/")
    file_name = parts[-1]
    if len(parts) < 2 or not parts[0].strip():
        return None
    if any(part in (".", "..") for part in parts[:-1]):
        return _dot_folder(key, parts, bucket)
    if file_name.startswith("."):
        return None
    stem, extension = _split_extension(file_name)
    if extension not in MISTAKEN_EXTENSIONS:
        return None
    folder = key[: -len(file_name)]
    target = f"{folder}{_dataset_stem(stem)}{TRAINING_SUFFIX}"
    reason, fix, command = _advice(extension, file_name, target, bucket)
    return IgnoredUpload(key=key, profile=parts[0], file_name=file_name, reason=reason, fix=fix, command=command)


def _dot_folder(key: str, parts: list[str], bucket: str) -> IgnoredUpload:
    """A key with a "." or ".." folder: S3 keeps it literally, but the console, the CLI and IAM paths do not all
    read it so, so it never starts a job whatever its name."""
    clean = "/".join(part for part in parts if part not in (".", ".."))
    target = f"{INCOMING_PREFIX}{clean}"
    file_name = parts[-1]
    return IgnoredUpload(
        key=key,
        profile=parts[0],
        file_name=file_name,
        reason=f"the key {key} has a '.' or '..' folder, which no upload should have; it starts nothing.",
        fix=f"Upload the file again as {target}, without '.' or '..' in the key, and delete this object.",
        command=f"aws s3 cp {shlex.quote(file_name)} {shlex.quote(f's3://{bucket}/{target}')}",
    )


def _split_extension(file_name: str) -> tuple[str, str]:
    stem, dot, extension = file_name.rpartition(".")
    if not dot or not stem:
        return file_name, ""
    return stem, f".{extension.lower()}"


def _dataset_stem(stem: str) -> str:
    """`train.jsonl` for `train.jsonl.gz` and `train.json`, never `train.jsonl.jsonl`."""
    lowered = stem.lower()
    for suffix in (TRAINING_SUFFIX, ".json"):
        if lowered.endswith(suffix):
            return stem[: -len(suffix)]
    return stem


def _advice(extension: str, file_name: str, target: str, bucket: str) -> tuple[str, str, str | None]:
    # Commands are meant to be pasted into a shell, so names with spaces or quotes are quoted.
    local, source = shlex.quote(_local_name(target)), shlex.quote(file_name)
    upload = f"aws s3 cp {local} {shlex.quote(f's3://{bucket}/{target}')}"
    if extension in _COMPRESSED:
        return (
            f"{file_name} is a compressed file; Bedrock reads plain JSON Lines only.",
            f"Uncompress it and upload the .jsonl file itself as {target}.",
            upload,
        )
    if extension == ".json":
        return (
            f"{file_name} has the .json extension; only JSON Lines files named <name>{TRAINING_SUFFIX} start a job "
            "(job options go in <name>.job.json beside one).",
            f"If it holds one JSON object per line in the base model's format, rename it to {target}. Otherwise "
            "(one JSON array, or OpenAI or ShareGPT chat, Alpaca, Dolly or prompt/response records) convert it: "
            "--from auto finds the shape from the first records and reads a JSON array as it is; check the result "
            f"with tuneline validate, then upload it as {target}.",
            f"tuneline convert {source} --from auto --model <base-model-id> -o {local}",
        )
    if extension in _TABLES:
        return (
            f"{file_name} is a table; Bedrock trains on JSON Lines records in the base model's format.",
            "Convert it with the question and answer columns you choose (the comma, tab or semicolon delimiter is "
            f"found from the header), check it, then upload it as {target}.",
            f"tuneline convert {source} --from csv --model <base-model-id> --question-column <column> "
            f"--answer-column <column> -o {local}",
        )
    if extension == ".txt":
        return (
            f"{file_name} is plain text; every dataset is JSON Lines, one JSON object per line.",
            "For continued pre-training, convert it into one record per paragraph (or per --chunk-tokens N) within "
            f"the model's limit, then upload the result as {target}; fine-tuning needs question/answer records.",
            f"tuneline convert {source} --from text --model <base-model-id> --type CONTINUED_PRE_TRAINING -o {local}",
        )
    kind = "a Parquet file" if extension == ".parquet" else "a spreadsheet"
    return (
        f"{file_name} is {kind}; Bedrock trains on JSON Lines records only.",
        f"Export it as CSV and convert it with `tuneline convert --from csv`, then upload it as {target}.",
        None,
    )


def _local_name(key: str) -> str:
    return key.rsplit("/", 1)[-1]
