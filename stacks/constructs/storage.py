"""The KMS key, the data bucket every job reads and writes, and the bucket for its access logs."""

from __future__ import annotations

from aws_cdk import Acknowledgment, Aws, Duration, RemovalPolicy, Validations
from aws_cdk import aws_iam as iam
from aws_cdk import aws_kms as kms
from aws_cdk import aws_s3 as s3
from constructs import Construct

from stacks import constants
from stacks.nag import skip_checkov


class Storage(Construct):
    def __init__(self, scope: Construct, construct_id: str, *, retain_data: bool) -> None:
        super().__init__(scope, construct_id)
        removal = RemovalPolicy.RETAIN if retain_data else RemovalPolicy.DESTROY

        self.key = kms.Key(
            self,
            "DataKey",
            description="Tuneline: datasets, reports, alerts and custom models",
            enable_key_rotation=True,
            removal_policy=removal,
        )

        # S3 server access logs can only be delivered to a bucket with SSE-S3, not SSE-KMS.
        self.log_bucket = s3.Bucket(
            self,
            "AccessLogBucket",
            encryption=s3.BucketEncryption.S3_MANAGED,
            enforce_ssl=True,
            block_public_access=s3.BlockPublicAccess.BLOCK_ALL,
            object_ownership=s3.ObjectOwnership.BUCKET_OWNER_ENFORCED,
            versioned=True,
            removal_policy=removal,
            # Versioned like every bucket here; old versions of a log object go after the usual 90 days.
            lifecycle_rules=[
                s3.LifecycleRule(
                    expiration=Duration.days(365),
                    noncurrent_version_expiration=Duration.days(constants.NONCURRENT_VERSION_EXPIRY_DAYS),
                )
            ],
        )
        loop = "This is the access-log target itself; logging it into itself would loop."
        Validations.of(self.log_bucket).acknowledge(Acknowledgment(id="AwsSolutions-S1", reason=loop))
        skip_checkov(self.log_bucket, "CKV_AWS_18", loop)

        self.data_bucket = s3.Bucket(
            self,
            "DataBucket",
            encryption=s3.BucketEncryption.KMS,
            encryption_key=self.key,
            bucket_key_enabled=True,
            enforce_ssl=True,
            block_public_access=s3.BlockPublicAccess.BLOCK_ALL,
            object_ownership=s3.ObjectOwnership.BUCKET_OWNER_ENFORCED,
            versioned=True,
            server_access_logs_bucket=self.log_bucket,
            server_access_logs_prefix="data-bucket/",
            removal_policy=removal,
            lifecycle_rules=[
                s3.LifecycleRule(
                    id="ExpireStagedCopies",
                    prefix=constants.STAGED_PREFIX,
                    expiration=Duration.days(constants.STAGED_EXPIRY_DAYS),
                    noncurrent_version_expiration=Duration.days(1),
                ),
                s3.LifecycleRule(
                    id="ExpireOldVersions",
                    noncurrent_version_expiration=Duration.days(constants.NONCURRENT_VERSION_EXPIRY_DAYS),
                    abort_incomplete_multipart_upload_after=Duration.days(7),
                ),
            ],
        )
        # Send object events to EventBridge with a plain property override: `event_bridge_enabled=True`
        # would add a Custom::S3BucketNotifications Lambda-backed resource we do not need.
        cfn_bucket = self.data_bucket.node.default_child
        assert isinstance(cfn_bucket, s3.CfnBucket)
        cfn_bucket.add_property_override("NotificationConfiguration.EventBridgeConfiguration.EventBridgeEnabled", True)
        self._deny_other_encryption()

    def _deny_other_encryption(self) -> None:
        """Only the data key encrypts objects here.

        A PutObject (also CreateMultipartUpload and CopyObject) that asks for other encryption, SSE-S3 or another
        KMS key, is denied; one without encryption headers gets the bucket default, the data key, which is how
        the pipeline and Bedrock write (docs/bedrock.md §9). `Null: false` makes each statement apply only when
        the header is present, since a negated operator alone is also true for a missing key.
        """
        for sid, header, allowed in (
            ("DenyOtherEncryption", "s3:x-amz-server-side-encryption", "aws:kms"),
            ("DenyOtherKmsKeys", "s3:x-amz-server-side-encryption-aws-kms-key-id", self.key.key_arn),
        ):
            self.data_bucket.add_to_resource_policy(
                iam.PolicyStatement(
                    sid=sid,
                    effect=iam.Effect.DENY,
                    principals=[iam.AnyPrincipal()],
                    actions=["s3:PutObject"],
                    resources=[self.data_bucket.arn_for_objects("*")],
                    conditions={"Null": {header: "false"}, "StringNotEqualsIfExists": {header: allowed}},
                )
            )

    def allow_alarms_to_use_key(self) -> None:
        """CloudWatch alarms of this account and Region publish to the encrypted alert topic.

        Only CloudWatch needs the key: EventBridge rules target Lambdas and SQS-managed queues, never the topic.
        The source conditions keep another account's alarms (confused deputy) off the key.
        """
        self.key.add_to_resource_policy(
            iam.PolicyStatement(
                sid="AllowAlarmsOfThisAccount",
                principals=[iam.ServicePrincipal("cloudwatch.amazonaws.com")],
                actions=["kms:Decrypt", "kms:GenerateDataKey"],
                resources=["*"],  # in a key policy "*" means this key
                conditions={
                    "StringEquals": {"aws:SourceAccount": Aws.ACCOUNT_ID},
                    "ArnLike": {
                        "aws:SourceArn": f"arn:{Aws.PARTITION}:cloudwatch:{Aws.REGION}:{Aws.ACCOUNT_ID}:alarm:*"
                    },
                },
            )
        )
