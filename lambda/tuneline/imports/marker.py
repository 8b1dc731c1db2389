"""The import marker: the one object whose arrival starts a Custom Model Import, and the names it yields.

Convention: upload the Hugging Face folder to `imports/<model-name>/` (config.json, tokenizer files,
*.safetensors), then write `imports/<model-name>/_READY` last. Uploading hundreds of gigabytes takes
a while; only the marker starts anything, so a half-uploaded folder never does. The marker may be
empty, or hold a small JSON manifest with options:

    {"importedModelName": "support-bot-v3", "description": "Llama 3.1 8B, QLoRA on tickets",
     "tags": {"team": "support"}, "smokePrompt": "Say hello.", "smokeMaxTokens": 32}

Writing the marker again (a new object version) imports the folder again, under new names.
"""

from __future__ import annotations

import json
import re
from dataclasses import dataclass, field
from typing import Any
from urllib.parse import unquote_plus

from tuneline import json_text
from tuneline.errors import ManifestInvalid
from tuneline.jobs.naming import CUSTOM_MODEL_NAME_PATTERN, object_version_digest, slug
from tuneline.jobs.tags import MAX_MANIFEST_TAGS, MAX_TAG_VALUE_LENGTH, tag_key_problem, tag_value_problem
from tuneline.layout import IMPORT_JOB_NAME_PREFIX, IMPORT_MARKER_NAME, IMPORTS_PREFIX, JOB_NAME_PREFIX
from tuneline.suggest import did_you_mean

MARKER_NAME = IMPORT_MARKER_NAME
MAX_MARKER_BYTES = 64 * 1024

IMPORTED_MODEL_NAME_KEY = "importedModelName"
DESCRIPTION_KEY = "description"
TAGS_KEY = "tags"
SMOKE_PROMPT_KEY = "smokePrompt"
SMOKE_MAX_TOKENS_KEY = "smokeMaxTokens"
MANIFEST_KEYS = (IMPORTED_MODEL_NAME_KEY, DESCRIPTION_KEY, TAGS_KEY, SMOKE_PROMPT_KEY, SMOKE_MAX_TOKENS_KEY)
# The description travels as a tag on the job and the model, so it shares the tag value limit.
MAX_DESCRIPTION_LENGTH = MAX_TAG_VALUE_LENGTH
MAX_SMOKE_PROMPT_LENGTH = 4000
MAX_SMOKE_MAX_TOKENS = 4096

# CreateModelImportJob limits (botocore service model): names up to 63 characters.
MAX_IMPORT_NAME_LENGTH = 63
IMPORTED_MODEL_NAME_PATTERN = CUSTOM_MODEL_NAME_PATTERN
# modelDataSource.s3DataSource.s3Uri pattern: keys may use only these characters.
S3_URI_PATTERN = re.compile(r"^s3://[a-z0-9][-.a-z0-9]{1,61}[a-z0-9](?:/[-!_*'().a-zA-Z0-9]+)*/?$")
MAX_S3_URI_LENGTH = 1024
_HASH_LENGTH = 12
_FALLBACK_MODEL = "model"
_EXAMPLE = '{"importedModelName": "support-bot-v3", "tags": {"team": "support"}}'


@dataclass(frozen=True)
class ImportMarker:
    """A marker key: `folder` is the model folder prefix (`imports/<model-name>/`)."""

    key: str
    model_name: str

    @property
    def folder(self) -> str:
        return f"{IMPORTS_PREFIX}{self.model_name}/"


@dataclass(frozen=True)
class ImportManifest:
    """Options from the marker body; None leaves the pipeline's default."""

    imported_model_name: str | None = None
    description: str | None = None
    tags: dict[str, str] = field(default_factory=dict)
    smoke_prompt: str | None = None
    smoke_max_tokens: int | None = None


@dataclass(frozen=True)
class ImportNames:
    model_name: str
    job_name: str
    imported_model_name: str
    client_request_token: str


def parse_marker_key(key: str, *, url_encoded: bool = True) -> ImportMarker | None:
    """The marker behind a key, or None for any other object (weights, config, nested files, ...).

    Keys arrive URL-encoded in S3 events; pass `url_encoded=False` for a key read from the S3 API.
    """
    real_key = unquote_plus(key) if url_encoded else key
    if not real_key.startswith(IMPORTS_PREFIX):
        return None
    parts = real_key[len(IMPORTS_PREFIX) :].split("/")
    if len(parts) != 2 or parts[1] != MARKER_NAME:
        return None
    model_name = parts[0]
    if not model_name.strip() or model_name.startswith("."):
        return None
    return ImportMarker(key=real_key, model_name=model_name)


def is_import_marker(key: str, *, url_encoded: bool = True) -> bool:
    return parse_marker_key(key, url_encoded=url_encoded) is not None


def model_data_uri(bucket: str, folder: str) -> str:
    """The `s3Uri` handed to CreateModelImportJob for a model folder."""
    return f"s3://{bucket}/{folder.strip('/')}/"


def model_data_uri_problem(bucket: str, folder: str) -> str | None:
    """Why Bedrock would reject the folder's S3 URI (spaces, `+`, `=`, `%`, non-ASCII ...), or None."""
    uri = model_data_uri(bucket, folder)
    if len(uri) > MAX_S3_URI_LENGTH or not S3_URI_PATTERN.match(uri):
        return (
            f"Bedrock rejects the model location {uri}: folder names may use only letters, digits and "
            "- ! _ * ' ( ) . (no spaces, +, = or %); rename the folder and upload it again"
        )
    return None


def parse_manifest(body: bytes, *, key: str) -> ImportManifest:
    """Options from the marker object's body (empty means all defaults); errors name the key."""
    if len(body) > MAX_MARKER_BYTES:
        raise _invalid(key, "(file)", f"is {len(body)} bytes", f"keep the marker under {MAX_MARKER_BYTES} bytes")
    document = _load_object(body, key)
    for name in document:
        if name not in MANIFEST_KEYS:
            raise _invalid(
                key,
                name,
                "is not an import option",
                f"{did_you_mean(name, MANIFEST_KEYS)}allowed keys are {', '.join(MANIFEST_KEYS)}",
            )
    return ImportManifest(
        imported_model_name=_imported_model_name(document.get(IMPORTED_MODEL_NAME_KEY), key),
        description=_text(document.get(DESCRIPTION_KEY), key, DESCRIPTION_KEY, MAX_DESCRIPTION_LENGTH),
        tags=_tags(document.get(TAGS_KEY, {}), key),
        smoke_prompt=_text(document.get(SMOKE_PROMPT_KEY), key, SMOKE_PROMPT_KEY, MAX_SMOKE_PROMPT_LENGTH),
        smoke_max_tokens=_smoke_max_tokens(document.get(SMOKE_MAX_TOKENS_KEY), key),
    )


def import_names(
    bucket: str, prefix: str, marker_version_id: str | None, *, imported_model_name: str | None = None
) -> ImportNames:
    """Job name, imported model name and client request token for one marker version.

    The same (bucket, folder, marker version) always gives the same names, so a duplicate event or a
    retry never imports twice (Bedrock treats a repeated clientRequestToken as the same request); a new
    marker version gives new names. `imported_model_name` from the manifest is used as given: the
    person chose it, so re-importing under it fails until the old model is deleted (model names are
    unique per account and Region).
    """
    folder = prefix.strip("/")
    model_name = folder.rsplit("/", 1)[-1]
    digest = object_version_digest(bucket, f"{folder}/", marker_version_id)
    short_hash = digest[:_HASH_LENGTH]

    # tuneline-import-<model>-<hash>: "-" only, so the name never reads as a customization job name.
    job_room = MAX_IMPORT_NAME_LENGTH - len(IMPORT_JOB_NAME_PREFIX) - len(short_hash) - 1
    job_name = f"{IMPORT_JOB_NAME_PREFIX}{slug(model_name, job_room) or _FALLBACK_MODEL}-{short_hash}"

    model_room = MAX_IMPORT_NAME_LENGTH - len(JOB_NAME_PREFIX) - len(short_hash) - 1
    generated_model_name = f"{JOB_NAME_PREFIX}{slug(model_name, model_room) or _FALLBACK_MODEL}-{short_hash}"

    return ImportNames(
        model_name=model_name,
        job_name=job_name,
        imported_model_name=imported_model_name or generated_model_name,
        client_request_token=f"{IMPORT_JOB_NAME_PREFIX}{digest}",
    )


def _load_object(body: bytes, key: str) -> dict[str, Any]:
    try:
        # utf-8-sig: editors on Windows like to start files with a byte-order mark.
        text = body.decode("utf-8-sig")
    except UnicodeDecodeError as error:
        raise _invalid(key, "(file)", f"is not UTF-8 (bad byte at offset {error.start})", "save it as UTF-8") from None
    if not text.strip():
        return {}
    try:
        document = json_text.loads(text, object_pairs_hook=_reject_duplicate_keys)
    except _DuplicateKey as error:
        raise _invalid(key, error.key, "appears twice", "keep one entry per key") from None
    except json.JSONDecodeError as error:
        raise _invalid(
            key,
            f"line {error.lineno} column {error.colno}",
            f"is not valid JSON ({error.msg})",
            f"leave the marker empty or write a JSON object such as {_EXAMPLE}",
        ) from None
    if not isinstance(document, dict):
        raise _invalid(key, "(file)", "must hold a JSON object", f"write e.g. {_EXAMPLE}")
    return document


class _DuplicateKey(ValueError):
    def __init__(self, key: str) -> None:
        super().__init__(key)
        self.key = key


def _reject_duplicate_keys(pairs: list[tuple[str, Any]]) -> dict[str, Any]:
    result: dict[str, Any] = {}
    for name, value in pairs:
        if name in result:
            raise _DuplicateKey(name)
        result[name] = value
    return result


def _imported_model_name(raw: Any, key: str) -> str | None:
    if raw is None:
        return None
    rule = (
        f"imported model names are 1-{MAX_IMPORT_NAME_LENGTH} letters and digits, optionally separated by "
        "single - or _ (no dots, spaces or two separators in a row)"
    )
    if not isinstance(raw, str):
        raise _invalid(key, IMPORTED_MODEL_NAME_KEY, "must be a string", rule)
    if len(raw) > MAX_IMPORT_NAME_LENGTH or not IMPORTED_MODEL_NAME_PATTERN.match(raw):
        raise _invalid(key, IMPORTED_MODEL_NAME_KEY, f"{raw!r} is not a valid name", rule)
    return raw


def _text(raw: Any, key: str, name: str, max_length: int) -> str | None:
    if raw is None:
        return None
    if not isinstance(raw, str):
        raise _invalid(key, name, "must be a string", "write it in quotes")
    text = raw.strip()
    if len(text) > max_length:
        raise _invalid(key, name, f"is {len(text)} characters", f"shorten it to at most {max_length}")
    return text or None


def _tags(raw: Any, key: str) -> dict[str, str]:
    if not isinstance(raw, dict):
        raise _invalid(key, TAGS_KEY, "must be an object", 'write {"team": "search"}')
    if len(raw) > MAX_MANIFEST_TAGS:
        raise _invalid(key, TAGS_KEY, f"has {len(raw)} tags", f"keep at most {MAX_MANIFEST_TAGS}")
    tags: dict[str, str] = {}
    for name, value in raw.items():
        problem = tag_key_problem(name)
        if problem:
            raise _invalid(key, f"{TAGS_KEY}.{name}", problem, "rename the tag")
        if not isinstance(value, str):
            raise _invalid(key, f"{TAGS_KEY}.{name}", "must be a string", "write the value in quotes")
        problem = tag_value_problem(value)
        if problem:
            raise _invalid(key, f"{TAGS_KEY}.{name}", problem, "change the value")
        tags[name] = value
    return tags


def _smoke_max_tokens(raw: Any, key: str) -> int | None:
    if raw is None:
        return None
    if isinstance(raw, bool) or not isinstance(raw, int) or not 1 <= raw <= MAX_SMOKE_MAX_TOKENS:
        raise _invalid(key, SMOKE_MAX_TOKENS_KEY, f"is {raw!r}", f"use a whole number from 1 to {MAX_SMOKE_MAX_TOKENS}")
    return raw


def _invalid(key: str, name: str, problem: str, fix: str) -> ManifestInvalid:
    return ManifestInvalid(f"{key}: {name} {problem}. Fix: {fix}.")
