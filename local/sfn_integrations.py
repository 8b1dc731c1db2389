"""Step Functions service integrations moto's interpreter lacks or renders differently from AWS.

- `arn:aws:states:::bedrock:createModelCustomizationJob[.sync]`: moto lists Bedrock as unsupported. The
  `.sync` pattern polls GetModelCustomizationJob inside the task, as AWS does, so the execution history
  has the same state transitions whether the job takes a minute or a day.
- `arn:aws:states:::aws-sdk:*`: AWS takes PascalCase parameters and returns PascalCase output with
  ISO-8601 timestamps; moto passes parameters through unchanged and returns raw boto3 output.
- Parameter names, for both: AWS accepts a field only under the API member's name with its first letter
  upper-cased (`modelId` -> `ModelId`), at every level of nesting; any other field fails the task at run time
  with `States.Runtime` ("The field "modelId" is not supported by Step Functions"), which no Catch matches.
  moto matches names case-insensitively through snake_case (aws-sdk) or silently drops the field (optimized).
"""

from __future__ import annotations

import contextlib
import datetime
import functools
from collections.abc import Callable, Mapping
from typing import Any, Final

import botocore.session
from botocore.exceptions import ClientError
from botocore.model import ListShape, MapShape, OperationModel, ServiceModel, Shape, StructureShape
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


class ParametersRefused(Exception):
    """Step Functions refuses a task's parameters before calling the service. moto reports an exception it does
    not know as States.Runtime with the message as its cause, which is what AWS reports here."""


def sfn_field_name(member: str) -> str:
    """How Step Functions spells an API member in `Parameters`: first letter upper-cased, and `Equals` as
    `EqualsValue` (documented, to avoid a name some SDK languages reserve)."""
    return "EqualsValue" if member == "Equals" else member[:1].upper() + member[1:]


def sdk_request(parameters: Mapping[str, Any], shape: StructureShape) -> tuple[dict[str, Any], list[str]]:
    """The SDK request for a task's `Parameters`, and the fields Step Functions would refuse (in order)."""
    refused: list[str] = []
    return _structure(parameters, shape, refused), refused


def _structure(value: Mapping[str, Any], shape: StructureShape, refused: list[str]) -> dict[str, Any]:
    members = {sfn_field_name(name): name for name in shape.members}
    request: dict[str, Any] = {}
    for field_name, item in value.items():
        member = members.get(field_name)
        if member is None:
            refused.append(field_name)
            continue
        request[member] = _value(item, shape.members[member], refused)
    return request


def _value(value: Any, shape: Shape, refused: list[str]) -> Any:
    if isinstance(shape, StructureShape) and not shape.is_document_type and isinstance(value, Mapping):
        return _structure(value, shape, refused)
    if isinstance(shape, ListShape) and isinstance(value, list):
        return [_value(item, shape.member, refused) for item in value]
    if isinstance(shape, MapShape) and isinstance(value, Mapping):
        # Map keys are data (tags, hyperparameters), not member names: only the values are checked.
        return {key: _value(item, shape.value, refused) for key, item in value.items()}
    # As moto does: JSON where the API takes a string or a blob (an InvokeModel `Body` written as an object).
    if shape.type_name == "string" and not isinstance(value, str):
        return to_json_str(value)
    if shape.type_name == "blob" and not isinstance(value, bytes):
        return to_json_str(value, separators=(",", ":")).encode()
    return value


def normalise_sdk_parameters(task: StateTaskService, parameters: dict[str, Any], *_: Any, **__: Any) -> None:
    """Replacement for `_normalise_parameters` of aws-sdk and optimized Bedrock tasks: Step Functions' field
    names -> the SDK's member names, refusing every field AWS would refuse."""
    operation = operation_model(task._get_boto_service_name(), task.resource.api_action)
    if operation is None or operation.input_shape is None:
        return
    request, refused = sdk_request(parameters, operation.input_shape)
    if refused:
        fields = ", ".join(f'The field "{name}" is not supported by Step Functions' for name in refused)
        raise ParametersRefused(
            f"The Parameters '{to_json_str(parameters, separators=(',', ':'))}' could not be used to start the "
            f"Task: [{fields}]"
        )
    parameters.clear()
    parameters.update(request)


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
        """None refuses an action the integration lacks when the definition is created. For a known action the
        set is empty on purpose: moto silently drops every field outside a non-empty set, and the field names
        are checked in `_normalise_parameters` instead, where an unknown one fails the task as on AWS."""
        return None if self.resource.api_action.lower() not in BEDROCK_OPTIMIZED_ACTIONS else set()

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

    def _eval_integration_pattern(
        self,
        env: Environment,
        resource_runtime_part: ResourceRuntimePart,
        normalised_parameters: dict,
        state_credentials: StateCredentials,
    ) -> None:
        """The `.sync` wait: the execution waits on simulated time while Bedrock trains.

        A wait that ends because the task was cancelled (the execution aborted or timed out, or the task's own
        timeout) stops the job, as AWS's `.sync` integration calls StopModelCustomizationJob then (the reason
        the integration's IAM policy grants it); moto just stops polling and leaves the job training.
        """
        created = env.stack[-1]
        job_arn = (created.get("JobArn") or created.get("jobArn")) if isinstance(created, dict) else None
        arn = str(env.states.context_object.context_object_data["Execution"]["Id"])
        try:
            with self.clock.waiting(arn) if self.clock else contextlib.nullcontext():
                super()._eval_integration_pattern(env, resource_runtime_part, normalised_parameters, state_credentials)
        finally:
            if job_arn and not env.is_running():
                self._stop_job(job_arn, resource_runtime_part, state_credentials)

    def _stop_job(self, job_arn: str, runtime: ResourceRuntimePart, credentials: StateCredentials) -> None:
        """Best effort, as on AWS: a job that already ended cannot be stopped, and that is not an error here."""
        client = self._client(runtime, credentials)
        with contextlib.suppress(ClientError), self.clock.busy() if self.clock else contextlib.nullcontext():
            client.stop_model_customization_job(jobIdentifier=job_arn)

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
