"""Deterministic names and idempotency tokens for the serving an execution buys.

The same execution (and so the same plan) always asks for the same name and token: a retried or re-driven
create returns the resource the first call made (Bedrock ignores a repeated clientRequestToken) instead of
buying a second one.
"""

from __future__ import annotations

import hashlib
import re

from tuneline.layout import JOB_NAME_PREFIX

# Both APIs: 1-63 characters of letters and digits, each optionally followed by one `_` or `-`.
SERVING_NAME_PATTERN = re.compile(r"^([0-9a-zA-Z][_-]?){1,63}$")
MAX_SERVING_NAME_LENGTH = 63
CLIENT_REQUEST_TOKEN_PATTERN = re.compile(r"^[a-zA-Z0-9]([-a-zA-Z0-9]{0,254}[a-zA-Z0-9])?$")
MAX_CLIENT_REQUEST_TOKEN_LENGTH = 256

# Suffixes keep a throughput and a deployment for the same model apart (the names share one namespace per kind,
# but a reader should see at a glance which is which).
KIND_SUFFIX = {"provisioned": "pt", "deployment": "od"}
_HASH_LENGTH = 8
_FALLBACK_STEM = "tuneline"


def serving_name(custom_model_name: str, client_request_token: str, kind: str) -> str:
    """`<custom model name, shortened>-<pt|od>-<8 hex>`: readable, unique per plan, valid for both APIs."""
    suffix = f"-{KIND_SUFFIX[kind]}-{_digest(client_request_token, kind)}"
    stem = _name_stem(custom_model_name, MAX_SERVING_NAME_LENGTH - len(suffix))
    name = f"{stem}{suffix}"
    if not SERVING_NAME_PATTERN.fullmatch(name):  # the stem is cleaned above; this guards the invariant
        raise ValueError(f"cannot derive a serving name from {custom_model_name!r}")
    return name


def serving_token(client_request_token: str, kind: str) -> str:
    """The plan's job token plus the kind: distinct from the job's own token, same on every retry."""
    token = f"{client_request_token}-{KIND_SUFFIX[kind]}"
    if len(token) > MAX_CLIENT_REQUEST_TOKEN_LENGTH or not CLIENT_REQUEST_TOKEN_PATTERN.fullmatch(token):
        token = f"{JOB_NAME_PREFIX}{KIND_SUFFIX[kind]}-{hashlib.sha256(client_request_token.encode()).hexdigest()}"
    return token


def _name_stem(text: str, room: int) -> str:
    """Letters and digits joined by single `-`/`_`, cut to `room`, never ending with a separator."""
    cleaned = re.sub(r"[^0-9a-zA-Z_-]+", "-", text)
    cleaned = re.sub(r"[_-]{2,}", lambda m: m.group(0)[0], cleaned).strip("_-")
    return cleaned[:room].rstrip("_-") or _FALLBACK_STEM


def _digest(client_request_token: str, kind: str) -> str:
    return hashlib.sha256(f"{client_request_token}\0{kind}".encode()).hexdigest()[:_HASH_LENGTH]
