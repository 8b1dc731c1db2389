"""Step Functions service integrations moto's interpreter lacks or renders differently from AWS.

- `arn:aws:states:::bedrock:createModelCustomizationJob[.sync]`: moto lists Bedrock as unsupported. The
  `.sync` pattern polls GetModelCustomizationJob inside the task, as AWS does, so the execution history
  has the same state transitions whether the job takes a minute or a day.
- `arn:aws:states:::aws-sdk:*`: AWS takes PascalCase parameters and returns PascalCase output with
  ISO-8601 timestamps; moto passes parameters through unchanged and returns raw boto3 output.
"""

from __future__ import annotations

import contextlib
import datetime
import functools
from collections.abc import Callable
from typing import Any, Final

import botocore.session
from botocore.exceptions import ClientError
from botocore.model import OperationModel, ServiceModel
from moto.stepfunctions.parser.api import HistoryEventType, TaskFailedEventDetails
from moto.stepfunctions.parser.asl.component.common.error_name.custom_error_name import CustomErrorName
from moto.stepfunctions.parser.asl.component.common.error_name.failure_event import (
    FailureEvent,
    FailureEventException,
)
from moto.stepfunctions.parser.asl.component.common.error_name.states_error_name import StatesErrorName
from moto.stepfunctions.parser.asl.component.common.error_name.states_error_name_type import (
    StatesErrorNameType,
)
from moto.stepfunctions.parser.asl.component.state.exec.state_task.credentials import StateCredentials
from moto.stepfunctions.parser.asl.component.state.exec.state_task.service.resource import (
    ResourceCondition,
    ResourceRuntimePart,
)
from moto.stepfunctions.parser.asl.component.state.exec.state_task.service.state_task_service import (
    StateTaskService,
)
from moto.stepfunctions.parser.asl.component.state.exec.state_task.service.state_task_service_callback import (
    StateTaskServiceCallback,
)
from moto.stepfunctions.parser.asl.eval.environment import Environment
from moto.stepfunctions.parser.asl.eval.event.event_detail import EventDetails
from moto.stepfunctions.parser.asl.utils.boto_client import boto_client_for
from moto.stepfunctions.parser.asl.utils.encoding import to_json_str
from moto.stepfunctions.parser.utils import camel_to_snake_case

from local.clock import SimulatedClock

BEDROCK_JOB_TERMINAL_FAILURES: Final[set[str]] = {"Failed", "Stopped"}
BEDROCK_PATTERNS: Final[set[ResourceCondition]] = {
    ResourceCondition(ResourceCondition.Sync),
    ResourceCondition(ResourceCondition.WaitForTaskToken),
}
BEDROCK_OPTIMIZED_ACTIONS: Final[dict[str, str]] = {
    "createmodelcustomizationjob": "CreateModelCustomizationJob",
}


@functools.cache
def _service_model(service: str) -> ServiceModel:
    return botocore.session.get_session().get_service_model(service)


def operation_model(service: str, action: str) -> OperationModel | None:
    """The botocore operation for an ASL action name (`createProvisionedModelThroughput`)."""
    model = _service_model(service)
    wanted = camel_to_snake_case(action)
    for name in model.operation_names:
        if camel_to_snake_case(name) == wanted:
            return model.operation_model(name)
    return None


def timestamps_to_iso(value: Any) -> Any:
    """Step Functions hands timestamps to the next state as ISO-8601 strings."""
    if isinstance(value, datetime.datetime):
        moment = value if value.tzinfo else value.replace(tzinfo=datetime.UTC)
        return moment.astimezone(datetime.UTC).isoformat().replace("+00:00", "Z")
    if isinstance(value, dict):
        for key in list(value):
            value[key] = timestamps_to_iso(value[key])
        return value
    if isinstance(value, list):
        return [timestamps_to_iso(item) for item in value]
    return value


def normalise_sdk_parameters(task: StateTaskService, parameters: dict[str, Any], *_: Any, **__: Any) -> None:
    """Replacement for `_normalise_parameters` of aws-sdk tasks: PascalCase -> the SDK's member names."""
    operation = operation_model(task._get_boto_service_name(), task.resource.api_action)
    if operation is not None and operation.input_shape is not None:
        task._to_boto_request(parameters, operation.input_shape)


def normalise_sdk_response(task: StateTaskService, response: Any, *_: Any, **__: Any) -> None:
    """Replacement for `_normalise_response` of aws-sdk tasks: PascalCase keys, ISO timestamps."""
    operation = operation_model(task._get_boto_service_name(), task.resource.api_action)
    if operation is not None and operation.output_shape is not None and isinstance(response, dict):
        task._from_boto_response(response, operation.output_shape)
    timestamps_to_iso(response)


class StateTaskServiceBedrock(StateTaskServiceCallback):
    """The optimized Bedrock integration: createModelCustomizationJob, request-response or `.sync`."""

    # Set by the emulator: the create call is real work on the simulated clock.
    clock: SimulatedClock | None = None

    def __init__(self) -> None:
        # moto's callback base class needs a task-token endpoint to clean up after any pattern, so the
        # token pattern is registered too; Bedrock definitions only use request-response and `.sync`.
        super().__init__(supported_integration_patterns=BEDROCK_PATTERNS)

    def _get_supported_parameters(self) -> set[str] | None:
        operation_name = BEDROCK_OPTIMIZED_ACTIONS.get(self.resource.api_action.lower())
        if operation_name is None:
            return None
        shape = _service_model("bedrock").operation_model(operation_name).input_shape
        return {self._to_sfn_cased(member) for member in shape.members} if shape is not None else set()

    def _get_boto_service_name(self, boto_service_name: str | None = None) -> str:
        return "bedrock"

    def _normalise_parameters(self, parameters: dict, *_: Any, **__: Any) -> None:
        normalise_sdk_parameters(self, parameters)

    def _normalise_response(self, response: Any, *_: Any, **__: Any) -> None:
        normalise_sdk_response(self, response)

    def _from_error(self, env: Environment, ex: Exception) -> FailureEvent:
        if isinstance(ex, ClientError):
            error = f"Bedrock.{ex.response['Error']['Code']}"
            return FailureEvent(
                env=env,
                error_name=CustomErrorName(error),
                event_type=HistoryEventType.TaskFailed,
                event_details=EventDetails(  # type: ignore[typeddict-item]
                    taskFailedEventDetails=TaskFailedEventDetails(
                        error=error,
                        cause=ex.response["Error"]["Message"],
                        resource=self._get_sfn_resource(),
                        resourceType=self._get_sfn_resource_type(),
                    )
                ),
            )
        return super()._from_error(env=env, ex=ex)

    def _eval_integration_pattern(self, env: Environment, *args: Any, **kwargs: Any) -> None:
        """The `.sync` wait: the execution waits on simulated time while Bedrock trains."""
        arn = str(env.states.context_object.context_object_data["Execution"]["Id"])
        with self.clock.waiting(arn) if self.clock else contextlib.nullcontext():
            super()._eval_integration_pattern(env, *args, **kwargs)

    def _client(self, runtime: ResourceRuntimePart, credentials: StateCredentials) -> Any:
        return boto_client_for(service="bedrock", region=runtime.region, state_credentials=credentials)

    def _eval_service_task(
        self,
        env: Environment,
        resource_runtime_part: ResourceRuntimePart,
        normalised_parameters: dict,
        state_credentials: StateCredentials,
    ) -> None:
        client = self._client(resource_runtime_part, state_credentials)
        with self.clock.busy() if self.clock else contextlib.nullcontext():
            response = client.create_model_customization_job(**normalised_parameters)
        response.pop("ResponseMetadata", None)
        env.stack.append(response)

    def _build_sync_resolver(
        self,
        env: Environment,
        resource_runtime_part: ResourceRuntimePart,
        normalised_parameters: dict,
        state_credentials: StateCredentials,
    ) -> Callable[[], Any]:
        created = env.stack.pop()
        job_arn = created.get("JobArn") or created.get("jobArn")
        client = self._client(resource_runtime_part, state_credentials)
        get_job = _service_model("bedrock").operation_model("GetModelCustomizationJob")

        def resolve() -> Any:
            job = client.get_model_customization_job(jobIdentifier=job_arn)
            job.pop("ResponseMetadata", None)
            status = job["status"]
            if status not in {"Completed", *BEDROCK_JOB_TERMINAL_FAILURES}:
                return None
            self._from_boto_response(job, get_job.output_shape)
            timestamps_to_iso(job)
            if status == "Completed":
                return job
            # Like the other `.sync` integrations: the job's description is the cause of States.TaskFailed.
            raise FailureEventException(
                FailureEvent(
                    env=env,
                    error_name=StatesErrorName(typ=StatesErrorNameType.StatesTaskFailed),
                    event_type=HistoryEventType.TaskFailed,
                    event_details=EventDetails(  # type: ignore[typeddict-item]
                        taskFailedEventDetails=TaskFailedEventDetails(
                            resource=self._get_sfn_resource(),
                            resourceType=self._get_sfn_resource_type(),
                            error=StatesErrorNameType.StatesTaskFailed.to_name(),
                            cause=to_json_str(job),
                        )
                    ),
                )
            )

        return resolve
