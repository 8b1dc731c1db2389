"""Custom Model Import: `imports/<model>/_READY` -> check -> import job -> bounded polling -> smoke test -> alert.

Everything the import needs lives here: its intake (a second `Intake` on `imports/*/_READY`), the role
Bedrock assumes to read the folder, the four functions with their grants and the state machine. There is
no optimized Step Functions integration and no `.sync` for model imports (docs/bedrock.md §8), so the job is
created with an AWS SDK task and polled with GetModelImportJob, a bounded number of times.
"""

from __future__ import annotations

from typing import Any

from aws_cdk import Aws, Duration, RemovalPolicy
from aws_cdk import aws_iam as iam
from aws_cdk import aws_kms as kms
from aws_cdk import aws_lambda as lambda_
from aws_cdk import aws_logs as logs
from aws_cdk import aws_s3 as s3
from aws_cdk import aws_sns as sns
from aws_cdk import aws_stepfunctions as sfn
from aws_cdk import aws_stepfunctions_tasks as tasks
from constructs import Construct

from stacks import constants
from stacks.constructs.bedrock_role import BedrockJobRole, bedrock_arn
from stacks.constructs.customize_workflow import JobNetwork
from stacks.constructs.functions import Functions
from stacks.constructs.intake import Intake
from stacks.constructs.workflow_parts import (
    BEDROCK_TRANSIENT_ERRORS,
    FailureBranch,
    add_transient_retry,
    count_step,
    lambda_step,
)
from stacks.nag import LOG_GROUP_KEY_REASON, acknowledge_wildcards, skip_checkov
from tuneline.errors import IMPORT_FAILED
from tuneline.imports.errors import IMPORT_JOB_FAILED, IMPORT_TIMED_OUT
from tuneline.imports.smoke import LOAD_CHECK_SECONDS, LOAD_CHECKS

# Imports of small models take minutes, of large ones up to a few hours: poll once a minute, for at most
# four hours, then alert that the job is still running.
IMPORT_POLL_SECONDS = 60
IMPORT_MAX_POLLS = 240
# Polling, the cold-start wait (tuneline.imports.smoke: LOAD_CHECKS checks LOAD_CHECK_SECONDS apart) and the
# Lambda steps fit well inside this.
IMPORT_WORKFLOW_TIMEOUT = Duration.hours(6)
SMOKE_TIMEOUT = Duration.minutes(5)

IMPORT_JOBS = "model-import-job/*"
IMPORTED_MODELS = "imported-model/*"


class ImportWorkflow(Construct):
    def __init__(
        self,
        scope: Construct,
        construct_id: str,
        *,
        functions: Functions,
        bucket: s3.IBucket,
        key: kms.IKey,
        alert_topic: sns.ITopic,
        job_network: JobNetwork | None,
        timeout: Duration = IMPORT_WORKFLOW_TIMEOUT,
    ) -> None:
        super().__init__(scope, construct_id)
        self._bucket = bucket
        self._key = key
        # Bedrock reads the model folder with this role; only import jobs of this account may assume it.
        self.bedrock_role = BedrockJobRole(
            self,
            "BedrockImportRole",
            bucket=bucket,
            key=key,
            job_resource=IMPORT_JOBS,
            read_prefix=constants.IMPORTS_PREFIX,
            write_prefix=None,
            vpc_subnets=list(job_network.subnets) if job_network else None,
            security_group=job_network.security_group if job_network else None,
            eni_tag="BedrockModelImportJobArn",
        ).role

        self.intake_function = functions.create(
            "ImportIntake",
            handler_module="import_intake",
            description="Start one import per _READY marker",
            timeout=Duration.minutes(1),
        )
        self.check_function = functions.create(
            "ImportCheck", handler_module="import_check", description="Check a model folder for import"
        )
        self.smoke_function = functions.create(
            "ImportSmoke",
            handler_module="import_smoke",
            description="Smoke test an imported model",
            timeout=SMOKE_TIMEOUT,
        )
        self.notify_function = functions.create(
            "ImportNotify", handler_module="import_notify", description="Send import alerts"
        )

        self.log_group = logs.LogGroup(
            self, "Logs", retention=logs.RetentionDays.THREE_MONTHS, removal_policy=RemovalPolicy.DESTROY
        )
        skip_checkov(self.log_group, "CKV_AWS_158", LOG_GROUP_KEY_REASON)
        self.state_machine = sfn.StateMachine(
            self,
            "StateMachine",
            comment="Tuneline: Hugging Face folder in S3 -> checked -> imported into Bedrock -> smoke test -> alerts",
            definition_body=sfn.DefinitionBody.from_chainable(self._definition(job_network)),
            state_machine_type=sfn.StateMachineType.STANDARD,
            timeout=timeout,
            tracing_enabled=True,
            logs=sfn.LogOptions(destination=self.log_group, level=sfn.LogLevel.ALL, include_execution_data=False),
        )
        self._grant_state_machine()
        self._grant_functions(alert_topic)

        self.intake = Intake(
            self,
            "MarkerIntake",
            bucket=bucket,
            prefix=constants.IMPORTS_PREFIX,
            suffixes=[f"/{constants.IMPORT_MARKER_NAME}"],
            function=self.intake_function,
            alert_topic=alert_topic,
        )
        self.intake_function.add_environment("STATE_MACHINE_ARN", self.state_machine.state_machine_arn)

    # --- definition -------------------------------------------------------------------------------------

    def _definition(self, job_network: JobNetwork | None) -> sfn.IChainable:
        """Check model folder -> Already imported? -> yes: Notify import already exists -> Nothing new to import;
        no: Create import job -> poll until it ends -> Smoke test -> Notify import completed -> Model imported.

        Any error, a failed job or one that takes too long ends in Notify import failure -> Import failed.
        """
        failure = FailureBranch(
            self,
            notify=self.notify_function,
            notify_name="Notify import failure",
            fail_name="Import failed",
            error=IMPORT_FAILED,
        )
        # Built in this order and wired afterwards, as in Serving.build_chain: the order of Notify import
        # failure's incoming transitions decides the order of the states in the rendered definition.
        check = self._check_model_folder(failure)
        nothing_new = self._nothing_new_chain(failure)
        create = failure.caught(self._create_import_job(job_network))
        get_job = failure.caught(self._get_import_job())
        imported = self._smoke_test_chain(failure)

        import_model = create.next(self._poll_until_finished(failure, get_job=get_job, completed=imported))
        return check.next(
            sfn.Choice(self, "Already imported?")
            .when(sfn.Condition.boolean_equals("$.check.duplicate", True), nothing_new)
            .otherwise(import_model)
        )

    def _check_model_folder(self, failure: FailureBranch) -> sfn.TaskStateBase:
        """Check model folder: marker options, the folder against Bedrock's rules, earlier imports."""
        return failure.caught(
            lambda_step(
                self,
                "Check model folder",
                self.check_function,
                # An object payload: a bare "$" is not valid as Parameters in the States language.
                payload={"marker.$": "$"},
                result_path="$.check",
                comment="Marker options, folder identity and names, earlier imports, Bedrock's folder rules",
            )
        )

    def _nothing_new_chain(self, failure: FailureBranch) -> sfn.Chain:
        """Notify import already exists -> Nothing new to import (Succeed)."""
        notify_duplicate = failure.caught(
            lambda_step(
                self,
                "Notify import already exists",
                self.notify_function,
                payload={"kind": "duplicate", "state.$": "$"},
                result_path=sfn.JsonPath.DISCARD,
                comment="Alert: the same files and options are already imported; nothing new started",
            )
        )
        return notify_duplicate.next(sfn.Succeed(self, "Nothing new to import"))

    def _poll_until_finished(
        self, failure: FailureBranch, *, get_job: sfn.IChainable, completed: sfn.IChainable
    ) -> sfn.Pass:
        """Start polling -> Wait for import -> Get import job -> Count poll -> Import finished? -> `completed`.

        A job Bedrock reports as Failed, or one still running after IMPORT_MAX_POLLS polls, goes to the
        failure alert. Returns the first state.
        """
        start_polling = sfn.Pass(
            self, "Start polling", result=sfn.Result.from_object({"count": 0}), result_path="$.poll"
        )
        wait = sfn.Wait(
            self,
            "Wait for import",
            time=sfn.WaitTime.duration(Duration.seconds(IMPORT_POLL_SECONDS)),
            comment="Model imports send no events: poll the job",
        )
        count_poll = count_step(self, "Count poll", "$.poll")
        job_failed = sfn.Pass(
            self,
            "Import job failed",
            result=sfn.Result.from_object(
                {"Error": IMPORT_JOB_FAILED, "Cause": "Bedrock reported the import job as Failed"}
            ),
            result_path="$.error",
            comment="The alert reads Bedrock's failureMessage from $.job",
        )
        timed_out = sfn.Pass(
            self,
            "Import took too long",
            result=sfn.Result.from_object(
                {
                    "Error": IMPORT_TIMED_OUT,
                    "Cause": f"The import job was still running after {IMPORT_MAX_POLLS} checks, "
                    f"{IMPORT_POLL_SECONDS} seconds apart",
                }
            ),
            result_path="$.error",
        )

        job_status = "$.job.Status"
        finished = (
            sfn.Choice(self, "Import finished?")
            .when(sfn.Condition.string_equals(job_status, "Completed"), completed)
            .when(sfn.Condition.string_equals(job_status, "Failed"), job_failed)
            .when(sfn.Condition.number_greater_than_equals("$.poll.count", IMPORT_MAX_POLLS), timed_out)
            .otherwise(wait)
        )
        job_failed.next(failure.notify)
        timed_out.next(failure.notify)
        start_polling.next(wait).next(get_job).next(count_poll).next(finished)
        return start_polling

    def _smoke_test_chain(self, failure: FailureBranch) -> sfn.Pass:
        """Start smoke tests -> Smoke test imported model -> Did the model answer? -> Notify import completed ->
        Model imported; returns the first state.

        A cold start is waited out on elapsed time, not a retry count: while the model answers "not ready" (or is
        throttled), Wait for the model to load -> Count smoke tests -> Smoke test imported model again, every
        LOAD_CHECK_SECONDS; after LOAD_CHECKS waits (LOAD_DEADLINE_SECONDS) the failure alert says it did not
        load. Fixed waits, no jitter: the deadline is the same on every run.
        """
        start = sfn.Pass(
            self, "Start smoke tests", result=sfn.Result.from_object({"count": 0}), result_path="$.loadWait"
        )
        smoke = failure.caught(
            lambda_step(
                self,
                "Smoke test imported model",
                self.smoke_function,
                payload={"check.$": "$.check", "job.$": "$.job"},
                result_path="$.smoke",
                comment="One short prompt through InvokeModel; reports a cold start instead of failing",
            )
        )
        wait = sfn.Wait(
            self,
            "Wait for the model to load",
            time=sfn.WaitTime.duration(Duration.seconds(LOAD_CHECK_SECONDS)),
            comment="Bedrock loads an imported model on its first call; that takes minutes",
        )
        count = count_step(self, "Count smoke tests", "$.loadWait")
        did_not_load = sfn.Pass(
            self,
            "Model did not load in time",
            parameters={"Error.$": "$.smoke.error", "Cause.$": "$.smoke.cause"},
            result_path="$.error",
            comment=f"Still not answering {LOAD_CHECKS} checks {LOAD_CHECK_SECONDS} s apart after the first call",
        )
        notify_done = failure.caught(
            lambda_step(
                self,
                "Notify import completed",
                self.notify_function,
                payload={"kind": "completed", "state.$": "$"},
                result_path=sfn.JsonPath.DISCARD,
                comment="Alert with the imported model ARN and a call to copy",
            )
        )
        done = sfn.Succeed(self, "Model imported")
        answered = (
            sfn.Choice(self, "Did the model answer?")
            .when(sfn.Condition.boolean_equals("$.smoke.answered", True), notify_done)
            .when(sfn.Condition.number_greater_than_equals("$.loadWait.count", LOAD_CHECKS), did_not_load)
            .otherwise(wait)
        )
        did_not_load.next(failure.notify)
        wait.next(count).next(smoke)
        notify_done.next(done)
        start.next(smoke).next(answered)
        return start

    def _create_import_job(self, job_network: JobNetwork | None) -> tasks.CallAwsService:
        parameters: dict[str, Any] = {
            "JobName": sfn.JsonPath.string_at("$.check.jobName"),
            "ImportedModelName": sfn.JsonPath.string_at("$.check.importedModelName"),
            "RoleArn": self.bedrock_role.role_arn,
            "ModelDataSource": {"S3DataSource": {"S3Uri": sfn.JsonPath.string_at("$.check.modelDataUri")}},
            # Derived from the folder's content: a retried or repeated create is the same request to Bedrock.
            "ClientRequestToken": sfn.JsonPath.string_at("$.check.clientRequestToken"),
            "ImportedModelKmsKeyId": self._key.key_arn,
            "JobTags": sfn.JsonPath.list_at("$.check.tags"),
            "ImportedModelTags": sfn.JsonPath.list_at("$.check.tags"),
        }
        if job_network is not None:
            parameters["VpcConfig"] = {
                "SubnetIds": [subnet.subnet_id for subnet in job_network.subnets],
                "SecurityGroupIds": [job_network.security_group.security_group_id],
            }
        task = tasks.CallAwsService(
            self,
            "Create import job",
            comment="CreateModelImportJob with a deterministic clientRequestToken, the data key and the VPC",
            service="bedrock",
            action="createModelImportJob",
            iam_action="bedrock:CreateModelImportJob",
            iam_resources=[bedrock_arn(IMPORT_JOBS), bedrock_arn(IMPORTED_MODELS)],
            additional_iam_statements=[
                iam.PolicyStatement(
                    sid="TagImportJobsAndModels",
                    actions=["bedrock:TagResource"],
                    resources=[bedrock_arn(IMPORT_JOBS), bedrock_arn(IMPORTED_MODELS)],
                ),
                iam.PolicyStatement(
                    sid="PassBedrockImportRole",
                    actions=["iam:PassRole"],
                    resources=[self.bedrock_role.role_arn],
                    conditions={"StringEquals": {"iam:PassedToService": "bedrock.amazonaws.com"}},
                ),
                # The caller of an import with a customer managed key must be able to use the key through
                # Bedrock (docs/bedrock.md §9, KMS).
                iam.PolicyStatement(
                    sid="EncryptImportedModel",
                    actions=["kms:Decrypt", "kms:GenerateDataKey", "kms:DescribeKey", "kms:CreateGrant"],
                    resources=[self._key.key_arn],
                    conditions={"StringEquals": {"kms:ViaService": f"bedrock.{Aws.REGION}.amazonaws.com"}},
                ),
            ],
            parameters=parameters,
            result_selector={"JobArn": sfn.JsonPath.string_at("$.JobArn")},
            result_path="$.created",
        )
        add_transient_retry(task, BEDROCK_TRANSIENT_ERRORS)
        return task

    def _get_import_job(self) -> tasks.CallAwsService:
        task = tasks.CallAwsService(
            self,
            "Get import job",
            comment="Read the job's status, failure message and imported model ARN",
            service="bedrock",
            action="getModelImportJob",
            iam_action="bedrock:GetModelImportJob",
            iam_resources=[bedrock_arn(IMPORT_JOBS)],
            parameters={"JobIdentifier": sfn.JsonPath.string_at("$.created.JobArn")},
            result_path="$.job",
        )
        add_transient_retry(task, BEDROCK_TRANSIENT_ERRORS)
        return task

    # --- permissions ------------------------------------------------------------------------------------

    def _grant_state_machine(self) -> None:
        role_policy = self.state_machine.role.node.try_find_child("DefaultPolicy")
        acknowledge_wildcards(
            role_policy or self.state_machine,
            ["*", bedrock_arn(IMPORT_JOBS), bedrock_arn(IMPORTED_MODELS)]
            + [f"{fn.function_arn}:*" for fn in (self.check_function, self.smoke_function, self.notify_function)],
            "X-Ray and log delivery support no resource-level permissions; import job and imported model names "
            "are chosen per execution; invoking a function's versions needs `<function ARN>:*`.",
        )

    def _grant_functions(self, alert_topic: sns.ITopic) -> None:
        """Least privilege, written out: explicit actions only."""
        bucket = self._bucket
        folders = bucket.arn_for_objects(f"{constants.IMPORTS_PREFIX}*")
        reports = bucket.arn_for_objects(f"{constants.IMPORT_REPORTS_PREFIX}*")
        key_arn = self._key.key_arn

        self._allow(
            self.intake_function, "StartImport", ["states:StartExecution"], [self.state_machine.state_machine_arn]
        )
        self._allow(self.intake_function, "CheckMarker", ["s3:GetObject", "s3:GetObjectVersion"], [folders])
        self._allow(self.check_function, "ReadModelFolders", ["s3:GetObject", "s3:GetObjectVersion"], [folders])
        self._allow(
            self.check_function,
            "ListModelFolders",
            ["s3:ListBucket"],
            [bucket.bucket_arn],
            conditions={"StringLike": {"s3:prefix": [f"{constants.IMPORTS_PREFIX}*"]}},
        )
        self._allow(self.check_function, "WriteCheckReports", ["s3:PutObject"], [reports])
        self._allow(
            self.check_function, "FindEarlierImports", ["bedrock:GetModelImportJob"], [bedrock_arn(IMPORT_JOBS)]
        )
        self._allow(
            self.check_function, "FindImportedModels", ["bedrock:GetImportedModel"], [bedrock_arn(IMPORTED_MODELS)]
        )
        self._allow(
            self.smoke_function, "InvokeImportedModels", ["bedrock:InvokeModel"], [bedrock_arn(IMPORTED_MODELS)]
        )
        # Imported models are encrypted with the data key; invoking one decrypts through Bedrock.
        self._allow(
            self.smoke_function,
            "DecryptImportedModels",
            ["kms:Decrypt"],
            [key_arn],
            conditions={"StringEquals": {"kms:ViaService": f"bedrock.{Aws.REGION}.amazonaws.com"}},
        )
        self._allow(self.notify_function, "PublishAlerts", ["sns:Publish"], [alert_topic.topic_arn])
        self._allow(self.notify_function, "ReadCheckReports", ["s3:GetObject"], [reports])
        # The model card of a completed import goes beside its check report.
        self._allow(self.notify_function, "WriteModelCards", ["s3:PutObject"], [reports])
        for fn in (self.intake_function, self.check_function, self.notify_function):
            self._allow(fn, "UseDataKey", ["kms:Decrypt", "kms:GenerateDataKey"], [key_arn])

    def _allow(
        self,
        fn: lambda_.Function,
        sid: str,
        actions: list[str],
        resources: list[str],
        conditions: dict[str, Any] | None = None,
    ) -> None:
        fn.add_to_role_policy(iam.PolicyStatement(sid=sid, actions=actions, resources=resources, conditions=conditions))
        acknowledge_wildcards(
            fn,
            resources,
            f"{sid}: objects under one pipeline prefix, or import jobs and imported models whose names are chosen "
            "per execution; the actions are listed one by one.",
        )
