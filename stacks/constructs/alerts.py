"""The alert topic and the EventBridge rules that turn Bedrock and Step Functions events into readable alerts."""

from __future__ import annotations

from collections.abc import Sequence

from aws_cdk import ArnFormat, Duration, Stack
from aws_cdk import aws_events as events
from aws_cdk import aws_events_targets as targets
from aws_cdk import aws_iam as iam
from aws_cdk import aws_kms as kms
from aws_cdk import aws_lambda as lambda_
from aws_cdk import aws_sns as sns
from aws_cdk import aws_sns_subscriptions as subscriptions
from aws_cdk import aws_stepfunctions as sfn
from constructs import Construct

from stacks import constants
from stacks.nag import acknowledge_wildcards

# Terminal statuses of a customization job (docs/bedrock.md §5: the field is detail.jobStatus, not detail.status).
BEDROCK_JOB_STATUSES = ("Completed", "Failed", "Stopped")
# Executions that may end without their own alert. Timeouts and aborts bypass every Catch. FAILED executions
# mostly went through the workflow's failure alert first, and the handler skips those (their Fail state's error
# says so), but States.Runtime and States.DataLimitExceeded fail an execution past its States.ALL catch-all.
UNCAUGHT_EXECUTION_STATUSES = ("FAILED", "TIMED_OUT", "ABORTED")


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
        self, state_machines: Sequence[sfn.StateMachine], formatter: lambda_.IFunction
    ) -> None:
        """Executions that fail without their own alert, time out or are aborted -> a Lambda that writes the
        alert (subject, upload, error, what to do).

        A formatter rather than an input transformer straight to SNS: SNS would send it without a subject, what
        to check differs between a training and an import execution, and a FAILED execution that already sent
        its failure alert must send nothing. The formatter reads a FAILED execution's error with
        DescribeExecution when the event lacks it: only on these state machines' executions.
        """
        rule = events.Rule(
            self,
            "ExecutionStatusRule",
            description="Tuneline: workflow executions that fail without an alert, time out or are aborted -> alert",
            event_pattern=execution_event_pattern([m.state_machine_arn for m in state_machines]),
        )
        rule.add_target(targets.LambdaFunction(formatter, retry_attempts=4, max_event_age=Duration.hours(6)))
        executions = [execution_arns(machine) for machine in state_machines]
        formatter.add_to_role_policy(
            iam.PolicyStatement(sid="ReadExecutionErrors", actions=["states:DescribeExecution"], resources=executions)
        )
        acknowledge_wildcards(
            formatter,
            executions,
            "ReadExecutionErrors: the executions of Tuneline's own state machines, whose names are chosen per "
            "upload; one read-only action.",
        )


def execution_arns(state_machine: sfn.StateMachine) -> str:
    """Every execution of a state machine: arn:<partition>:states:<region>:<account>:execution:<machine>:*."""
    return Stack.of(state_machine).format_arn(
        service="states",
        resource="execution",
        resource_name=f"{state_machine.state_machine_name}:*",
        arn_format=ArnFormat.COLON_RESOURCE_NAME,
    )


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
