"""The role Bedrock assumes to run Tuneline's jobs: read one prefix, write another (if any), nothing more.

One instance per kind of job: customization jobs read staged/ and write output/; import jobs read imports/.
"""

from __future__ import annotations

from aws_cdk import Aws, Stack
from aws_cdk import aws_ec2 as ec2
from aws_cdk import aws_iam as iam
from aws_cdk import aws_kms as kms
from aws_cdk import aws_s3 as s3
from constructs import Construct

from stacks import constants
from stacks.nag import acknowledge_wildcards


def bedrock_arn(resource: str) -> str:
    return f"arn:{Aws.PARTITION}:bedrock:{Aws.REGION}:{Aws.ACCOUNT_ID}:{resource}"


class BedrockJobRole(Construct):
    def __init__(
        self,
        scope: Construct,
        construct_id: str,
        *,
        bucket: s3.IBucket,
        key: kms.IKey,
        job_resource: str = "model-customization-job/*",
        read_prefix: str = constants.STAGED_PREFIX,
        write_prefix: str | None = constants.OUTPUT_PREFIX,
        vpc_subnets: list[ec2.ISubnet] | None = None,
        security_group: ec2.ISecurityGroup | None = None,
        eni_tag: str = "BedrockModelCustomizationJobArn",
    ) -> None:
        super().__init__(scope, construct_id)
        job_arn_pattern = bedrock_arn(job_resource)
        # Confused-deputy protection (docs/bedrock.md §9): only Bedrock jobs of this account may assume the role.
        self.role = iam.Role(
            self,
            "Role",
            description="Assumed by Amazon Bedrock for Tuneline jobs",
            assumed_by=iam.ServicePrincipal(
                "bedrock.amazonaws.com",
                conditions={
                    "StringEquals": {"aws:SourceAccount": Aws.ACCOUNT_ID},
                    "ArnEquals": {"aws:SourceArn": job_arn_pattern},
                },
            ),
        )
        statements = [
            iam.PolicyStatement(
                sid="ReadInputs",
                actions=["s3:GetObject"],
                resources=[bucket.arn_for_objects(f"{read_prefix}*")],
            ),
            iam.PolicyStatement(
                sid="ListInputs",
                actions=["s3:ListBucket"],
                resources=[bucket.bucket_arn],
                # Each prefix once: judge jobs read and write under the same one.
                conditions={
                    "StringLike": {"s3:prefix": list(dict.fromkeys(f"{p}*" for p in (read_prefix, write_prefix) if p))}
                },
            ),
            # The data key only through the services that read and write for the job (S3 objects, Bedrock's
            # encrypted copies), and grants only for AWS resources (docs/bedrock.md §9).
            iam.PolicyStatement(
                sid="UseDataKey",
                actions=["kms:Decrypt", "kms:GenerateDataKey", "kms:DescribeKey"],
                resources=[key.key_arn],
                conditions={"StringEquals": {"kms:ViaService": [_via("s3"), _via("bedrock")]}},
            ),
            iam.PolicyStatement(
                sid="GrantDataKeyToBedrock",
                actions=["kms:CreateGrant"],
                resources=[key.key_arn],
                conditions={"Bool": {"kms:GrantIsForAWSResource": "true"}},
            ),
        ]
        if write_prefix:
            statements.append(
                iam.PolicyStatement(
                    sid="WriteOutputs",
                    actions=["s3:GetObject", "s3:PutObject"],
                    resources=[bucket.arn_for_objects(f"{write_prefix}*")],
                )
            )
        if vpc_subnets and security_group:
            statements.extend(_vpc_statements(vpc_subnets, security_group, job_arn_pattern, eni_tag))
        policy = iam.Policy(self, "Policy", statements=statements)
        policy.attach_to_role(self.role)
        acknowledge_wildcards(
            policy,
            [r for statement in statements for r in statement.resources],
            f"Bedrock reads every object under {read_prefix}"
            + (f" and writes its output under {write_prefix} with names it chooses" if write_prefix else "")
            + "; ENIs get ids at run time; ec2:Describe* supports no resource-level permissions.",
        )


def _via(service: str) -> str:
    return f"{service}.{Aws.REGION}.amazonaws.com"


def _vpc_statements(
    subnets: list[ec2.ISubnet], security_group: ec2.ISecurityGroup, job_arn_pattern: str, eni_tag: str
) -> list[iam.PolicyStatement]:
    """The ENI statements Bedrock needs to place a job in our subnets (docs/bedrock.md §9, VPC)."""
    stack = Stack.of(security_group)
    subnet_arns = [stack.format_arn(service="ec2", resource="subnet", resource_name=s.subnet_id) for s in subnets]
    group_arn = stack.format_arn(
        service="ec2", resource="security-group", resource_name=security_group.security_group_id
    )
    eni_arn = stack.format_arn(service="ec2", resource="network-interface", resource_name="*")
    return [
        iam.PolicyStatement(
            sid="DescribeNetwork",
            actions=[
                "ec2:DescribeNetworkInterfaces",
                "ec2:DescribeVpcs",
                "ec2:DescribeDhcpOptions",
                "ec2:DescribeSubnets",
                "ec2:DescribeSecurityGroups",
            ],
            resources=["*"],  # Describe* calls do not support resource-level permissions
        ),
        iam.PolicyStatement(
            sid="CreateJobEni",
            actions=["ec2:CreateNetworkInterface"],
            resources=[eni_arn],
            conditions={
                "StringEquals": {"aws:RequestTag/BedrockManaged": "true"},
                "ArnEquals": {f"aws:RequestTag/{eni_tag}": job_arn_pattern},
            },
        ),
        iam.PolicyStatement(
            sid="CreateEniInOurSubnets",
            actions=["ec2:CreateNetworkInterface"],
            resources=[*subnet_arns, group_arn],
        ),
        iam.PolicyStatement(
            sid="ManageJobEni",
            actions=[
                "ec2:CreateNetworkInterfacePermission",
                "ec2:DeleteNetworkInterface",
                "ec2:DeleteNetworkInterfacePermission",
            ],
            resources=["*"],
            conditions={
                "ArnEquals": {"ec2:Subnet": subnet_arns, f"ec2:ResourceTag/{eni_tag}": job_arn_pattern},
                "StringEquals": {"ec2:ResourceTag/BedrockManaged": "true"},
            },
        ),
        iam.PolicyStatement(
            sid="TagJobEni",
            actions=["ec2:CreateTags"],
            resources=[eni_arn],
            conditions={
                "StringEquals": {"ec2:CreateAction": "CreateNetworkInterface"},
                "ForAllValues:StringEquals": {"aws:TagKeys": ["BedrockManaged", eni_tag]},
            },
        ),
    ]
