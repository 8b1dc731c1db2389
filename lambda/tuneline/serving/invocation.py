"""How to call a served model: a Converse request where the model supports it, else an InvokeModel body.

Served models are called with the throughput or deployment ARN as `modelId`. The InvokeModel bodies follow
each provider's native request format (Bedrock user guide, "Inference request parameters").
"""

from __future__ import annotations

import json
from collections.abc import Mapping
from typing import Any

from tuneline.cli_calls import invoke_model_call
from tuneline.serving.prompts import Prompt

DEFAULT_MAX_TOKENS = 256
IMAGE_SIDE_PIXELS = 512

IMAGE_FAMILIES = ("titan-image-generator-v1", "titan-image-generator-v2", "nova-canvas")
EMBEDDING_FAMILIES = ("titan-embed-image-v1",)


def family_of(base_model: str) -> str | None:
    from tuneline.datasets.models import UnknownModelError, resolve_model

    try:
        return resolve_model(base_model).family
    except UnknownModelError:
        return None


def converse_request(model_id: str, prompt: Prompt, max_tokens: int = DEFAULT_MAX_TOKENS) -> dict[str, Any]:
    request: dict[str, Any] = {
        "modelId": model_id,
        "messages": [{"role": "user", "content": [{"text": prompt.text}]}],
        "inferenceConfig": {"maxTokens": max_tokens},
    }
    if prompt.system:
        request["system"] = [{"text": prompt.system}]
    return request


def converse_output(response: Mapping[str, Any]) -> str:
    content = ((response.get("output") or {}).get("message") or {}).get("content") or []
    return "".join(str(block.get("text", "")) for block in content if isinstance(block, Mapping))


def invoke_body(family: str | None, prompt: Prompt, max_tokens: int = DEFAULT_MAX_TOKENS) -> dict[str, Any]:
    """The native request body for the base model's family."""
    text = prompt.text
    if family in IMAGE_FAMILIES:
        return {
            "taskType": "TEXT_IMAGE",
            "textToImageParams": {"text": text},
            "imageGenerationConfig": {"numberOfImages": 1, "height": IMAGE_SIDE_PIXELS, "width": IMAGE_SIDE_PIXELS},
        }
    if family in EMBEDDING_FAMILIES:
        return {"inputText": text}
    if family and family.startswith("titan-text"):
        return {"inputText": text, "textGenerationConfig": {"maxTokenCount": max_tokens}}
    if family and family.startswith("llama"):
        return {"prompt": text, "max_gen_len": max_tokens}
    if family and family.startswith("claude"):
        body: dict[str, Any] = {
            "anthropic_version": "bedrock-2023-05-31",
            "max_tokens": max_tokens,
            "messages": [{"role": "user", "content": [{"type": "text", "text": text}]}],
        }
        if prompt.system:
            body["system"] = prompt.system
        return body
    # Amazon Nova's native format (also the default for families this table does not know).
    nova: dict[str, Any] = {
        "schemaVersion": "messages-v1",
        "messages": [{"role": "user", "content": [{"text": text}]}],
        "inferenceConfig": {"maxTokens": max_tokens},
    }
    if prompt.system:
        nova["system"] = [{"text": prompt.system}]
    return nova


def invoke_output(body: Mapping[str, Any]) -> str:
    """A readable answer from any family's response body: the text, or what was produced."""
    images = body.get("images")
    if isinstance(images, list) and images:
        return f"{len(images)} image(s), {sum(len(str(i)) for i in images)} base64 characters"
    embedding = body.get("embedding")
    if isinstance(embedding, list) and embedding:
        return f"embedding of {len(embedding)} numbers"
    if isinstance(body.get("results"), list) and body["results"]:
        return str(body["results"][0].get("outputText", ""))
    if "generation" in body:
        return str(body["generation"])
    content = body.get("content")
    if isinstance(content, list):
        return "".join(str(block.get("text", "")) for block in content if isinstance(block, Mapping))
    if isinstance(body.get("output"), Mapping):
        return converse_output(body)
    return ""


def example_call(model_id: str, *, converse: bool, family: str | None) -> str:
    """A copy-paste AWS CLI call for the alert, for AWS CLI v1 and v2 alike (`converse` takes plain JSON; an
    invoke-model body goes through a file, see `cli_calls.py`)."""
    if converse:
        messages = json.dumps([{"role": "user", "content": [{"text": "Hello"}]}], separators=(",", ":"))
        return f"aws bedrock-runtime converse --model-id {model_id} --messages '{messages}'"
    return invoke_model_call(model_id, invoke_body(family, Prompt(text="Hello")))
