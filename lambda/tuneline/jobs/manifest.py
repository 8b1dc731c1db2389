"""The optional job manifest `<name>.job.json` dropped beside a dataset: per-job options on top of a profile.

A manifest can tune a job but never widen what the platform allows: hyperparameters stay within the base
model's ranges and the budget can only go down. Every problem raises ManifestInvalid naming the file, the
key, the rule broken and how to fix it, because the message goes straight into an alert.
"""

from __future__ import annotations

import json
import math
from collections.abc import Mapping
from dataclasses import dataclass, field, replace
from typing import Any

from tuneline import json_text
from tuneline.errors import ManifestInvalid
from tuneline.jobs.naming import CUSTOM_MODEL_NAME_PATTERN, MAX_CUSTOM_MODEL_NAME_LENGTH
from tuneline.jobs.tags import MAX_MANIFEST_TAGS, MAX_TAG_VALUE_LENGTH, tag_key_problem, tag_value_problem
from tuneline.profiles import MAX_VALIDATION_SPLIT, Profile
from tuneline.suggest import did_you_mean

HYPERPARAMETERS_KEY = "hyperParameters"
VALIDATION_SPLIT_KEY = "validationSplit"
BUDGET_KEY = "budgetUsd"
CUSTOM_MODEL_NAME_KEY = "customModelName"
TAGS_KEY = "tags"
DESCRIPTION_KEY = "description"
MANIFEST_KEYS = (
    HYPERPARAMETERS_KEY,
    VALIDATION_SPLIT_KEY,
    BUDGET_KEY,
    CUSTOM_MODEL_NAME_KEY,
    TAGS_KEY,
    DESCRIPTION_KEY,
)
# The description is stored as a tag on the job and the model, so it shares the tag value limit.
MAX_DESCRIPTION_LENGTH = MAX_TAG_VALUE_LENGTH
MIN_BUDGET_USD = 0.01

_EXAMPLE = '{"hyperParameters": {"epochCount": "2"}, "budgetUsd": 20, "tags": {"team": "search"}}'


@dataclass(frozen=True)
class JobManifest:
    """Per-job options. `file` names the manifest in error messages; None fields leave the profile as is."""

    file: str
    hyperparameters: Mapping[str, str] = field(default_factory=dict)
    validation_split: float | None = None
    budget_usd: float | None = None
    custom_model_name: str | None = None
    tags: Mapping[str, str] = field(default_factory=dict)
    description: str | None = None


class _DuplicateKey(ValueError):
    def __init__(self, key: str) -> None:
        super().__init__(key)
        self.key = key


class _NonJsonNumber(ValueError):
    def __init__(self, literal: str) -> None:
        super().__init__(literal)
        self.literal = literal


def parse_manifest(data: bytes, *, file: str) -> JobManifest:
    """Parse and check a manifest's own rules (the model-specific ones are in apply_manifest)."""
    body = _load_object(data, file)
    for key in body:
        if key not in MANIFEST_KEYS:
            raise _invalid(
                file,
                key,
                "is not a manifest setting",
                f"{did_you_mean(key, MANIFEST_KEYS)}allowed keys are {', '.join(MANIFEST_KEYS)}",
            )
    return JobManifest(
        file=file,
        hyperparameters=_hyperparameters(body.get(HYPERPARAMETERS_KEY, {}), file),
        validation_split=_optional_number(
            body, VALIDATION_SPLIT_KEY, file, minimum=0.0, maximum=MAX_VALIDATION_SPLIT, unit="fraction"
        ),
        budget_usd=_optional_number(body, BUDGET_KEY, file, minimum=MIN_BUDGET_USD, maximum=None, unit="USD"),
        custom_model_name=_custom_model_name(body.get(CUSTOM_MODEL_NAME_KEY), file),
        tags=_tags(body.get(TAGS_KEY, {}), file),
        description=_description(body.get(DESCRIPTION_KEY), file),
    )


def apply_manifest(profile: Profile, manifest: JobManifest) -> Profile:
    """The profile with the manifest's options applied, checked against the base model's rules."""
    from tuneline.datasets.models import resolve_model

    rules = resolve_model(profile.base_model)
    allowed = rules.hyperparameters
    for name, value in manifest.hyperparameters.items():
        key = f"{HYPERPARAMETERS_KEY}.{name}"
        if name not in allowed:
            names = ", ".join(sorted(allowed)) or "none"
            raise _invalid(
                manifest.file,
                key,
                f"{rules.display_name} has no hyperparameter {name!r}",
                f"{did_you_mean(name, tuple(allowed))}use one of: {names}",
            )
        problem = allowed[name].check(value)
        if problem:
            raise _invalid(manifest.file, key, problem, f"set a value {rules.display_name} accepts")

    validation_split = profile.validation_split
    if manifest.validation_split is not None:
        if manifest.validation_split > 0 and not rules.validation_allowed_for(profile.customization_type):
            raise _invalid(
                manifest.file,
                VALIDATION_SPLIT_KEY,
                f"{rules.display_name} accepts no validation set for {profile.customization_type}",
                f"remove {VALIDATION_SPLIT_KEY} or set it to 0",
            )
        validation_split = manifest.validation_split

    budget_usd = profile.budget_usd
    if manifest.budget_usd is not None:
        if manifest.budget_usd > profile.budget_usd:
            raise _invalid(
                manifest.file,
                BUDGET_KEY,
                f"{_money(manifest.budget_usd)} is above the profile {profile.name!r} budget of "
                f"{_money(profile.budget_usd)}; a manifest may only lower the budget",
                f"set {BUDGET_KEY} to at most {_money(profile.budget_usd)}, or ask the platform team to raise "
                "budgetUsd in the profile",
            )
        budget_usd = manifest.budget_usd

    return replace(
        profile,
        hyperparameters={**profile.hyperparameters, **manifest.hyperparameters},
        validation_split=validation_split,
        budget_usd=budget_usd,
    )


def _load_object(data: bytes, file: str) -> Mapping[str, Any]:
    try:
        # utf-8-sig: editors on Windows like to start files with a byte-order mark.
        text = data.decode("utf-8-sig")
    except UnicodeDecodeError as error:
        raise _invalid(
            file, "(file)", f"is not UTF-8 text (bad byte at offset {error.start})", "save the file as UTF-8"
        ) from None
    if not text.strip():
        raise _invalid(file, "(file)", "is empty", f"write a JSON object such as {_EXAMPLE}, or delete the file")
    try:
        body = json_text.loads(text, object_pairs_hook=_reject_duplicates, parse_constant=_reject_constant)
    except _DuplicateKey as error:
        raise _invalid(file, error.key, "appears twice", "keep only one entry for each key") from None
    except _NonJsonNumber as error:
        raise _invalid(file, error.literal, "is not a JSON number", "write a plain number such as 0.1") from None
    except json.JSONDecodeError as error:
        raise _invalid(
            file,
            f"line {error.lineno} column {error.colno}",
            f"is not valid JSON ({error.msg})",
            f"check quotes, commas and braces there; a manifest looks like {_EXAMPLE}",
        ) from None
    if not isinstance(body, dict):
        raise _invalid(file, "(file)", f"must hold a JSON object, not {_json_type(body)}", f"write {_EXAMPLE}")
    return body


def _reject_duplicates(pairs: list[tuple[str, Any]]) -> dict[str, Any]:
    result: dict[str, Any] = {}
    for key, value in pairs:
        if key in result:
            raise _DuplicateKey(key)
        result[key] = value
    return result


def _reject_constant(name: str) -> Any:
    # Python's json accepts NaN and Infinity, which are not JSON and never a sensible option value.
    raise _NonJsonNumber(name)


def _hyperparameters(raw: Any, file: str) -> dict[str, str]:
    if not isinstance(raw, dict):
        raise _invalid(
            file,
            HYPERPARAMETERS_KEY,
            f"must be an object, not {_json_type(raw)}",
            'write it as {"epochCount": "2", "learningRate": "0.00001"}',
        )
    result: dict[str, str] = {}
    for name, value in raw.items():
        key = f"{HYPERPARAMETERS_KEY}.{name}"
        if isinstance(value, bool) or not isinstance(value, str | int | float):
            raise _invalid(file, key, f"must be a number or a string, not {_json_type(value)}", 'write e.g. "2"')
        if isinstance(value, str) and not value.strip():
            raise _invalid(file, key, "is empty", "give a value or remove the key to use the profile's value")
        # The Bedrock API takes a map of strings; numbers are sent as their plain text.
        result[name] = value.strip() if isinstance(value, str) else plain_number(value)
    return result


def _optional_number(
    body: Mapping[str, Any], key: str, file: str, *, minimum: float, maximum: float | None, unit: str
) -> float | None:
    if key not in body:
        return None
    value = body[key]
    allowed = (
        f"between {plain_number(minimum)} and {plain_number(maximum)}"
        if maximum is not None
        else (f"at least {plain_number(minimum)}")
    )
    if isinstance(value, bool) or not isinstance(value, int | float) or not math.isfinite(value):
        raise _invalid(file, key, f"must be a number ({unit}), not {_json_type(value)}", f"use a number {allowed}")
    if value < minimum or (maximum is not None and value > maximum):
        raise _invalid(file, key, f"{plain_number(value)} is out of range", f"use a number {allowed}")
    return float(value)


def _custom_model_name(raw: Any, file: str) -> str | None:
    if raw is None:
        return None
    rule = (
        f"Bedrock model names are 1-{MAX_CUSTOM_MODEL_NAME_LENGTH} letters and digits, optionally separated "
        "by single - or _ (no dots, spaces or two separators in a row)"
    )
    if not isinstance(raw, str):
        raise _invalid(file, CUSTOM_MODEL_NAME_KEY, f"must be a string, not {_json_type(raw)}", rule)
    if len(raw) > MAX_CUSTOM_MODEL_NAME_LENGTH or not CUSTOM_MODEL_NAME_PATTERN.fullmatch(raw):
        raise _invalid(file, CUSTOM_MODEL_NAME_KEY, f"{raw!r} is not a valid model name", rule)
    return raw


def _tags(raw: Any, file: str) -> dict[str, str]:
    if not isinstance(raw, dict):
        raise _invalid(file, TAGS_KEY, f"must be an object, not {_json_type(raw)}", 'write {"team": "search"}')
    if len(raw) > MAX_MANIFEST_TAGS:
        raise _invalid(
            file, TAGS_KEY, f"has {len(raw)} tags; at most {MAX_MANIFEST_TAGS} are allowed", "remove some tags"
        )
    result: dict[str, str] = {}
    for name, value in raw.items():
        key = f"{TAGS_KEY}.{name}"
        problem = tag_key_problem(name)
        if problem:
            raise _invalid(file, key, problem, "rename the tag")
        if isinstance(value, bool) or not isinstance(value, str | int):
            raise _invalid(file, key, f"must be a string, not {_json_type(value)}", "write the value in quotes")
        text = value if isinstance(value, str) else str(value)
        problem = tag_value_problem(text)
        if problem:
            raise _invalid(file, key, problem, "change the value")
        result[name] = text
    return result


def _description(raw: Any, file: str) -> str | None:
    if raw is None:
        return None
    if not isinstance(raw, str):
        raise _invalid(file, DESCRIPTION_KEY, f"must be a string, not {_json_type(raw)}", "write it in quotes")
    text = " ".join(raw.split())
    if len(text) > MAX_DESCRIPTION_LENGTH:
        raise _invalid(
            file,
            DESCRIPTION_KEY,
            f"is {len(text)} characters; at most {MAX_DESCRIPTION_LENGTH} are allowed",
            "shorten it",
        )
    return text or None


def plain_number(value: float) -> str:
    """A number as the plain text Bedrock expects in its string maps: 2 -> "2", 1e-05 -> "1e-05"."""
    if float(value).is_integer():
        return str(int(value))
    return repr(float(value))


def _invalid(file: str, key: str, problem: str, fix: str) -> ManifestInvalid:
    return ManifestInvalid(f"{file}: {key}: {problem}. Fix: {fix}.")


def _money(amount: float) -> str:
    return f"${amount:,.2f}"


def _json_type(value: Any) -> str:
    if value is None:
        return "null"
    if isinstance(value, bool):
        return "true/false"
    if isinstance(value, int | float):
        return "a number"
    if isinstance(value, str):
        return "a string"
    if isinstance(value, list):
        return "a list"
    return "an object"
