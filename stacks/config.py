"""The one typed configuration of a Tuneline deployment, read from cdk.json context in app.py only.

Constructs receive these objects; none of them reads context or environment variables. Job profiles are parsed
by `tuneline.profiles`, the same code the Lambdas use, so synth and run time agree on what a profile means: the
functions receive the profiles as written here and parse them again (docs/decisions/0010-profiles-at-run-time.md).
"""

from __future__ import annotations

import re
from collections.abc import Mapping
from dataclasses import dataclass
from typing import Any

from tuneline.profiles import ConfigError, Mistakes, Profile, parse_profiles, profiles_document
from tuneline.suggest import did_you_mean

NETWORK_MODES = ("create", "none")
_EMAIL = re.compile(r"^[^@\s]+@[^@\s]+\.[^@\s]+$")
_TOP_LEVEL_KEYS = {
    "alertEmails",
    "network",
    "profiles",
    "workflowTimeoutHours",
    "quotaWaitHours",
    "retainData",
    "janitorScheduleMinutes",
}


@dataclass(frozen=True)
class TunelineConfig:
    alert_emails: tuple[str, ...]
    network: str
    profiles: Mapping[str, Profile]
    # The same profiles as written in cdk.json, for the functions' code asset (tuneline.profiles.PROFILES_FILE).
    profiles_document: str
    # A customization job can run for a day or more (Claude Haiku: hours); the workflow must outlive it.
    workflow_timeout_hours: int = 72
    # Total time a job may wait in the queue for a free Bedrock job slot before the execution gives up.
    quota_wait_hours: int = 24
    retain_data: bool = True
    janitor_schedule_minutes: int = 15


def load_config(context: Any, key: str = "tuneline") -> TunelineConfig:
    """Turn the `tuneline` context object into a TunelineConfig, or raise ConfigError naming the bad key; with
    more than one mistake, `ConfigErrors` names each of them, so one synth reports them all."""
    if not isinstance(context, Mapping):
        raise ConfigError(key, 'is missing from cdk.json "context" (see README, Configuration)')
    mistakes = Mistakes()
    for name in context:
        if name not in _TOP_LEVEL_KEYS:
            allowed = ", ".join(sorted(_TOP_LEVEL_KEYS))
            hint = did_you_mean(str(name), _TOP_LEVEL_KEYS)
            mistakes.add(ConfigError(f"{key}.{name}", f"unknown setting; {hint}allowed: {allowed}"))
    emails = mistakes.check((), _emails, context.get("alertEmails", []), f"{key}.alertEmails")
    network = mistakes.check("", _network, context.get("network", "create"), f"{key}.network")
    profiles = mistakes.check({}, parse_profiles, context.get("profiles"), f"{key}.profiles")
    workflow_timeout_hours = mistakes.check(72, _whole, context, "workflowTimeoutHours", 72, 1, 24 * 14, key)
    quota_wait_hours = mistakes.check(24, _whole, context, "quotaWaitHours", 24, 1, 24 * 7, key)
    retain_data = mistakes.check(True, _flag, context, "retainData", True, key)
    janitor_schedule_minutes = mistakes.check(15, _whole, context, "janitorScheduleMinutes", 15, 5, 60, key)
    mistakes.raise_any()
    return TunelineConfig(
        alert_emails=emails,
        network=network,
        profiles=profiles,
        # Only reached once parse_profiles has accepted them.
        profiles_document=profiles_document(context["profiles"]),
        workflow_timeout_hours=workflow_timeout_hours,
        quota_wait_hours=quota_wait_hours,
        retain_data=retain_data,
        janitor_schedule_minutes=janitor_schedule_minutes,
    )


def _emails(value: Any, key: str) -> tuple[str, ...]:
    if not isinstance(value, list) or not all(isinstance(e, str) and _EMAIL.match(e) for e in value):
        raise ConfigError(key, 'must be a list of e-mail addresses, e.g. ["ml-team@example.com"]')
    return tuple(value)


def _network(value: Any, key: str) -> str:
    if value not in NETWORK_MODES:
        hint = did_you_mean(value, NETWORK_MODES) if isinstance(value, str) else ""
        raise ConfigError(
            key, f"{value!r} is not one of {', '.join(NETWORK_MODES)}; {hint or 'use one of them'}".rstrip()
        )
    return str(value)


def _whole(context: Mapping[str, Any], name: str, default: int, low: int, high: int, key: str) -> int:
    value = context.get(name, default)
    if isinstance(value, bool) or not isinstance(value, int) or not low <= value <= high:
        raise ConfigError(f"{key}.{name}", f"must be a whole number from {low} to {high}, got {value!r}")
    return value


def _flag(context: Mapping[str, Any], name: str, default: bool, key: str) -> bool:
    value = context.get(name, default)
    if not isinstance(value, bool):
        raise ConfigError(f"{key}.{name}", f"must be true or false (without quotes), got {value!r}")
    return value
