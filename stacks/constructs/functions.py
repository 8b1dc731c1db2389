"""One factory for every Tuneline Lambda: one code asset (the `tuneline` package and the pinned AWS SDK, see
stacks/lambda_asset.py, with the deployment's profiles document beside them), one set of defaults."""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import jsii
from aws_cdk import AssetHashType, BundlingOptions, DockerImage, Duration, ILocalBundling
from aws_cdk import aws_ec2 as ec2
from aws_cdk import aws_lambda as lambda_
from aws_cdk import aws_logs as logs
from aws_cdk import aws_sqs as sqs
from constructs import Construct

from stacks import constants
from stacks.lambda_asset import build_lambda_asset, deployment_asset_hash, write_deployment_asset
from stacks.nag import LOG_GROUP_KEY_REASON, SQS_MANAGED_SSE_REASON, acknowledge, skip_checkov
from tuneline.profiles import PROFILES_FILE


@dataclass(frozen=True)
class FunctionDefaults:
    environment: Mapping[str, str]
    vpc: ec2.IVpc | None = None
    subnets: ec2.SubnetSelection | None = None
    security_group: ec2.ISecurityGroup | None = None


@jsii.implements(ILocalBundling)
class _WriteDeploymentAsset:
    """CDK's bundling step, run in this process (no Docker): the built code and the deployment's files, written
    straight into the asset folder of CDK's output. CDK skips it when an asset of the same hash is there."""

    def __init__(self, code: Path, files: Mapping[str, str]) -> None:
        self._code = code
        self._files = dict(files)

    # jsii passes the options as one positional object; the keywords are ILocalBundling's declared signature.
    def try_bundle(self, output_dir: str, _options: object = None, **_keywords: Any) -> bool:
        write_deployment_asset(self._code, Path(output_dir), self._files)
        return True


class Functions(Construct):
    """Creates functions on demand; keeps the shared asset so it is uploaded once.

    The asset carries the profiles document (`tuneline.profiles.PROFILES_FILE`): the profiles live in one place
    that deploys together with the code, and no function's environment grows with them
    (docs/decisions/0010-profiles-at-run-time.md).
    """

    def __init__(
        self, scope: Construct, construct_id: str, *, defaults: FunctionDefaults, profiles_document: str
    ) -> None:
        super().__init__(scope, construct_id)
        self._defaults = defaults
        folder, code_hash = build_lambda_asset()
        files = {PROFILES_FILE: profiles_document}
        # The hash names the content (sources, SDK versions, the document), so CDK need not hash the folder.
        self._code = lambda_.Code.from_asset(
            str(folder),
            asset_hash=deployment_asset_hash(code_hash, files),
            asset_hash_type=AssetHashType.CUSTOM,
            bundling=BundlingOptions(
                image=DockerImage.from_registry("unused-the-asset-is-written-locally"),
                local=_WriteDeploymentAsset(folder, files),
            ),
        )
        self.all: list[lambda_.Function] = []
        # Where asynchronously invoked functions (EventBridge and Scheduler targets) park an event that still
        # fails after Lambda's retries; created with the first such function, alarmed by Monitoring.
        self.async_dead_letter_queue: sqs.Queue | None = None

    def create(
        self,
        construct_id: str,
        *,
        handler_module: str,
        description: str,
        environment: Mapping[str, str] | None = None,
        timeout: Duration | None = None,
        asynchronous: bool = False,
        reads_profiles: bool = False,
    ) -> lambda_.Function:
        """`asynchronous`: invoked by an event (EventBridge, Scheduler), so nothing waits for its result; an
        event that keeps failing goes to the dead-letter queue instead of being lost. `reads_profiles`: it reads
        the job profiles (`Settings.profiles`), so it is told where the document is; the others are not, and
        fail loudly if they start reading them."""
        if reads_profiles:
            environment = {**(environment or {}), "PROFILES_FILE": PROFILES_FILE}
        log_group = logs.LogGroup(self, f"{construct_id}Logs", retention=logs.RetentionDays.THREE_MONTHS)
        skip_checkov(log_group, "CKV_AWS_158", LOG_GROUP_KEY_REASON)
        function = lambda_.Function(
            self,
            construct_id,
            description=description,
            runtime=lambda_.Runtime.PYTHON_3_14,
            architecture=lambda_.Architecture.ARM_64,
            code=self._code,
            handler=f"tuneline.handlers.{handler_module}.handler",
            memory_size=constants.LAMBDA_MEMORY_MB,
            timeout=timeout or Duration.minutes(constants.LAMBDA_TIMEOUT_MINUTES),
            environment={**self._defaults.environment, **(environment or {})},
            # Native JSON logs: structured logging without shipping a logging library in the asset.
            logging_format=lambda_.LoggingFormat.JSON,
            log_group=log_group,
            tracing=lambda_.Tracing.ACTIVE,
            vpc=self._defaults.vpc,
            vpc_subnets=self._defaults.subnets,
            security_groups=[self._defaults.security_group] if self._defaults.security_group else None,
            dead_letter_queue=self._async_dead_letters() if asynchronous else None,
        )
        self.all.append(function)
        self._skip_checkov(function, asynchronous=asynchronous)
        acknowledge(
            function,
            "AwsSolutions-IAM4[Policy::arn:<AWS::Partition>:iam::aws:policy/service-role/AWSLambdaBasicExecutionRole]",
            "AWS-managed policy that only lets the function write its own CloudWatch logs.",
        )
        acknowledge(
            function,
            "AwsSolutions-IAM4[Policy::arn:<AWS::Partition>:iam::aws:policy/service-role/AWSLambdaVPCAccessExecutionRole]",
            "AWS-managed policy that only lets Lambda manage the function's ENIs in the Tuneline VPC.",
        )
        acknowledge(
            function,
            "AwsSolutions-IAM5[Resource::*]",
            "X-Ray PutTraceSegments/PutTelemetryRecords support no resource-level permissions.",
        )
        return function

    @staticmethod
    def _skip_checkov(function: lambda_.Function, *, asynchronous: bool) -> None:
        skip_checkov(
            function,
            "CKV_AWS_115",
            "No reserved concurrency: it would carve capacity out of the account for every function, and Step "
            "Functions retries throttled invocations (Lambda.TooManyRequestsException) anyway.",
        )
        skip_checkov(
            function,
            "CKV_AWS_173",
            "The variables hold resource names, ARNs and profile settings, no secrets; Lambda encrypts them at "
            "rest with its AWS-managed key.",
        )
        if not asynchronous:
            skip_checkov(
                function,
                "CKV_AWS_116",
                "Invoked synchronously (Step Functions with Retry and Catch into a failure alert, or an SQS event "
                "source whose queue has its own dead-letter queue): a failure returns to the caller, so a function "
                "dead-letter queue would never receive anything.",
            )

    def _async_dead_letters(self) -> sqs.Queue:
        if self.async_dead_letter_queue is None:
            self.async_dead_letter_queue = sqs.Queue(
                self,
                "AsyncDeadLetterQueue",
                encryption=sqs.QueueEncryption.SQS_MANAGED,
                enforce_ssl=True,
                retention_period=Duration.days(14),
            )
            skip_checkov(self.async_dead_letter_queue, "CKV_AWS_27", SQS_MANAGED_SSE_REASON)
        return self.async_dead_letter_queue
