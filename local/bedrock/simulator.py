"""The simulated Bedrock (control plane and runtime) for one account and region, and the knobs tests turn.

Operations take and return the API's own (camelCase) shapes, so `local.bedrock.api` only routes requests.
Time moves through `advance()`, called by the emulator's ticker and before every read, so a job completes
(and its event fires) whether or not anybody polls it.
"""

from __future__ import annotations

import threading
from collections.abc import Callable
from typing import Any

from local.bedrock import catalog
from local.bedrock.context import EventSink, Faults, ObjectStore, SimContext, SimulationSettings
from local.bedrock.errors import ResourceNotFoundException, ValidationException
from local.bedrock.evaluations import EvaluationJobs
from local.bedrock.imports import ModelImports
from local.bedrock.inference import DEFAULT_INFERENCE_FAILURE, Inference, InferenceCall, inference_error
from local.bedrock.jobs import CustomizationJobs
from local.bedrock.serving import Serving
from local.bedrock.tagging import Tagged, Tagging
from local.clock import SimulatedClock

DEFAULT_JOB_FAILURE = "Encountered an unexpected error when processing the request, please try again"


class BedrockSimulator:
    def __init__(
        self,
        *,
        account_id: str,
        region: str,
        clock: SimulatedClock,
        store: ObjectStore,
        publish_event: EventSink,
        settings: SimulationSettings | None = None,
    ) -> None:
        self._lock = threading.RLock()
        self._publish_event = publish_event
        self._context = SimContext(account_id, region, clock, store, settings or SimulationSettings(), Faults())
        self.jobs = CustomizationJobs(self._context)
        self.imports = ModelImports(self._context)
        self.serving = Serving(self._context, self._resolve_model)
        self.evaluations = EvaluationJobs(self._context)
        self.inference = Inference(self._context, jobs=self.jobs, imports=self.imports, serving=self.serving)
        self.tagging = Tagging(self._tagged_resource)
        self._operations: dict[str, Callable[[dict[str, Any]], dict[str, Any]]] = _operation_table(self)
        self._runtime_operations: dict[str, Callable[[dict[str, Any]], dict[str, Any]]] = {
            "InvokeModel": self.inference.invoke_model,
            "Converse": self.inference.converse,
        }

    # --- knobs ------------------------------------------------------------------------------------------

    @property
    def settings(self) -> SimulationSettings:
        return self._context.settings

    @property
    def job_duration_seconds(self) -> float:
        return self._context.settings.job_duration_seconds

    @job_duration_seconds.setter
    def job_duration_seconds(self, seconds: float) -> None:
        self._context.settings.job_duration_seconds = seconds

    def fail_next(self, message: str = DEFAULT_JOB_FAILURE) -> None:
        """The next customization job created ends Failed with this `failureMessage`."""
        self._queue_failure("job", message)

    def fail_next_import(self, message: str) -> None:
        self._queue_failure("import", message)

    def fail_next_throughput(self, message: str) -> None:
        self._queue_failure("throughput", message)

    def fail_next_deployment(self, message: str) -> None:
        self._queue_failure("deployment", message)

    def quota_errors_on_create(self, count: int, operation: str = "CreateModelCustomizationJob") -> None:
        """The next `count` calls of a Create operation raise ServiceQuotaExceededException."""
        with self._lock:
            self._context.faults.quota_errors[operation] += count

    # --- inference knobs (bedrock-runtime) -------------------------------------------------------------

    def fail_next_inference(
        self, count: int = 1, *, code: str = "ModelErrorException", message: str = DEFAULT_INFERENCE_FAILURE
    ) -> None:
        """The next `count` InvokeModel/Converse calls fail with this error (a botocore error name)."""
        with self._lock:
            self.inference.faults.queued.extend(inference_error(code, message) for _ in range(count))

    def model_not_ready(self, count: int) -> None:
        """The next `count` inference calls answer ModelNotReadyException (a served model right after it is
        ready). Imported models' cold starts last simulated time instead: `settings.imported_model_load_seconds`."""
        with self._lock:
            self.inference.faults.not_ready += count

    def fail_all_inference(
        self, *, code: str = "ModelErrorException", message: str = DEFAULT_INFERENCE_FAILURE
    ) -> None:
        """Every inference call fails with this error until `answer_normally()`."""
        with self._lock:
            self.inference.faults.failing = inference_error(code, message)

    def answer_empty(self) -> None:
        """Every inference call succeeds with empty text until `answer_normally()`."""
        with self._lock:
            self.inference.faults.empty_answers = True

    def answer_normally(self) -> None:
        """Ends `fail_all_inference` and `answer_empty`; queued failures and cold starts stay queued."""
        with self._lock:
            self.inference.faults.failing = None
            self.inference.faults.empty_answers = False

    @property
    def inference_calls(self) -> list[InferenceCall]:
        """Every InvokeModel and Converse call so far, failed ones included, oldest first."""
        with self._lock:
            return list(self.inference.calls)

    # --- API --------------------------------------------------------------------------------------------

    def handles(self, operation: str) -> bool:
        return operation in self._operations

    def call(self, operation: str, params: dict[str, Any]) -> dict[str, Any]:
        """Runs one API operation (botocore operation name, API-shaped params) and returns its response."""
        try:
            with self._lock:
                self._advance_locked()
                return self._operations[operation](params)
        finally:
            self._flush_events()

    def handles_runtime(self, operation: str) -> bool:
        return operation in self._runtime_operations

    def call_runtime(self, operation: str, params: dict[str, Any]) -> dict[str, Any]:
        """Runs one bedrock-runtime operation (InvokeModel, Converse) against what the control plane serves."""
        try:
            with self._lock:
                self._advance_locked()
                return self._runtime_operations[operation](params)
        finally:
            self._flush_events()

    def advance(self) -> None:
        """Moves every resource along to the current simulated time."""
        try:
            with self._lock:
                self._advance_locked()
        finally:
            self._flush_events()

    def _advance_locked(self) -> None:
        self.jobs.advance()
        self.imports.advance()
        self.serving.advance()

    def _flush_events(self) -> None:
        with self._lock:
            events, self._context.pending_events = self._context.pending_events, []
        for detail_type, detail, resources in events:
            self._publish_event(detail_type, detail, resources)

    def _queue_failure(self, kind: str, message: str) -> None:
        with self._lock:
            self._context.faults.failure_messages[kind].append(message)

    def _resolve_model(self, identifier: str) -> tuple[str, str]:
        try:
            model = self.jobs.get_model(identifier)
            return model.arn, model.job.base_model_arn
        except ResourceNotFoundException:
            imported = self.imports.get_model(identifier)
            return imported.arn, imported.arn

    def _tagged_resource(self, arn: str) -> Tagged:
        """The resource behind an ARN, of any kind that takes tags (ARNs only: names are not accepted)."""
        lookups: tuple[Callable[[str], Tagged], ...] = (
            self.serving.get_throughput,
            self.serving.get_deployment,
            self.jobs.get,
            self.jobs.get_model,
            self.imports.get_job,
            self.imports.get_model,
        )
        if arn.startswith("arn:"):
            for lookup in lookups:
                try:
                    resource = lookup(arn)
                except ResourceNotFoundException:
                    continue
                if resource.arn == arn:
                    return resource
        raise ResourceNotFoundException(f"The resource {arn} was not found.")

    def list_foundation_models(self, params: dict[str, Any]) -> dict[str, Any]:
        region = self._context.region
        models = [model.summary(region) for model in catalog.FOUNDATION_MODELS]
        if params.get("byProvider"):
            models = [m for m in models if m["providerName"].lower() == params["byProvider"].lower()]
        if params.get("byCustomizationType"):
            models = [m for m in models if params["byCustomizationType"] in m["customizationsSupported"]]
        if params.get("byOutputModality"):
            models = [m for m in models if params["byOutputModality"] in m["outputModalities"]]
        if params.get("byInferenceType"):
            models = [m for m in models if params["byInferenceType"] in m["inferenceTypesSupported"]]
        return {"modelSummaries": models}

    def get_foundation_model(self, params: dict[str, Any]) -> dict[str, Any]:
        model_id = params["modelIdentifier"].split("foundation-model/")[-1]
        model = catalog.find(model_id)
        if model is None:
            raise ValidationException(f"The provided model identifier is invalid: {params['modelIdentifier']}")
        return {"modelDetails": model.summary(self._context.region)}


def _operation_table(sim: BedrockSimulator) -> dict[str, Callable[[dict[str, Any]], dict[str, Any]]]:
    jobs, imports, serving = sim.jobs, sim.imports, sim.serving

    def empty(action: Callable[[str], None], field: str) -> Callable[[dict[str, Any]], dict[str, Any]]:
        def run(params: dict[str, Any]) -> dict[str, Any]:
            action(params[field])
            return {}

        return run

    def limited(items: list[dict[str, Any]], params: dict[str, Any], key: str) -> dict[str, Any]:
        """One page of a List call: `maxResults` items from the `nextToken` position (an offset here)."""
        token = params.get("nextToken")
        if token is not None and not str(token).isdigit():
            raise ValidationException(f"Invalid pagination token {token}")
        start = int(token or 0)
        limit = params.get("maxResults") or len(items)
        page: dict[str, Any] = {key: items[start : start + limit]}
        if start + limit < len(items):
            page["nextToken"] = str(start + limit)
        return page

    return {
        "ListFoundationModels": sim.list_foundation_models,
        "GetFoundationModel": sim.get_foundation_model,
        "CreateModelCustomizationJob": jobs.create,
        "GetModelCustomizationJob": lambda p: jobs.get(p["jobIdentifier"]).describe(),
        "StopModelCustomizationJob": empty(jobs.stop, "jobIdentifier"),
        "ListModelCustomizationJobs": lambda p: limited(
            [job.summary() for job in jobs.list_jobs(p)], p, "modelCustomizationJobSummaries"
        ),
        "GetCustomModel": lambda p: jobs.get_model(p["modelIdentifier"]).describe(),
        "ListCustomModels": lambda p: limited([m.summary() for m in jobs.list_models()], p, "modelSummaries"),
        "DeleteCustomModel": empty(jobs.delete_model, "modelIdentifier"),
        "CreateEvaluationJob": sim.evaluations.create,
        "GetEvaluationJob": lambda p: sim.evaluations.get(p["jobIdentifier"]).describe(),
        "CreateProvisionedModelThroughput": serving.create_throughput,
        "GetProvisionedModelThroughput": lambda p: serving.get_throughput(p["provisionedModelId"]).describe(),
        "DeleteProvisionedModelThroughput": empty(serving.delete_throughput, "provisionedModelId"),
        "ListProvisionedModelThroughputs": lambda p: limited(
            [t.summary() for t in serving.list_throughputs(p)], p, "provisionedModelSummaries"
        ),
        "CreateCustomModelDeployment": serving.create_deployment,
        "GetCustomModelDeployment": lambda p: serving.get_deployment(p["customModelDeploymentIdentifier"]).describe(),
        "DeleteCustomModelDeployment": empty(serving.delete_deployment, "customModelDeploymentIdentifier"),
        "ListCustomModelDeployments": lambda p: limited(
            [d.summary() for d in serving.list_deployments(p)], p, "modelDeploymentSummaries"
        ),
        "CreateModelImportJob": imports.create_job,
        "GetModelImportJob": lambda p: imports.get_job(p["jobIdentifier"]).describe(),
        "ListModelImportJobs": lambda p: limited(
            [j.summary() for j in imports.list_jobs(p)], p, "modelImportJobSummaries"
        ),
        "GetImportedModel": lambda p: imports.get_model(p["modelIdentifier"]).describe(),
        "ListImportedModels": lambda p: limited([m.summary() for m in imports.list_models()], p, "modelSummaries"),
        "DeleteImportedModel": empty(imports.delete_model, "modelIdentifier"),
        "TagResource": sim.tagging.tag,
        "UntagResource": sim.tagging.untag,
        "ListTagsForResource": sim.tagging.list,
    }
