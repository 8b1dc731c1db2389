"""Smoke test of an imported model: the body per family, answers in every response format, cold starts."""

from __future__ import annotations

import io
import json
import shlex
from typing import Any

import pytest
from botocore.exceptions import ClientError

from tuneline.errors import SmokeTestFailed
from tuneline.handlers import import_smoke as smoke_handler
from tuneline.imports.errors import ImportedModelBusy, ImportedModelNotReady
from tuneline.imports.smoke import answer_text, invoke_command, smoke_request, smoke_test

MODEL_ARN = "arn:aws:bedrock:us-east-1:123456789012:imported-model/abcdef123456"
CHECK = {"family": "Llama", "smokePrompt": "Say hello.", "smokeMaxTokens": 16}


class FakeRuntime:
    """bedrock-runtime InvokeModel: answers (or errors) queued by the test, requests recorded."""

    def __init__(self, *outcomes: dict[str, Any] | str) -> None:
        self.outcomes = list(outcomes)
        self.requests: list[dict[str, Any]] = []

    def invoke_model(self, **request: Any) -> dict[str, Any]:
        self.requests.append(request)
        outcome = self.outcomes.pop(0)
        if isinstance(outcome, str):
            raise ClientError({"Error": {"Code": outcome, "Message": f"{outcome} from the model"}}, "InvokeModel")
        return {"body": io.BytesIO(json.dumps(outcome).encode()), "contentType": "application/json"}


def test_a_llama_model_gets_a_bedrock_completion_body_and_its_answer_is_kept() -> None:
    runtime = FakeRuntime({"generation": " Hello there! ", "stop_reason": "stop"})
    result = smoke_test(CHECK, MODEL_ARN, runtime=runtime)
    [request] = runtime.requests
    assert request["modelId"] == MODEL_ARN
    assert json.loads(request["body"]) == {"prompt": "Say hello.", "max_gen_len": 16, "max_tokens": 16}
    assert result["answered"] is True and result["answer"] == "Hello there!"
    assert result["requestFormat"] == "BedrockCompletion"
    assert MODEL_ARN in result["invokeCommand"]


def test_gpt_oss_gets_an_openai_chat_body() -> None:
    request = smoke_request("GPT-OSS", "Say hello.", 16)
    assert request.api_format == "OpenAIChatCompletion"
    assert request.body == {"messages": [{"role": "user", "content": "Say hello."}], "max_tokens": 16}


@pytest.mark.parametrize(
    "document",
    [
        {"generation": "hi"},
        {"outputs": [{"text": "hi", "stop_reason": "length"}]},
        {"choices": [{"text": "hi", "index": 0}]},
        {"choices": [{"message": {"role": "assistant", "content": "hi"}}]},
        {"generated_text": "hi"},
    ],
)
def test_answers_are_read_from_every_response_format(document: dict[str, Any]) -> None:
    assert answer_text(document) == "hi"


@pytest.mark.parametrize("document", [{}, {"choices": []}, {"outputs": "hi"}, ["hi"], {"generation": 3}])
def test_bodies_without_text_have_no_answer(document: Any) -> None:
    assert answer_text(document) is None


def test_a_cold_start_is_reported_as_not_answered_for_the_state_machine_to_call_again() -> None:
    result = smoke_test(CHECK, MODEL_ARN, runtime=FakeRuntime("ModelNotReadyException"))
    assert result["answered"] is False and result["error"] == ImportedModelNotReady.__name__
    assert result["modelArn"] == MODEL_ARN
    assert "still loading (cold start): ModelNotReadyException from the model" in result["cause"]


@pytest.mark.parametrize("code", ["ThrottlingException", "ModelTimeoutException", "ServiceUnavailableException"])
def test_throttling_and_timeouts_are_reported_as_busy(code: str) -> None:
    result = smoke_test(CHECK, MODEL_ARN, runtime=FakeRuntime(code))
    assert result["answered"] is False and result["error"] == ImportedModelBusy.__name__
    assert code in result["cause"]


@pytest.mark.parametrize("code", ["ValidationException", "ModelErrorException", "AccessDeniedException"])
def test_other_errors_fail_the_smoke_test_with_the_code(code: str) -> None:
    with pytest.raises(SmokeTestFailed, match=f"{code}.*BedrockCompletion"):
        smoke_test(CHECK, MODEL_ARN, runtime=FakeRuntime(code))


@pytest.mark.parametrize("document", [{"generation": "   "}, {"unexpected": "shape"}])
def test_an_answer_without_text_fails_the_smoke_test(document: dict[str, Any]) -> None:
    with pytest.raises(SmokeTestFailed, match="without any text"):
        smoke_test(CHECK, MODEL_ARN, runtime=FakeRuntime(document))


def test_long_answers_are_cut_for_the_alert() -> None:
    result = smoke_test(CHECK, MODEL_ARN, runtime=FakeRuntime({"generation": "word " * 1000}))
    assert len(result["answer"]) <= 500


def test_the_invoke_command_survives_quotes_in_the_prompt() -> None:
    request = smoke_request("Llama", 'It\'s a "test"; rm -rf /', 8)
    write, call, show = invoke_command(MODEL_ARN, request).split(" && ")
    words = shlex.split(write)
    assert words[:2] == ["printf", "%s"] and words[3:] == [">", "body.json"]
    assert json.loads(words[2]) == request.body
    words = shlex.split(call)
    assert words[:3] == ["aws", "bedrock-runtime", "invoke-model"]
    assert words[words.index("--body") + 1] == "fileb://body.json"
    assert show == "cat answer.json"


def test_the_invoke_command_runs_with_aws_cli_v1_and_v2() -> None:
    # --cli-binary-format exists only in v2 (v1 fails with "Unknown options"); fileb:// bodies work in both.
    command = invoke_command(MODEL_ARN, smoke_request("GPT-OSS", "Hi", 8))
    assert "--cli-binary-format" not in command
    assert "--body fileb://" in command


def test_the_handler_reads_the_model_arn_from_the_get_import_job_output(monkeypatch: pytest.MonkeyPatch) -> None:
    runtime = FakeRuntime({"generation": "Hello"})
    monkeypatch.setattr(smoke_handler, "single_attempt_client", lambda service: runtime)
    result = smoke_handler.handler({"check": CHECK, "job": {"Status": "Completed", "ImportedModelArn": MODEL_ARN}})
    assert result["modelArn"] == MODEL_ARN
