"""The alert topic and the EventBridge rules that turn Bedrock and Step Functions events into readable alerts."""

from __future__ import annotations

from collections.abc import Sequence

from aws_cdk import Duration
from aws_cdk import aws_events as events
from aws_cdk import aws_events_targets as targets
from aws_cdk import aws_kms as kms
from aws_cdk import aws_lambda as lambda_
from aws_cdk import aws_sns as sns
from aws_cdk import aws_sns_subscriptions as subscriptions
from aws_cdk import aws_stepfunctions as sfn
from constructs import Construct

from stacks import constants

# Terminal statuses of a customization job (docs/bedrock.md §5: the field is detail.jobStatus, not detail.status).
BEDROCK_JOB_STATUSES = ("Completed", "Failed", "Stopped")
# FAILED is left out on purpose: every task in the workflows catches its errors and sends a detailed alert
# before failing, so a FAILED rule would only repeat it. Timeouts and aborts bypass Catch, so they come from here.
UNCAUGHT_EXECUTION_STATUSES = ("TIMED_OUT", "ABORTED")


class Alerts(Construct):
    def __init__(self, scope: Construct, construct_id: str, *, key: kms.IKey, emails: Sequence[str]) -> None:
        super().__init__(scope, construct_id)
        self.topic = sns.Topic(
            self,
            "AlertTopic",
            display_name="Tuneline alerts",
            master_key=key,
            enforce_ssl=True,
        )
        for email in emails:
            self.topic.add_subscription(subscriptions.EmailSubscription(email))

    def alert_on_bedrock_job_changes(self, formatter: lambda_.IFunction) -> None:
        """Bedrock job state changes -> a Lambda that writes a readable alert (status, model, advice)."""
        rule = events.Rule(
            self,
            "BedrockJobStateRule",
            description="Tuneline: Bedrock customization job state changes -> alert",
            event_pattern=bedrock_job_event_pattern(),
        )
        rule.add_target(targets.LambdaFunction(formatter, retry_attempts=4, max_event_age=Duration.hours(6)))

    def alert_on_uncaught_execution_end(
        self, state_machines: Sequence[sfn.IStateMachine], formatter: lambda_.IFunction
    ) -> None:
        """Executions that time out or are aborted -> a Lambda that writes the alert (subject, upload, what to do).

        A formatter rather than an input transformer straight to SNS: SNS would send it without a subject, and
        what to check differs between a training and an import execution.
        """
        rule = events.Rule(
            self,
            "ExecutionStatusRule",
            description="Tuneline: workflow executions that time out or are aborted -> alert",
            event_pattern=execution_event_pattern([m.state_machine_arn for m in state_machines]),
        )
        rule.add_target(targets.LambdaFunction(formatter, retry_attempts=4, max_event_age=Duration.hours(6)))


def bedrock_job_event_pattern() -> events.EventPattern:
    return events.EventPattern(
        source=["aws.bedrock"],
        detail_type=["Model Customization Job State Change"],
        detail={
            "jobStatus": list(BEDROCK_JOB_STATUSES),
            "jobName": [{"prefix": constants.JOB_NAME_PREFIX}],
        },
    )


def execution_event_pattern(state_machine_arns: Sequence[str]) -> events.EventPattern:
    return events.EventPattern(
        source=["aws.states"],
        detail_type=["Step Functions Execution Status Change"],
        detail={"status": list(UNCAUGHT_EXECUTION_STATUSES), "stateMachineArn": list(state_machine_arns)},
    )
