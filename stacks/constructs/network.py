"""An isolated VPC for the Lambdas and Bedrock jobs, reaching AWS only through VPC endpoints."""

from __future__ import annotations

from aws_cdk import aws_ec2 as ec2
from aws_cdk import aws_iam as iam
from aws_cdk import aws_logs as logs
from aws_cdk import aws_s3 as s3
from constructs import Construct

from stacks.nag import LOG_GROUP_KEY_REASON, acknowledge, skip_checkov

# Every AWS API the pipeline's Lambdas and Bedrock jobs call, as interface endpoints (S3 is a gateway endpoint).
INTERFACE_ENDPOINT_SERVICES = ("bedrock", "bedrock-runtime", "states", "sns", "kms", "logs", "sts")
# Every S3 action a role of this stack is granted on the data bucket (tests/infra/test_network.py checks it
# against the template): HeadObject is authorized as GetObject, multipart uploads and copies as PutObject.
S3_ENDPOINT_ACTIONS = (
    "s3:GetObject",
    "s3:GetObjectVersion",
    "s3:PutObject",
    "s3:AbortMultipartUpload",
    "s3:ListBucket",
)


class Network(Construct):
    def __init__(self, scope: Construct, construct_id: str) -> None:
        super().__init__(scope, construct_id)
        flow_logs = logs.LogGroup(self, "FlowLogs", retention=logs.RetentionDays.THREE_MONTHS)
        # Isolated subnets only: no NAT gateway to pay for and no route to the internet. Two AZs, as Bedrock
        # recommends at least one subnet per AZ for job ENIs.
        self.vpc = ec2.Vpc(
            self,
            "Vpc",
            max_azs=2,
            nat_gateways=0,
            subnet_configuration=[
                ec2.SubnetConfiguration(name="Isolated", subnet_type=ec2.SubnetType.PRIVATE_ISOLATED, cidr_mask=22)
            ],
            flow_logs={
                "RejectedTraffic": ec2.FlowLogOptions(
                    destination=ec2.FlowLogDestination.to_cloud_watch_logs(flow_logs),
                    traffic_type=ec2.FlowLogTrafficType.REJECT,
                )
            },
        )
        skip_checkov(flow_logs, "CKV_AWS_158", LOG_GROUP_KEY_REASON)
        self.subnets = ec2.SubnetSelection(subnet_type=ec2.SubnetType.PRIVATE_ISOLATED)

        # Bedrock job ENIs and the Lambdas share one self-referencing group: members talk to each other and
        # to the endpoints, nothing else.
        self.security_group = ec2.SecurityGroup(
            self,
            "WorkloadSecurityGroup",
            vpc=self.vpc,
            description="Tuneline Lambdas and Bedrock job ENIs; HTTPS to VPC endpoints only",
            allow_all_outbound=False,
        )
        self.security_group.add_ingress_rule(
            self.security_group, ec2.Port.all_traffic(), "members of this group talk to each other"
        )
        self.security_group.add_egress_rule(
            self.security_group, ec2.Port.all_traffic(), "members of this group talk to each other"
        )
        # The subnets have no route to the internet, so HTTPS egress reaches only the interface endpoints and,
        # through the gateway endpoint's prefix-list route, S3 (whose prefix list id is unknown at synth time).
        self.security_group.add_egress_rule(ec2.Peer.any_ipv4(), ec2.Port.tcp(443), "HTTPS to VPC endpoints and S3")
        self.s3_endpoint = self.vpc.add_gateway_endpoint("S3Endpoint", service=ec2.GatewayVpcEndpointAwsService.S3)

        endpoint_group = ec2.SecurityGroup(
            self,
            "EndpointSecurityGroup",
            vpc=self.vpc,
            description="Tuneline interface endpoints: HTTPS from the workload group",
            allow_all_outbound=False,
        )
        endpoint_group.add_ingress_rule(self.security_group, ec2.Port.tcp(443), "HTTPS from Tuneline workloads")
        acknowledge(
            endpoint_group,
            "AwsSolutions-EC23",
            "Ingress comes only from the workload security group (a group reference, which the rule cannot "
            "evaluate), never from 0.0.0.0/0 or the VPC's CIDR: the endpoints are created with open=False.",
        )
        for service in INTERFACE_ENDPOINT_SERVICES:
            self.vpc.add_interface_endpoint(
                _endpoint_id(service),
                service=ec2.InterfaceVpcEndpointAwsService(service),
                subnets=self.subnets,
                security_groups=[endpoint_group],
                private_dns_enabled=True,
                # open=True would also admit the whole VPC CIDR on 443; only the workload group may connect.
                open=False,
            )

    def limit_s3_endpoint_to(self, bucket: s3.IBucket) -> None:
        """Through the gateway endpoint, S3 answers only for the data bucket, with the actions Tuneline uses.

        Everything in the VPC that calls S3 (the Lambdas, Bedrock jobs placed in these subnets) works on the data
        bucket only. Lambda downloads its code and CloudFormation reads its assets outside the VPC, so the
        bootstrap bucket needs no room here; data cannot be copied out to any other bucket.
        """
        self.s3_endpoint.add_to_policy(
            iam.PolicyStatement(
                sid="DataBucketOnly",
                principals=[iam.AnyPrincipal()],
                actions=list(S3_ENDPOINT_ACTIONS),
                resources=[bucket.bucket_arn, bucket.arn_for_objects("*")],
            )
        )


def _endpoint_id(service: str) -> str:
    return "".join(part.capitalize() for part in service.split("-")) + "Endpoint"
