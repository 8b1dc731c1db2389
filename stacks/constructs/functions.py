"""One factory for every Tuneline Lambda: one code asset (the `tuneline` package and the pinned AWS SDK, see
stacks/lambda_asset.py), one set of defaults."""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass

from aws_cdk import AssetHashType, Duration
from aws_cdk import aws_ec2 as ec2
from aws_cdk import aws_lambda as lambda_
from aws_cdk import aws_logs as logs
from constructs import Construct

from stacks import constants
from stacks.lambda_asset import build_lambda_asset
from stacks.nag import acknowledge


@dataclass(frozen=True)
class FunctionDefaults:
    environment: Mapping[str, str]
    vpc: ec2.IVpc | None = None
    subnets: ec2.SubnetSelection | None = None
    security_group: ec2.ISecurityGroup | None = None


class Functions(Construct):
    """Creates functions on demand; keeps the shared asset so it is uploaded once."""

    def __init__(self, scope: Construct, construct_id: str, *, defaults: FunctionDefaults) -> None:
        super().__init__(scope, construct_id)
        self._defaults = defaults
        folder, asset_hash = build_lambda_asset()
        # The build's own hash names its content (sources, SDK versions), so CDK need not hash the folder again.
        self._code = lambda_.Code.from_asset(str(folder), asset_hash=asset_hash, asset_hash_type=AssetHashType.CUSTOM)
        self.all: list[lambda_.Function] = []

    def create(
        self,
        construct_id: str,
        *,
        handler_module: str,
        description: str,
        environment: Mapping[str, str] | None = None,
        timeout: Duration | None = None,
    ) -> lambda_.Function:
        log_group = logs.LogGroup(self, f"{construct_id}Logs", retention=logs.RetentionDays.THREE_MONTHS)
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
        )
        self.all.append(function)
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
