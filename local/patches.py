"""Every change the emulator makes to moto 5.2.5, in one place, each with the gap it fills.

`MotoPatches` is a context manager: the same patches serve `mock_aws` (tests) and `ThreadedMotoServer`
(the demo), because both run moto's backends in this process. Nothing here is imported by product code.
"""

from __future__ import annotations

import datetime as datetime_module
import json
import threading
from contextlib import ExitStack
from datetime import datetime, timedelta
from types import SimpleNamespace
from typing import Any
from unittest import mock

from moto.awslambda.models import LambdaFunction
from moto.bedrock.responses import BedrockResponse
from moto.bedrockruntime.responses import BedrockRuntimeResponse
from moto.core.config import default_user_config
from moto.events.models import Rule
from moto.s3.responses import S3Response
from moto.sns.models import SNSBackend
from moto.stepfunctions.models import StateMachine
from moto.stepfunctions.parser.api import ExecutionStatus
from moto.stepfunctions.parser.asl.component.common.error_name.error_equals_decl import ErrorEqualsDecl
from moto.stepfunctions.parser.asl.component.common.retry import retrier_decl
from moto.stepfunctions.parser.asl.component.state import state as state_module
from moto.stepfunctions.parser.asl.component.state.exec.state_map.item_reader import item_reader_decl
from moto.stepfunctions.parser.asl.component.state.exec.state_map.item_reader.reader_config.input_type import (
    InputType,
)
from moto.stepfunctions.parser.asl.component.state.exec.state_map.result_writer.resource_eval.resource_eval_s3 import (
    ResourceEvalS3 as ResultWriterS3,
)
from moto.stepfunctions.parser.asl.component.state.exec.state_task import state_task_factory, state_task_lambda
from moto.stepfunctions.parser.asl.component.state.exec.state_task.service import (
    state_task_service,
    state_task_service_aws_sdk,
    state_task_service_callback,
    state_task_service_factory,
)
from moto.stepfunctions.parser.asl.component.state.exec.state_task.state_task import StateTask
from moto.stepfunctions.parser.asl.component.state.wait.wait_function.wait_function import WaitFunction
from moto.stepfunctions.parser.asl.eval.environment import Environment
from moto.stepfunctions.parser.backend.execution import BaseExecutionWorkerCommunication, Execution
from moto.stepfunctions.responses import get_backend as stepfunctions_backend

from local import event_delivery, sfn_distributed_map, sfn_integrations, sfn_strictness
from local.bedrock.api import SimulatedBedrockResponse, SimulatorRegistry, dispatch_to_simulation
from local.bedrock.runtime_api import SimulatedRuntimeResponse, dispatch_to_runtime_simulation
from local.clock import SimulatedClock
from local.lambda_runtime import FunctionSpec, InProcessLambdaRuntime
from local.sns_faults import PublishFaults

# How often a `.sync` task re-reads its job (real seconds). moto polls every 0.5 s; with simulated time a
# long job ends within a few real seconds, so the poll is tighter. Polls are not state transitions.
SYNC_POLL_SECONDS = 0.02


class ExecutionTracker:
    """Executions started but not yet announced as finished (their status event is sent last)."""

    def __init__(self) -> None:
        self._pending: set[str] = set()
        self._changed = threading.Condition()

    def started(self, execution_arn: str) -> None:
        with self._changed:
            self._pending.add(execution_arn)

    def finished(self, execution_arn: str) -> None:
        with self._changed:
            self._pending.discard(execution_arn)
            self._changed.notify_all()

    def is_pending(self, execution_arn: str) -> bool:
        with self._changed:
            return execution_arn in self._pending

    def wait_until_idle(self, timeout: float) -> bool:
        with self._changed:
            return self._changed.wait_for(lambda: not self._pending, timeout=timeout)


class MotoPatches:
    def __init__(
        self,
        *,
        clock: SimulatedClock,
        runtime: InProcessLambdaRuntime,
        bedrock: SimulatorRegistry,
        submit: event_delivery.Submit,
        sns_faults: PublishFaults | None = None,
    ) -> None:
        self._sns_faults = sns_faults or PublishFaults()
        self._clock = clock
        self._runtime = runtime
        self._bedrock = bedrock
        self._submit = submit
        self._stack = ExitStack()
        self.executions = ExecutionTracker()

    def __enter__(self) -> MotoPatches:
        for patch in self._patches():
            self._stack.enter_context(patch)
        return self

    def __exit__(self, *exc_info: object) -> None:
        self._stack.close()

    def _patches(self) -> list[Any]:
        clock, runtime = self._clock, self._runtime
        rule_targets = event_delivery.RuleTargets(Rule.send_to_targets, self._submit)
        original_start = Execution.start
        original_execution_init = Execution.__init__
        original_terminated = BaseExecutionWorkerCommunication.terminated
        original_service_for = state_task_service_factory.state_task_service_for

        def send_to_targets(rule: Rule, event: dict[str, Any], transform_input: bool = True) -> None:
            rule_targets.send_to_targets(rule, event, transform_input)

        def service_for(service_name: str) -> Any:
            if service_name == "bedrock":
                return sfn_integrations.StateTaskServiceBedrock()
            return original_service_for(service_name=service_name)

        tracker = self.executions

        def created_running(execution: Execution, *args: Any, **kwargs: Any) -> None:
            original_execution_init(execution, *args, **kwargs)
            execution.exec_status = ExecutionStatus.RUNNING

        def start_and_announce(execution: Execution) -> None:
            tracker.started(execution.exec_arn)
            clock.execution_started(execution.exec_arn)
            original_start(execution)
            event_delivery.publish_execution_status(execution)

        def terminate_and_announce(communication: BaseExecutionWorkerCommunication) -> None:
            clock.execution_ended(communication.execution.exec_arn)
            try:
                original_terminated(communication)
                event_delivery.publish_execution_status(communication.execution)
            finally:
                tracker.finished(communication.execution.exec_arn)

        def invoke_in_process(function: LambdaFunction, event: Any = None) -> tuple[str, bool, str]:
            payload = json.loads(event) if isinstance(event, str) else (event if event is not None else {})
            with clock.busy():
                result = runtime.invoke(function_spec(function), payload)
            return result.payload, result.errored, result.logs

        def simulated_wait(_wait: WaitFunction, env: Environment, wait_seconds: int) -> None:
            target = clock.now() + timedelta(seconds=wait_seconds)
            with clock.waiting(execution_arn(env)):
                while env.is_running():
                    remaining = (target - clock.now()).total_seconds()
                    # Woken early by an unrelated state change while still running: keep waiting, as moto does.
                    if remaining <= 0 or clock.wait(remaining, env.program_state_event, lambda: not env.is_running()):
                        return

        original_retry = retrier_decl.RetrierDecl._eval_body
        retrying = threading.local()

        def retry_on_simulated_time(retrier: Any, env: Environment) -> None:
            retrying.execution_arn = execution_arn(env)
            original_retry(retrier, env)

        def sleep_between_retries(seconds: float) -> None:
            with clock.waiting(retrying.execution_arn):
                clock.sleep(seconds)

        original_sdk_call = state_task_service_aws_sdk.StateTaskServiceAwsSdk._eval_service_task

        def sdk_call_as_work(task: Any, *args: Any, **kwargs: Any) -> None:
            with clock.busy():
                original_sdk_call(task, *args, **kwargs)

        original_publish = SNSBackend.publish
        sns_faults = self._sns_faults

        def publish_unless_refused(backend: SNSBackend, message: str, arn: str | None, **kwargs: Any) -> str:
            sns_faults.check(kwargs.get("subject"))
            return str(original_publish(backend, message, arn, **kwargs))

        # `$$.State.EnteredTime` on the simulated clock, in AWS's format (milliseconds, "Z").
        def simulated_now(tz: Any = None) -> datetime:
            return clock.now()

        simulated_datetime = SimpleNamespace(
            datetime=SimpleNamespace(now=simulated_now), timezone=datetime_module.timezone
        )
        original_put_object = S3Response.put_object
        conditional_writes = threading.Lock()

        def atomic_conditional_put(response: S3Response) -> Any:
            if response.headers.get("If-Match") or response.headers.get("If-None-Match"):
                with conditional_writes:
                    return original_put_object(response)
            return original_put_object(response)

        SimulatedBedrockResponse.registry = self._bedrock
        SimulatedRuntimeResponse.registry = self._bedrock
        return [
            # Step Functions executes definitions only with this flag (moto's documented switch).
            mock.patch.dict(default_user_config["stepfunctions"], {"execute_state_machine": True}),
            # Gap: state machines created through CloudFormation land in moto's non-executing backend, so
            # StartExecution on them never runs. Create, update and delete them in the executing one.
            mock.patch.object(StateMachine, "create_from_cloudformation_json", classmethod(_create_state_machine)),
            mock.patch.object(StateMachine, "update_from_cloudformation_json", classmethod(_update_state_machine)),
            mock.patch.object(StateMachine, "delete_from_cloudformation_json", classmethod(_delete_state_machine)),
            # Gap: Lambda code runs only in Docker. Run the real handler in-process instead (one path for
            # Step Functions tasks, SQS event sources, EventBridge targets and direct Invoke calls).
            mock.patch.object(LambdaFunction, "_invoke_lambda", invoke_in_process),
            # Gap: the optimized Bedrock integration (createModelCustomizationJob, with `.sync`) is
            # "unsupported" in moto's interpreter.
            mock.patch.object(state_task_factory, "state_task_service_for", service_for),
            # Gap: aws-sdk tasks send PascalCase parameters unchanged and return raw boto3 output (camelCase
            # keys, datetime objects that later break DescribeExecution); AWS normalizes both ways. moto's own
            # normalizer also accepts any spelling of a field (`modelId`, `MODEL_ID`), which AWS refuses at run
            # time with States.Runtime: the replacement refuses it too.
            mock.patch.object(
                state_task_service_aws_sdk.StateTaskServiceAwsSdk,
                "_normalise_parameters",
                sfn_integrations.normalise_sdk_parameters,
            ),
            mock.patch.object(
                state_task_service_aws_sdk.StateTaskServiceAwsSdk,
                "_normalise_response",
                sfn_integrations.normalise_sdk_response,
            ),
            # Gap: States.ALL catches and retries States.DataLimitExceeded and States.Runtime, and an explicit name
            # catches States.Runtime; on AWS neither is caught by the wildcard and States.Runtime by nothing.
            mock.patch.object(
                ErrorEqualsDecl, "_eval_body", sfn_strictness.strict_error_equals(ErrorEqualsDecl._eval_body)
            ),
            # Gap: a payload of exactly 256 KiB is refused (AWS allows up to and including the quota), and the
            # input a task builds from its Parameters is never measured (AWS fails it with DataLimitExceeded).
            *(
                mock.patch.object(module, "is_within_size_quota", sfn_strictness.is_within_size_quota)
                for module in (state_module, state_task_lambda, state_task_service)
            ),
            mock.patch.object(
                StateTask, "_eval_parameters", sfn_strictness.checked_parameters(StateTask._eval_parameters)
            ),
            mock.patch.object(
                state_task_lambda.StateTaskLambda,
                "_eval_parameters",
                sfn_strictness.checked_parameters(
                    state_task_lambda.StateTaskLambda._eval_parameters, payload_key="Payload"
                ),
            ),
            # Gap: aws-sdk errors from Bedrock must be named `Bedrock.<Exception>` (and `BedrockRuntime.<Exception>`)
            # for Retry/Catch to match.
            mock.patch.dict(
                state_task_service_aws_sdk._SERVICE_ERROR_NAMES,
                {"bedrock": "Bedrock", "bedrockruntime": "BedrockRuntime"},
            ),
            # Gap: the aws-sdk service `bedrockruntime` is boto3's `bedrock-runtime`; moto looks it up unchanged.
            mock.patch.dict(
                state_task_service.StateTaskService._SERVICE_NAME_SFN_TO_BOTO_OVERRIDES,
                {"bedrockruntime": "bedrock-runtime"},
            ),
            # Gap: a Distributed Map's ItemReader has no JSONL input type and its ResultWriter writes no results
            # (local/sfn_distributed_map.py).
            mock.patch.object(InputType, "__init__", sfn_distributed_map.input_type_init(InputType.__init__)),
            mock.patch.object(
                item_reader_decl,
                "resource_output_transformer_for",
                sfn_distributed_map.transformer_for(item_reader_decl.resource_output_transformer_for),
            ),
            mock.patch.object(ResultWriterS3, "_handle_put_object", staticmethod(sfn_distributed_map.write_results)),
            # Simulated time: Wait states and Retry intervals wait on the simulated clock, service calls and
            # Lambda handlers count as real work (see local.clock), and the `.sync` poll is tightened; none of
            # this changes which states run.
            mock.patch.object(WaitFunction, "_wait_interval", simulated_wait),
            mock.patch.object(
                state_task_service_aws_sdk.StateTaskServiceAwsSdk, "_eval_service_task", sdk_call_as_work
            ),
            mock.patch.object(sfn_integrations.StateTaskServiceBedrock, "clock", clock),
            mock.patch.object(retrier_decl.RetrierDecl, "_eval_body", retry_on_simulated_time),
            mock.patch.object(retrier_decl, "time", SimpleNamespace(sleep=sleep_between_retries)),
            mock.patch.object(state_task_service_callback, "_DELAY_SECONDS_SYNC_CONDITION_CHECK", SYNC_POLL_SECONDS),
            # Gap: an SNS, Lambda or Step Functions target on an EventBridge rule makes put_events raise
            # NotImplementedError; input transformers render missing paths wrongly.
            mock.patch.object(Rule, "send_to_targets", send_to_targets),
            # Gap: PutObject with If-Match or If-None-Match checks the ETag and then writes without a lock, so two
            # concurrent conditional writes (two runs updating the leaderboard) can both succeed; S3 makes the
            # check and the write one step and answers the loser 412. Serialize conditional writes.
            mock.patch.object(S3Response, "put_object", atomic_conditional_put),
            # Gap: StartExecution lists a new execution before start() gives it a status, so a ListExecutions on
            # another thread in between (a caller polling while EventBridge starts the execution) fails with
            # AttributeError on the missing status; on AWS an execution is RUNNING from the moment it is listed.
            mock.patch.object(Execution, "__init__", created_running),
            # Gap: executions emit no `Step Functions Execution Status Change` events.
            mock.patch.object(Execution, "start", start_and_announce),
            mock.patch.object(BaseExecutionWorkerCommunication, "terminated", terminate_and_announce),
            # Gap: moto's Bedrock keeps jobs InProgress, writes no output, cannot find jobs by ARN and has no
            # throughput, deployment or import calls. Serve Bedrock from the simulation instead.
            mock.patch.object(BedrockResponse, "_dispatch", dispatch_to_simulation),
            # Gap: moto's bedrock-runtime answers every InvokeModel with `{}` and has no Converse. Answer both
            # from the simulation, for the throughput, deployments, imported and custom models it serves.
            mock.patch.object(BedrockRuntimeResponse, "_dispatch", dispatch_to_runtime_simulation),
            # Gap: `$$.State.EnteredTime` is the machine's real time, while Wait states and Retry intervals wait
            # on the simulated clock: a state that compares times (the capacity queue's deadline) would never
            # see a simulated day pass. Enter states at the simulated time.
            mock.patch.object(state_module, "datetime", simulated_datetime),
            # Gap: moto's SNS accepts every publish; AWS refuses some (KMSThrottling, InternalError). Tests
            # inject those refusals through `Emulator.sns_faults` (local/sns_faults.py); none by default.
            mock.patch.object(SNSBackend, "publish", publish_unless_refused),
        ]


def execution_arn(env: Environment) -> str:
    return str(env.states.context_object.context_object_data["Execution"]["Id"])


def function_spec(function: LambdaFunction) -> FunctionSpec:
    return FunctionSpec(
        name=function.function_name,
        arn=function.function_arn,
        handler=function.handler or "",
        runtime=function.run_time,
        code_zip=function.code_bytes,
        code_sha256=function.code_sha_256,
        environment={key: str(value) for key, value in (function.environment_vars or {}).items()},
        memory_mb=int(function.memory_size or 128),
        timeout_seconds=int(function.timeout or 3),
        region=function.region,
    )


def _state_machine_arguments(properties: dict[str, Any]) -> dict[str, Any]:
    definition = properties.get("DefinitionString", "")
    if isinstance(definition, dict):
        definition = json.dumps(definition)
    if not definition and "Definition" in properties:
        definition = json.dumps(properties["Definition"])
    for key, value in (properties.get("DefinitionSubstitutions") or {}).items():
        definition = definition.replace("${" + key + "}", str(value))
    return {
        "definition": definition,
        "roleArn": properties.get("RoleArn", ""),
        "loggingConfiguration": properties.get("LoggingConfiguration"),
        "tracingConfiguration": properties.get("TracingConfiguration"),
        "sm_type": properties.get("StateMachineType", "STANDARD"),
    }


def _create_state_machine(
    cls: type[StateMachine],
    resource_name: str,
    cloudformation_json: Any,
    account_id: str,
    region_name: str,
    **_: Any,
) -> StateMachine:
    properties = cloudformation_json["Properties"]
    tags = [{"key": tag["Key"], "value": tag["Value"]} for tag in properties.get("Tags", [])]
    name = properties.get("StateMachineName", resource_name)
    backend = stepfunctions_backend(account_id, region_name)
    return backend.create_state_machine(name=name, tags=tags, **_state_machine_arguments(properties))


def _update_state_machine(
    cls: type[StateMachine],
    original_resource: StateMachine,
    new_resource_name: str,
    cloudformation_json: Any,
    account_id: str,
    region_name: str,
) -> StateMachine:
    arguments = _state_machine_arguments(cloudformation_json.get("Properties", {}))
    backend = stepfunctions_backend(account_id, region_name)
    return backend.update_state_machine(
        original_resource.arn,
        definition=arguments["definition"] or None,
        role_arn=arguments["roleArn"] or None,
        logging_configuration=arguments["loggingConfiguration"],
        tracing_configuration=arguments["tracingConfiguration"],
    )


def _delete_state_machine(
    cls: type[StateMachine], resource_name: str, cloudformation_json: Any, account_id: str, region_name: str
) -> None:
    stepfunctions_backend(account_id, region_name).delete_state_machine(resource_name)
