"""Who may write where in the data bucket.

* **Uploaders by name.** One customer-managed policy per profile to attach to whoever uploads its datasets
  (write `incoming/<profile>/` and the profile's media prefix, use the data key through S3 only), and one for
  model folders under `imports/`; their ARNs are stack outputs. A profile's `uploaderPrincipals` adds a
  bucket-policy Deny for every other principal writing `incoming/<profile>/`, so nobody else can start paid
  work under that profile or plant its companion files. A bucket policy holds 20 KB: uploader rules that do
  not fit `UPLOADER_DENY_BUDGET` are refused at synth, naming the profile where they overflow
  (docs/decisions/0012-uploader-rules-budget.md).
* **Pipeline-owned prefixes.** `staged/`, `reports/` and `output/` are written only by the roles that own them:
  a bucket-policy Deny of writes and deletes for every other principal, administrators included. Staged data
  cannot change between the check and the job (docs/architecture.md, "Data bucket").

The Allow side is IAM (the roles' policies); the bucket policy only denies. Deny statements compare
`aws:PrincipalArn`, which for a role session is the role's ARN, so they hold whatever IAM allows elsewhere.
"""

from __future__ import annotations

import json
from collections.abc import Callable, Mapping, Sequence
from typing import Any

from aws_cdk import Aws, CfnOutput
from aws_cdk import aws_iam as iam
from aws_cdk import aws_kms as kms
from aws_cdk import aws_s3 as s3
from constructs import Construct

from stacks import constants
from stacks.nag import acknowledge_wildcards
from tuneline.profiles import ConfigError, Profile

# Writing an object: PutObject covers CreateMultipartUpload, UploadPart and CopyObject's destination.
WRITE_ACTIONS = ["s3:PutObject", "s3:AbortMultipartUpload"]
# What the Deny statements on pipeline-owned prefixes refuse to everyone but the owners.
WRITE_AND_DELETE_ACTIONS = ["s3:PutObject", "s3:DeleteObject", "s3:DeleteObjectVersion"]
# S3 allows a bucket policy of 20 KB (20,480 bytes). The stack's own statements (TLS only, the data key only,
# pipeline-owned prefixes) take about 2.5 KB at their longest; the named uploaders' Deny statements may take
# this much, measured as compact JSON with the bucket's ARN at its longest, which leaves room for more of ours.
BUCKET_POLICY_LIMIT = 20 * 1024
UPLOADER_DENY_BUDGET = 16_000
# The longest object ARN prefix the data bucket can have: the longest partition, a 63-character bucket name.
_LONGEST_BUCKET_ARN = f"arn:aws-us-gov:s3:::{'b' * 63}"


def media_prefix(profile: Profile) -> str:
    """Where `profile`'s datasets may name images and videos: the profile's own `mediaPrefix` when it has one,
    else the layout's default. The one place the IAM side reads it."""
    return getattr(profile, "media_prefix", None) or constants.MEDIA_PREFIX


def media_prefixes(profiles: Mapping[str, Profile]) -> list[str]:
    return sorted({media_prefix(p) for p in profiles.values()})


class DataAccess(Construct):
    def __init__(
        self,
        scope: Construct,
        construct_id: str,
        *,
        bucket: s3.IBucket,
        key: kms.IKey,
        profiles: Mapping[str, Profile],
    ) -> None:
        super().__init__(scope, construct_id)
        self._bucket = bucket
        self._key = key
        self.upload_policies: dict[str, iam.ManagedPolicy] = {}
        output_keys: dict[str, str] = {}
        for name, profile in sorted(profiles.items()):
            output_key = f"UploadPolicyArn{_pascal(name)}"
            if output_key in output_keys:
                raise ConfigError(
                    f"tuneline.profiles.{name}",
                    f"its upload-policy output {output_key} would repeat profile {output_keys[output_key]}'s; "
                    "rename one of them (the hyphens are dropped from output names)",
                )
            output_keys[output_key] = name
            policy = self._uploader_policy(
                f"Uploaders-{name}",
                f"Tuneline: upload datasets for profile {name} (incoming/{name}/ and {media_prefix(profile)})",
                [f"{constants.INCOMING_PREFIX}{name}/", media_prefix(profile)],
            )
            self.upload_policies[name] = policy
            CfnOutput(
                self,
                f"UploadPolicyArn-{name}",
                key=output_key,
                value=policy.managed_policy_arn,
                description=f"Attach to whoever uploads datasets for profile {name}",
            )
        self.import_policy = self._uploader_policy(
            "ModelUploaders",
            f"Tuneline: upload model folders to import ({constants.IMPORTS_PREFIX})",
            [constants.IMPORTS_PREFIX],
        )
        CfnOutput(
            self,
            "ImportUploadPolicyArn",
            key="ImportUploadPolicyArn",
            value=self.import_policy.managed_policy_arn,
            description="Attach to whoever uploads model folders to import",
        )
        self._deny_other_uploaders(profiles)

    def _uploader_policy(self, construct_id: str, description: str, prefixes: Sequence[str]) -> iam.ManagedPolicy:
        objects = [self._bucket.arn_for_objects(f"{prefix}*") for prefix in prefixes]
        policy = iam.ManagedPolicy(
            self,
            construct_id,
            description=description,
            statements=[
                iam.PolicyStatement(sid="Upload", actions=WRITE_ACTIONS, resources=objects),
                # S3 encrypts uploads with the data key (the bucket default); multipart uploads also decrypt.
                iam.PolicyStatement(
                    sid="EncryptWithDataKeyThroughS3",
                    actions=["kms:GenerateDataKey", "kms:Decrypt"],
                    resources=[self._key.key_arn],
                    conditions={"StringEquals": {"kms:ViaService": f"s3.{Aws.REGION}.amazonaws.com"}},
                ),
            ],
        )
        acknowledge_wildcards(
            policy, objects, "Uploaders choose their file names; the policy covers one upload prefix each."
        )
        return policy

    def _deny_other_uploaders(self, profiles: Mapping[str, Profile]) -> None:
        for statement in uploader_denies(profiles, self._bucket.arn_for_objects):
            self._bucket.add_to_resource_policy(iam.PolicyStatement.from_json(statement))

    def protect_pipeline_prefixes(self, owners: Mapping[str, Sequence[iam.IRole]]) -> None:
        """Deny writes and deletes under each prefix of `owners` to every principal but the roles listed for it."""
        for prefix, roles in owners.items():
            self._bucket.add_to_resource_policy(
                iam.PolicyStatement(
                    sid=f"Only{_pascal(prefix.strip('/'))}OwnersWrite",
                    effect=iam.Effect.DENY,
                    principals=[iam.AnyPrincipal()],
                    actions=WRITE_AND_DELETE_ACTIONS,
                    resources=[self._bucket.arn_for_objects(f"{prefix}*")],
                    conditions={"ArnNotEquals": {"aws:PrincipalArn": [role.role_arn for role in roles]}},
                )
            )


def _pascal(name: str) -> str:
    return "".join(part[:1].upper() + part[1:] for part in name.replace("/", "-").split("-"))


def uploader_denies(profiles: Mapping[str, Profile], object_arn: Callable[[str], str]) -> list[dict[str, Any]]:
    """The bucket-policy statements that keep each profile's `incoming/<profile>/` to its `uploaderPrincipals`:
    one Deny per distinct list (profiles naming the same principals share it), the principals in one
    multi-valued condition. Raises ConfigError, naming the profile where they overflow, when they would not fit
    `UPLOADER_DENY_BUDGET`: such a bucket policy would fail the deploy, after the stack's other resources."""
    named = sorted(name for name, profile in profiles.items() if profile.uploader_principals)
    if _longest_size(profiles, named) > UPLOADER_DENY_BUDGET:
        # The first profile, in name order, with which the rules outgrow the budget.
        count = next(c for c in range(1, len(named) + 1) if _longest_size(profiles, named[:c]) > UPLOADER_DENY_BUDGET)
        lists = {profiles[name].uploader_principals for name in named}
        raise ConfigError(
            f"tuneline.profiles.{named[count - 1]}.uploaderPrincipals",
            f"the bucket policy cannot hold this many uploader rules: up to this profile they take "
            f"{_longest_size(profiles, named[:count]):,} characters, over the {UPLOADER_DENY_BUDGET:,} Tuneline "
            f"keeps for them of the {BUCKET_POLICY_LIMIT:,} bytes S3 allows a bucket policy ({len(named)} profiles "
            f"name uploaders, in {len(lists)} distinct lists). Give profiles with the same uploaders the same list "
            "(they share one rule), name a group of roles with one wildcard ARN such as "
            "arn:aws:iam::111122223333:role/ml-uploaders-*, or remove uploaderPrincipals where IAM alone may "
            "decide who uploads",
        )
    return _statements_by_uploaders(profiles, named, object_arn)


def _statements_by_uploaders(
    profiles: Mapping[str, Profile], named: Sequence[str], object_arn: Callable[[str], str]
) -> list[dict[str, Any]]:
    by_uploaders: dict[tuple[str, ...], list[str]] = {}
    for name in named:
        by_uploaders.setdefault(tuple(sorted(profiles[name].uploader_principals)), []).append(name)
    return [
        {
            "Sid": f"OnlyNamedUploaders{index}",
            "Effect": "Deny",
            "Principal": {"AWS": "*"},
            "Action": "s3:PutObject",
            "Resource": [object_arn(f"{constants.INCOMING_PREFIX}{name}/*") for name in names],
            "Condition": {"ArnNotLike": {"aws:PrincipalArn": list(principals)}},
        }
        for index, (principals, names) in enumerate(by_uploaders.items())
    ]


def _longest_size(profiles: Mapping[str, Profile], named: Sequence[str]) -> int:
    """The statements for the profiles `named`, in characters of compact JSON, with the bucket's ARN at its longest."""
    statements = _statements_by_uploaders(profiles, named, lambda key: f"{_LONGEST_BUCKET_ARN}/{key}")
    return len(json.dumps(statements, separators=(",", ":")))
