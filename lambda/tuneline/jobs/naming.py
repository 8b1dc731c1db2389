"""Deterministic names for everything one dataset version starts.

The same object version (bucket, key, version id) always yields the same names, and a new version always
yields new ones: a duplicate S3 event, a retry or a re-drive starts nothing twice (Step Functions rejects a
second execution with the same name; Bedrock ignores a repeated clientRequestToken), while a re-upload is a
new job. Each name satisfies its service's pattern exactly (see the patterns below).
"""

from __future__ import annotations

import hashlib
import re
import unicodedata
from dataclasses import dataclass

from tuneline.jobs.keys import classify_key
from tuneline.layout import JOB_NAME_PREFIX
from tuneline.profiles import PROFILE_NAME_PATTERN

# Between the profile and the rest of a job name. Profile names never contain a dot, so the profile can be
# read back exactly even though profiles and dataset names both contain hyphens.
PROFILE_SEPARATOR = "."

JOB_NAME_PATTERN = re.compile(r"^[a-zA-Z0-9](-*[a-zA-Z0-9\+\-\.])*$")
CUSTOM_MODEL_NAME_PATTERN = re.compile(r"^([0-9a-zA-Z][_-]?){1,63}$")
CLIENT_REQUEST_TOKEN_PATTERN = re.compile(r"^[a-zA-Z0-9]([-a-zA-Z0-9]{0,254}[a-zA-Z0-9])?$")
EXECUTION_NAME_PATTERN = re.compile(r"^[A-Za-z0-9_-]{1,80}$")

MAX_JOB_NAME_LENGTH = 63
MAX_CUSTOM_MODEL_NAME_LENGTH = 63
MAX_EXECUTION_NAME_LENGTH = 80
# 12 hex digits (48 bits) keep names short; with the readable part they only need to tell apart the
# versions of one object. Execution names have room for more.
_NAME_HASH_LENGTH = 12
_EXECUTION_HASH_LENGTH = 20
_MAX_PROFILE_PART = 32
_FALLBACK_PROFILE = "profile"
_FALLBACK_DATASET = "dataset"
# S3 reports unversioned objects with this literal version id.
_NO_VERSION = "null"


@dataclass(frozen=True)
class JobNames:
    job_name: str
    custom_model_name: str
    client_request_token: str


def object_version_digest(bucket: str, key: str, version_id: str | None) -> str:
    """SHA-256 hex digest identifying one object version."""
    identity = "\0".join((bucket, key, version_id or _NO_VERSION))
    return hashlib.sha256(identity.encode("utf-8")).hexdigest()


def slug(text: str, max_length: int) -> str:
    """Lowercase ASCII letters and digits joined by single hyphens, never starting or ending with one."""
    ascii_text = unicodedata.normalize("NFKD", text).encode("ascii", "ignore").decode("ascii")
    words = re.findall(r"[a-z0-9]+", ascii_text.lower())
    return "-".join(words)[:max_length].strip("-")


def execution_name(bucket: str, key: str, version_id: str | None) -> str:
    """Step Functions execution name: `<profile>-<dataset>-<hash>`, at most 80 of `[A-Za-z0-9_-]`.

    Pass the real (decoded) S3 key, the same way every time.
    """
    profile, dataset = _readable_parts(key)
    digest = object_version_digest(bucket, key, version_id)[:_EXECUTION_HASH_LENGTH]
    profile_part = slug(profile, 24) or _FALLBACK_PROFILE
    room = MAX_EXECUTION_NAME_LENGTH - len(profile_part) - len(digest) - 2
    dataset_part = slug(dataset, room) or _FALLBACK_DATASET
    return f"{profile_part}-{dataset_part}-{digest}"


def job_names(*, profile: str, dataset: str, bucket: str, key: str, version_id: str | None) -> JobNames:
    """Bedrock job name, custom model name and client request token for one dataset version."""
    digest = object_version_digest(bucket, key, version_id)
    short_hash = digest[:_NAME_HASH_LENGTH]
    profile_part = slug(profile, _MAX_PROFILE_PART) or _FALLBACK_PROFILE

    # tuneline-<profile>.<dataset>.<hash>. A configured profile goes in verbatim (it may hold "--", which
    # job names allow), so profile_of_job_name gives it back exactly.
    job_profile = profile if PROFILE_NAME_PATTERN.fullmatch(profile) else profile_part
    job_room = MAX_JOB_NAME_LENGTH - len(JOB_NAME_PREFIX) - len(job_profile) - len(short_hash) - 2
    job_dataset = slug(dataset, job_room) or _FALLBACK_DATASET[:job_room]
    job_name = f"{JOB_NAME_PREFIX}{job_profile}{PROFILE_SEPARATOR}{job_dataset}.{short_hash}"

    # tuneline-<profile>-<dataset>-<hash>: no dots and no doubled separators are allowed here.
    model_room = MAX_CUSTOM_MODEL_NAME_LENGTH - len(JOB_NAME_PREFIX) - len(profile_part) - len(short_hash) - 2
    model_dataset = slug(dataset, model_room) or _FALLBACK_DATASET[:model_room]
    custom_model_name = f"{JOB_NAME_PREFIX}{profile_part}-{model_dataset}-{short_hash}"

    return JobNames(
        job_name=job_name,
        custom_model_name=custom_model_name,
        client_request_token=f"{JOB_NAME_PREFIX}{digest}",
    )


def profile_of_job_name(job_name: str) -> str | None:
    """The profile a Tuneline job name was made for, or None for any other job name."""
    if not job_name.startswith(JOB_NAME_PREFIX):
        return None
    profile, separator, rest = job_name[len(JOB_NAME_PREFIX) :].partition(PROFILE_SEPARATOR)
    if not separator or not rest or not PROFILE_NAME_PATTERN.fullmatch(profile):
        return None
    return profile


def _readable_parts(key: str) -> tuple[str, str]:
    incoming = classify_key(key, url_encoded=False)
    if incoming is not None:
        return incoming.profile, incoming.dataset
    file_name = key.rstrip("/").rsplit("/", 1)[-1]
    return "", file_name.split(".", 1)[0]
