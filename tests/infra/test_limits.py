"""A platform team's deployment fits every AWS limit it meets, with a quarter of each limit to spare.

Two configurations, each synthesized once: the shipped cdk.json, and 100 profiles covering every base model,
customization type and every option of every per-profile setting (tests/infra/many_profiles.py; a new
per-profile setting is a new axis there, and a test below fails until it is). Sizes are measured with every
reference resolved to a value as long as AWS makes it (tests/infra/aws_limits.py). Each limit below names its
source.

Not listed because nothing in the stack grows towards them: EventBridge Scheduler's quotas are per account
(schedules, request rates; the stack has one schedule), and the Lambda asset's 250 MB unzipped is checked by
tests/infra/test_lambda_asset.py.
"""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

import pytest

import app as tuneline_app
from stacks.config import load_config
from stacks.constructs import access
from tests.infra import aws_limits
from tests.infra.aws_limits import Limit
from tests.infra.many_profiles import PLATFORM_TEAM_SIZE, many_profiles, platform_team_context
from tests.infra.synth import resources_of_type
from tuneline import profiles as profile_rules
from tuneline.datasets.models import known_model_ids
from tuneline.profiles import (
    COMMITMENTS,
    CUSTOMIZATION_TYPES,
    GATE_METRICS,
    JUDGE_METRICS,
    PROFILES_FILE,
    SERVING_MODES,
    ConfigError,
    parse_profiles,
)

HEADROOM = 0.75  # a value may use at most 75% of its limit

LAMBDA_QUOTAS = "https://docs.aws.amazon.com/lambda/latest/dg/gettingstarted-limits.html"
IAM_QUOTAS = "https://docs.aws.amazon.com/IAM/latest/UserGuide/reference_iam-quotas.html"
SFN_QUOTAS = "https://docs.aws.amazon.com/step-functions/latest/dg/service-quotas.html"
CFN_QUOTAS = "https://docs.aws.amazon.com/AWSCloudFormation/latest/UserGuide/cloudformation-limits.html"
EVENTBRIDGE_QUOTAS = "https://docs.aws.amazon.com/eventbridge/latest/userguide/eb-quota.html"
S3_BUCKET_POLICIES = "https://docs.aws.amazon.com/AmazonS3/latest/userguide/using-iam-policies.html"

LIMITS = (
    # "4 KB, the total of all environment variables" of a function.
    Limit("environment variables per function (bytes)", 4 * 1024, LAMBDA_QUOTAS, aws_limits.environment_bytes),
    # The aggregate of all inline policies of one role, whitespace not counted. CDK would move statements past
    # it into managed policies (@aws-cdk/aws-iam:minimizePolicies merges them first); those are checked next.
    Limit("inline policies per role (characters)", 10_240, IAM_QUOTAS, aws_limits.inline_policy_chars),
    Limit("managed policy size (characters)", 6_144, IAM_QUOTAS, aws_limits.managed_policy_chars),
    # 10 by default (20 on request): the default is what a new account has.
    Limit("managed policies per role", 10, IAM_QUOTAS, aws_limits.managed_policies_per_role),
    Limit("role trust policy (characters)", 2_048, IAM_QUOTAS, aws_limits.trust_policy_chars),
    # "Bucket policies are limited to 20 KB in size": the named uploaders' Deny statements grow it per profile.
    Limit("bucket policy (bytes)", 20 * 1024, S3_BUCKET_POLICIES, aws_limits.bucket_policy_bytes),
    Limit("state machine definition (bytes)", 1024 * 1024, SFN_QUOTAS, aws_limits.state_machine_definition_bytes),
    # 1 MB for a template read from S3, as `cdk deploy` uploads it (51,200 bytes is for a body sent inline);
    # counted as 1,000,000 bytes, as cfn-lint does.
    Limit("template size (bytes)", 1_000_000, CFN_QUOTAS, aws_limits.template_bytes),
    Limit("resources per stack", 500, CFN_QUOTAS, aws_limits.count_of("Resources")),
    Limit("outputs per stack", 200, CFN_QUOTAS, aws_limits.count_of("Outputs")),
    Limit("parameters per stack", 200, CFN_QUOTAS, aws_limits.count_of("Parameters")),
    Limit("event pattern (characters)", 2_048, EVENTBRIDGE_QUOTAS, aws_limits.event_pattern_chars),
    Limit("targets per rule", 5, EVENTBRIDGE_QUOTAS, aws_limits.targets_per_rule),
)
CLI_CONTEXT = {
    "aws:cdk:enable-path-metadata": True,
    "aws:cdk:enable-asset-metadata": True,
    "aws:cdk:version-reporting": True,
}
CONFIGURATIONS = ("shipped cdk.json", f"{PLATFORM_TEAM_SIZE} profiles")


@pytest.fixture(scope="module")
def platform_team(tmp_path_factory: pytest.TempPathFactory) -> tuple[dict[str, Any], Path]:
    outdir = tmp_path_factory.mktemp("platform-team-cdk.out")
    # As the CDK CLI synthesizes for a deploy: with each resource's path and the CDKMetadata resource, which
    # add about a tenth to the template.
    context = {**platform_team_context(), **CLI_CONTEXT}
    assembly = tuneline_app.build_app(context=context, outdir=str(outdir)).synth()
    stack = assembly.get_stack_by_name(tuneline_app.STACK_NAME)
    template_path = Path(assembly.directory) / stack.template_file
    return json.loads(template_path.read_text()), template_path


@pytest.fixture(params=CONFIGURATIONS)
def configuration(request: pytest.FixtureRequest) -> dict[str, Any]:
    if request.param == CONFIGURATIONS[0]:
        return dict(request.getfixturevalue("template_json"))
    return request.getfixturevalue("platform_team")[0]


@pytest.mark.parametrize("limit", LIMITS, ids=[limit.name for limit in LIMITS])
def test_the_stack_stays_a_quarter_below_the_aws_limit(configuration: dict[str, Any], limit: Limit) -> None:
    values = limit.measure(configuration)
    too_close = {what: value for what, value in values.items() if value > HEADROOM * limit.maximum}
    assert not too_close, f"{limit.name}: over {HEADROOM:.0%} of {limit.maximum:,} ({limit.source}): {too_close}"


def test_the_platform_team_covers_every_model_customization_type_and_option() -> None:
    profiles = load_config(platform_team_context()["tuneline"]).profiles
    assert len(profiles) == PLATFORM_TEAM_SIZE
    assert {p.base_model for p in profiles.values()} == set(known_model_ids())
    assert {p.customization_type for p in profiles.values()} == set(CUSTOMIZATION_TYPES)
    assert {p.serving.mode for p in profiles.values()} == set(SERVING_MODES)
    assert {p.serving.commitment for p in profiles.values()} == set(COMMITMENTS)
    assert all(len(name) == 32 for name in profiles)  # the longest names, for the longest documents
    evaluations = [p.evaluation for p in profiles.values() if p.evaluation is not None]
    assert 0 < len(evaluations) < PLATFORM_TEAM_SIZE  # some profiles evaluate, some do not
    assert {e.gate.metric for e in evaluations} == set(GATE_METRICS)
    assert {e.gate.require_significance for e in evaluations} == {True, False}
    assert {e.allow_throughput for e in evaluations} == {True, False}
    judges = [e.judge for e in evaluations if e.judge is not None]
    assert judges and len(judges) < len(evaluations)  # with and without the judge
    assert {m for j in judges for m in j.metrics} == set(JUDGE_METRICS)
    assert max(len(j.custom_metrics) for j in judges) == profile_rules.MAX_CUSTOM_JUDGE_METRICS
    uploaders = [p.uploader_principals for p in profiles.values() if p.uploader_principals]
    assert 0 < len(uploaders) < PLATFORM_TEAM_SIZE  # some name their uploaders, the others leave it to IAM
    assert {len(u) for u in uploaders} == {1, 2, 3}
    assert len(set(uploaders)) < len(uploaders)  # some profiles share a list


def test_every_setting_a_profile_accepts_appears_in_the_platform_team() -> None:
    # A setting added to tuneline.profiles fails this until an axis of tests/infra/many_profiles.py sets it,
    # so the limits above are measured with it.
    accepted = {
        (): profile_rules._PROFILE_KEYS,
        ("serving",): profile_rules._SERVING_KEYS,
        ("evaluation",): profile_rules._EVALUATION_KEYS,
        ("evaluation", "gate"): profile_rules._GATE_KEYS,
        ("evaluation", "judge"): profile_rules._JUDGE_KEYS,
        ("evaluation", "judge", "customMetrics"): profile_rules._CUSTOM_METRIC_KEYS,
    }
    expected = {".".join((*path, key)) for path, keys in accepted.items() for key in keys}
    generated: set[str] = set()
    for body in many_profiles().values():
        generated |= _key_paths(body, ())
    assert not expected - generated, f"add an option setting {sorted(expected - generated)} to AXES in many_profiles"


def _key_paths(value: Any, path: tuple[str, ...]) -> set[str]:
    """The dotted path of every key in `value`; a list of objects adds its items' keys under its own path."""
    if isinstance(value, list):
        return {p for item in value for p in _key_paths(item, path)}
    if not isinstance(value, dict):
        return set()
    return {p for key, item in value.items() for p in {".".join((*path, key)), *_key_paths(item, (*path, key))}}


def test_uploader_rules_that_cannot_fit_the_bucket_policy_are_refused_naming_where_they_overflow() -> None:
    # One team per profile, each naming its own two roles: more distinct lists than a bucket policy holds.
    raw = many_profiles()
    for number, body in enumerate(raw.values()):
        body["uploaderPrincipals"] = [
            f"arn:aws:iam::210987654321:role/aws-reserved/sso.amazonaws.com/AWSReservedSSO_Team{number:03d}_*",
            f"arn:aws:iam::210987654321:role/team-{number:03d}-data-pipeline-TaskRole-*",
        ]
    profiles = parse_profiles(raw)
    with pytest.raises(ConfigError, match="bytes S3 allows a bucket policy") as refused:
        access.uploader_denies(profiles, str)
    names = sorted(profiles)
    overflowing = refused.value.key.removeprefix("tuneline.profiles.").removesuffix(".uploaderPrincipals")
    assert refused.value.key == f"tuneline.profiles.{overflowing}.uploaderPrincipals"
    # Every profile before it fits; so do all of them when they share one list (one statement).
    fitting = {name: profiles[name] for name in names[: names.index(overflowing)]}
    assert len(access.uploader_denies(fitting, str)) == len(fitting)
    shared = parse_profiles(
        {n: {**b, "uploaderPrincipals": raw[names[0]]["uploaderPrincipals"]} for n, b in raw.items()}
    )
    [statement] = access.uploader_denies(shared, str)
    assert len(statement["Resource"]) == PLATFORM_TEAM_SIZE


def test_the_uploader_budget_and_the_stacks_own_statements_fit_in_one_bucket_policy(
    platform_team: tuple[dict[str, Any], Path],
) -> None:
    template, _ = platform_team
    resolve = aws_limits.Resolver(template)
    [document] = [
        resolve(r["Properties"]["PolicyDocument"])
        for k, r in template["Resources"].items()
        if r["Type"] == "AWS::S3::BucketPolicy" and k.startswith("StorageDataBucketPolicy")
    ]
    named = [s for s in document["Statement"] if s.get("Sid", "").startswith("OnlyNamedUploaders")]
    own = [s for s in document["Statement"] if s not in named]
    config = load_config(platform_team_context()["tuneline"])
    restricted = sorted(n for n, p in config.profiles.items() if p.uploader_principals)
    # The synth's estimate is never shorter than the statements as deployed...
    assert named and access._longest_size(config.profiles, restricted) >= len(aws_limits._compact(named))
    # ...and at the budget, with the stack's own statements, the policy still fits.
    own_size = len(aws_limits._compact({**document, "Statement": own}))
    assert own_size + access.UPLOADER_DENY_BUDGET <= access.BUCKET_POLICY_LIMIT


def test_the_profiles_live_once_in_the_code_asset_and_only_the_plan_function_is_told_where(
    platform_team: tuple[dict[str, Any], Path],
) -> None:
    template, template_path = platform_team
    config = load_config(platform_team_context()["tuneline"])
    functions = resources_of_type(template, "AWS::Lambda::Function")
    environments = {
        logical_id: function["Properties"].get("Environment", {}).get("Variables", {})
        for logical_id, function in functions.items()
    }
    # No function's environment carries a profile; one knows where the document is.
    assert not [
        logical_id for logical_id, env in environments.items() if any(n in json.dumps(env) for n in config.profiles)
    ]
    readers = sorted(
        logical_id for logical_id, env in environments.items() if env.get("PROFILES_FILE") == PROFILES_FILE
    )
    assert [reader.removeprefix("Functions")[:4] for reader in readers] == ["Plan"]
    # The document in the staged asset is every profile as written in the configuration.
    [key] = {f["Properties"]["Code"]["S3Key"] for f in functions.values() if "Code" in f["Properties"]}
    document = template_path.parent / f"asset.{key.removesuffix('.zip')}" / PROFILES_FILE
    # (Compared as JSON: CDK's context hands whole floats such as 0.0 back as integers.)
    assert json.loads(document.read_text(encoding="utf-8")) == json.loads(config.profiles_document)
    assert len(json.loads(config.profiles_document)) == PLATFORM_TEAM_SIZE


def test_a_hundred_profiles_add_only_their_upload_policies_and_change_only_iam(
    template_json: dict[str, Any], platform_team: tuple[dict[str, Any], Path]
) -> None:
    # Everything else per profile lives in the asset: the template keeps its resources, adds one uploader policy
    # per profile, and only IAM policies change, for the base models and distillation teachers the profiles
    # name (plus the asset's new key) and the bucket policy's per-profile upload rules. The customize machine's
    # role keeps its inline policy: its customization-job grants, which name the base models, are a managed
    # policy of their own (stacks/constructs/customize_workflow.py).
    template, _ = platform_team
    resources = {k: v for k, v in template["Resources"].items() if v["Type"] != "AWS::CDK::Metadata"}
    uploader_policies = {k: v["Type"] for k, v in resources.items() if k.startswith("DataAccessUploaders")}
    assert set(uploader_policies.values()) == {"AWS::IAM::ManagedPolicy"}
    assert len(uploader_policies) == PLATFORM_TEAM_SIZE  # one per profile (the imports/ one is named apart)
    shipped = {k for k in template_json["Resources"] if not k.startswith("DataAccessUploaders")}
    assert set(resources) - set(uploader_policies) == shipped
    changed = {
        logical_id: resource["Type"]
        for logical_id, resource in resources.items()
        if logical_id in template_json["Resources"]
        and _as_compared(resource) != _as_compared(template_json["Resources"][logical_id])
    }
    assert changed and set(changed.values()) <= {"AWS::IAM::Policy", "AWS::IAM::ManagedPolicy", "AWS::S3::BucketPolicy"}
    assert [k for k in changed if k.startswith("CustomizeJobPolicy")], changed
    assert not [k for k in changed if k.startswith("CustomizeStateMachineRole")], changed


def _as_compared(resource: dict[str, Any]) -> dict[str, Any]:
    """The resource without what differs for reasons other than profiles: the asset's key, CLI metadata."""
    copy = json.loads(json.dumps(resource))
    copy.get("Properties", {}).get("Code", {}).pop("S3Key", None)
    copy.pop("Metadata", None)
    return dict(copy)


def test_names_and_arns_are_measured_as_long_as_cloudformation_makes_them(template_json: dict[str, Any]) -> None:
    resolve = aws_limits.Resolver(template_json)
    [bucket] = [
        k for k, v in template_json["Resources"].items() if v["Type"] == "AWS::S3::Bucket" and "DataBucket" in k
    ]
    # CloudFormation names the bucket `<stack>-<logical id>-<random>`, in lower case.
    assert resolve({"Ref": bucket}) == f"tuneline-{bucket.lower()}-{aws_limits.RANDOM_SUFFIX.lower()}"
    arn = resolve({"Fn::Join": ["", ["arn:", {"Ref": "AWS::Partition"}, ":s3:::", {"Ref": bucket}, "/staged/*"]]})
    assert arn == f"arn:aws-us-gov:s3:::{resolve({'Ref': bucket})}/staged/*"
    with pytest.raises(AssertionError, match="Fn::If is not resolved"):
        resolve({"Fn::If": ["Condition", "a", "b"]})
