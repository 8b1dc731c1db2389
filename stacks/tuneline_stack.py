"""The Tuneline stack: composes the constructs and makes the grants between them."""

from __future__ import annotations

import functools
from typing import Any

from aws_cdk import ArnFormat, Aws, CfnOutput, Duration, Stack
from aws_cdk import aws_iam as iam
from aws_cdk import aws_lambda as lambda_
from aws_cdk import aws_stepfunctions as sfn
from constructs import Construct

from stacks import constants
from stacks.config import TunelineConfig
from stacks.constructs.access import DataAccess, media_prefixes
from stacks.constructs.alerts import Alerts
from stacks.constructs.bedrock_role import BedrockJobRole, bedrock_arn
from stacks.constructs.customize_workflow import CustomizeFunctions, CustomizeWorkflow, JobNetwork
from stacks.constructs.evaluation import Evaluation
from stacks.constructs.functions import FunctionDefaults, Functions
from stacks.constructs.import_workflow import ImportWorkflow
from stacks.constructs.intake import Intake
from stacks.constructs.janitor import Janitor, allow_serving_cleanup
from stacks.constructs.monitoring import Monitoring
from stacks.constructs.network import Network
from stacks.constructs.rft import ReinforcementFineTuning
from stacks.constructs.serving import Serving
from stacks.constructs.storage import Storage
from stacks.nag import acknowledge_wildcards, allow_function
from tuneline.datasets.models import inference_profile_parts


class TunelineStack(Stack):
    def __init__(self, scope: Construct, construct_id: str, *, config: TunelineConfig, **kwargs: object) -> None:
        super().__init__(scope, construct_id, **kwargs)  # type: ignore[arg-type]
        # The template lists resources in the order their constructs are created here: keep it when moving code.
        storage = Storage(self, "Storage", retain_data=config.retain_data)
        alerts = Alerts(self, "Alerts", key=storage.key, emails=config.alert_emails)
        storage.allow_alarms_to_use_key()

        network = Network(self, "Network") if config.network == "create" else None
        if network is not None:
            network.limit_s3_endpoint_to(storage.data_bucket)
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
            "BedrockEvents",
            handler_module="bedrock_event",
            description="Alert on Bedrock job state changes",
            asynchronous=True,
        )
        alerts.alert_on_bedrock_job_changes(bedrock_event_fn)
        # The serving states and their purchase permissions exist only when a profile serves its models.
        serving = (
            Serving(
                self, "Serving", functions=functions, bucket=storage.data_bucket, key=storage.key, topic=alerts.topic
            )
            if any(p.serving.mode != "none" for p in config.profiles.values())
            else None
        )

        # Graders, their job roles and the checks before an RFT job, only when a profile trains with RFT.
        rft = (
            ReinforcementFineTuning(
                self,
                "Rft",
                functions=functions,
                profiles=config.profiles,
                bucket=storage.data_bucket,
                key=storage.key,
                vpc_subnets=list(network.vpc.isolated_subnets) if network else None,
                security_group=network.security_group if network else None,
            )
            if any(p.rft is not None for p in config.profiles.values())
            else None
        )
        # Likewise the evaluation stage: only when a profile evaluates its models.
        evaluation = (
            Evaluation(self, "Evaluation", functions=functions, bucket=storage.data_bucket, key=storage.key)
            if any(p.evaluation is not None for p in config.profiles.values())
            else None
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
            serve=serving.build_chain if serving else None,
            evaluate=evaluation.build_chain if evaluation else None,
            check_baseline=evaluation.build_baseline_chain
            if evaluation and any(p.evaluation and p.evaluation.baseline_first for p in config.profiles.values())
            else None,
            rft_jobs=rft.jobs if rft else None,
            rft_check=rft.check_function if rft else None,
        )
        if serving is not None:
            serving.grant_state_machine(workflow.state_machine)
        if evaluation is not None:
            evaluation.grant_state_machine(workflow.state_machine)
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

        self._grant(storage, alerts, workflow, intake_fn, customize_fns, media_prefixes=media_prefixes(config.profiles))
        access = DataAccess(self, "DataAccess", bucket=storage.data_bucket, key=storage.key, profiles=config.profiles)
        report_writers = [customize_fns.validate, customize_fns.summarize, imports.check_function]
        if serving is not None:
            report_writers.append(serving.functions.smoke)
        access.protect_pipeline_prefixes(
            {
                constants.STAGED_PREFIX: [_role_of(customize_fns.validate)],
                constants.REPORTS_PREFIX: [_role_of(fn) for fn in report_writers],
                # Bedrock writes the job's metrics with the job role (docs/bedrock.md §5).
                constants.OUTPUT_PREFIX: [bedrock_role.role, *(job.role for job in (rft.jobs.values() if rft else []))],
            }
        )
        Monitoring(
            self,
            "Monitoring",
            functions=functions.all,
            topic=alerts.topic,
            async_dead_letter_queue=functions.async_dead_letter_queue,
        )
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
        """The factory every Lambda comes from: shared environment and code (with the profiles), and the VPC when
        there is one."""
        return Functions(
            self,
            "Functions",
            defaults=FunctionDefaults(
                environment={
                    "DATA_BUCKET": storage.data_bucket.bucket_name,
                    "ALERT_TOPIC_ARN": alerts.topic.topic_arn,
                },
                vpc=network.vpc if network else None,
                subnets=network.subnets if network else None,
                security_group=network.security_group if network else None,
            ),
            profiles_document=config.profiles_document,
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
            # Every key under incoming/: the intake takes a dataset's extension in any letter case, alerts on
            # uploads that start nothing, and ignores companions quietly.
            function=intake_fn,
            alert_topic=alerts.topic,
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
        *,
        media_prefixes: list[str],
    ) -> None:
        """Least privilege, written out: explicit actions only (no `s3:GetObject*`-style wildcards)."""
        plan_fn, validate_fn, guard_fn = customize.plan, customize.validate, customize.guard
        summarize_fn, notify_fn = customize.summarize, customize.notify
        bucket = storage.data_bucket
        key_arn = storage.key.key_arn
        incoming = bucket.arn_for_objects(f"{constants.INCOMING_PREFIX}*")

        allow = functools.partial(
            allow_function,
            why_wildcards=(
                "objects under one pipeline prefix, or an API without resource-level permissions "
                "(bedrock:ListModelCustomizationJobs); the actions are listed one by one."
            ),
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
        allow(
            plan_fn, "ListCompanionFiles", ["s3:ListBucket"], [bucket.bucket_arn], _listing(constants.INCOMING_PREFIX)
        )
        allow(validate_fn, "ReadDatasets", ["s3:GetObject", "s3:GetObjectVersion"], [incoming])
        # Images and videos a multimodal dataset names are read only as the source of their copies under staged/,
        # and only from the media prefixes: a record naming another prefix (imports/, another profile's
        # incoming/, output/) could otherwise have it copied where every job role reads.
        allow(
            validate_fn, "CopyDatasetMedia", ["s3:GetObject"], [bucket.arn_for_objects(f"{p}*") for p in media_prefixes]
        )
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
        # HeadObject of the staged files: their version and ETag must still be the validated ones.
        allow(guard_fn, "CheckStagedData", ["s3:GetObject"], [bucket.arn_for_objects(f"{constants.STAGED_PREFIX}*")])
        allow(summarize_fn, "ListJobOutput", ["s3:ListBucket"], [bucket.bucket_arn], _listing(constants.OUTPUT_PREFIX))
        allow(
            summarize_fn,
            "ReadJobOutput",
            ["s3:GetObject"],
            [bucket.arn_for_objects(f"{constants.OUTPUT_PREFIX}*")],
        )
        allow(summarize_fn, "WriteReports", ["s3:PutObject"], [bucket.arn_for_objects(f"{constants.REPORTS_PREFIX}*")])
        allow(notify_fn, "PublishAlerts", ["sns:Publish"], [alerts.topic.topic_arn])
        allow(notify_fn, "ReadReports", ["s3:GetObject"], [bucket.arn_for_objects(f"{constants.REPORTS_PREFIX}*")])
        # The report page, model card, run record and the leaderboard (read, then written back conditionally).
        allow(notify_fn, "WriteReports", ["s3:PutObject"], [bucket.arn_for_objects(f"{constants.REPORTS_PREFIX}*")])
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


def _listing(prefix: str) -> dict[str, Any]:
    """ListBucket only under `prefix` (the s3:prefix the caller sends)."""
    return {"StringLike": {"s3:prefix": [f"{prefix}*"]}}


def _role_of(fn: lambda_.IFunction) -> iam.IRole:
    if fn.role is None:
        raise ValueError(f"{fn.node.path} has no role to name in the bucket policy")
    return fn.role


def _customize_functions(functions: Functions) -> CustomizeFunctions:
    """The customize workflow's Lambda steps, created in this order."""
    return CustomizeFunctions(
        plan=functions.create(
            "Plan", handler_module="plan", description="Plan a customization job", reads_profiles=True
        ),
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
        asynchronous=True,
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
