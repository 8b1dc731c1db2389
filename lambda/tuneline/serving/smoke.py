"""Smoke test: call the served model with a few prompts from its own data; record answers and latency.

The report goes to `reports/<job>/smoke.json`. The test passes when every prompt gets a non-empty answer.
"Not ready" answers raise ServedModelNotReady so the workflow retries the whole test later; transient errors
are retried here a few times; anything else is a failed call in the report.
"""

from __future__ import annotations

import json
import statistics
import time
from collections.abc import Callable, Mapping
from dataclasses import dataclass
from typing import Any

from botocore.exceptions import ClientError

from tuneline.aws_values import split_s3_uri
from tuneline.serving.errors import ServedModelNotReady
from tuneline.serving.invocation import (
    converse_output,
    converse_request,
    example_call,
    family_of,
    invoke_body,
    invoke_output,
)
from tuneline.serving.prompts import Prompt, smoke_prompts

SMOKE_REPORT_NAME = "smoke.json"
NOT_READY_ERRORS = ("ModelNotReadyException",)
# botocore's standard retry mode already retries throttling and 5xx; a model timeout is retried here.
RETRIED_ERRORS = ("ModelTimeoutException", "ThrottlingException", "ServiceUnavailableException")
CALL_ATTEMPTS = 3
RETRY_DELAY_SECONDS = 2.0
# Answers are kept whole in the report (up to this) and shortened in the workflow state and alerts.
MAX_REPORTED_ANSWER = 2000
MAX_STATE_ANSWER = 200


@dataclass(frozen=True)
class CallResult:
    prompt: Prompt
    answer: str
    latency_ms: float | None
    error: str | None

    @property
    def ok(self) -> bool:
        return self.error is None and bool(self.answer.strip())

    def to_dict(self, answer_limit: int) -> dict[str, Any]:
        return {
            "prompt": self.prompt.text[:answer_limit],
            "system": self.prompt.system,
            "promptSource": self.prompt.source,
            "answer": self.answer[:answer_limit],
            "latencyMs": self.latency_ms,
            "error": self.error or (None if self.ok else "empty answer"),
        }


class ModelCaller:
    """Calls one served model the way its base model supports: Converse, else InvokeModel."""

    def __init__(
        self,
        runtime: Any,
        model_id: str,
        *,
        converse: bool,
        family: str | None,
        timer: Callable[[], float] = time.perf_counter,
        sleep: Callable[[float], None] = time.sleep,
    ) -> None:
        self._runtime = runtime
        self.model_id = model_id
        self.converse = converse
        self._family = family
        self._timer = timer
        self._sleep = sleep

    @property
    def api(self) -> str:
        return "Converse" if self.converse else "InvokeModel"

    def call(self, prompt: Prompt) -> CallResult:
        error: str | None = None
        for attempt in range(1, CALL_ATTEMPTS + 1):
            started = self._timer()
            try:
                answer = self._answer(prompt)
            except ClientError as failure:
                code = failure.response.get("Error", {}).get("Code", "")
                message = failure.response.get("Error", {}).get("Message", "")
                if code in NOT_READY_ERRORS:
                    raise ServedModelNotReady(f"{self.model_id} is not ready yet: {message}") from None
                error = f"{code}: {message}"
                if code in RETRIED_ERRORS and attempt < CALL_ATTEMPTS:
                    self._sleep(RETRY_DELAY_SECONDS * attempt)
                    continue
                return CallResult(prompt, "", None, error)
            return CallResult(prompt, answer, round((self._timer() - started) * 1000, 1), None)
        return CallResult(prompt, "", None, error)

    def _answer(self, prompt: Prompt) -> str:
        if self.converse:
            return converse_output(self._runtime.converse(**converse_request(self.model_id, prompt)))
        response = self._runtime.invoke_model(
            modelId=self.model_id,
            body=json.dumps(invoke_body(self._family, prompt)).encode(),
            contentType="application/json",
            accept="application/json",
        )
        return invoke_output(json.loads(response["body"].read()))


def run_smoke_test(
    plan: Mapping[str, Any],
    request: Mapping[str, Any],
    resource_arn: str,
    *,
    s3: Any,
    runtime: Any,
    timer: Callable[[], float] = time.perf_counter,
    sleep: Callable[[float], None] = time.sleep,
) -> dict[str, Any]:
    family = family_of(str(request.get("baseModel") or plan.get("baseModelIdentifier") or ""))
    caller = ModelCaller(
        runtime, resource_arn, converse=bool(request.get("converse", True)), family=family, timer=timer, sleep=sleep
    )
    results = [caller.call(prompt) for prompt in smoke_prompts(plan, s3=s3)]
    passed = all(result.ok for result in results)
    latencies = [r.latency_ms for r in results if r.latency_ms is not None]
    report = {
        "jobName": plan.get("jobName"),
        "kind": request.get("kind"),
        "modelArn": resource_arn,
        "customModelArn": request.get("modelArn"),
        "api": caller.api,
        "passed": passed,
        "calls": [r.to_dict(MAX_REPORTED_ANSWER) for r in results],
        "latencyMs": _latency_summary(latencies),
    }
    bucket, _ = split_s3_uri(str(plan.get("outputDataUri") or plan.get("trainingDataUri")))
    report_key = f"{plan['reportPrefix']}{SMOKE_REPORT_NAME}"
    s3.put_object(
        Bucket=bucket, Key=report_key, Body=json.dumps(report, indent=1).encode(), ContentType="application/json"
    )
    failed = [r for r in results if not r.ok]
    return {
        **{k: v for k, v in report.items() if k != "calls"},
        "calls": [r.to_dict(MAX_STATE_ANSWER) for r in results],
        "failedCalls": len(failed),
        "reportUri": f"s3://{bucket}/{report_key}",
        "expiresAt": request.get("expiresAt"),
        "exampleCall": example_call(resource_arn, converse=caller.converse, family=family),
        "summary": _summary(results, caller.api),
    }


def _latency_summary(latencies: list[float]) -> dict[str, float] | None:
    if not latencies:
        return None
    return {
        "min": min(latencies),
        "median": round(statistics.median(latencies), 1),
        "max": max(latencies),
    }


def _summary(results: list[CallResult], api: str) -> str:
    failed = [r for r in results if not r.ok]
    if not failed:
        return f"{len(results)} of {len(results)} {api} calls answered"
    first = failed[0].error or "empty answer"
    return f"{len(failed)} of {len(results)} {api} calls failed; first: {first}"
