"""Smoke test of an imported model: one short prompt through InvokeModel, in the format its family reads.

Request formats (Bedrock Custom Model Import, "Invoke your imported model"):
- GPT-OSS reads only OpenAI-style bodies, so it gets an OpenAIChatCompletion body (`messages`, `max_tokens`).
- Every other family gets the BedrockCompletion body (`prompt` plus a length limit). The limit is sent under
  both names families use, `max_gen_len` (Llama) and `max_tokens` (Mistral, Qwen, ...): Bedrock ignores
  inference parameters a model does not use.
The first calls after an import meet a cold start: ModelNotReadyException while Bedrock loads the model, which
can take minutes (docs/bedrock.md §7). The smoke test then answers "not answered" instead of failing, and the
state machine calls it again every LOAD_CHECK_SECONDS until LOAD_DEADLINE_SECONDS have passed, rather than
keeping a Lambda waiting; throttling and timeouts are waited out the same way.
"""

from __future__ import annotations

import json
from collections.abc import Mapping
from dataclasses import dataclass
from typing import Any

from botocore.exceptions import ClientError

from tuneline.cli_calls import invoke_model_call
from tuneline.errors import SmokeTestFailed
from tuneline.imports.errors import ImportedModelBusy, ImportedModelNotReady

BEDROCK_COMPLETION = "BedrockCompletion"
OPENAI_CHAT_COMPLETION = "OpenAIChatCompletion"
OPENAI_CHAT_FAMILIES = frozenset({"GPT-OSS"})
NOT_READY_ERRORS = frozenset({"ModelNotReadyException"})
# Left over after botocore's own retries (standard mode): worth another try a little later.
BUSY_ERRORS = frozenset(
    {"ThrottlingException", "ServiceUnavailableException", "InternalServerException", "ModelTimeoutException"}
)
MAX_ANSWER_LENGTH = 500
CONTENT_TYPE = "application/json"
# The cold-start wait of the import workflow: a check a minute, for at most 15 minutes after the first call.
# Loading takes minutes and grows with the model's size (docs/bedrock.md §7).
LOAD_CHECK_SECONDS = 60
LOAD_DEADLINE_SECONDS = 15 * 60
LOAD_CHECKS = LOAD_DEADLINE_SECONDS // LOAD_CHECK_SECONDS


@dataclass(frozen=True)
class SmokeRequest:
    api_format: str
    body: dict[str, Any]


def smoke_request(family: str | None, prompt: str, max_tokens: int) -> SmokeRequest:
    if family in OPENAI_CHAT_FAMILIES:
        return SmokeRequest(
            OPENAI_CHAT_COMPLETION, {"messages": [{"role": "user", "content": prompt}], "max_tokens": max_tokens}
        )
    return SmokeRequest(BEDROCK_COMPLETION, {"prompt": prompt, "max_gen_len": max_tokens, "max_tokens": max_tokens})


def answer_text(document: Any) -> str | None:
    """The generated text in any of the response formats imported models use, or None."""
    if not isinstance(document, Mapping):
        return None
    for name in ("generation", "generated_text", "completion", "text"):
        if isinstance(document.get(name), str):
            return str(document[name])
    for list_name, item_fields in (("outputs", ("text",)), ("choices", ("text", "message"))):
        items = document.get(list_name)
        if isinstance(items, list) and items and isinstance(items[0], Mapping):
            for item_field in item_fields:
                value = items[0].get(item_field)
                if isinstance(value, Mapping):
                    value = value.get("content")
                if isinstance(value, str):
                    return value
    return None


def invoke_command(model_arn: str, request: SmokeRequest) -> str:
    """A copy-paste AWS CLI call of the model with the smoke-test body (AWS CLI v1 and v2 alike)."""
    return invoke_model_call(model_arn, request.body, content_type=CONTENT_TYPE)


def smoke_test(check: Mapping[str, Any], model_arn: str, *, runtime: Any) -> dict[str, Any]:
    """The answer (`answered` true), or `answered` false with the error name and cause when the model is still
    loading or busy: worth another call later. Any other failure raises SmokeTestFailed."""
    request = smoke_request(check.get("family"), str(check["smokePrompt"]), int(check["smokeMaxTokens"]))
    try:
        response = runtime.invoke_model(
            modelId=model_arn, body=json.dumps(request.body), contentType=CONTENT_TYPE, accept=CONTENT_TYPE
        )
    except ClientError as error:
        code = str(error.response.get("Error", {}).get("Code", ""))
        message = str(error.response.get("Error", {}).get("Message", error))
        if code in NOT_READY_ERRORS:
            return _not_answered(
                model_arn, ImportedModelNotReady, f"{model_arn} is still loading (cold start): {message}"
            )
        if code in BUSY_ERRORS:
            return _not_answered(model_arn, ImportedModelBusy, f"{model_arn} answered {code}: {message}")
        raise SmokeTestFailed(
            f"{model_arn} answered {code or 'an error'} to the {request.api_format} smoke prompt: {message}"
        ) from None
    raw = bytes(response["body"].read())
    try:
        document = json.loads(raw)
    except ValueError:
        raise SmokeTestFailed(f"{model_arn} answered with a body that is not JSON: {raw[:200]!r}") from None
    answer = answer_text(document)
    if not answer or not answer.strip():
        raise SmokeTestFailed(
            f"{model_arn} answered the smoke prompt without any text ({request.api_format} body): "
            f"{json.dumps(document)[:300]}"
        )
    return {
        "answered": True,
        "modelArn": model_arn,
        "requestFormat": request.api_format,
        "prompt": check["smokePrompt"],
        "answer": answer.strip()[:MAX_ANSWER_LENGTH],
        "invokeCommand": invoke_command(model_arn, request),
    }


def _not_answered(model_arn: str, error: type[Exception], cause: str) -> dict[str, Any]:
    """A call worth repeating later; `error` names the failure the workflow reports if it never answers."""
    return {"answered": False, "modelArn": model_arn, "error": error.__name__, "cause": cause}
