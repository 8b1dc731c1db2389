"""The Tuneline stack: composes the constructs and makes the grants between them."""

from __future__ import annotations

from aws_cdk import ArnFormat, Aws, CfnOutput, Duration, Stack
from aws_cdk import aws_iam as iam
from aws_cdk import aws_lambda as lambda_
from aws_cdk import aws_stepfunctions as sfn
from constructs import Construct

from stacks import constants
from stacks.config import TunelineConfig
from stacks.constructs.alerts import Alerts
from stacks.constructs.bedrock_role import BedrockJobRole, bedrock_arn
from stacks.constructs.customize_workflow import CustomizeFunctions, CustomizeWorkflow, JobNetwork
from stacks.constructs.functions import FunctionDefaults, Functions
from stacks.constructs.import_workflow import ImportWorkflow
from stacks.constructs.intake import Intake
from stacks.constructs.janitor import Janitor, allow_serving_cleanup
from stacks.constructs.monitoring import Monitoring
from stacks.constructs.network import Network
from stacks.constructs.serving import Serving
from stacks.constructs.storage import Storage
from stacks.nag import acknowledge_wildcards
from tuneline.datasets.models import inference_profile_parts
from tuneline.jobs.ignored_uploads import MISTAKEN_EXTENSIONS
from tuneline.profiles import profiles_to_json


class TunelineStack(Stack):
    def __init__(self, scope: Construct, construct_id: str, *, config: TunelineConfig, **kwargs: object) -> None:
        super().__init__(scope, construct_id, **kwargs)  # type: ignore[arg-type]
        # The template lists resources in the order their constructs are created here: keep it when moving code.
        storage = Storage(self, "Storage", retain_data=config.retain_data)
        alerts = Alerts(self, "Alerts", key=storage.key, emails=config.alert_emails)
        # EventBridge publishes to the encrypted topic and CloudWatch alarms notify it.
        storage.allow_service_to_use_key("events.amazonaws.com")
        storage.allow_service_to_use_key("cloudwatch.amazonaws.com")

        network = Network(self, "Network") if config.network == "create" else None
        job_network = (
            JobNetwork(subnets=network.vpc.isolated_subnets, security_group=network.security_group) if network else None
        )
        bedrock_role = self._bedrock_job_role(config, storage=storage, network=network)

        functions = self._functions(config, storage=storage, alerts=alerts, network=network)
        intake_fn = functions.create(
            "Intake",
            handler_module="intake",
            description="Start one workflow per upload",
            timeout=Duration.minutes(1),
        )
        customize_fns = _customize_functions(functions)
        bedrock_event_fn = functions.create(
            "BedrockEvents", handler_module="bedrock_event", description="Alert on Bedrock job state changes"
        )
        alerts.alert_on_bedrock_job_changes(bedrock_event_fn)
        serving = Serving(
            self, "Serving", functions=functions, bucket=storage.data_bucket, key=storage.key, topic=alerts.topic
        )

        workflow = CustomizeWorkflow(
            self,
            "Customize",
            functions=customize_fns,
            bedrock_role=bedrock_role.role,
            key=storage.key,
            base_model_ids=sorted({p.base_model for p in config.profiles.values()}),
            job_network=job_network,
            timeout=Duration.hours(config.workflow_timeout_hours),
            quota_wait_hours=config.quota_wait_hours,
            serve=serving.build_chain,
        )
        serving.grant_state_machine(workflow.state_machine)
        Janitor(
            self,
            "ServingJanitor",
            functions=functions,
            key=storage.key,
            topic=alerts.topic,
            schedule_minutes=config.janitor_schedule_minutes,
        )
        imports = ImportWorkflow(
            self,
            "ModelImport",
            functions=functions,
            bucket=storage.data_bucket,
            key=storage.key,
            alert_topic=alerts.topic,
            job_network=job_network,
        )
        execution_event_fn = _alert_on_execution_ends(
            functions, alerts=alerts, state_machines=[workflow.state_machine, imports.state_machine]
        )
        _allow_event_alerts([bedrock_event_fn, execution_event_fn], alerts=alerts, storage=storage)

        self._dataset_intake(intake_fn, storage=storage, alerts=alerts, workflow=workflow)

        self._grant(storage, alerts, workflow, intake_fn, customize_fns)
        Monitoring(self, "Monitoring", functions=functions.all, topic=alerts.topic)
        self._outputs(storage=storage, alerts=alerts, workflow=workflow, imports=imports, bedrock_role=bedrock_role)

    def _bedrock_job_role(self, config: TunelineConfig, *, storage: Storage, network: Network | None) -> BedrockJobRole:
        """The role Bedrock's customization jobs run as; it may also invoke the profiles' distillation teachers."""
        bedrock_role = BedrockJobRole(
            self,
            "BedrockJobRole",
            bucket=storage.data_bucket,
            key=storage.key,
            vpc_subnets=list(network.vpc.isolated_subnets) if network else None,
            security_group=network.security_group if network else None,
        )
        teachers = sorted({p.teacher_model for p in config.profiles.values() if p.teacher_model})
        if teachers:
            # A cross-Region inference profile invokes the model in each of its Regions (docs/bedrock.md §9).
            teacher_resources = [_teacher_arn(t) for t in teachers] + [
                f"arn:{Aws.PARTITION}:bedrock:*::foundation-model/{_model_id_of(t)}" for t in teachers
            ]
            bedrock_role.role.add_to_principal_policy(
                iam.PolicyStatement(
                    sid="InvokeDistillationTeachers", actions=["bedrock:InvokeModel"], resources=teacher_resources
                )
            )
            acknowledge_wildcards(
                bedrock_role.role,
                teacher_resources,
                "The teacher's inference profile routes to the same model in several Regions; the model is named.",
            )
        return bedrock_role

    def _functions(
        self, config: TunelineConfig, *, storage: Storage, alerts: Alerts, network: Network | None
    ) -> Functions:
        """The factory every Lambda comes from: shared environment, and the VPC when there is one."""
        return Functions(
            self,
            "Functions",
            defaults=FunctionDefaults(
                environment={
                    "DATA_BUCKET": storage.data_bucket.bucket_name,
                    "ALERT_TOPIC_ARN": alerts.topic.topic_arn,
                    "PROFILES": profiles_to_json(config.profiles),
                },
                vpc=network.vpc if network else None,
                subnets=network.subnets if network else None,
                security_group=network.security_group if network else None,
            ),
        )

    def _dataset_intake(
        self, intake_fn: lambda_.Function, *, storage: Storage, alerts: Alerts, workflow: CustomizeWorkflow
    ) -> None:
        """Datasets uploaded under incoming/ start one customize workflow each."""
        Intake(
            self,
            "DatasetIntake",
            bucket=storage.data_bucket,
            prefix=constants.INCOMING_PREFIX,
            suffixes=list(constants.DATASET_SUFFIX_SPELLINGS),
            function=intake_fn,
            alert_topic=alerts.topic,
            mistaken_suffixes=list(MISTAKEN_EXTENSIONS),
        )
        intake_fn.add_environment("STATE_MACHINE_ARN", workflow.state_machine.state_machine_arn)

    def _outputs(
        self,
        *,
        storage: Storage,
        alerts: Alerts,
        workflow: CustomizeWorkflow,
        imports: ImportWorkflow,
        bedrock_role: BedrockJobRole,
    ) -> None:
        CfnOutput(self, "DataBucketName", value=storage.data_bucket.bucket_name)
        CfnOutput(self, "AlertTopicArn", value=alerts.topic.topic_arn)
        CfnOutput(self, "CustomizeStateMachineArn", value=workflow.state_machine.state_machine_arn)
        CfnOutput(self, "ImportStateMachineArn", value=imports.state_machine.state_machine_arn)
        CfnOutput(self, "BedrockJobRoleArn", value=bedrock_role.role.role_arn)

    def _grant(
        self,
        storage: Storage,
        alerts: Alerts,
        workflow: CustomizeWorkflow,
        intake_fn: lambda_.IFunction,
        customize: CustomizeFunctions,
    ) -> None:
        """Least privilege, written out: explicit actions only (no `s3:GetObject*`-style wildcards)."""
        plan_fn, validate_fn, guard_fn = customize.plan, customize.validate, customize.guard
        summarize_fn, notify_fn = customize.summarize, customize.notify
        bucket = storage.data_bucket
        key_arn = storage.key.key_arn
        incoming = bucket.arn_for_objects(f"{constants.INCOMING_PREFIX}*")

        def allow(fn: lambda_.IFunction, sid: str, actions: list[str], resources: list[str]) -> None:
            fn.add_to_role_policy(iam.PolicyStatement(sid=sid, actions=actions, resources=resources))
            acknowledge_wildcards(
                fn,
                resources,
                f"{sid}: objects under one pipeline prefix, or an API without resource-level permissions "
                "(bedrock:ListModelCustomizationJobs); the actions are listed one by one.",
            )

        allow(intake_fn, "StartWorkflow", ["states:StartExecution"], [workflow.state_machine.state_machine_arn])
        allow(intake_fn, "CheckUploadedObject", ["s3:GetObject", "s3:GetObjectVersion"], [incoming])
        allow(intake_fn, "ExplainIgnoredUploads", ["sns:Publish"], [alerts.topic.topic_arn])
        # A companion that lands after its dataset's run was planned gets an alert: the intake finds those runs.
        machine = workflow.state_machine
        allow(intake_fn, "FindRunsOfCompanions", ["states:ListExecutions"], [machine.state_machine_arn])
        allow(
            intake_fn,
            "ReadRunsOfCompanions",
            ["states:DescribeExecution", "states:GetExecutionHistory"],
            [
                Stack.of(self).format_arn(
                    service="states",
                    resource="execution",
                    resource_name=f"{machine.state_machine_name}:*",
                    arn_format=ArnFormat.COLON_RESOURCE_NAME,
                )
            ],
        )
        allow(plan_fn, "ReadCompanionFiles", ["s3:GetObject", "s3:GetObjectVersion"], [incoming])
        allow(plan_fn, "ListCompanionFiles", ["s3:ListBucket"], [bucket.bucket_arn])
        allow(validate_fn, "ReadDatasets", ["s3:GetObject", "s3:GetObjectVersion"], [incoming])
        # Images and videos a multimodal dataset names may be anywhere in this bucket (Bedrock's rule: the
        # dataset's bucket); they are read only as the source of their copies under staged/.
        allow(validate_fn, "CopyDatasetMedia", ["s3:GetObject"], [bucket.arn_for_objects("*")])
        allow(
            validate_fn,
            "WriteStagedCopiesAndReports",
            ["s3:PutObject"],
            [
                bucket.arn_for_objects(f"{constants.STAGED_PREFIX}*"),
                bucket.arn_for_objects(f"{constants.REPORTS_PREFIX}*"),
            ],
        )
        # A streamed staged copy that fails midway is aborted, so no unfinished parts are left behind.
        allow(
            validate_fn,
            "AbortUnfinishedStagedUploads",
            ["s3:AbortMultipartUpload"],
            [bucket.arn_for_objects(f"{constants.STAGED_PREFIX}*")],
        )
        allow(guard_fn, "CountRunningJobs", ["bedrock:ListModelCustomizationJobs"], ["*"])
        allow(summarize_fn, "ListJobOutput", ["s3:ListBucket"], [bucket.bucket_arn])
        allow(
            summarize_fn,
            "ReadJobOutput",
            ["s3:GetObject"],
            [bucket.arn_for_objects(f"{constants.OUTPUT_PREFIX}*")],
        )
        allow(summarize_fn, "WriteReports", ["s3:PutObject"], [bucket.arn_for_objects(f"{constants.REPORTS_PREFIX}*")])
        allow(notify_fn, "PublishAlerts", ["sns:Publish"], [alerts.topic.topic_arn])
        allow(notify_fn, "ReadReports", ["s3:GetObject"], [bucket.arn_for_objects(f"{constants.REPORTS_PREFIX}*")])
        allow(notify_fn, "DescribeCustomModels", ["bedrock:GetCustomModel"], [bedrock_arn("custom-model/*")])
        # An alert that cannot be published is kept and counted (docs/decisions/0014-alerts-never-decide-a-job.md).
        allow(
            notify_fn,
            "KeepUndeliveredAlerts",
            ["s3:PutObject"],
            [bucket.arn_for_objects(f"{constants.REPORTS_PREFIX}*/{constants.UNDELIVERED_ALERTS_FOLDER}*")],
        )
        notify_fn.add_to_role_policy(
            iam.PolicyStatement(
                sid="CountUndeliveredAlerts",
                actions=["cloudwatch:PutMetricData"],
                resources=["*"],
                conditions={"StringEquals": {"cloudwatch:namespace": constants.METRIC_NAMESPACE}},
            )
        )
        for fn in (intake_fn, plan_fn, validate_fn, summarize_fn, notify_fn):
            allow(fn, "UseDataKey", ["kms:Decrypt", "kms:GenerateDataKey"], [key_arn])


def _customize_functions(functions: Functions) -> CustomizeFunctions:
    """The customize workflow's Lambda steps, created in this order."""
    return CustomizeFunctions(
        plan=functions.create("Plan", handler_module="plan", description="Plan a customization job"),
        validate=functions.create("Validate", handler_module="validate", description="Validate and stage data"),
        guard=functions.create("Guard", handler_module="guard", description="Budget and capacity check"),
        summarize=functions.create("Summarize", handler_module="summarize", description="Summarize metrics"),
        notify=functions.create("Notify", handler_module="notify", description="Send workflow alerts"),
    )


def _alert_on_execution_ends(
    functions: Functions, *, alerts: Alerts, state_machines: list[sfn.StateMachine]
) -> lambda_.Function:
    """The function that alerts on executions that fail past every Catch, time out or are aborted, and releases
    their serving."""
    execution_event_fn = functions.create(
        "ExecutionEvents",
        handler_module="execution_event",
        description="Alert on workflow executions that fail without an alert, time out or are aborted",
    )
    alerts.alert_on_uncaught_execution_end(state_machines, execution_event_fn)
    # An execution that timed out, was aborted or failed past its Catch never reached its release step: its
    # serving is deleted here.
    allow_serving_cleanup(execution_event_fn)
    return execution_event_fn


def _allow_event_alerts(event_fns: list[lambda_.Function], *, alerts: Alerts, storage: Storage) -> None:
    """The event functions publish their alerts to the encrypted topic."""
    for event_fn in event_fns:
        event_fn.add_to_role_policy(
            iam.PolicyStatement(sid="PublishAlerts", actions=["sns:Publish"], resources=[alerts.topic.topic_arn])
        )
        event_fn.add_to_role_policy(
            iam.PolicyStatement(
                sid="UseTopicKey", actions=["kms:Decrypt", "kms:GenerateDataKey"], resources=[storage.key.key_arn]
            )
        )


def _teacher_arn(teacher: str) -> str:
    """The teacher as a resource: an ARN as given, an inference profile id, or a foundation model id."""
    if teacher.startswith("arn:"):
        return teacher
    geography, _ = inference_profile_parts(teacher)
    if geography is not None:
        return f"arn:{Aws.PARTITION}:bedrock:{Aws.REGION}:{Aws.ACCOUNT_ID}:inference-profile/{teacher}"
    return f"arn:{Aws.PARTITION}:bedrock:{Aws.REGION}::foundation-model/{teacher}"


def _model_id_of(teacher: str) -> str:
    """`us.meta.llama3-1-405b...` (inference profile id or ARN) -> the foundation model id it routes to."""
    return inference_profile_parts(teacher)[1]
