"""Tags on Bedrock resources: stored at create time (`tags`, `jobTags`, `customModelTags`, ...) and changed
with TagResource / UntagResource; read with ListTagsForResource.

Bedrock's rules as the API model states them: keys 1-128 characters, values 0-256, at most 50 tags per
resource in total (existing plus new), else TooManyTagsException. TagResource on an existing key replaces
its value. Tagging works on ARNs only (not names), and an unknown ARN is a ResourceNotFoundException.
"""

from __future__ import annotations

from collections.abc import Callable, Iterable, Mapping
from typing import Any, Protocol

from local.bedrock.errors import TooManyTagsException, ValidationException

MAX_TAGS_PER_RESOURCE = 50
MAX_KEY_LENGTH = 128
MAX_VALUE_LENGTH = 256


class Tagged(Protocol):
    arn: str
    tags: list[dict[str, str]]


# Finds the resource behind an ARN; raises ResourceNotFoundException when there is none.
ResourceFinder = Callable[[str], Tagged]


def checked_tags(tags: Any, field: str = "tags") -> list[dict[str, str]]:
    """Tags in the API shape (`[{"key", "value"}]`), validated; later duplicates of a key win."""
    if tags is None:
        return []
    if not isinstance(tags, list):
        raise ValidationException(f"1 validation error detected: Value at '{field}' must be a list of tags")
    by_key: dict[str, str] = {}
    for tag in tags:
        if not isinstance(tag, Mapping) or not isinstance(tag.get("key"), str) or "value" not in tag:
            raise ValidationException(
                f"1 validation error detected: Value {tag!r} at '{field}' failed to satisfy constraint: "
                "each tag needs 'key' and 'value'"
            )
        key, value = tag["key"], str(tag["value"])
        if not 1 <= len(key) <= MAX_KEY_LENGTH:
            raise ValidationException(
                f"1 validation error detected: Value '{key}' at '{field}.key' failed to satisfy constraint: "
                f"Member must have length between 1 and {MAX_KEY_LENGTH}"
            )
        if len(value) > MAX_VALUE_LENGTH:
            raise ValidationException(
                f"1 validation error detected: Value at '{field}.value' of tag '{key}' failed to satisfy "
                f"constraint: Member must have length less than or equal to {MAX_VALUE_LENGTH}"
            )
        by_key[key] = value
    return _within_limit([{"key": key, "value": value} for key, value in by_key.items()])


def merged(existing: Iterable[Mapping[str, str]], new: Iterable[Mapping[str, str]]) -> list[dict[str, str]]:
    by_key = {tag["key"]: tag["value"] for tag in existing}
    by_key.update({tag["key"]: tag["value"] for tag in new})
    return _within_limit([{"key": key, "value": value} for key, value in by_key.items()])


def without(existing: Iterable[Mapping[str, str]], keys: Iterable[str]) -> list[dict[str, str]]:
    removed = set(keys)
    return [dict(tag) for tag in existing if tag["key"] not in removed]


def _within_limit(tags: list[dict[str, str]]) -> list[dict[str, str]]:
    if len(tags) > MAX_TAGS_PER_RESOURCE:
        raise TooManyTagsException(
            f"The request contains more tag keys than can be associated with a resource "
            f"({len(tags)} > {MAX_TAGS_PER_RESOURCE})."
        )
    return tags


class Tagging:
    """TagResource, UntagResource and ListTagsForResource over every simulated resource kind."""

    def __init__(self, find: ResourceFinder) -> None:
        self._find = find

    def tag(self, params: dict[str, Any]) -> dict[str, Any]:
        resource = self._find(str(params.get("resourceARN") or ""))
        resource.tags = merged(resource.tags, checked_tags(params.get("tags")))
        return {}

    def untag(self, params: dict[str, Any]) -> dict[str, Any]:
        resource = self._find(str(params.get("resourceARN") or ""))
        resource.tags = without(resource.tags, params.get("tagKeys") or [])
        return {}

    def list(self, params: dict[str, Any]) -> dict[str, Any]:
        resource = self._find(str(params.get("resourceARN") or ""))
        return {"tags": [dict(tag) for tag in resource.tags]}
