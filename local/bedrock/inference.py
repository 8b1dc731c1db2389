"""Simulated bedrock-runtime: InvokeModel and Converse for what the simulated control plane serves.

moto 5.2.5's bedrock-runtime answers every InvokeModel with `{}` and has no Converse. Here the `modelId` is
resolved the way Bedrock resolves it: a Provisioned Throughput ARN (must be InService), a custom-model deployment
ARN (must be Active), an imported model, or a foundation model / inference profile ID. A bare custom-model ARN is
a ValidationException: a custom model answers only through its throughput or deployment (docs/bedrock.md §6,
§12.3). Unknown IDs are errors. Answers are echo-ish text in the model family's own response format
(`local.bedrock.answers`).

Imported models have cold starts measured in simulated time (`local.bedrock.imports.ModelImports.load`): the
first call starts loading the model and every call answers ModelNotReadyException until it is loaded.

Knobs (`InferenceFaults`): a count of ModelNotReadyException answers (a served model right after InService),
queued errors for the next calls, and a mode where every call fails or every answer is empty. Every call is
logged in `calls`.
"""

from __future__ import annotations

import copy
import json
from collections import deque
from collections.abc import Callable
from dataclasses import dataclass, field
from typing import Any

from local.bedrock import answers, catalog
from local.bedrock.context import SimContext
from local.bedrock.errors import (
    INFERENCE_ERRORS,
    BedrockError,
    ModelNotReadyException,
    ValidationException,
)
from local.bedrock.imports import ImportedModel, ModelImports
from local.bedrock.jobs import CustomizationJobs
from local.bedrock.serving import Serving

PROVISIONED, DEPLOYMENT, IMPORTED, CUSTOM, FOUNDATION = "provisioned", "deployment", "imported", "custom", "foundation"
SERVING_STATUSES = {PROVISIONED: ("InService", "Updating"), DEPLOYMENT: ("Active",)}
# Cross-Region inference profile IDs put a geography before the model ID (`us.amazon.nova-pro-v1:0`).
INFERENCE_PROFILE_PREFIXES = ("us.", "eu.", "apac.", "us-gov.", "jp.", "au.", "ca.", "global.")
# Custom Model Import: Converse is not supported for these architectures (Bedrock user guide, invoke-imported-model).
NO_CONVERSE_ARCHITECTURES = (
    "Qwen2VLForConditionalGeneration",
    "Qwen2_5_VLForConditionalGeneration",
    "Qwen3ForCausalLM",
    "Qwen3MoeForCausalLM",
    "GptOssForCausalLM",
)
NOT_READY_MESSAGE = "Model is not ready to serve inference requests. The model is being loaded; try again later."
DEFAULT_INFERENCE_FAILURE = "Received error from the model: the model failed to produce an answer."
UNSUPPORTED_MODEL = (
    "This action doesn't support the model that you provided. Try again with a supported text or chat model."
)
INVALID_IDENTIFIER = "The provided model identifier is invalid."
# Modeled on Bedrock's answer for a foundation model called without the inference profile it needs.
CUSTOM_MODEL_NEEDS_SERVING = (
    "Invocation of model ID {model_id} with on-demand throughput isn't supported. Retry your request with the ARN "
    "of a Provisioned Throughput or a custom model deployment that serves this model."
)


@dataclass(frozen=True)
class InferenceTarget:
    """What a `modelId` resolves to: the kind of resource, a name for answers, and the base model's family."""

    kind: str
    label: str
    family: str
    architecture: str | None = None
    text_output: bool = True


@dataclass(frozen=True)
class InferenceCall:
    api: str
    model_id: str
    kind: str | None
    prompt: str
    answer: str | None
    error: str | None


@dataclass
class InferenceFaults:
    not_ready: int = 0
    queued: deque[BedrockError] = field(default_factory=deque)
    failing: BedrockError | None = None
    empty_answers: bool = False

    def take(self) -> BedrockError | None:
        """The error the next call answers with, if any: cold starts first, then queued, then the failing mode."""
        if self.not_ready > 0:
            self.not_ready -= 1
            return ModelNotReadyException(NOT_READY_MESSAGE)
        if self.queued:
            return self.queued.popleft()
        return self.failing


def inference_error(code: str, message: str) -> BedrockError:
    if code not in INFERENCE_ERRORS:
        raise ValueError(f"unknown inference error {code!r}; expected one of {sorted(INFERENCE_ERRORS)}")
    return INFERENCE_ERRORS[code](message)


class Inference:
    def __init__(
        self, context: SimContext, *, jobs: CustomizationJobs, imports: ModelImports, serving: Serving
    ) -> None:
        self._context = context
        self._jobs = jobs
        self._imports = imports
        self._serving = serving
        self.faults = InferenceFaults()
        self.calls: list[InferenceCall] = []
        # What a kind of model answers a prompt with, when a test sets it (base: FOUNDATION; custom: DEPLOYMENT or
        # PROVISIONED): how evaluation tests make the custom model better or worse than its base.
        self.scripted_answers: dict[str, Callable[[str], str]] = {}

    def converse(self, params: dict[str, Any]) -> dict[str, Any]:
        model_id = str(params.get("modelId") or "")
        prompt = ""
        try:
            target = self.target(model_id)
            if not self._converse_supported(target):
                raise ValidationException(UNSUPPORTED_MODEL)
            request = answers.converse_input(params)
            prompt = request.prompt
            self._raise_fault()
            text, cut = self._answer(target, request.prompt, request.max_tokens)
        except BedrockError as error:
            self._log("Converse", model_id, prompt, None, error)
            raise
        self._log("Converse", model_id, prompt, text, None, target.kind)
        return answers.converse_response(text, answers.token_count(request.prompt), cut)

    def invoke_model(self, params: dict[str, Any]) -> dict[str, Any]:
        model_id = str(params.get("modelId") or "")
        prompt = ""
        try:
            target = self.target(model_id)
            body = _json_body(params.get("body"), str(params.get("contentType") or "application/json"))
            prompt = _prompt_of(body)
            response = answers.invoke_response(target.family, body, target.label, target.architecture)
            self._raise_fault()
            if self.faults.empty_answers:
                response = _emptied(response)
        except BedrockError as error:
            self._log("InvokeModel", model_id, prompt, None, error)
            raise
        self._log("InvokeModel", model_id, prompt, json.dumps(response), None, target.kind)
        return {"body": json.dumps(response), "contentType": "application/json"}

    # --- resolving the model ID ---------------------------------------------------------------------------------

    def target(self, model_id: str) -> InferenceTarget:
        if not model_id:
            raise ValidationException(INVALID_IDENTIFIER)
        if ":provisioned-model/" in model_id:
            throughput = self._serving.get_throughput(model_id)
            self._require_serving(PROVISIONED, throughput.name, throughput.status)
            base = self._base_of(throughput.model_arn)
            return InferenceTarget(PROVISIONED, throughput.name, base.family, base.architecture, base.text_output)
        if ":custom-model-deployment/" in model_id:
            deployment = self._serving.get_deployment(model_id)
            self._require_serving(DEPLOYMENT, deployment.name, deployment.status)
            base = self._base_of(deployment.model_arn)
            return InferenceTarget(DEPLOYMENT, deployment.name, base.family, base.architecture, base.text_output)
        if ":imported-model/" in model_id:
            imported = self._imports.get_model(model_id)
            self._imports.load(imported)
            return _imported_target(imported)
        if ":custom-model/" in model_id:
            self._jobs.get_model(model_id)  # an unknown ARN is ResourceNotFoundException, as for the others
            raise ValidationException(CUSTOM_MODEL_NEEDS_SERVING.format(model_id=model_id))
        if model_id.startswith("arn:") and "foundation-model/" not in model_id and "inference-profile/" not in model_id:
            raise ValidationException(INVALID_IDENTIFIER)
        return self._foundation(model_id)

    def _base_of(self, model_arn: str) -> InferenceTarget:
        """The model a throughput or deployment serves: imported, custom, or a foundation model."""
        if ":imported-model/" in model_arn:
            return _imported_target(self._imports.get_model(model_arn))
        if ":custom-model/" in model_arn:
            model = self._jobs.get_model(model_arn)
            base = self._foundation(model.job.base_model_id)
            return InferenceTarget(CUSTOM, model.name, base.family, text_output=base.text_output)
        return self._foundation(model_arn)

    def _foundation(self, identifier: str) -> InferenceTarget:
        model_id = identifier.rsplit("/", 1)[-1] if identifier.startswith("arn:") else identifier
        for prefix in INFERENCE_PROFILE_PREFIXES:
            if model_id.startswith(prefix):
                model_id = model_id[len(prefix) :]
                break
        model = catalog.find(model_id)
        if model is None:
            raise ValidationException(INVALID_IDENTIFIER)
        return InferenceTarget(
            FOUNDATION,
            model.model_id,
            answers.family_of(model.model_id),
            text_output=model.output_modalities == ("TEXT",),
        )

    @staticmethod
    def _require_serving(kind: str, name: str, status: str) -> None:
        if status not in SERVING_STATUSES[kind]:
            what = "Provisioned model" if kind == PROVISIONED else "Custom model deployment"
            raise ValidationException(f"{what} {name} is not ready for inference (status {status}).")

    @staticmethod
    def _converse_supported(target: InferenceTarget) -> bool:
        return target.text_output and target.architecture not in NO_CONVERSE_ARCHITECTURES

    # --- answering ----------------------------------------------------------------------------------------------

    def _raise_fault(self) -> None:
        error = self.faults.take()
        if error is not None:
            raise error

    def _answer(self, target: InferenceTarget, prompt: str, max_tokens: int | None) -> tuple[str, bool]:
        if self.faults.empty_answers:
            return "", False
        scripted = self.scripted_answers.get(target.kind)
        if scripted is not None:
            return scripted(prompt), False
        return answers.answer_text(target.label, prompt, max_tokens)

    def _log(
        self,
        api: str,
        model_id: str,
        prompt: str,
        answer: str | None,
        error: BedrockError | None,
        kind: str | None = None,
    ) -> None:
        self.calls.append(
            InferenceCall(api, model_id, kind, prompt, answer, f"{error.code}: {error.message}" if error else None)
        )


def _json_body(body: Any, content_type: str) -> dict[str, Any]:
    if content_type.split(";")[0].strip() != "application/json":
        raise ValidationException(f"Content type {content_type} is not supported; use application/json.")
    text = body.decode() if isinstance(body, bytes | bytearray) else str(body or "")
    try:
        parsed = json.loads(text)
    except ValueError:
        raise ValidationException("Malformed input request, please reformat your input and try again.") from None
    if not isinstance(parsed, dict):
        raise ValidationException("Malformed input request: #: expected type: JSONObject, found: JSONArray")
    return parsed


def _prompt_of(body: dict[str, Any]) -> str:
    for key in ("prompt", "inputText"):
        if isinstance(body.get(key), str):
            return str(body[key])
    text = (body.get("textToImageParams") or {}).get("text")
    if isinstance(text, str):
        return text
    messages = body.get("messages")
    if isinstance(messages, list):
        users = [m for m in messages if isinstance(m, dict) and m.get("role") == "user"]
        if users:
            return answers.text_of_blocks(users[-1].get("content"))
    return ""


def _emptied(response: dict[str, Any]) -> dict[str, Any]:
    """The same response shape with every generated text blanked (the "empty answers" mode)."""
    blanked = copy.deepcopy(response)
    _blank_texts(blanked)
    return blanked


def _blank_texts(value: Any) -> None:
    if isinstance(value, dict):
        for key in list(value):
            if key in ("text", "generation", "outputText", "content") and isinstance(value[key], str):
                value[key] = ""
            else:
                _blank_texts(value[key])
    elif isinstance(value, list):
        for item in value:
            _blank_texts(item)


def _imported_target(imported: ImportedModel) -> InferenceTarget:
    return InferenceTarget(IMPORTED, imported.name, answers.IMPORTED, imported.architecture)
