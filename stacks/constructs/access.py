"""Who may write where in the data bucket.

* **Uploaders by name.** One customer-managed policy per profile to attach to whoever uploads its datasets
  (write `incoming/<profile>/` and the profile's media prefix, use the data key through S3 only), and one for
  model folders under `imports/`; their ARNs are stack outputs. A profile's `uploaderPrincipals` adds a
  bucket-policy Deny for every other principal writing `incoming/<profile>/`, so nobody else can start paid
  work under that profile or plant its companion files.
* **Pipeline-owned prefixes.** `staged/`, `reports/` and `output/` are written only by the roles that own them:
  a bucket-policy Deny of writes and deletes for every other principal, administrators included. Staged data
  cannot change between the check and the job (docs/architecture.md, "Data bucket").

The Allow side is IAM (the roles' policies); the bucket policy only denies. Deny statements compare
`aws:PrincipalArn`, which for a role session is the role's ARN, so they hold whatever IAM allows elsewhere.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence

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
        """One Deny per distinct list of uploaders (profiles sharing a list share the statement), so the bucket
        policy stays far below its 20 KB limit however many profiles name the same people."""
        by_uploaders: dict[tuple[str, ...], list[str]] = {}
        for name, profile in sorted(profiles.items()):
            if profile.uploader_principals:
                by_uploaders.setdefault(tuple(sorted(profile.uploader_principals)), []).append(name)
        for index, (principals, names) in enumerate(by_uploaders.items()):
            self._bucket.add_to_resource_policy(
                iam.PolicyStatement(
                    sid=f"OnlyNamedUploaders{index}",
                    effect=iam.Effect.DENY,
                    principals=[iam.AnyPrincipal()],
                    actions=["s3:PutObject"],
                    resources=[self._bucket.arn_for_objects(f"{constants.INCOMING_PREFIX}{n}/*") for n in names],
                    conditions={"ArnNotLike": {"aws:PrincipalArn": list(principals)}},
                )
            )

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
