"""S3 -> EventBridge -> SQS -> intake Lambda: one execution per uploaded object version.

The queue buffers bursts of uploads, retries failed starts and parks what keeps failing in a DLQ (with an
alarm). The intake names each execution after bucket, key and version id, so a duplicate event meets
ExecutionAlreadyExists and starts nothing.
"""

from __future__ import annotations

from collections.abc import Sequence

from aws_cdk import Duration
from aws_cdk import aws_cloudwatch as cloudwatch
from aws_cdk import aws_cloudwatch_actions as cw_actions
from aws_cdk import aws_events as events
from aws_cdk import aws_events_targets as targets
from aws_cdk import aws_iam as iam
from aws_cdk import aws_lambda as lambda_
from aws_cdk import aws_lambda_event_sources as sources
from aws_cdk import aws_s3 as s3
from aws_cdk import aws_sns as sns
from aws_cdk import aws_sqs as sqs
from constructs import Construct

from stacks import constants
from stacks.nag import SQS_MANAGED_SSE_REASON, skip_checkov


class Intake(Construct):
    def __init__(
        self,
        scope: Construct,
        construct_id: str,
        *,
        bucket: s3.IBucket,
        prefix: str,
        function: lambda_.IFunction,
        alert_topic: sns.ITopic,
        suffixes: Sequence[str] = (),
    ) -> None:
        """Objects created under `prefix` (ending in one of `suffixes`, when given) reach `function`. Without
        suffixes every key under the prefix does, and the function decides: that is how a dataset's extension
        is matched in any letter case (EventBridge's wildcards are case-sensitive), and how uploads that start
        nothing get their "upload ignored" alert."""
        super().__init__(scope, construct_id)
        self.dead_letter_queue = sqs.Queue(
            self,
            "DeadLetterQueue",
            encryption=sqs.QueueEncryption.SQS_MANAGED,
            enforce_ssl=True,
            retention_period=Duration.days(14),
        )
        self.queue = sqs.Queue(
            self,
            "Queue",
            encryption=sqs.QueueEncryption.SQS_MANAGED,
            enforce_ssl=True,
            # Six times the function timeout, as Lambda recommends for SQS event sources.
            visibility_timeout=Duration.minutes(6),
            dead_letter_queue=sqs.DeadLetterQueue(
                queue=self.dead_letter_queue, max_receive_count=constants.INTAKE_MAX_RECEIVES
            ),
        )
        for queue in (self.queue, self.dead_letter_queue):
            skip_checkov(queue, "CKV_AWS_27", SQS_MANAGED_SSE_REASON)
        self.rule = events.Rule(
            self,
            "ObjectCreatedRule",
            description=f"Tuneline: objects created under {prefix} -> intake queue",
            event_pattern=object_created_pattern(bucket.bucket_name, prefix, suffixes),
        )
        self.rule.add_target(targets.SqsQueue(self.queue))
        self.rules = [self.rule]
        # Only these rules may send to the queue: a principal with SQS rights elsewhere in the account cannot
        # inject forged "Object Created" events (the rules' own Allow is added by their targets).
        self.queue.add_to_resource_policy(
            iam.PolicyStatement(
                sid="OnlyTheIntakeRulesSend",
                effect=iam.Effect.DENY,
                principals=[iam.AnyPrincipal()],
                actions=["sqs:SendMessage"],
                resources=[self.queue.queue_arn],
                conditions={"ArnNotEquals": {"aws:SourceArn": [rule.rule_arn for rule in self.rules]}},
            )
        )
        function.add_event_source(
            sources.SqsEventSource(
                self.queue,
                batch_size=constants.INTAKE_BATCH_SIZE,
                max_batching_window=Duration.seconds(5),
                report_batch_item_failures=True,
            )
        )
        alarm = cloudwatch.Alarm(
            self,
            "DeadLetterAlarm",
            alarm_description=(
                f"Tuneline: uploads under {prefix} could not start a workflow. "
                "Read the messages in the intake dead-letter queue and the intake function's logs."
            ),
            metric=self.dead_letter_queue.metric_approximate_number_of_messages_visible(
                period=Duration.minutes(5), statistic="Maximum"
            ),
            threshold=1,
            evaluation_periods=1,
            comparison_operator=cloudwatch.ComparisonOperator.GREATER_THAN_OR_EQUAL_TO_THRESHOLD,
            treat_missing_data=cloudwatch.TreatMissingData.NOT_BREACHING,
        )
        alarm.add_alarm_action(cw_actions.SnsAction(alert_topic))


def object_created_pattern(bucket_name: str, prefix: str, suffixes: Sequence[str] = ()) -> events.EventPattern:
    """Keys under `prefix` that end in one of `suffixes` (any key under it without suffixes).

    EventBridge matches a list of patterns on one field as OR, so prefix and suffix are combined as one wildcard
    each. The pipeline writes only under other prefixes, so nothing it writes can match.
    """
    keys = [{"wildcard": f"{prefix}*{suffix}"} for suffix in suffixes] or [{"prefix": prefix}]
    return events.EventPattern(
        source=["aws.s3"],
        detail_type=["Object Created"],
        detail={"bucket": {"name": [bucket_name]}, "object": {"key": keys}},
    )
