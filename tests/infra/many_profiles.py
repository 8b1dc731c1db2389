"""A platform team's configuration: one profile per team, as many as asked, covering every option there is.

Profiles cycle through every (base model, customization type) pair the model table allows, and through the
options of each *axis*: a group of per-profile settings (serving, evaluation, uploaders). An option that does not
fit a profile's model is skipped for the next that does. A new per-profile setting (RFT graders, a budget rule)
is a new axis in `AXES` (or a new option of an axis), and the limits test then covers it at 100 profiles
without other changes; tests/infra/test_limits.py fails while a setting of `tuneline.profiles` appears in no
generated profile.

Every value is as long as the rules allow where length could matter (32-character names, every hyperparameter
of the model set, every judge metric, realistic IAM role ARNs), so the sizes measured are a platform team's
worst case, not a demo's.

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
from tuneline.profiles import JUDGE_METRICS, MAX_CUSTOM_JUDGE_METRICS, MAX_EVALUATION_PROMPTS, PROFILE_NAME_PATTERN

# One option of an axis: the settings it adds to a profile of that model, or None when it does not fit.
Option = Callable[[ModelRules], Mapping[str, Any] | None]
PLATFORM_TEAM_SIZE = 100
_NAME_LENGTH = 32
# About half the profiles name their uploaders: 12 teams their own roles (a team's profiles share its list) and
# 2 departments one list each for all their profiles; the other half leave uploads to IAM. The bucket policy
# holds about 35 distinct lists of 1-3 roles (stacks/constructs/access.py refuses more at synth).
UPLOADER_TEAMS = 12
UPLOADER_DEPARTMENTS = ("research", "operations")


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


# --- evaluation: off, every default, each gate, the judge with every metric, through throughput -------------


def _no_evaluation(_rules: ModelRules) -> Mapping[str, Any]:
    return {}


def _evaluated_with_defaults(rules: ModelRules) -> Mapping[str, Any] | None:
    if not rules.converse_supported:
        return None
    return {"evaluation": _invocation(rules) or True}


def _invocation(rules: ModelRules) -> dict[str, Any]:
    """What a base model that answers only through an inference profile must name (synth refuses it otherwise)."""
    if not rules.invocation_needs_inference_profile:
        return {}
    return {"baseModelInvocationId": f"us.{_without_context(rules.model_ids[0])}"}


def _baseline_first(rules: ModelRules) -> Mapping[str, Any] | None:
    if not rules.converse_supported:
        return None
    return {"evaluation": {**_invocation(rules), "baselineFirst": True, "skipTrainingAbove": 0.85}}


def _gated_on(metric: str, min_improvement: float, require_significance: bool) -> Option:
    def option(rules: ModelRules) -> Mapping[str, Any] | None:
        if not rules.converse_supported:
            return None
        gate = {"metric": metric, "minImprovement": min_improvement, "requireSignificance": require_significance}
        return {"evaluation": {**_invocation(rules), "prompts": MAX_EVALUATION_PROMPTS, "gate": gate}}

    return option


def _judged_on_every_metric(rules: ModelRules) -> Mapping[str, Any] | None:
    """The longest evaluation a profile can ask for: the judge with every built-in and custom metric, the base
    model named by its inference profile, and throughput bought when the model has no on-demand deployment."""
    if not rules.converse_supported:
        return None
    custom = [
        {"name": f"{_TEAM_WORDS[index % len(_TEAM_WORDS)]}-policy-adherence-{index:02d}", "instructions": _RUBRIC}
        for index in range(MAX_CUSTOM_JUDGE_METRICS)
    ]
    return {
        "evaluation": {
            "prompts": MAX_EVALUATION_PROMPTS,
            "gate": {"metric": "tokenF1", "minImprovement": 0.05, "requireSignificance": True},
            "judge": {
                "evaluatorModel": "us.amazon.nova-premier-v1:0",
                "metrics": list(JUDGE_METRICS),
                "customMetrics": custom,
            },
            "baseModelInvocationId": f"us.{_without_context(rules.model_ids[0])}",
            **({} if rules.on_demand_deployment else {"allowThroughput": True, "throughputPricePerHourUsd": 123.45}),
            "baselineFirst": True,
            "skipTrainingAbove": 0.95,
        }
    }


def _judged_through_throughput(rules: ModelRules) -> Mapping[str, Any] | None:
    if not rules.converse_supported:
        return None
    judge = {"evaluatorModel": "us.anthropic.claude-3-5-sonnet-20241022-v2:0", "metrics": ["Builtin.Correctness"]}
    return {
        "evaluation": {**_invocation(rules), "judge": judge, "allowThroughput": True, "throughputPricePerHourUsd": 49.5}
    }


def _without_context(model_id: str) -> str:
    """`amazon.nova-micro-v1:0:128k` -> `amazon.nova-micro-v1:0`: the ID the model is invoked with."""
    return model_id.rsplit(":", 1)[0] if model_id.count(":") > 1 else model_id


_RUBRIC = (
    "You are reviewing an answer written for a customer of a regulated business. Read the prompt {{prompt}}, "
    "the reference answer {{ground_truth}} and the response {{prediction}}. Score 5 when the response follows "
    "every rule of the reference (no promises of outcomes, no advice outside the product, the escalation path "
    "named when the customer asks for a person), 3 when it breaks one rule without harm to the customer, and 1 "
    "when it breaks a rule in a way that could mislead the customer or expose the business. Explain the score in "
    "one sentence before giving it."
)


# --- media and alerts: the default folder, or a team's own folder with smoke text in alerts ---------------------


def _default_media(_rules: ModelRules) -> Mapping[str, Any]:
    return {}


def _own_media_folder(rules: ModelRules) -> Mapping[str, Any]:
    return {"mediaPrefix": f"teams/{rules.family}/images-and-videos/", "includeSmokeTextInAlerts": True}


# --- uploaderPrincipals: IAM alone, a department's shared list, or a team's own roles ----------------------------

_ACCOUNT = "210987654321"
_TEAM_WORDS = ("claims", "fraud", "support", "search", "pricing", "risk", "legal", "marketing")


def _uploaders_left_to_iam(_rules: ModelRules) -> Mapping[str, Any]:
    return {}


def _department_uploaders(department: str) -> Option:
    """A list several profiles share: the department's SSO role and its data pipeline (some profiles say the
    same people may upload; they share one bucket-policy statement)."""
    principals = [_sso_role(f"{department.title()}DataUploaders"), _pipeline_role(department)]
    return lambda _rules: {"uploaderPrincipals": principals}


def _team_uploaders(team: int) -> Option:
    """A team's own roles: 1 to 3 of the kinds platform teams use (an SSO permission set's role, a CI role, a
    pipeline's task role), each as long as its kind usually is."""
    name = f"{_TEAM_WORDS[team % len(_TEAM_WORDS)]}-team-{team:02d}"
    kinds = [_sso_role(f"{name.title().replace('-', '')}Uploader"), _ci_role(name), _pipeline_role(name)]
    principals = kinds[: 1 + team % 3]
    return lambda _rules: {"uploaderPrincipals": principals}


def _sso_role(permission_set: str) -> str:
    return f"arn:aws:iam::{_ACCOUNT}:role/aws-reserved/sso.amazonaws.com/eu-west-1/AWSReservedSSO_{permission_set}_*"


def _ci_role(team: str) -> str:
    return f"arn:aws:iam::{_ACCOUNT}:role/github-actions/{team}-dataset-publisher"


def _pipeline_role(team: str) -> str:
    return f"arn:aws:iam::{_ACCOUNT}:role/{team}-data-pipeline-TaskRole-*"


# Axis name -> its options, one a line. Add an axis for each new group of per-profile settings, or an option to
# the axis it belongs to.
AXES: Mapping[str, tuple[Option, ...]] = {
    "serving": (
        _no_serving,
        _provisioned_by_the_hour,
        _provisioned_for("OneMonth"),
        _provisioned_for("SixMonths"),
        _on_demand,
    ),
    "evaluation": (
        _no_evaluation,
        _evaluated_with_defaults,
        _gated_on("exactMatch", 0.0, False),
        _gated_on("rougeL", 0.02, True),
        _gated_on("jsonValid", 0.1, True),
        _judged_on_every_metric,
        _judged_through_throughput,
        _baseline_first,
    ),
    "media": (_default_media, _own_media_folder),
    "uploaderPrincipals": (
        *(option for team in range(UPLOADER_TEAMS) for option in (_uploaders_left_to_iam, _team_uploaders(team))),
        *(_department_uploaders(department) for department in UPLOADER_DEPARTMENTS),
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
