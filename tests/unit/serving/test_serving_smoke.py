"""The smoke test against a served model: answers, latency, the report, not-ready and failure handling."""

from __future__ import annotations

import itertools
import json
from typing import Any

import pytest

from tests.unit.serving.conftest import BUCKET, JOB, converse_record, jsonl, make_plan, make_request
from tests.unit.serving.fakes import FakeRuntime, client_error, throughput_arn
from tuneline.serving.errors import ServedModelNotReady
from tuneline.serving.smoke import CALL_ATTEMPTS, run_smoke_test

ARN = throughput_arn("abcdefabcdef")


def _stage(s3: Any, *texts: str) -> None:
    s3.put_object(Bucket=BUCKET, Key=f"staged/{JOB}/train.jsonl", Body=jsonl([converse_record(t) for t in texts]))


def _timer(step_seconds: float = 0.25) -> Any:
    ticks = itertools.count()
    return lambda: next(ticks) * step_seconds


def _run(s3: Any, runtime: FakeRuntime, plan: dict[str, Any] | None = None, **kwargs: Any) -> dict[str, Any]:
    plan = plan or make_plan()
    return run_smoke_test(plan, make_request(plan), ARN, s3=s3, runtime=runtime, timer=_timer(), **kwargs)


def test_passing_smoke_test_records_answers_latency_and_report(s3: Any) -> None:
    prompts = ["What is my balance?", "Close my account", "Open a savings account"]
    _stage(s3, *prompts)
    result = _run(s3, FakeRuntime())
    assert result["passed"] is True and result["failedCalls"] == 0
    assert result["api"] == "Converse"
    assert [c["prompt"] for c in result["calls"]] == [
        "What is my balance?",
        "Close my account",
        "Open a savings account",
    ]
    assert result["latencyMs"] == {"min": 250.0, "median": 250.0, "max": 250.0}
    assert result["reportUri"] == f"s3://{BUCKET}/reports/{JOB}/smoke.json"
    assert ARN in result["exampleCall"]
    report = json.loads(s3.get_object(Bucket=BUCKET, Key=f"reports/{JOB}/smoke.json")["Body"].read())
    assert report["passed"] is True and len(report["calls"]) == 3
    assert report["calls"][0]["answer"].startswith("answer to")


def test_empty_answers_or_errors_fail_the_test(s3: Any) -> None:
    _stage(s3, "one", "two")
    runtime = FakeRuntime(answer=lambda text: "" if text == "two" else "fine")
    result = _run(s3, runtime)
    assert result["passed"] is False and result["failedCalls"] == 1
    assert result["calls"][1]["error"] == "empty answer"

    runtime = FakeRuntime(errors=[client_error("AccessDeniedException", "no access")])
    result = _run(s3, runtime)
    assert result["passed"] is False
    assert result["calls"][0]["error"] == "AccessDeniedException: no access"
    assert "1 of 2 Converse calls failed; first: AccessDeniedException" in result["summary"]


def test_not_ready_is_raised_for_the_workflow_to_retry(s3: Any) -> None:
    _stage(s3, "one")
    with pytest.raises(ServedModelNotReady, match="not ready"):
        _run(s3, FakeRuntime(errors=[client_error("ModelNotReadyException", "warming up")]))


def test_model_timeouts_are_retried_then_reported(s3: Any) -> None:
    _stage(s3, "one")
    slept: list[float] = []
    result = _run(s3, FakeRuntime(errors=[client_error("ModelTimeoutException")]), sleep=slept.append)
    assert result["passed"] is True and len(slept) == 1

    errors = [client_error("ModelTimeoutException") for _ in range(CALL_ATTEMPTS)]
    result = _run(s3, FakeRuntime(errors=errors), sleep=slept.append)
    assert result["passed"] is False and result["calls"][0]["error"].startswith("ModelTimeoutException")


def test_models_without_converse_are_called_with_their_native_body(s3: Any) -> None:
    plan = make_plan()
    plan["baseModelIdentifier"] = "amazon.titan-image-generator-v2:0"
    s3.put_object(
        Bucket=BUCKET, Key=f"staged/{JOB}/train.jsonl", Body=jsonl([{"image-ref": "s3://b/a.png", "caption": "a cat"}])
    )
    runtime = FakeRuntime()
    result = _run(s3, runtime, plan)
    assert result["api"] == "InvokeModel" and result["passed"] is True
    body = json.loads(runtime.invoke_calls[0]["body"])
    assert body["textToImageParams"]["text"] == "a cat"
    assert runtime.invoke_calls[0]["modelId"] == ARN
