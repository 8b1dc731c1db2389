"""The `rftConfig` section of a profile: the grader it trains against, its hyperparameters and the checks
before the job.

Parsed at synth time through `tuneline.profiles` (an error names the key) and again at run time from the
profile JSON, with the same code. Errors are `RftConfigError(key, problem)`; `tuneline.profiles` turns them
into its `ConfigError`.
"""

from __future__ import annotations

import math
import re
from collections.abc import Mapping
from dataclasses import dataclass, field
from typing import Any

# Built-in graders (code in this package, one Lambda per profile) and a grader the user owns.
RULE_GRADERS = ("exact", "regex", "numeric", "jsonField", "jsonSchema")
GRADER_TYPES = (*RULE_GRADERS, "llmJudge", "lambdaArn")
# The LambdaArn pattern of the API (docs/bedrock.md §13), anchored.
LAMBDA_ARN = re.compile(
    r"^arn:(aws[a-zA-Z-]*)?:lambda:[a-z]{2}(-gov)?-[a-z]+-\d{1}:\d{12}:function:[a-zA-Z0-9\-_.]+"
    r"(:(\$LATEST|[a-zA-Z0-9\-_]+))?$"
)
# AWS's advice (docs/bedrock.md §13): a base model already above 95% mean reward gains little from RFT.
DEFAULT_SKIP_TRAINING_ABOVE = 0.95
DEFAULT_DRY_RUN_SAMPLES = 5
DEFAULT_BASELINE_SAMPLES = 20
# Bedrock calls the grader for every batch of sampled answers (batchSize x trainingSamplePerPrompt); the
# function must answer within its timeout (15 minutes at most) and have room for concurrent batches.
DEFAULT_GRADER_TIMEOUT_SECONDS = 300
DEFAULT_GRADER_CONCURRENCY = 20
DEFAULT_JUDGE_MAX_TOKENS = 512


class RftConfigError(ValueError):
    def __init__(self, key: str, problem: str) -> None:
        super().__init__(f"{key}: {problem}")
        self.key = key
        self.problem = problem


@dataclass(frozen=True)
class GraderSpec:
    """One grader. `options` holds the type's own settings as written in cdk.json (plain JSON)."""

    type: str
    options: Mapping[str, Any] = field(default_factory=dict)
    timeout_seconds: int = DEFAULT_GRADER_TIMEOUT_SECONDS
    reserved_concurrency: int = DEFAULT_GRADER_CONCURRENCY

    @property
    def built_in(self) -> bool:
        """Whether the stack builds this grader's function (everything but `lambdaArn`)."""
        return self.type != "lambdaArn"

    @property
    def lambda_arn(self) -> str | None:
        return self.options.get("lambdaArn") if self.type == "lambdaArn" else None

    def as_written(self) -> dict[str, Any]:
        """The grader as cdk.json writes it (what `parse_grader` reads)."""
        written: dict[str, Any] = {"type": self.type, **self.options}
        if self.built_in:
            written.update(timeoutSeconds=self.timeout_seconds, reservedConcurrency=self.reserved_concurrency)
        return written

    @property
    def judge_model(self) -> str | None:
        return self.options.get("modelId") if self.type == "llmJudge" else None


@dataclass(frozen=True)
class RftSettings:
    grader: GraderSpec
    # Typed values (int, float, str) as the API's rftConfig.hyperParameters takes them.
    hyperparameters: Mapping[str, Any] = field(default_factory=dict)
    skip_training_above: float = DEFAULT_SKIP_TRAINING_ABOVE
    dry_run_samples: int = DEFAULT_DRY_RUN_SAMPLES
    baseline_samples: int = DEFAULT_BASELINE_SAMPLES

    def as_written(self) -> dict[str, Any]:
        """`rftConfig` as cdk.json writes it (what `parse_rft_settings` reads): the plan carries it to the checks
        before the job, so only the Plan function reads the profiles (docs/decisions/0010-profiles-at-run-time.md)."""
        return {
            "grader": self.grader.as_written(),
            "hyperParameters": dict(self.hyperparameters),
            "skipTrainingAbove": self.skip_training_above,
            "dryRunSamples": self.dry_run_samples,
            "baselineSamples": self.baseline_samples,
        }


_RFT_KEYS = ("grader", "hyperParameters", "skipTrainingAbove", "dryRunSamples", "baselineSamples")
_COMMON_GRADER_KEYS = ("type", "timeoutSeconds", "reservedConcurrency")
# Each grader type's own keys: (required, optional).
_GRADER_KEYS: dict[str, tuple[tuple[str, ...], tuple[str, ...]]] = {
    "exact": ((), ("caseSensitive", "referenceField")),
    "regex": (("pattern",), ("caseSensitive", "referenceField")),
    "numeric": ((), ("tolerance", "relative", "pattern", "referenceField")),
    "jsonField": (("path",), ("expected",)),
    "jsonSchema": (("schema",), ()),
    "llmJudge": (("modelId", "rubric"), ("maxTokens",)),
    "lambdaArn": (("lambdaArn",), ()),
}


def parse_rft_settings(raw: Any, hyperparameter_ranges: Mapping[str, Any], key: str) -> RftSettings:
    """`rftConfig` of a profile. `hyperparameter_ranges` are the model's `rft_hyperparameters` (name ->
    HyperParameterRange), so the ranges live in the model rules table with every other model's."""
    body = _mapping(raw, key)
    _known_keys(body, _RFT_KEYS, key)
    if "grader" not in body:
        raise RftConfigError(
            f"{key}.grader",
            'is required: the grader scores the model\'s answers, e.g. {"type": "exact"} or '
            '{"type": "lambdaArn", "lambdaArn": "arn:aws:lambda:..."}',
        )
    return RftSettings(
        grader=parse_grader(body["grader"], f"{key}.grader"),
        hyperparameters=_hyperparameters(
            body.get("hyperParameters", {}), hyperparameter_ranges, f"{key}.hyperParameters"
        ),
        skip_training_above=_number(
            body.get("skipTrainingAbove", DEFAULT_SKIP_TRAINING_ABOVE), f"{key}.skipTrainingAbove", 0.01, 1.0
        ),
        dry_run_samples=int(
            _number(body.get("dryRunSamples", DEFAULT_DRY_RUN_SAMPLES), f"{key}.dryRunSamples", 1, 50, integer=True)
        ),
        baseline_samples=int(
            _number(
                body.get("baselineSamples", DEFAULT_BASELINE_SAMPLES), f"{key}.baselineSamples", 0, 200, integer=True
            )
        ),
    )


def parse_grader(raw: Any, key: str) -> GraderSpec:
    body = _mapping(raw, key)
    kind = body.get("type")
    if kind not in GRADER_TYPES:
        raise RftConfigError(f"{key}.type", f"{kind!r} is not a grader type; use one of {', '.join(GRADER_TYPES)}")
    required, optional = _GRADER_KEYS[kind]
    _known_keys(body, (*_COMMON_GRADER_KEYS, *required, *optional), key)
    for name in required:
        if name not in body:
            raise RftConfigError(f"{key}.{name}", f"is required for a {kind} grader")
    options = {name: body[name] for name in (*required, *optional) if name in body}
    _check_options(kind, options, key)
    if kind == "lambdaArn" and ("timeoutSeconds" in body or "reservedConcurrency" in body):
        raise RftConfigError(
            key,
            "timeoutSeconds and reservedConcurrency apply to graders the stack builds; set them on your own function",
        )
    return GraderSpec(
        type=kind,
        options=options,
        timeout_seconds=int(
            _number(
                body.get("timeoutSeconds", DEFAULT_GRADER_TIMEOUT_SECONDS),
                f"{key}.timeoutSeconds",
                10,
                900,
                integer=True,
            )
        ),
        reserved_concurrency=int(
            _number(
                body.get("reservedConcurrency", DEFAULT_GRADER_CONCURRENCY),
                f"{key}.reservedConcurrency",
                1,
                1000,
                integer=True,
            )
        ),
    )


def _check_options(kind: str, options: Mapping[str, Any], key: str) -> None:
    for flag in ("caseSensitive", "relative"):
        if flag in options and not isinstance(options[flag], bool):
            raise RftConfigError(f"{key}.{flag}", f"must be true or false, got {options[flag]!r}")
    for text in ("referenceField", "path", "modelId", "rubric"):
        if text in options and (not isinstance(options[text], str) or not options[text].strip()):
            raise RftConfigError(f"{key}.{text}", "must be a non-empty string")
    if "pattern" in options:
        pattern = options["pattern"]
        if not isinstance(pattern, str) or not pattern:
            raise RftConfigError(f"{key}.pattern", "must be a non-empty regular expression")
        try:
            compiled = re.compile(pattern)
        except re.error as error:
            raise RftConfigError(f"{key}.pattern", f"is not a valid regular expression: {error}") from None
        if compiled.groups > 1:
            raise RftConfigError(f"{key}.pattern", "may have at most one group: the answer it captures")
    if "tolerance" in options:
        _number(options["tolerance"], f"{key}.tolerance", 0.0, 1e12)
    if "maxTokens" in options:
        _number(options["maxTokens"], f"{key}.maxTokens", 16, 8192, integer=True)
    if kind == "jsonField":
        from tuneline.graders.rules import parse_path

        try:
            parse_path(options["path"])
        except ValueError as error:
            raise RftConfigError(f"{key}.path", str(error)) from None
    if kind == "jsonSchema":
        from tuneline.graders.json_schema import check_schema

        problem = check_schema(options["schema"])
        if problem:
            raise RftConfigError(f"{key}.schema", problem)
    if kind == "lambdaArn" and (
        not isinstance(options["lambdaArn"], str) or not LAMBDA_ARN.match(options["lambdaArn"])
    ):
        raise RftConfigError(
            f"{key}.lambdaArn",
            f"{options['lambdaArn']!r} is not a Lambda function ARN like "
            "arn:aws:lambda:us-east-1:111122223333:function:my-grader",
        )


def _hyperparameters(raw: Any, ranges: Mapping[str, Any], key: str) -> dict[str, Any]:
    body = _mapping(raw, key)
    result: dict[str, Any] = {}
    for name, value in body.items():
        spec = ranges.get(name)
        if spec is None:
            raise RftConfigError(
                f"{key}.{name}", f"is not an RFT hyperparameter; allowed: {', '.join(sorted(ranges)) or 'none'}"
            )
        if isinstance(value, bool) or not isinstance(value, int | float | str):
            raise RftConfigError(f"{key}.{name}", f"must be {spec.describe()}, got {value!r}")
        problem = spec.check(str(value))
        if problem:
            raise RftConfigError(f"{key}.{name}", problem)
        # rftConfig takes typed values (docs/bedrock.md §3), unlike the string map of other job types.
        if not spec.numeric:
            result[name] = str(value).strip().lower()
        elif spec.integer:
            result[name] = int(float(value))
        else:
            result[name] = float(value)
    return result


def _mapping(raw: Any, key: str) -> Mapping[str, Any]:
    if not isinstance(raw, Mapping):
        raise RftConfigError(key, f"must be an object, got {type(raw).__name__}")
    return raw


def _known_keys(body: Mapping[str, Any], allowed: tuple[str, ...], key: str) -> None:
    for name in body:
        if name not in allowed:
            raise RftConfigError(f"{key}.{name}", f"unknown setting; allowed: {', '.join(sorted(allowed))}")


def _number(value: Any, key: str, minimum: float, maximum: float, *, integer: bool = False) -> float:
    kind = "a whole number" if integer else "a number"
    allowed = f"{kind} from {_plain(minimum)} to {_plain(maximum)}"
    if isinstance(value, bool) or not isinstance(value, int | float) or not math.isfinite(value):
        raise RftConfigError(key, f"must be {allowed} (without quotes), got {value!r}")
    if integer and int(value) != value:
        raise RftConfigError(key, f"must be {allowed}, got {value!r}")
    if not minimum <= value <= maximum:
        raise RftConfigError(key, f"{_plain(value)} is out of range; use {allowed}")
    return float(value)


def _plain(value: float) -> str:
    return str(int(value)) if float(value).is_integer() else repr(float(value))
