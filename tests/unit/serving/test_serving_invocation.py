"""Requests and answers for every kind of served model, and the example call the alert shows."""

from __future__ import annotations

import json
import shlex
from typing import Any

import pytest

from tuneline.datasets.models import known_model_ids, resolve_model
from tuneline.serving.invocation import (
    converse_output,
    converse_request,
    example_call,
    family_of,
    invoke_body,
    invoke_output,
)
from tuneline.serving.prompts import Prompt

ARN = "arn:aws:bedrock:us-east-1:123456789012:provisioned-model/abcdefabcdef"


def test_converse_request_carries_system_and_token_limit() -> None:
    request = converse_request(ARN, Prompt(text="hi", system="be brief"), max_tokens=50)
    assert request["modelId"] == ARN
    assert request["messages"] == [{"role": "user", "content": [{"text": "hi"}]}]
    assert request["system"] == [{"text": "be brief"}]
    assert request["inferenceConfig"] == {"maxTokens": 50}
    assert "system" not in converse_request(ARN, Prompt(text="hi"))


def test_converse_output_joins_text_blocks() -> None:
    response = {"output": {"message": {"content": [{"text": "a"}, {"reasoningContent": {}}, {"text": "b"}]}}}
    assert converse_output(response) == "ab"
    assert converse_output({}) == ""


@pytest.mark.parametrize(
    ("base_model", "key"),
    [
        ("amazon.titan-image-generator-v2:0", "textToImageParams"),
        ("amazon.nova-canvas-v1:0", "textToImageParams"),
        ("amazon.titan-embed-image-v1:0", "inputText"),
        ("amazon.titan-text-express-v1:0:8k", "textGenerationConfig"),
        ("meta.llama3-1-8b-instruct-v1:0:128k", "max_gen_len"),
        ("anthropic.claude-3-haiku-20240307-v1:0:200k", "anthropic_version"),
        ("amazon.nova-micro-v1:0:128k", "schemaVersion"),
    ],
)
def test_native_bodies_follow_each_family(base_model: str, key: str) -> None:
    assert key in invoke_body(family_of(base_model), Prompt(text="a cat"))


@pytest.mark.parametrize(
    ("body", "answer"),
    [
        ({"images": ["aGk="]}, "1 image(s), 4 base64 characters"),
        ({"embedding": [0.1, 0.2]}, "embedding of 2 numbers"),
        ({"results": [{"outputText": "titan says"}]}, "titan says"),
        ({"generation": "llama says"}, "llama says"),
        ({"content": [{"type": "text", "text": "claude says"}]}, "claude says"),
        ({"output": {"message": {"content": [{"text": "nova says"}]}}}, "nova says"),
        ({"unexpected": True}, ""),
    ],
)
def test_answers_are_read_from_each_response_shape(body: dict[str, Any], answer: str) -> None:
    assert invoke_output(body) == answer


def test_example_calls_are_one_copyable_line() -> None:
    converse = example_call(ARN, converse=True, family="nova-micro")
    assert converse.startswith(f"aws bedrock-runtime converse --model-id {ARN} --messages '")
    invoke = example_call(ARN, converse=False, family="titan-image-generator-v2")
    assert "invoke-model" in invoke and "TEXT_IMAGE" in invoke
    assert "\n" not in converse + invoke


def test_the_invoke_model_example_runs_with_aws_cli_v1_and_v2() -> None:
    # --cli-binary-format exists only in v2 (v1 fails with "Unknown options"); a fileb:// body works in both.
    invoke = example_call(ARN, converse=False, family="titan-image-generator-v2")
    assert "--cli-binary-format" not in invoke
    write, call, show = invoke.split(" && ")
    assert shlex.split(write)[3:] == [">", "body.json"]
    argv = shlex.split(call)
    assert argv[argv.index("--body") + 1] == "fileb://body.json" and show == "cat answer.json"


@pytest.mark.parametrize("model_id", sorted(known_model_ids()))
def test_every_model_gets_a_shell_valid_example_call_in_its_own_api(model_id: str) -> None:
    rules = resolve_model(model_id)
    call = example_call(ARN, converse=rules.converse_supported, family=rules.family)
    argv = shlex.split(call.split(" && ")[1] if " && " in call else call)
    assert argv[:2] == ["aws", "bedrock-runtime"] and argv[argv.index("--model-id") + 1] == ARN
    if rules.converse_supported:
        assert argv[2] == "converse"
        assert json.loads(argv[argv.index("--messages") + 1])[0]["role"] == "user"
    else:
        write, call, _ = example_call(ARN, converse=False, family=rules.family).split(" && ")
        argv = shlex.split(call)
        assert argv[2] == "invoke-model" and argv[-1] == "answer.json"
        assert argv[argv.index("--body") + 1] == "fileb://body.json"
        assert json.loads(shlex.split(write)[2]) == invoke_body(rules.family, Prompt(text="Hello"))
