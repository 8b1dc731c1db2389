"""The tags that mark serving as Tuneline's, and the expiry the janitor enforces.

Only resources carrying MANAGED_TAG = "true" are ever touched by the janitor. A no-commitment throughput or a
deployment also carries EXPIRES_AT_TAG (ISO-8601 UTC); removing that tag, or moving it later, is how a person
keeps serving longer. Commitment throughput never gets an expiry: it cannot be deleted before its term ends.
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Iterable, Mapping

from tuneline.jobs.tags import fit_tag_value
from tuneline.layout import (
    EXECUTION_TAG,
    EXPIRES_AT_TAG,
    JOB_TAG,
    MANAGED_TAG,
    MANAGED_VALUE,
)

# Bedrock allows 50 tags per resource in total (existing plus new).
MAX_TAGS = 50


def iso_utc(moment: dt.datetime) -> str:
    """`2026-11-20T14:05:00Z`: second precision, UTC, only characters tag values allow."""
    return moment.astimezone(dt.UTC).replace(microsecond=0).strftime("%Y-%m-%dT%H:%M:%SZ")


def parse_time(value: object) -> dt.datetime | None:
    """A timestamp from a tag or an API field, timezone-aware (UTC unless it says otherwise); None if unreadable.

    Tags are edited by people, so besides ISO 8601 (`2026-11-20T14:05:00Z`, `...+01:00`, `2026-11-20 14:05`)
    this reads a lowercase `t`/`z`, a trailing ` UTC`/` GMT`, and Unix epoch seconds or milliseconds.
    """
    if isinstance(value, dt.datetime):
        return value if value.tzinfo else value.replace(tzinfo=dt.UTC)
    if not isinstance(value, str) or not value.strip():
        return None
    text = value.strip().upper()
    if text.isdigit() and len(text) in (10, 13):
        return dt.datetime.fromtimestamp(int(text) / (1000 if len(text) == 13 else 1), dt.UTC)
    for suffix in (" UTC", " GMT", "UTC", "GMT"):
        if text.endswith(suffix) and len(text) > len(suffix) + 7:
            text = text[: -len(suffix)].rstrip() + "+00:00"
            break
    if text.endswith("Z"):
        text = text[:-1] + "+00:00"
    try:
        parsed = dt.datetime.fromisoformat(text)
    except ValueError:
        return None
    return parsed if parsed.tzinfo else parsed.replace(tzinfo=dt.UTC)


def tags_to_dict(tags: Iterable[Mapping[str, str]] | None) -> dict[str, str]:
    """Bedrock's tag list (`key`/`value`, or `Key`/`Value` from Step Functions) as a dict."""
    result: dict[str, str] = {}
    for tag in tags or []:
        key = tag.get("key", tag.get("Key"))
        if key is not None:
            result[str(key)] = str(tag.get("value", tag.get("Value", "")))
    return result


def serving_tags(
    *,
    execution: str,
    job_name: str,
    expires_at: dt.datetime | None,
    inherited: Iterable[Mapping[str, str]] = (),
) -> list[dict[str, str]]:
    """Tuneline's markers first, then the job's own tags (profile, source, user tags) while they fit."""
    own = {
        MANAGED_TAG: MANAGED_VALUE,
        EXECUTION_TAG: fit_tag_value(execution),
        JOB_TAG: fit_tag_value(job_name),
    }
    if expires_at is not None:
        own[EXPIRES_AT_TAG] = iso_utc(expires_at)
    merged = dict(own)
    for key, value in tags_to_dict(inherited).items():
        if key not in merged and len(merged) < MAX_TAGS:
            merged[key] = value
    return [{"Key": key, "Value": value} for key, value in merged.items()]
