"""Reinforcement fine-tuning: per RFT profile, the grader Lambda the stack builds (or the user's own, by ARN), a
job role that may invoke only that grader, and the function that dry-runs the grader and scores the base model
before the job (docs/bedrock.md §13)."""

from __future__ import annotations

import json
from collections.abc import Mapping
from dataclasses import dataclass
from typing import Any

from aws_cdk import Aws, Duration
from aws_cdk import aws_ec2 as ec2
from aws_cdk import aws_iam as iam
from aws_cdk import aws_kms as kms
from aws_cdk import aws_lambda as lambda_
from aws_cdk import aws_s3 as s3
from constructs import Construct

from stacks import constants
from stacks.constructs.bedrock_role import BedrockJobRole
from stacks.constructs.functions import Functions
from stacks.nag import acknowledge_wildcards
from tuneline.datasets.models import inference_profile_parts
from tuneline.profiles import Profile

# The checks call the grader once and the base model once per sample prompt (up to 200, one at a time).
RFT_CHECK_TIMEOUT = Duration.minutes(15)


@dataclass(frozen=True)
class RftJob:
    """What the `.sync` job state of one RFT profile needs (docs/bedrock.md §13)."""

    role: iam.IRole
    grader_arn: str
    hyperparameters: Mapping[str, Any]


class ReinforcementFineTuning(Construct):
    def __init__(
        self,
        scope: Construct,
        construct_id: str,
        *,
        functions: Functions,
        profiles: Mapping[str, Profile],
        bucket: s3.IBucket,
        key: kms.IKey,
        vpc_subnets: list[ec2.ISubnet] | None,
        security_group: ec2.ISecurityGroup | None,
    ) -> None:
        super().__init__(scope, construct_id)
        self.jobs: dict[str, RftJob] = {}
        for name, profile in sorted(profiles.items()):
            if profile.rft is None:
                continue
            grader_arn = self._grader(functions, name, profile)
            role = BedrockJobRole(
                self,
                f"{_pascal(name)}JobRole",
                bucket=bucket,
                key=key,
                vpc_subnets=vpc_subnets,
                security_group=security_group,
                description=f"Assumed by Amazon Bedrock for Tuneline RFT jobs of profile {name}",
            ).role
            # Bedrock calls the grader as the job's role: this profile's grader and nothing else.
            role.add_to_principal_policy(
                iam.PolicyStatement(
                    sid="InvokeThisProfilesGrader", actions=["lambda:InvokeFunction"], resources=[grader_arn]
                )
            )
            self.jobs[name] = RftJob(
                role=role, grader_arn=grader_arn, hyperparameters=dict(profile.rft.hyperparameters)
            )
        self.check_function = functions.create(
            "RftCheck",
            handler_module="rft_check",
            description="Dry-run the RFT grader and score the base model before the job",
            timeout=RFT_CHECK_TIMEOUT,
        )
        self._grant_checks(bucket, key, profiles)

    def _grader(self, functions: Functions, name: str, profile: Profile) -> str:
        assert profile.rft is not None
        spec = profile.rft.grader
        if not spec.built_in:
            return str(spec.lambda_arn)
        grader = functions.create(
            f"Grader{_pascal(name)}",
            handler_module="grader",
            description=f"RFT grader ({spec.type}) of profile {name}",
            timeout=Duration.seconds(spec.timeout_seconds),
            # The grader's settings as written in cdk.json (no profile name: only Plan reads the profiles).
            environment={"GRADER": json.dumps(spec.as_written(), separators=(",", ":"))},
        )
        # RFT fans out: every training step sends batchSize x trainingSamplePerPrompt answers. Reserved
        # concurrency keeps that room for the grader, and caps what an llmJudge grader can spend per moment.
        grader_resource = grader.node.default_child
        assert isinstance(grader_resource, lambda_.CfnFunction)
        grader_resource.reserved_concurrent_executions = spec.reserved_concurrency
        # The factory's skip of checkov's reserved-concurrency check does not apply here.
        metadata = grader_resource.get_metadata("checkov")
        metadata["skip"] = [skip for skip in metadata["skip"] if skip["id"] != "CKV_AWS_115"]
        grader_resource.add_metadata("checkov", metadata)
        judge = spec.judge_model
        if judge:
            resources = _model_resources(judge)
            grader.add_to_role_policy(
                iam.PolicyStatement(sid="AskTheJudge", actions=["bedrock:InvokeModel"], resources=resources)
            )
            acknowledge_wildcards(
                grader, resources, "An inference profile routes to the named model in several Regions."
            )
        return grader.function_arn

    def _grant_checks(self, bucket: s3.IBucket, key: kms.IKey, profiles: Mapping[str, Profile]) -> None:
        check = self.check_function
        staged = bucket.arn_for_objects(f"{constants.STAGED_PREFIX}*")
        graders = sorted({job.grader_arn for job in self.jobs.values()})
        base_models = sorted({p.base_model for p in profiles.values() if p.rft is not None})
        models = [r for model in base_models for r in _model_resources(f"us.{':'.join(model.split(':')[:2])}")]
        statements = [
            iam.PolicyStatement(sid="ReadStagedPrompts", actions=["s3:GetObject"], resources=[staged]),
            iam.PolicyStatement(sid="UseDataKey", actions=["kms:Decrypt"], resources=[key.key_arn]),
            iam.PolicyStatement(sid="CallTheGraders", actions=["lambda:InvokeFunction"], resources=graders),
            iam.PolicyStatement(sid="AskTheBaseModels", actions=["bedrock:InvokeModel"], resources=models),
        ]
        for statement in statements:
            if statement.resources:
                check.add_to_role_policy(statement)
        acknowledge_wildcards(
            check,
            [staged, *models],
            "Staged copies are named per job; the base model's inference profile routes to it in several Regions.",
        )


def _model_resources(model_id: str) -> list[str]:
    """A model as IAM resources: an inference profile and the foundation model it routes to in any Region."""
    if model_id.startswith("arn:"):
        return [model_id]
    geography, model = inference_profile_parts(model_id)
    foundation = f"arn:{Aws.PARTITION}:bedrock:*::foundation-model/{model}"
    if geography is None:
        return [f"arn:{Aws.PARTITION}:bedrock:{Aws.REGION}::foundation-model/{model}"]
    return [f"arn:{Aws.PARTITION}:bedrock:{Aws.REGION}:{Aws.ACCOUNT_ID}:inference-profile/{model_id}", foundation]


def _pascal(name: str) -> str:
    return "".join(part.capitalize() for part in name.split("-"))
