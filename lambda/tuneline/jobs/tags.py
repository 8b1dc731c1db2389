"""Bedrock resource tag rules (jobTags / customModelTags), shared by manifests and plans."""

from __future__ import annotations

import re

from tuneline.layout import RESERVED_TAG_PREFIXES

TAG_CHARSET_PATTERN = re.compile(r"^[a-zA-Z0-9\s._:/=+@-]*$")
TAG_ALLOWED_CHARACTERS = "letters, digits, spaces and . _ : / = + @ -"
MAX_TAG_KEY_LENGTH = 128
MAX_TAG_VALUE_LENGTH = 256
# Bedrock allows 50 tags per resource in total; manifests get 40 so the pipeline's own markers always fit.
MAX_MANIFEST_TAGS = 40

_DISALLOWED_CHARACTER = re.compile(r"[^a-zA-Z0-9\s._:/=+@-]")
_ELLIPSIS = "..."


def tag_key_problem(key: str) -> str | None:
    """Why a user-supplied tag key is not accepted, or None."""
    if not 1 <= len(key) <= MAX_TAG_KEY_LENGTH:
        return f"a tag key must be 1-{MAX_TAG_KEY_LENGTH} characters"
    if not TAG_CHARSET_PATTERN.fullmatch(key):
        return f"a tag key may contain only {TAG_ALLOWED_CHARACTERS}"
    if key.lower().startswith(RESERVED_TAG_PREFIXES):
        return f"tag keys starting with {' or '.join(RESERVED_TAG_PREFIXES)} are reserved"
    return None


def tag_value_problem(value: str) -> str | None:
    """Why a user-supplied tag value is not accepted, or None."""
    if len(value) > MAX_TAG_VALUE_LENGTH:
        return f"a tag value must be at most {MAX_TAG_VALUE_LENGTH} characters"
    if not TAG_CHARSET_PATTERN.fullmatch(value):
        return f"a tag value may contain only {TAG_ALLOWED_CHARACTERS}"
    return None


def fit_tag_value(text: str) -> str:
    """Make any text a valid tag value: other characters become `_`; too long keeps both ends.

    Used for pipeline markers such as the source `bucket/key`, where the start (bucket, folder) and the end
    (file name) are the parts a person looks for.
    """
    value = _DISALLOWED_CHARACTER.sub("_", text)
    if len(value) <= MAX_TAG_VALUE_LENGTH:
        return value
    keep = MAX_TAG_VALUE_LENGTH - len(_ELLIPSIS)
    head = keep // 3
    return value[:head] + _ELLIPSIS + value[-(keep - head) :]
