"""What a simulated model answers: echo-ish text, shaped as each model family's native response body.

Pure functions. The request body is checked the way Bedrock checks it: a body in another family's format is a
ValidationException ("Malformed input request"), so a caller that builds the wrong body for its model fails here
as it would in AWS. Response shapes follow the Bedrock user guide's "Inference request parameters" pages.
"""

from __future__ import annotations

import base64
import hashlib
import math
from collections.abc import Mapping
from dataclasses import dataclass
from typing import Any

from local.bedrock.errors import ValidationException

# Model families, from the base model ID (or "imported" for Custom Model Import).
NOVA, CLAUDE, LLAMA, TITAN_TEXT, IMAGE, EMBEDDING, IMPORTED, UNKNOWN = (
    "nova",
    "claude",
    "llama",
    "titan-text",
    "image",
    "embedding",
    "imported",
    "unknown",
)
IMAGE_MODEL_MARKERS = ("titan-image-generator", "nova-canvas")
EMBEDDING_MODEL_MARKERS = ("titan-embed",)
MISTRAL_ARCHITECTURES = ("MistralForCausalLM", "MixtralForCausalLM")
DEFAULT_MAX_TOKENS = 512
DEFAULT_EMBEDDING_LENGTH = 1024
# The smallest valid PNG (1x1, transparent): image models answer with base64 PNGs.
ONE_PIXEL_PNG = base64.b64encode(
    bytes.fromhex(
        "89504e470d0a1a0a0000000d4948445200000001000000010806000000"
        "1f15c4890000000d49444154789c63000100000500010d0a2db40000000049454e44ae426082"
    )
).decode()
MALFORMED = "Malformed input request: #: required key [{key}] not found, please reformat your input and try again."


def family_of(base_model_id: str | None) -> str:
    model = (base_model_id or "").lower()
    if any(marker in model for marker in IMAGE_MODEL_MARKERS):
        return IMAGE
    if any(marker in model for marker in EMBEDDING_MODEL_MARKERS):
        return EMBEDDING
    for prefix, family in (
        ("amazon.nova", NOVA),
        ("anthropic.", CLAUDE),
        ("meta.", LLAMA),
        ("amazon.titan-text", TITAN_TEXT),
    ):
        if prefix in model:
            return family
    return UNKNOWN


def token_count(text: str) -> int:
    """About four characters per token, as Bedrock's own estimates assume; at least one for any text."""
    return max(1, math.ceil(len(text) / 4)) if text else 0


def answer_text(label: str, prompt: str, max_tokens: int | None) -> tuple[str, bool]:
    """(answer, cut short by max_tokens): the model names itself and echoes the question."""
    words = f"Simulated answer from {label}. You asked: {' '.join(prompt.split()) or '(nothing)'}".split()
    limit = max(1, int(max_tokens)) if max_tokens else None
    if limit is not None and len(words) > limit:
        return " ".join(words[:limit]), True
    return " ".join(words), False


@dataclass(frozen=True)
class ConverseInput:
    prompt: str
    max_tokens: int | None


def converse_input(params: Mapping[str, Any]) -> ConverseInput:
    """The last user turn of a Converse request (text blocks joined), checked as Bedrock checks it."""
    messages = params.get("messages")
    if not isinstance(messages, list) or not messages:
        raise ValidationException("The model returned the following errors: messages: field required")
    if not isinstance(messages[0], Mapping) or messages[0].get("role") != "user":
        raise ValidationException(
            "A conversation must start with a user message. Try again with a conversation that starts with a "
            "user message."
        )
    user_turns = [m for m in messages if isinstance(m, Mapping) and m.get("role") == "user"]
    prompt = text_of_blocks(user_turns[-1].get("content"))
    config = params.get("inferenceConfig") or {}
    return ConverseInput(prompt, config.get("maxTokens"))


def converse_response(answer: str, input_tokens: int, cut_short: bool) -> dict[str, Any]:
    output_tokens = token_count(answer)
    return {
        "output": {"message": {"role": "assistant", "content": [{"text": answer}]}},
        "stopReason": "max_tokens" if cut_short else "end_turn",
        "usage": {
            "inputTokens": input_tokens,
            "outputTokens": output_tokens,
            "totalTokens": input_tokens + output_tokens,
        },
        "metrics": {"latencyMs": simulated_latency_ms(output_tokens)},
    }


def simulated_latency_ms(output_tokens: int) -> int:
    """A plausible, deterministic latency: a fixed start plus a few milliseconds per generated token."""
    return 120 + 8 * output_tokens


def invoke_response(
    family: str, body: Mapping[str, Any], label: str, architecture: str | None = None
) -> dict[str, Any]:
    """The response body InvokeModel returns for `body`, in the family's native format."""
    if family == IMAGE:
        _require(body, "taskType")
        count = int((body.get("imageGenerationConfig") or {}).get("numberOfImages") or 1)
        return {"images": [ONE_PIXEL_PNG] * count, "error": None}
    if family == EMBEDDING:
        if "inputText" not in body and "inputImage" not in body:
            raise ValidationException(MALFORMED.format(key="inputText"))
        length = int((body.get("embeddingConfig") or {}).get("outputEmbeddingLength") or DEFAULT_EMBEDDING_LENGTH)
        text = str(body.get("inputText") or "")
        return {"embedding": _embedding(text, length), "inputTextTokenCount": token_count(text)}
    shape = _request_shape(family, body)
    return _TEXT_RESPONSES[shape](body, label, architecture)


# --- text request shapes -----------------------------------------------------------------------------------------


def _request_shape(family: str, body: Mapping[str, Any]) -> str:
    """Which native format the body is in, refused when the family does not take that format."""
    if family == NOVA:
        _require(body, "messages")
        return "nova"
    if family == CLAUDE:
        for key in ("anthropic_version", "max_tokens", "messages"):
            _require(body, key)
        return "claude"
    if family == LLAMA:
        _require(body, "prompt")
        return "llama"
    if family == TITAN_TEXT:
        _require(body, "inputText")
        return "titan"
    if family == IMPORTED:
        if "prompt" in body:
            return "completion"
        _require(body, "messages")
        return "openai-chat"
    # A model this table does not know: answer in the format the body uses.
    for key, shape in (("anthropic_version", "claude"), ("inputText", "titan"), ("prompt", "llama")):
        if key in body:
            return shape
    _require(body, "messages")
    return "openai-chat" if _is_openai_chat(body) else "nova"


def _nova(body: Mapping[str, Any], label: str, _architecture: str | None) -> dict[str, Any]:
    prompt = _last_user_text(body.get("messages"))
    answer, cut = answer_text(label, prompt, (body.get("inferenceConfig") or {}).get("maxTokens"))
    response = converse_response(answer, token_count(prompt), cut)
    response.pop("metrics")
    return response


def _claude(body: Mapping[str, Any], label: str, _architecture: str | None) -> dict[str, Any]:
    prompt = _last_user_text(body.get("messages"))
    answer, cut = answer_text(label, prompt, body.get("max_tokens"))
    return {
        "id": "msg_bdrk_" + hashlib.sha256(prompt.encode()).hexdigest()[:24],
        "type": "message",
        "role": "assistant",
        "model": label,
        "content": [{"type": "text", "text": answer}],
        "stop_reason": "max_tokens" if cut else "end_turn",
        "stop_sequence": None,
        "usage": {"input_tokens": token_count(prompt), "output_tokens": token_count(answer)},
    }


def _llama(body: Mapping[str, Any], label: str, _architecture: str | None) -> dict[str, Any]:
    prompt = str(body.get("prompt") or "")
    answer, cut = answer_text(label, prompt, body.get("max_gen_len") or body.get("max_tokens"))
    return {
        "generation": answer,
        "prompt_token_count": token_count(prompt),
        "generation_token_count": token_count(answer),
        "stop_reason": "length" if cut else "stop",
    }


def _titan(body: Mapping[str, Any], label: str, _architecture: str | None) -> dict[str, Any]:
    prompt = str(body.get("inputText") or "")
    answer, cut = answer_text(label, prompt, (body.get("textGenerationConfig") or {}).get("maxTokenCount"))
    return {
        "inputTextTokenCount": token_count(prompt),
        "results": [
            {"tokenCount": token_count(answer), "outputText": answer, "completionReason": "LENGTH" if cut else "FINISH"}
        ],
    }


def _completion(body: Mapping[str, Any], label: str, architecture: str | None) -> dict[str, Any]:
    """Imported models answer a native completion request; Mistral architectures use Mistral's `outputs`."""
    if architecture in MISTRAL_ARCHITECTURES:
        prompt = str(body.get("prompt") or "")
        answer, cut = answer_text(label, prompt, body.get("max_tokens"))
        return {"outputs": [{"text": answer, "stop_reason": "length" if cut else "stop"}]}
    return _llama(body, label, architecture)


def _openai_chat(body: Mapping[str, Any], label: str, _architecture: str | None) -> dict[str, Any]:
    prompt = _last_user_text(body.get("messages"))
    answer, cut = answer_text(label, prompt, body.get("max_tokens") or body.get("max_completion_tokens"))
    prompt_tokens, completion_tokens = token_count(prompt), token_count(answer)
    return {
        "id": "chatcmpl-" + hashlib.sha256(prompt.encode()).hexdigest()[:24],
        "object": "chat.completion",
        "model": label,
        "choices": [
            {
                "index": 0,
                "message": {"role": "assistant", "content": answer},
                "finish_reason": "length" if cut else "stop",
            }
        ],
        "usage": {
            "prompt_tokens": prompt_tokens,
            "completion_tokens": completion_tokens,
            "total_tokens": prompt_tokens + completion_tokens,
        },
    }


_TEXT_RESPONSES = {
    "nova": _nova,
    "claude": _claude,
    "llama": _llama,
    "titan": _titan,
    "completion": _completion,
    "openai-chat": _openai_chat,
}


# --- helpers -----------------------------------------------------------------------------------------------------


def _require(body: Mapping[str, Any], key: str) -> None:
    if key not in body:
        raise ValidationException(MALFORMED.format(key=key))


def _is_openai_chat(body: Mapping[str, Any]) -> bool:
    messages = body.get("messages")
    return isinstance(messages, list) and any(
        isinstance(m, Mapping) and isinstance(m.get("content"), str) for m in messages
    )


def _last_user_text(messages: Any) -> str:
    if not isinstance(messages, list):
        raise ValidationException("Malformed input request: #/messages: expected type: JSONArray")
    user_turns = [m for m in messages if isinstance(m, Mapping) and m.get("role") == "user"]
    if not user_turns:
        raise ValidationException("Malformed input request: #/messages: a user message is required")
    return text_of_blocks(user_turns[-1].get("content"))


def text_of_blocks(content: Any) -> str:
    """Text of a message: a plain string, or the `text` of its content blocks (images and documents skipped)."""
    if isinstance(content, str):
        return content
    if isinstance(content, list):
        return " ".join(str(block["text"]) for block in content if isinstance(block, Mapping) and "text" in block)
    return ""


def _embedding(text: str, length: int) -> list[float]:
    """A deterministic unit-free vector from the text's hash: the same input always embeds the same."""
    digest = hashlib.sha256(text.encode()).digest()
    return [round((digest[i % len(digest)] - 127.5) / 127.5, 6) for i in range(length)]
