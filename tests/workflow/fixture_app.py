"""A small CDK app with every kind of resource the emulator must deploy and run.

It mirrors the product's wiring (S3 -> EventBridge -> SQS -> Lambda -> Step Functions with a Bedrock `.sync`
task, aws-sdk Bedrock tasks and SNS alert rules) so the emulator can be tested on its own.
"""

from __future__ import annotations

from pathlib import Path

import aws_cdk as cdk
from aws_cdk import aws_events as events
from aws_cdk import aws_events_targets as targets
from aws_cdk import aws_iam as iam
from aws_cdk import aws_lambda as lambda_
from aws_cdk import aws_lambda_event_sources as sources
from aws_cdk import aws_s3 as s3
from aws_cdk import aws_sns as sns
from aws_cdk import aws_sqs as sqs
from aws_cdk import aws_stepfunctions as sfn
from aws_cdk import aws_stepfunctions_tasks as tasks
from constructs import Construct

FIXTURE_LAMBDA_DIR = Path(__file__).parent / "fixture_lambda"
STACK_NAME = "EmulatorFixture"


class FixtureStack(cdk.Stack):
    def __init__(self, scope: Construct, construct_id: str) -> None:
        super().__init__(scope, construct_id)
        bucket = s3.Bucket(self, "DataBucket", versioned=True, enforce_ssl=True)
        # EventBridge delivery without the Custom::S3BucketNotifications resource.
        bucket.node.default_child.add_property_override(  # type: ignore[union-attr]
            "NotificationConfiguration.EventBridgeConfiguration.EventBridgeEnabled", True
        )
        topic = sns.Topic(self, "AlertTopic")
        sns.Subscription(
            self, "AlertMail", topic=topic, protocol=sns.SubscriptionProtocol.EMAIL, endpoint="ops@example.com"
        )
        code = lambda_.Code.from_asset(str(FIXTURE_LAMBDA_DIR))
        prepare = lambda_.Function(
            self,
            "Prepare",
            runtime=lambda_.Runtime.PYTHON_3_12,
            handler="fixture_handlers.prepare.handler",
            code=code,
            environment={"FIXTURE_GREETING": "hello"},
        )
        state_machine = self._state_machine(prepare, bucket)
        intake = lambda_.Function(
            self,
            "Intake",
            runtime=lambda_.Runtime.PYTHON_3_12,
            handler="fixture_handlers.intake.handler",
            code=code,
            environment={"STATE_MACHINE_ARN": state_machine.state_machine_arn},
        )
        state_machine.grant_start_execution(intake)
        dead_letters = sqs.Queue(self, "IntakeDeadLetters")
        queue = sqs.Queue(
            self,
            "IntakeQueue",
            visibility_timeout=cdk.Duration.minutes(2),
            dead_letter_queue=sqs.DeadLetterQueue(queue=dead_letters, max_receive_count=2),
        )
        events.Rule(
            self,
            "ObjectCreated",
            event_pattern=events.EventPattern(
                source=["aws.s3"],
                detail_type=["Object Created"],
                detail={"bucket": {"name": [bucket.bucket_name]}, "object": {"key": [{"prefix": "incoming/"}]}},
            ),
            targets=[targets.SqsQueue(queue)],
        )
        intake.add_event_source(sources.SqsEventSource(queue, batch_size=5, report_batch_item_failures=True))
        events.Rule(
            self,
            "JobStateChange",
            event_pattern=events.EventPattern(
                source=["aws.bedrock"],
                detail_type=["Model Customization Job State Change"],
                detail={"jobStatus": ["Completed", "Failed", "Stopped"]},
            ),
            targets=[
                targets.SnsTopic(
                    topic,
                    message=events.RuleTargetInput.from_text(
                        f"Job {events.EventField.from_path('$.detail.jobName')} is "
                        f"{events.EventField.from_path('$.detail.jobStatus')}"
                    ),
                )
            ],
        )
        events.Rule(
            self,
            "ExecutionFailed",
            event_pattern=events.EventPattern(
                source=["aws.states"],
                detail_type=["Step Functions Execution Status Change"],
                detail={
                    "status": ["FAILED", "TIMED_OUT", "ABORTED"],
                    "stateMachineArn": [state_machine.state_machine_arn],
                },
            ),
            targets=[
                targets.SnsTopic(
                    topic,
                    message=events.RuleTargetInput.from_object(
                        {
                            "execution": events.EventField.from_path("$.detail.name"),
                            "status": events.EventField.from_path("$.detail.status"),
                            "error": events.EventField.from_path("$.detail.error"),
                        }
                    ),
                )
            ],
        )
        cdk.CfnOutput(self, "DataBucketName", value=bucket.bucket_name)
        cdk.CfnOutput(self, "AlertTopicArn", value=topic.topic_arn)
        cdk.CfnOutput(self, "StateMachineArn", value=state_machine.state_machine_arn)
        cdk.CfnOutput(self, "IntakeQueueUrl", value=queue.queue_url)
        cdk.CfnOutput(self, "DeadLetterQueueUrl", value=dead_letters.queue_url)

    def _state_machine(self, prepare: lambda_.IFunction, bucket: s3.IBucket) -> sfn.StateMachine:
        bedrock_role = iam.Role(self, "BedrockRole", assumed_by=iam.ServicePrincipal("bedrock.amazonaws.com"))
        bucket.grant_read_write(bedrock_role)
        plan = tasks.LambdaInvoke(
            self,
            "Plan job",
            lambda_function=prepare,
            result_selector={
                field + ".$": f"$.Payload.{field}"
                for field in ("jobName", "modelName", "trainingUri", "outputUri", "serve", "greeting")
            },
            result_path="$.plan",
        )
        create_job = sfn.CustomState(
            self,
            "Create customization job",
            state_json={
                "Type": "Task",
                "Resource": f"arn:{cdk.Aws.PARTITION}:states:::bedrock:createModelCustomizationJob.sync",
                "Parameters": {
                    "BaseModelIdentifier": "amazon.nova-micro-v1:0:128k",
                    "CustomizationType": "FINE_TUNING",
                    "JobName.$": "$.plan.jobName",
                    "CustomModelName.$": "$.plan.modelName",
                    "RoleArn": bedrock_role.role_arn,
                    "ClientRequestToken.$": "$.plan.jobName",
                    "HyperParameters": {"epochCount": "2", "learningRate": "0.00001"},
                    "TrainingDataConfig": {"S3Uri.$": "$.plan.trainingUri"},
                    "OutputDataConfig": {"S3Uri.$": "$.plan.outputUri"},
                },
                "ResultPath": "$.job",
                "Retry": [
                    {
                        "ErrorEquals": ["Bedrock.ServiceQuotaExceededException"],
                        "IntervalSeconds": 600,
                        "BackoffRate": 2,
                        "MaxAttempts": 3,
                    }
                ],
            },
        )
        failed = sfn.Fail(self, "Pipeline failed", cause="see the execution history", error="PipelineFailed")
        create_job.add_catch(failed, errors=["States.ALL"], result_path="$.error")
        plan.add_catch(failed, errors=["States.ALL"], result_path="$.error")
        settle = sfn.Wait(self, "Let the model settle", time=sfn.WaitTime.duration(cdk.Duration.minutes(5)))
        create_throughput = tasks.CallAwsService(
            self,
            "Buy throughput",
            service="bedrock",
            action="createProvisionedModelThroughput",
            parameters={
                "ModelUnits": 1,
                "ModelId": sfn.JsonPath.string_at("$.job.OutputModelArn"),
                "ProvisionedModelName": sfn.JsonPath.string_at("$.plan.modelName"),
            },
            iam_resources=["*"],
            result_path="$.throughput",
        )
        wait = sfn.Wait(self, "Wait for throughput", time=sfn.WaitTime.duration(cdk.Duration.minutes(5)))
        get_throughput = tasks.CallAwsService(
            self,
            "Read throughput",
            service="bedrock",
            action="getProvisionedModelThroughput",
            parameters={"ProvisionedModelId": sfn.JsonPath.string_at("$.throughput.ProvisionedModelArn")},
            iam_resources=["*"],
            result_path="$.status",
        )
        served = sfn.Succeed(self, "Served")
        done = sfn.Succeed(self, "Trained")
        serve_choice = (
            sfn.Choice(self, "Serve?")
            .when(sfn.Condition.boolean_equals("$.plan.serve", True), settle.next(create_throughput).next(wait))
            .otherwise(done)
        )
        wait.next(get_throughput).next(
            sfn.Choice(self, "In service?")
            .when(sfn.Condition.string_equals("$.status.Status", "InService"), served)
            .when(sfn.Condition.string_equals("$.status.Status", "Failed"), failed)
            .otherwise(wait)
        )
        definition = plan.next(create_job).next(serve_choice)
        return sfn.StateMachine(
            self,
            "Customize",
            definition_body=sfn.DefinitionBody.from_chainable(definition),
            timeout=cdk.Duration.hours(48),
            tracing_enabled=True,
        )


def synth(outdir: Path) -> Path:
    """Synthesize the fixture stack into `outdir` (a cdk.out folder) and return it."""
    app = cdk.App(outdir=str(outdir))
    FixtureStack(app, STACK_NAME)
    app.synth()
    return outdir
