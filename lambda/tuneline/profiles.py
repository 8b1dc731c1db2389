"""Job profiles: the typed settings a platform engineer writes in cdk.json and every job runs under.

Parsed by the CDK app at synth time (a bad profile fails `cdk synth` with the key and the allowed values) and
again by the functions that need them, from the profiles document the app writes into their code asset
(`PROFILES_FILE`, docs/decisions/0010-profiles-at-run-time.md): both sides read cdk.json's own text with the
same code, so a setting added here reaches the functions without any change to how it is delivered.
"""

from __future__ import annotations

import json
import math
import re
from collections.abc import Callable, Iterable, Mapping
from dataclasses import dataclass, field
from typing import Any, ParamSpec, TypeVar

from tuneline.datasets.models import (
    ModelRules,
    UnknownModelError,
    check_teacher,
    is_inference_profile,
    known_model_ids,
    resolve_model,
)
from tuneline.graders.spec import RftConfigError, RftSettings, parse_rft_settings
from tuneline.layout import MEDIA_PREFIX, PIPELINE_PREFIXES
from tuneline.suggest import did_you_mean

REINFORCEMENT_FINE_TUNING = "REINFORCEMENT_FINE_TUNING"
CUSTOMIZATION_TYPES = ("FINE_TUNING", "CONTINUED_PRE_TRAINING", "DISTILLATION", REINFORCEMENT_FINE_TUNING)
SERVING_MODES = ("none", "provisioned", "on-demand")
COMMITMENTS = ("none", "OneMonth", "SixMonths")
# A media prefix: folders in the S3 key charset Bedrock accepts for media (docs/bedrock.md §2.1), ending in "/".
MEDIA_PREFIX_PATTERN = re.compile(r"^(?:[A-Za-z0-9_.-]+/)+$")
# A profile name is part of an S3 prefix and of Bedrock job names: keep it to what both accept.
PROFILE_NAME_PATTERN = re.compile(r"^[a-z0-9](?:[a-z0-9-]{0,30}[a-z0-9])?$")

DEFAULT_BUDGET_USD = 100.0
DEFAULT_MAX_RESPONSE_LENGTH = 1000
MAX_VALIDATION_SPLIT = 0.5
# No-commitment throughput bills by the hour until deleted; a week is the longest TTL we let a profile ask for.
MAX_TTL_HOURS = 168
# An uploader is named by the ARN the bucket policy compares with aws:PrincipalArn: an IAM role or user (a role
# session's ARN is its role's), or the account root. `*` matches any characters, e.g. SSO roles' suffixes.
UPLOADER_PRINCIPAL_PATTERN = re.compile(r"^arn:aws[a-z-]*:iam::\d{12}:(?:root|(?:role|user)/[\w+=,.@/*-]+)$")
# The profiles document's name at the root of the functions' code asset (docs/decisions/0010-profiles-at-run-time.md).
PROFILES_FILE = "tuneline-profiles.json"
PROFILES_KEY = "tuneline.profiles"
# Evaluation (docs/decisions/0011-evaluation-stage.md): a Bedrock evaluation job takes at most 1,000 prompts
# (docs/bedrock.md §12.1), and the judge runs on the same set.
DEFAULT_EVALUATION_PROMPTS = 200
MAX_EVALUATION_PROMPTS = 1000
# The deterministic metrics a gate may use (the scoring engine's per-record metrics).
GATE_METRICS = ("exactMatch", "tokenF1", "rougeL", "jsonValid")
# LLM-as-judge metrics of a Bedrock evaluation job (docs/bedrock.md §12.1).
JUDGE_METRICS = (
    "Builtin.Correctness",
    "Builtin.Completeness",
    "Builtin.Faithfulness",
    "Builtin.Helpfulness",
    "Builtin.Coherence",
    "Builtin.Relevance",
    "Builtin.FollowingInstructions",
    "Builtin.ProfessionalStyleAndTone",
    "Builtin.Harmfulness",
    "Builtin.Stereotyping",
    "Builtin.Refusal",
)
DEFAULT_JUDGE_METRICS = ("Builtin.Correctness", "Builtin.Completeness")
MAX_CUSTOM_JUDGE_METRICS = 10
CUSTOM_METRIC_NAME_PATTERN = re.compile(r"^[0-9a-zA-Z](?:[0-9a-zA-Z_-]{0,62})$")


class ConfigError(ValueError):
    """A setting is wrong. The message names the key (a dotted path), the rule and what is allowed."""

    def __init__(self, key: str, problem: str) -> None:
        super().__init__(f"{key}: {problem}")
        self.key = key
        self.problem = problem

    @property
    def mistakes(self) -> tuple[ConfigError, ...]:
        """Every mistake this error stands for: itself, or each one of a `ConfigErrors`."""
        return (self,)


class ConfigErrors(ConfigError):
    """More than one setting is wrong: each mistake in the order the settings were read, so one `cdk synth`
    names them all. `key` and `problem` are the first one's; the message lists every one on its own line."""

    def __init__(self, errors: Iterable[ConfigError]) -> None:
        self.errors = tuple(mistake for error in errors for mistake in error.mistakes)
        first = self.errors[0]
        super().__init__(first.key, first.problem)
        self.args = ("\n".join(str(error) for error in self.errors),)

    @property
    def mistakes(self) -> tuple[ConfigError, ...]:
        return self.errors


_T = TypeVar("_T")
_P = ParamSpec("_P")


class Mistakes:
    """Collects the ConfigErrors of independent settings, so a reading reports all of them, not the first.

    `check` runs one setting's parser and returns its value, or `fallback` after noting the error; a setting
    whose rule depends on another (customizationType on baseModel) is checked only when that one was right,
    so a mistake is never reported twice under two keys. `raise_any` raises what was found: the error itself
    when there is one, `ConfigErrors` when there are more."""

    def __init__(self) -> None:
        self.found: list[ConfigError] = []

    def check(self, fallback: _T, parse: Callable[_P, _T], *args: _P.args, **kwargs: _P.kwargs) -> _T:
        try:
            return parse(*args, **kwargs)
        except ConfigError as error:
            self.found.extend(error.mistakes)
            return fallback

    def add(self, error: ConfigError) -> None:
        self.found.extend(error.mistakes)

    def raise_any(self) -> None:
        if len(self.found) == 1:
            raise self.found[0]
        if self.found:
            raise ConfigErrors(self.found)


@dataclass(frozen=True)
class ServingSettings:
    mode: str = "none"
    model_units: int = 1
    commitment: str = "none"
    ttl_hours: int = 8
    keep_on_smoke_failure: bool = False


@dataclass(frozen=True)
class CustomJudgeMetric:
    name: str
    instructions: str


@dataclass(frozen=True)
class JudgeSettings:
    evaluator_model: str
    metrics: tuple[str, ...] = DEFAULT_JUDGE_METRICS
    custom_metrics: tuple[CustomJudgeMetric, ...] = ()


@dataclass(frozen=True)
class GateSettings:
    metric: str = "rougeL"
    min_improvement: float = 0.0
    require_significance: bool = True


@dataclass(frozen=True)
class EvaluationSettings:
    """Evaluate the custom model against its base before anything is served (docs/bedrock.md §12.3)."""

    prompts: int = DEFAULT_EVALUATION_PROMPTS
    gate: GateSettings = field(default_factory=GateSettings)
    judge: JudgeSettings | None = None
    # The ID the base model is invoked with on demand; by default the base model ID without its context
    # variant (`amazon.nova-micro-v1:0:128k` -> `amazon.nova-micro-v1:0`). Models callable only through an
    # inference profile need its ID here (`us.amazon.nova-2-lite-v1:0`).
    base_model_invocation_id: str | None = None
    # Reach the custom model through no-commitment Provisioned Throughput when it has no on-demand deployment;
    # its hourly price per model unit (from the Bedrock console) goes into the cost estimate and budget check.
    allow_throughput: bool = False
    throughput_price_per_hour_usd: float | None = None
    # Ask the base model the evaluation set before training; stop when it already scores `skip_training_above`
    # on the gate metric (docs/decisions/0011-evaluation-stage.md).
    baseline_first: bool = False
    skip_training_above: float | None = None


@dataclass(frozen=True)
class Profile:
    name: str
    base_model: str
    customization_type: str = "FINE_TUNING"
    hyperparameters: Mapping[str, str] = field(default_factory=dict)
    validation_split: float = 0.0
    budget_usd: float = DEFAULT_BUDGET_USD
    concurrency: int = 1
    auto_fix: bool = True
    teacher_model: str | None = None
    max_response_length: int = DEFAULT_MAX_RESPONSE_LENGTH
    price_per_1k_tokens_usd: float | None = None
    serving: ServingSettings = field(default_factory=ServingSettings)
    # Only these principals may write incoming/<profile>/ (a bucket-policy Deny for everyone else); empty: anyone
    # the account's IAM allows. Only the stack uses it (bucket-policy statements); the functions ignore it.
    uploader_principals: tuple[str, ...] = ()
    # None: no evaluation (the default).
    evaluation: EvaluationSettings | None = None
    # Reinforcement fine-tuning only: the grader, rftConfig hyperparameters and the checks before the job.
    rft: RftSettings | None = None
    media_prefix: str = MEDIA_PREFIX
    # Smoke-test prompts come from the training data (maybe personal data): e-mailed only when asked for.
    include_smoke_text_in_alerts: bool = False


_PROFILE_KEYS = {
    "baseModel",
    "customizationType",
    "hyperParameters",
    "validationSplit",
    "budgetUsd",
    "concurrency",
    "autoFix",
    "teacherModel",
    "maxResponseLengthForInference",
    "pricePer1kTokensUsd",
    "serving",
    "uploaderPrincipals",
    "rftConfig",
    "evaluation",
    "mediaPrefix",
    "includeSmokeTextInAlerts",
}
_EVALUATION_KEYS = {
    "prompts",
    "gate",
    "judge",
    "baseModelInvocationId",
    "allowThroughput",
    "throughputPricePerHourUsd",
    "baselineFirst",
    "skipTrainingAbove",
}
_GATE_KEYS = {"metric", "minImprovement", "requireSignificance"}
_JUDGE_KEYS = {"evaluatorModel", "metrics", "customMetrics"}
_CUSTOM_METRIC_KEYS = {"name", "instructions"}
_SERVING_KEYS = {
    "mode",
    "modelUnits",
    "commitment",
    "acknowledgeCommitment",
    "ttlHours",
    "keepOnSmokeFailure",
}


def parse_profiles(raw: Any, key: str = PROFILES_KEY) -> dict[str, Profile]:
    """Every profile, or a ConfigError naming each mistake in all of them (`ConfigErrors` when more than one)."""
    if not isinstance(raw, Mapping) or not raw:
        raise ConfigError(key, 'must be an object with at least one profile, e.g. {"default": {"baseModel": ...}}')
    mistakes = Mistakes()
    profiles = {}
    for name, body in raw.items():
        if not isinstance(name, str) or not PROFILE_NAME_PATTERN.fullmatch(name):
            mistakes.add(
                ConfigError(
                    f"{key}.{name}",
                    "profile names are 1-32 characters of lowercase letters, digits and inner hyphens "
                    "(they become the S3 prefix incoming/<profile>/ and part of Bedrock job names)",
                )
            )
        profile = mistakes.check(None, parse_profile, name, body, f"{key}.{name}")
        if profile is not None:
            profiles[name] = profile
    mistakes.raise_any()
    return profiles


def parse_profile(name: str, raw: Any, key: str) -> Profile:
    """One profile, or a ConfigError naming each of its mistakes. A setting whose rule depends on the base model
    or the customization type is checked only when those are right; "" and None below stand for a setting
    already reported as wrong."""
    body = _require_mapping(raw, key)
    mistakes = Mistakes()
    mistakes.check(None, _reject_unknown_keys, body, _PROFILE_KEYS, key)
    base_model = mistakes.check("", _require_str, body, "baseModel", key)
    rules = mistakes.check(None, _model_rules, base_model, f"{key}.baseModel") if base_model else None

    customization_type = mistakes.check(
        "", _choice, body.get("customizationType", "FINE_TUNING"), CUSTOMIZATION_TYPES, f"{key}.customizationType"
    )
    if rules is not None and customization_type and customization_type not in rules.customization_types:
        mistakes.add(
            ConfigError(
                f"{key}.customizationType",
                f"{rules.display_name} does not support {customization_type}; it supports "
                f"{', '.join(rules.customization_types)}{_models_supporting(customization_type)}",
            )
        )
        customization_type = ""
    rft = (
        mistakes.check(None, _parse_rft, body, rules, customization_type, key)
        if rules is not None and customization_type
        else None
    )

    teacher = body.get("teacherModel")
    if customization_type:
        mistakes.check(None, _check_teacher, teacher, customization_type, rules, f"{key}.teacherModel")

    hyperparameters = (
        mistakes.check({}, _parse_hyperparameters, body.get("hyperParameters", {}), rules, f"{key}.hyperParameters")
        if rules is not None
        else {}
    )

    validation_split = mistakes.check(
        0.0, _number, body.get("validationSplit", 0.0), f"{key}.validationSplit", 0.0, MAX_VALIDATION_SPLIT
    )
    if (
        validation_split
        and rules is not None
        and customization_type
        and not rules.validation_allowed_for(customization_type)
    ):
        mistakes.add(
            ConfigError(
                f"{key}.validationSplit",
                f"{rules.display_name} accepts no validation set for {customization_type}; remove "
                "validationSplit or set it to 0",
            )
        )

    budget_usd = mistakes.check(
        0.0, _number, body.get("budgetUsd", DEFAULT_BUDGET_USD), f"{key}.budgetUsd", 0.01, 1_000_000
    )
    concurrency = mistakes.check(1.0, _number, body.get("concurrency", 1), f"{key}.concurrency", 1, 100, integer=True)
    auto_fix = mistakes.check(True, _bool, body.get("autoFix", True), f"{key}.autoFix")
    max_response_length = mistakes.check(
        1.0,
        _number,
        body.get("maxResponseLengthForInference", DEFAULT_MAX_RESPONSE_LENGTH),
        f"{key}.maxResponseLengthForInference",
        1,
        32_000,
        integer=True,
    )
    price = body.get("pricePer1kTokensUsd")
    if price is not None:
        price = mistakes.check(None, _number, price, f"{key}.pricePer1kTokensUsd", 0.0, 1000.0)
    serving = mistakes.check(
        ServingSettings(), _parse_serving, body.get("serving", {"mode": "none"}), rules, f"{key}.serving"
    )
    uploader_principals = mistakes.check(
        (), _parse_uploader_principals, body.get("uploaderPrincipals", []), f"{key}.uploaderPrincipals"
    )
    evaluation = mistakes.check(None, _parse_evaluation, body.get("evaluation"), rules, f"{key}.evaluation")
    media_prefix = mistakes.check(
        MEDIA_PREFIX, _media_prefix, body.get("mediaPrefix", MEDIA_PREFIX), f"{key}.mediaPrefix"
    )
    include_smoke_text = mistakes.check(
        False, _bool, body.get("includeSmokeTextInAlerts", False), f"{key}.includeSmokeTextInAlerts"
    )
    mistakes.raise_any()

    return Profile(
        name=name,
        base_model=base_model,
        customization_type=customization_type,
        hyperparameters=hyperparameters,
        validation_split=validation_split,
        budget_usd=budget_usd,
        concurrency=int(concurrency),
        auto_fix=auto_fix,
        teacher_model=teacher if customization_type == "DISTILLATION" else None,
        max_response_length=int(max_response_length),
        price_per_1k_tokens_usd=price,
        serving=serving,
        uploader_principals=uploader_principals,
        evaluation=evaluation,
        rft=rft,
        media_prefix=media_prefix,
        include_smoke_text_in_alerts=include_smoke_text,
    )


def _model_rules(base_model: str, key: str) -> ModelRules:
    try:
        return resolve_model(base_model)
    except UnknownModelError as error:
        raise ConfigError(key, str(error)) from None


def _check_teacher(teacher: Any, customization_type: str, rules: ModelRules | None, key: str) -> None:
    if customization_type == "DISTILLATION":
        if not isinstance(teacher, str) or not teacher:
            raise ConfigError(key, "DISTILLATION needs a teacher model ID or inference profile ARN")
        problem = check_teacher(teacher, rules) if rules is not None else None
        if problem:
            raise ConfigError(key, problem)
    elif teacher is not None:
        raise ConfigError(
            key, "is only used with customizationType DISTILLATION; remove it or set customizationType to DISTILLATION"
        )


def _parse_rft(body: Mapping[str, Any], rules: Any, customization_type: str, key: str) -> RftSettings | None:
    """`rftConfig` is required with REINFORCEMENT_FINE_TUNING and refused with any other type; RFT's
    hyperparameters are typed and live there, not in the string map other job types use (docs/bedrock.md §13)."""
    if customization_type != REINFORCEMENT_FINE_TUNING:
        if "rftConfig" in body:
            raise ConfigError(
                f"{key}.rftConfig", f"is only used with customizationType {REINFORCEMENT_FINE_TUNING}; remove it"
            )
        return None
    if "rftConfig" not in body:
        raise ConfigError(
            f"{key}.rftConfig",
            f"{REINFORCEMENT_FINE_TUNING} needs rftConfig with a grader, e.g. "
            '{"grader": {"type": "exact"}, "hyperParameters": {"epochCount": 1}}',
        )
    if body.get("hyperParameters"):
        raise ConfigError(
            f"{key}.hyperParameters",
            "reinforcement fine-tuning takes its hyperparameters under rftConfig.hyperParameters "
            f"({', '.join(sorted(rules.rft_hyperparameters))}); move them there",
        )
    try:
        return parse_rft_settings(body["rftConfig"], rules.rft_hyperparameters, f"{key}.rftConfig")
    except RftConfigError as error:
        raise ConfigError(error.key, error.problem) from None


def _models_supporting(customization_type: str) -> str:
    from tuneline.datasets.models import MODEL_RULES

    models = [r.canonical_id for r in MODEL_RULES if customization_type in r.customization_types]
    return f". Base models that support {customization_type}: {', '.join(models)}" if models else ""


def _parse_uploader_principals(raw: Any, key: str) -> tuple[str, ...]:
    if not isinstance(raw, list):
        raise ConfigError(
            key, 'must be a list of IAM role or user ARNs, e.g. ["arn:aws:iam::111122223333:role/Uploader"]'
        )
    mistakes = Mistakes()
    for index, principal in enumerate(raw):
        if not isinstance(principal, str) or not UPLOADER_PRINCIPAL_PATTERN.fullmatch(principal):
            hint = (
                "name the role, arn:aws:iam::<account>:role/<name>, not its session (the bucket policy compares "
                "aws:PrincipalArn, which is the role's ARN)"
                if isinstance(principal, str) and ":assumed-role/" in principal
                else "use an IAM role or user ARN such as arn:aws:iam::111122223333:role/Uploader (* matches any "
                "characters), or arn:aws:iam::<account>:root"
            )
            mistakes.add(ConfigError(f"{key}[{index}]", f"{principal!r} is not an IAM principal ARN; {hint}"))
    hashable = [principal for principal in raw if isinstance(principal, str)]
    if len(set(hashable)) != len(hashable):
        mistakes.add(ConfigError(key, "lists a principal twice; list each once"))
    mistakes.raise_any()
    return tuple(raw)


def _media_prefix(value: Any, key: str) -> str:
    """A key prefix of the data bucket that ends in "/", in Bedrock's S3 key charset, with no "." or ".." part,
    and apart from the prefixes the pipeline owns (a dataset naming media there would get them copied)."""
    if type(value) is not str or not MEDIA_PREFIX_PATTERN.match(value):
        raise ConfigError(
            key,
            f'must be a folder of the data bucket like "media/" or "datasets/images/" (letters, digits, '
            f"'_', '-', '.', ending in '/'), got {value!r}",
        )
    if any(part in (".", "..") for part in value.split("/")):
        raise ConfigError(key, f"{value!r} has a '.' or '..' folder; name the folder itself")
    clash = next((p for p in PIPELINE_PREFIXES if value.startswith(p) or p.startswith(value)), None)
    if clash is not None:
        raise ConfigError(
            key,
            f"{value!r} overlaps {clash!r}, which the pipeline owns; use a folder of its own such as {MEDIA_PREFIX!r}",
        )
    return value


def _parse_hyperparameters(raw: Any, rules: ModelRules, key: str) -> dict[str, str]:
    body = _require_mapping(raw, key)
    mistakes = Mistakes()
    result: dict[str, str] = {}
    for name, value in body.items():
        text = mistakes.check(None, _hyperparameter, name, value, rules, f"{key}.{name}")
        if text is not None:
            result[name] = text
    mistakes.raise_any()
    return result


def _hyperparameter(name: str, value: Any, rules: ModelRules, key: str) -> str:
    allowed = rules.hyperparameters
    if name not in allowed:
        names = ", ".join(sorted(allowed)) or "none"
        raise ConfigError(
            key, f"{rules.display_name} has no hyperparameter {name!r}; {did_you_mean(name, allowed)}allowed: {names}"
        )
    if isinstance(value, bool) or not isinstance(value, str | int | float):
        raise ConfigError(key, f'must be a number or a string such as 2 or "0.00001", got {value!r}')
    # The API takes a map of strings; numbers are sent as their plain text.
    text = value if isinstance(value, str) else _plain_number(value)
    problem = allowed[name].check(text)
    if problem:
        raise ConfigError(key, problem)
    return text


def _parse_serving(raw: Any, rules: ModelRules | None, key: str) -> ServingSettings:
    if isinstance(raw, str):
        raw = {"mode": raw}
    body = _require_mapping(raw, key)
    mistakes = Mistakes()
    mistakes.check(None, _reject_unknown_keys, body, _SERVING_KEYS, key)
    mode = mistakes.check("", _choice, body.get("mode", "none"), SERVING_MODES, f"{key}.mode")
    commitment = mistakes.check("", _choice, body.get("commitment", "none"), COMMITMENTS, f"{key}.commitment")
    acknowledged = mistakes.check(None, _bool, body.get("acknowledgeCommitment", False), f"{key}.acknowledgeCommitment")
    if mode and commitment not in ("", "none"):
        if mode != "provisioned":
            mistakes.add(
                ConfigError(
                    f"{key}.commitment",
                    "a commitment applies only to mode 'provisioned'; set mode to 'provisioned' or remove commitment",
                )
            )
        elif acknowledged is False:
            mistakes.add(
                ConfigError(
                    f"{key}.acknowledgeCommitment",
                    f"commitment {commitment} buys Provisioned Throughput billed for the whole term and it cannot "
                    "be deleted before the term ends; set acknowledgeCommitment to true to confirm",
                )
            )
    if mode == "on-demand" and rules is not None and not rules.on_demand_deployment:
        on_demand = sorted({m for m in known_model_ids() if resolve_model(m).on_demand_deployment})
        mistakes.add(
            ConfigError(
                f"{key}.mode",
                f"{rules.display_name} does not support on-demand custom model deployment; supported base models: "
                f"{', '.join(on_demand)}. Use mode 'provisioned' or change baseModel",
            )
        )
    model_units = mistakes.check(1.0, _number, body.get("modelUnits", 1), f"{key}.modelUnits", 1, 100, integer=True)
    ttl_hours = mistakes.check(1.0, _number, body.get("ttlHours", 8), f"{key}.ttlHours", 1, MAX_TTL_HOURS, integer=True)
    keep = mistakes.check(False, _bool, body.get("keepOnSmokeFailure", False), f"{key}.keepOnSmokeFailure")
    mistakes.raise_any()
    return ServingSettings(
        mode=mode,
        model_units=int(model_units),
        commitment=commitment,
        ttl_hours=int(ttl_hours),
        keep_on_smoke_failure=keep,
    )


def _parse_evaluation(raw: Any, rules: ModelRules | None, key: str) -> EvaluationSettings | None:
    """`evaluation`: absent or false turns it off; true takes every default; an object sets the details."""
    if raw is None or raw is False:
        return None
    if raw is True:
        raw = {}
    body = _require_mapping(raw, key)
    mistakes = Mistakes()
    mistakes.check(None, _reject_unknown_keys, body, _EVALUATION_KEYS, key)
    if rules is not None and not rules.converse_supported:
        mistakes.add(
            ConfigError(
                key,
                f"{rules.display_name} cannot be evaluated: both models are asked through the Converse API, which "
                "it does not support; remove evaluation from this profile",
            )
        )
    invocation_id = mistakes.check(None, _base_model_invocation_id, body.get("baseModelInvocationId"), rules, key)
    prompts = mistakes.check(
        1.0,
        _number,
        body.get("prompts", DEFAULT_EVALUATION_PROMPTS),
        f"{key}.prompts",
        1,
        MAX_EVALUATION_PROMPTS,
        integer=True,
    )
    gate = mistakes.check(GateSettings(), _parse_gate, body.get("gate", {}), f"{key}.gate")
    judge = mistakes.check(None, _parse_judge, body["judge"], f"{key}.judge") if body.get("judge") is not None else None
    allow_throughput = mistakes.check(None, _bool, body.get("allowThroughput", False), f"{key}.allowThroughput")
    baseline_first = mistakes.check(None, _bool, body.get("baselineFirst", False), f"{key}.baselineFirst")
    # A number that belongs to a flag is judged only once the flag itself was read right.
    throughput_price = (
        mistakes.check(None, _throughput_price, body, allow_throughput, key) if allow_throughput is not None else None
    )
    skip_training_above = (
        mistakes.check(None, _skip_training_above, body, baseline_first, key) if baseline_first is not None else None
    )
    mistakes.raise_any()
    return EvaluationSettings(
        prompts=int(prompts),
        gate=gate,
        judge=judge,
        base_model_invocation_id=invocation_id,
        allow_throughput=bool(allow_throughput),
        throughput_price_per_hour_usd=throughput_price,
        baseline_first=bool(baseline_first),
        skip_training_above=skip_training_above,
    )


def _base_model_invocation_id(raw: Any, rules: ModelRules | None, key: str) -> str | None:
    """The ID the base model answers on demand with; required where the model answers only through a
    cross-Region inference profile (the model rules table, docs/bedrock.md §12.3). Without the rules (an unknown
    base model, reported on its own) only the value's shape is checked."""
    example = (
        f"us.{rules.canonical_id.rsplit(':', 1)[0]}"
        if rules is not None and rules.canonical_id.count(":") > 1
        else "us.<model id>"
    )
    if raw is not None and (not isinstance(raw, str) or not raw.strip()):
        raise ConfigError(
            f"{key}.baseModelInvocationId", f"must be a model ID or inference profile ID such as {example}"
        )
    invocation_id = raw.strip() if isinstance(raw, str) else None
    if (
        rules is not None
        and rules.invocation_needs_inference_profile
        and not (invocation_id and is_inference_profile(invocation_id))
    ):
        raise ConfigError(
            f"{key}.baseModelInvocationId",
            f"{rules.display_name} answers on demand only through a cross-Region inference profile; set "
            f"baseModelInvocationId to its inference profile ID, e.g. {example}",
        )
    return invocation_id


def _throughput_price(body: Mapping[str, Any], allow_throughput: bool, key: str) -> float | None:
    return _number_with_flag(
        body,
        "throughputPricePerHourUsd",
        ("allowThroughput", allow_throughput),
        key,
        maximum=10_000.0,
        needed="allowThroughput buys no-commitment Provisioned Throughput, billed by the hour until it is deleted; "
        "set throughputPricePerHourUsd to its hourly price per model unit (Bedrock console, Provisioned "
        "Throughput) so the budget check counts it",
    )


def _skip_training_above(body: Mapping[str, Any], baseline_first: bool, key: str) -> float | None:
    return _number_with_flag(
        body,
        "skipTrainingAbove",
        ("baselineFirst", baseline_first),
        key,
        maximum=1.0,
        needed="baselineFirst needs the score (0 to 1) on the gate metric at which the base model is good enough "
        "and training is skipped, e.g. 0.8",
    )


def _number_with_flag(
    body: Mapping[str, Any], name: str, flag: tuple[str, bool], key: str, *, maximum: float, needed: str
) -> float | None:
    """A number that belongs to a flag: required when the flag is on (`needed` says why), refused when it is off."""
    raw = body.get(name)
    flag_name, on = flag
    if raw is None:
        if on:
            raise ConfigError(f"{key}.{name}", needed)
        return None
    if not on:
        raise ConfigError(f"{key}.{name}", f"applies only with {flag_name}: true; remove it or set {flag_name}")
    return _number(raw, f"{key}.{name}", 0.0, maximum)


def _parse_gate(raw: Any, key: str) -> GateSettings:
    body = _require_mapping(raw, key)
    mistakes = Mistakes()
    mistakes.check(None, _reject_unknown_keys, body, _GATE_KEYS, key)
    metric = mistakes.check("", _choice, body.get("metric", "rougeL"), GATE_METRICS, f"{key}.metric")
    min_improvement = mistakes.check(0.0, _number, body.get("minImprovement", 0.0), f"{key}.minImprovement", 0.0, 1.0)
    require_significance = mistakes.check(
        True, _bool, body.get("requireSignificance", True), f"{key}.requireSignificance"
    )
    mistakes.raise_any()
    return GateSettings(metric=metric, min_improvement=min_improvement, require_significance=require_significance)


def _parse_judge(raw: Any, key: str) -> JudgeSettings:
    body = _require_mapping(raw, key)
    mistakes = Mistakes()
    mistakes.check(None, _reject_unknown_keys, body, _JUDGE_KEYS, key)
    evaluator = mistakes.check("", _require_str, body, "evaluatorModel", key)
    metrics = body.get("metrics", list(DEFAULT_JUDGE_METRICS))
    metrics_ok = isinstance(metrics, list) and all(isinstance(m, str) for m in metrics)
    if not metrics_ok:
        mistakes.add(ConfigError(f"{key}.metrics", 'must be a list of metric names such as ["Builtin.Correctness"]'))
    else:
        for index, metric in enumerate(metrics):
            if mistakes.check("", _choice, metric, JUDGE_METRICS, f"{key}.metrics[{index}]") == "":
                metrics_ok = False
    custom_raw = body.get("customMetrics", [])
    custom: tuple[CustomJudgeMetric, ...] = ()
    if not isinstance(custom_raw, list) or len(custom_raw) > MAX_CUSTOM_JUDGE_METRICS:
        mistakes.add(
            ConfigError(
                f"{key}.customMetrics",
                f"must be a list of at most {MAX_CUSTOM_JUDGE_METRICS} objects with name and instructions",
            )
        )
        metrics_ok = False
    else:
        parsed = [
            mistakes.check(None, _parse_custom_metric, item, f"{key}.customMetrics[{i}]")
            for i, item in enumerate(custom_raw)
        ]
        custom = tuple(metric for metric in parsed if metric is not None)
        metrics_ok = metrics_ok and len(custom) == len(parsed)
    # How many metrics there are in all is known only when each list was read.
    if metrics_ok and not metrics and not custom:
        mistakes.add(ConfigError(f"{key}.metrics", "the judge needs at least one built-in or custom metric"))
    if metrics_ok and len(metrics) + len(custom) > 25:
        mistakes.add(
            ConfigError(f"{key}.metrics", "an evaluation job takes at most 25 metrics in all (docs/bedrock.md §12.1)")
        )
    mistakes.raise_any()
    return JudgeSettings(evaluator_model=evaluator, metrics=tuple(metrics), custom_metrics=custom)


def _parse_custom_metric(raw: Any, key: str) -> CustomJudgeMetric:
    body = _require_mapping(raw, key)
    mistakes = Mistakes()
    mistakes.check(None, _reject_unknown_keys, body, _CUSTOM_METRIC_KEYS, key)
    name = mistakes.check("", _require_str, body, "name", key)
    if name and not CUSTOM_METRIC_NAME_PATTERN.fullmatch(name):
        mistakes.add(
            ConfigError(
                f"{key}.name", "use 1-63 letters, digits, hyphens and underscores, starting with a letter or digit"
            )
        )
    instructions = mistakes.check("", _require_str, body, "instructions", key)
    if instructions and "{{prediction}}" not in instructions:
        mistakes.add(
            ConfigError(
                f"{key}.instructions",
                "the rubric must contain {{prediction}} where the response goes (and may use {{prompt}} and "
                "{{ground_truth}})",
            )
        )
    mistakes.raise_any()
    return CustomJudgeMetric(name=name, instructions=instructions)


def profiles_document(raw: Mapping[str, Any]) -> str:
    """cdk.json's `profiles` object as the functions receive it: the settings exactly as written (keys sorted,
    no spaces), so every key, including ones added later, reaches them without a change here. Call it only on
    an object `parse_profiles` accepted."""
    return json.dumps(raw, sort_keys=True, separators=(",", ":"), ensure_ascii=False)


def profiles_from_document(text: str) -> dict[str, Profile]:
    """The profiles of a document written by `profiles_document`, parsed by the same code as at synth."""
    return parse_profiles(json.loads(text))


def _require_mapping(raw: Any, key: str) -> Mapping[str, Any]:
    if not isinstance(raw, Mapping):
        raise ConfigError(key, f"must be an object, got {type(raw).__name__}")
    return raw


def _reject_unknown_keys(body: Mapping[str, Any], allowed: set[str], key: str) -> None:
    """Every key of `body` that is not a setting, each with its closest setting when one is near."""
    mistakes = Mistakes()
    for name in body:
        if name not in allowed:
            mistakes.add(
                ConfigError(
                    f"{key}.{name}",
                    f"unknown setting; {did_you_mean(str(name), allowed)}allowed: {', '.join(sorted(allowed))}",
                )
            )
    mistakes.raise_any()


def _require_str(body: Mapping[str, Any], name: str, key: str) -> str:
    value = body.get(name)
    if not isinstance(value, str) or not value.strip():
        raise ConfigError(f"{key}.{name}", "is required and must be a non-empty string")
    return value.strip()


def _choice(value: Any, choices: tuple[str, ...], key: str) -> str:
    if value not in choices:
        hint = did_you_mean(value, choices) if isinstance(value, str) else ""
        raise ConfigError(key, f"{value!r} is not one of {', '.join(choices)}; {hint or 'use one of them'}".rstrip())
    return str(value)


def _bool(value: Any, key: str) -> bool:
    if not isinstance(value, bool):
        raise ConfigError(key, f"must be true or false (without quotes), got {value!r}")
    return value


def _number(value: Any, key: str, minimum: float, maximum: float, *, integer: bool = False) -> float:
    allowed = f"{'a whole number' if integer else 'a number'} from {_plain_number(minimum)} to {_plain_number(maximum)}"
    if isinstance(value, bool) or not isinstance(value, int | float) or not math.isfinite(value):
        raise ConfigError(key, f"must be {allowed} (without quotes), got {value!r}")
    if integer and int(value) != value:
        raise ConfigError(key, f"must be {allowed}, got {value!r}")
    if not minimum <= value <= maximum:
        raise ConfigError(key, f"{_plain_number(value)} is out of range; use {allowed}")
    return float(value)


def _plain_number(value: float) -> str:
    if float(value).is_integer():
        return str(int(value))
    return repr(float(value))
