"""The serving janitor: a Lambda on an EventBridge Scheduler schedule that enforces serving expiry tags."""

from __future__ import annotations

from typing import Any

from aws_cdk import Aws, Duration, Stack
from aws_cdk import aws_iam as iam
from aws_cdk import aws_kms as kms
from aws_cdk import aws_lambda as lambda_
from aws_cdk import aws_scheduler as scheduler
from aws_cdk import aws_scheduler_targets as targets
from aws_cdk import aws_sns as sns
from constructs import Construct

from stacks.constants import JANITOR_MARKER_TAGS, MANAGED_CONDITION
from stacks.constructs.bedrock_role import bedrock_arn
from stacks.constructs.functions import Functions
from stacks.nag import acknowledge_wildcards

JANITOR_TIMEOUT_MINUTES = 5
# A missed run is made up by the next one; retrying a stale one only repeats work.
SCHEDULE_RETRY_ATTEMPTS = 2


class Janitor(Construct):
    def __init__(
        self,
        scope: Construct,
        construct_id: str,
        *,
        functions: Functions,
        key: kms.IKey,
        topic: sns.ITopic,
        schedule_minutes: int,
    ) -> None:
        super().__init__(scope, construct_id)
        self.function = functions.create(
            "ServingJanitor",
            handler_module="janitor",
            description="Delete expired Tuneline serving; warn before expiry",
            timeout=Duration.minutes(JANITOR_TIMEOUT_MINUTES),
            asynchronous=True,
        )
        # A schedule group of this stack's own, so the role below trusts this stack's schedules only.
        group_name = f"{Stack.of(self).stack_name}-serving-janitor"
        self.schedule_group = scheduler.ScheduleGroup(self, "ScheduleGroup", schedule_group_name=group_name)
        # Our own role (instead of the shared one CDK creates) so its policy's acknowledgement stays narrow.
        # Scheduler sets aws:SourceArn to the schedule group's ARN (confused-deputy protection); the ARN is
        # written out rather than referenced so the role does not wait for the group.
        self.schedule_role = iam.Role(
            self,
            "ScheduleRole",
            assumed_by=iam.ServicePrincipal(
                "scheduler.amazonaws.com",
                conditions={
                    "StringEquals": {"aws:SourceAccount": Aws.ACCOUNT_ID},
                    "ArnEquals": {
                        "aws:SourceArn": f"arn:{Aws.PARTITION}:scheduler:{Aws.REGION}:{Aws.ACCOUNT_ID}:"
                        f"schedule-group/{group_name}"
                    },
                },
            ),
            description="Lets EventBridge Scheduler invoke the Tuneline serving janitor",
        )
        self.schedule = scheduler.Schedule(
            self,
            "Schedule",
            description="Tuneline: check serving expiry tags",
            schedule_group=self.schedule_group,
            schedule=scheduler.ScheduleExpression.rate(Duration.minutes(schedule_minutes)),
            target=targets.LambdaInvoke(
                self.function,
                # The scheduled time, not the arrival time, is "now" for the run (stable under retries).
                input=scheduler.ScheduleTargetInput.from_object(
                    {"scheduledTime": scheduler.ContextAttribute.scheduled_time}
                ),
                retry_attempts=SCHEDULE_RETRY_ATTEMPTS,
                role=self.schedule_role,
                max_event_age=Duration.minutes(schedule_minutes),
            ),
        )
        self._grant(key, topic)
        acknowledge_wildcards(
            self.schedule_role,
            [f"{self.function.function_arn}:*"],
            "The scheduler invokes the janitor function and its versions (`<function ARN>:*`), nothing else.",
        )

    def _grant(self, key: kms.IKey, topic: sns.ITopic) -> None:
        marker_keys = {"ForAllValues:StringEquals": {"aws:TagKeys": list(JANITOR_MARKER_TAGS)}}
        allow_serving_cleanup(self.function)
        _allow(
            self.function,
            {
                "MarkServingAlerted": (["bedrock:TagResource"], SERVED, {**MANAGED_CONDITION, **marker_keys}),
                "PublishAlerts": (["sns:Publish"], [topic.topic_arn], None),
                "UseDataKey": (["kms:Decrypt", "kms:GenerateDataKey"], [key.key_arn], None),
            },
        )


SERVED = [bedrock_arn("provisioned-model/*"), bedrock_arn("custom-model-deployment/*")]
Statements = dict[str, tuple[list[str], list[str], dict[str, Any] | None]]


def allow_serving_cleanup(fn: lambda_.IFunction) -> None:
    """Find Tuneline's serving by its tags and delete it: the janitor, and the handler of executions that
    timed out or were aborted. Deletes are limited to serving tagged tuneline:managed=true."""
    _allow(
        fn,
        {
            # The List APIs have no resource-level permissions.
            "ListServing": (
                ["bedrock:ListProvisionedModelThroughputs", "bedrock:ListCustomModelDeployments"],
                ["*"],
                None,
            ),
            # Reading tags is how Tuneline's serving is told from the rest, so it covers all serving.
            "ReadServingTags": (["bedrock:ListTagsForResource"], SERVED, None),
            "DeleteExpiredServing": (
                ["bedrock:DeleteProvisionedModelThroughput", "bedrock:DeleteCustomModelDeployment"],
                SERVED,
                MANAGED_CONDITION,
            ),
        },
    )


def _allow(fn: lambda_.IFunction, statements: Statements) -> None:
    for sid, (actions, resources, conditions) in statements.items():
        fn.add_to_role_policy(iam.PolicyStatement(sid=sid, actions=actions, resources=resources, conditions=conditions))
        acknowledge_wildcards(
            fn,
            resources,
            f"{sid}: Bedrock List APIs take no resource ARNs; throughput and deployment IDs are assigned at "
            "run time, and the code acts only on resources tagged tuneline:managed=true.",
        )
