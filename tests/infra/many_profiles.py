"""A platform team's configuration: one profile per team, as many as asked, covering every option there is.

Profiles cycle through every (base model, customization type) pair the model table allows, and through the
options of each *axis*: a group of per-profile settings (serving today). An option that does not fit a profile's
model is skipped for the next that does. A new per-profile setting (an evaluation gate, RFT graders, uploader
principals) is a new axis in `AXES`, and the limits test then covers it at 100 profiles without other changes.

Every value is as long as the rules allow where length could matter (32-character names, every hyperparameter
of the model set), so the sizes measured are a platform team's worst case, not a demo's.

`python -m tests.infra.many_profiles 100` prints cdk.json's `tuneline` object with 100 profiles, for a manual
`make synth` with a temporary cdk.json.
"""

from __future__ import annotations

import json
import sys
from collections.abc import Callable, Mapping
from typing import Any

import app as tuneline_app
from tuneline.datasets.models import MODEL_RULES, TEACHERS, ModelRules
from tuneline.profiles import PROFILE_NAME_PATTERN

# One option of an axis: the settings it adds to a profile of that model, or None when it does not fit.
Option = Callable[[ModelRules], Mapping[str, Any] | None]
PLATFORM_TEAM_SIZE = 100
_NAME_LENGTH = 32


def _no_serving(_rules: ModelRules) -> Mapping[str, Any]:
    return {"serving": {"mode": "none"}}


def _provisioned_by_the_hour(_rules: ModelRules) -> Mapping[str, Any]:
    return {"serving": {"mode": "provisioned", "modelUnits": 2, "ttlHours": 168, "keepOnSmokeFailure": True}}


def _provisioned_for(commitment: str) -> Option:
    def option(_rules: ModelRules) -> Mapping[str, Any]:
        return {"serving": {"mode": "provisioned", "commitment": commitment, "acknowledgeCommitment": True}}

    return option


def _on_demand(rules: ModelRules) -> Mapping[str, Any] | None:
    if not rules.on_demand_deployment:
        return None
    return {"serving": {"mode": "on-demand", "ttlHours": 24, "keepOnSmokeFailure": False}}


# Axis name -> its options. Add an axis for each new group of per-profile settings.
AXES: Mapping[str, tuple[Option, ...]] = {
    "serving": (
        _no_serving,
        _provisioned_by_the_hour,
        _provisioned_for("OneMonth"),
        _provisioned_for("SixMonths"),
        _on_demand,
    ),
}


def many_profiles(count: int = PLATFORM_TEAM_SIZE) -> dict[str, dict[str, Any]]:
    """`count` valid profiles (cdk.json's form): every job kind and every option of every axis appear once at
    least, given enough profiles."""
    jobs = _job_kinds()
    profiles: dict[str, dict[str, Any]] = {}
    for number in range(count):
        rules, model_id, customization_type = jobs[number % len(jobs)]
        body = _job(rules, model_id, customization_type, number)
        for options in AXES.values():
            body.update(_option_that_fits(options, number, rules))
        profiles[_name(number, rules.family, customization_type)] = body
    return profiles


def platform_team_context(count: int = PLATFORM_TEAM_SIZE) -> dict[str, Any]:
    """cdk.json's context (feature flags and deployment-wide settings) with `count` generated profiles."""
    context = tuneline_app.cdk_json_context()
    context["tuneline"]["profiles"] = many_profiles(count)
    return context


def _job_kinds() -> list[tuple[ModelRules, str, str]]:
    return [
        (rules, model_id, customization_type)
        for rules in MODEL_RULES
        for model_id in rules.model_ids
        for customization_type in rules.customization_types
    ]


def _job(rules: ModelRules, model_id: str, customization_type: str, number: int) -> dict[str, Any]:
    body: dict[str, Any] = {
        "baseModel": model_id,
        "customizationType": customization_type,
        "hyperParameters": {name: spec.default for name, spec in rules.hyperparameters.items() if spec.default},
        "budgetUsd": 1000 + number + 0.25,
        "concurrency": 1 + number % 3,
        "autoFix": number % 2 == 0,
        "maxResponseLengthForInference": 4096,
        "pricePer1kTokensUsd": 0.0125,
    }
    if rules.validation_allowed_for(customization_type):
        body["validationSplit"] = 0.15
    if customization_type == "DISTILLATION":
        body["teacherModel"] = _teacher_for(rules)
    return body


def _teacher_for(rules: ModelRules) -> str:
    """The longest spelling of a teacher allowed for this student (a cross-Region inference profile)."""
    teacher = next(t for t in TEACHERS.values() if rules.family in t.students)
    return f"us.{teacher.model_id}"


def _option_that_fits(options: tuple[Option, ...], number: int, rules: ModelRules) -> Mapping[str, Any]:
    for shift in range(len(options)):
        settings = options[(number + shift) % len(options)](rules)
        if settings is not None:
            return settings
    raise ValueError(f"no option fits {rules.display_name}; every axis needs one that fits every model")


def _name(number: int, family: str, customization_type: str) -> str:
    name = f"{number:03d}-{family}-{customization_type.lower().replace('_', '-')}-team"
    name = name[:_NAME_LENGTH].rstrip("-").ljust(_NAME_LENGTH, "x")
    assert PROFILE_NAME_PATTERN.fullmatch(name), name
    return name


if __name__ == "__main__":
    count = int(sys.argv[1]) if len(sys.argv) > 1 else PLATFORM_TEAM_SIZE
    print(json.dumps(platform_team_context(count)["tuneline"], indent=2))
