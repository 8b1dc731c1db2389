"""Alarms that page the alert topic when a Tuneline function keeps failing."""

from __future__ import annotations

from collections.abc import Sequence

from aws_cdk import Duration
from aws_cdk import aws_cloudwatch as cloudwatch
from aws_cdk import aws_cloudwatch_actions as cw_actions
from aws_cdk import aws_lambda as lambda_
from aws_cdk import aws_sns as sns
from aws_cdk import aws_sqs as sqs
from constructs import Construct

from stacks import constants


class Monitoring(Construct):
    def __init__(
        self,
        scope: Construct,
        construct_id: str,
        *,
        functions: Sequence[lambda_.Function],
        topic: sns.ITopic,
        async_dead_letter_queue: sqs.IQueue | None = None,
    ) -> None:
        super().__init__(scope, construct_id)
        action = cw_actions.SnsAction(topic)
        if async_dead_letter_queue is not None:
            lost = cloudwatch.Alarm(
                self,
                "AsyncEventsLost",
                alarm_description=(
                    "Tuneline: an event function (execution ends, Bedrock job changes or the serving janitor) failed "
                    "on an event after every retry: an alert or a serving release may be missing. Read the message "
                    "in the async dead-letter queue (the original event), check the function's logs and release "
                    "any serving the event named by hand."
                ),
                metric=async_dead_letter_queue.metric_approximate_number_of_messages_visible(
                    period=Duration.minutes(5), statistic="Maximum"
                ),
                threshold=1,
                evaluation_periods=1,
                comparison_operator=cloudwatch.ComparisonOperator.GREATER_THAN_OR_EQUAL_TO_THRESHOLD,
                treat_missing_data=cloudwatch.TreatMissingData.NOT_BREACHING,
            )
            lost.add_alarm_action(action)
        for function in functions:
            name = function.node.id
            alarm = cloudwatch.Alarm(
                self,
                f"{name}Errors",
                alarm_description=(
                    f"Tuneline: the {name} function raised unhandled errors. "
                    "Its CloudWatch log group has the stack traces."
                ),
                metric=function.metric_errors(period=Duration.minutes(5), statistic="Sum"),
                threshold=1,
                evaluation_periods=1,
                comparison_operator=cloudwatch.ComparisonOperator.GREATER_THAN_OR_EQUAL_TO_THRESHOLD,
                treat_missing_data=cloudwatch.TreatMissingData.NOT_BREACHING,
            )
            alarm.add_alarm_action(action)

        # Alerts the Notify steps could not publish are kept under reports/<job>/alerts/ and counted here
        # (docs/decisions/0014-alerts-never-decide-a-job.md). The alarm notifies the same topic, which may be
        # the thing that is down: its state in the CloudWatch console is the signal that needs no topic.
        undelivered = cloudwatch.Alarm(
            self,
            "AlertsNotDelivered",
            alarm_description=(
                "Tuneline: an alert could not be published to the alert topic. It is kept in the data bucket "
                f"under {constants.REPORTS_PREFIX}<job>/{constants.UNDELIVERED_ALERTS_FOLDER}; check the topic, "
                "its KMS key and its subscriptions."
            ),
            metric=cloudwatch.Metric(
                namespace=constants.METRIC_NAMESPACE,
                metric_name=constants.ALERTS_NOT_DELIVERED_METRIC,
                period=Duration.minutes(5),
                statistic="Sum",
            ),
            threshold=1,
            evaluation_periods=1,
            comparison_operator=cloudwatch.ComparisonOperator.GREATER_THAN_OR_EQUAL_TO_THRESHOLD,
            treat_missing_data=cloudwatch.TreatMissingData.NOT_BREACHING,
        )
        undelivered.add_alarm_action(action)
