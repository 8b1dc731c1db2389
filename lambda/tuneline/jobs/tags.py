"""Bedrock resource tag rules (jobTags / customModelTags), shared by manifests and plans."""

from __future__ import annotations

import re
import unicodedata

from tuneline.layout import RESERVED_TAG_PREFIXES

TAG_ALLOWED_CHARACTERS = "letters and digits (of any script), spaces and . _ : / = + @ -"
MAX_TAG_KEY_LENGTH = 128
MAX_TAG_VALUE_LENGTH = 256
# Bedrock allows 50 tags per resource in total; manifests get 40 so the pipeline's own markers always fit.
MAX_MANIFEST_TAGS = 40

# What fit_tag_value keeps: a plain ASCII subset of the tag charset.
_DISALLOWED_CHARACTER = re.compile(r"[^a-zA-Z0-9 ._:/=+@-]")
_ELLIPSIS = "..."
# AWS's tag charset, ^[\p{L}\p{Z}\p{N}_.:/=+\-@]*$: letters, separators (spaces), numbers and these.
_TAG_PUNCTUATION = frozenset("_.:/=+-@")
_TAG_CATEGORIES = frozenset("LZN")


def in_tag_charset(text: str) -> bool:
    """Whether every character is in AWS's tag charset (no tab, newline or other control character)."""
    return all(c in _TAG_PUNCTUATION or unicodedata.category(c)[0] in _TAG_CATEGORIES for c in text)


def tag_key_problem(key: str) -> str | None:
    """Why a user-supplied tag key is not accepted, or None. Spaces around a key are refused rather than
    trimmed, so " aws:owner" cannot slip past the reserved prefixes."""
    trimmed = key.strip()
    if not 1 <= len(trimmed) <= MAX_TAG_KEY_LENGTH:
        return f"a tag key must be 1-{MAX_TAG_KEY_LENGTH} characters"
    if not in_tag_charset(key):
        return f"a tag key may contain only {TAG_ALLOWED_CHARACTERS}"
    if trimmed.lower().startswith(RESERVED_TAG_PREFIXES):
        return f"tag keys starting with {' or '.join(RESERVED_TAG_PREFIXES)} are reserved"
    if trimmed != key:
        return "a tag key may not start or end with spaces: remove them"
    return None


def tag_value_problem(value: str) -> str | None:
    """Why a user-supplied tag value is not accepted, or None."""
    if len(value) > MAX_TAG_VALUE_LENGTH:
        return f"a tag value must be at most {MAX_TAG_VALUE_LENGTH} characters"
    if not in_tag_charset(value):
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
