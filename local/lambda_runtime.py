"""Runs a deployed Lambda function's real handler in this process, with the function's environment.

moto runs Lambda code only in Docker, which is not available here. Instead the function's code zip (the
CDK asset moto stored from the bootstrap bucket) is unpacked once and put on `sys.path`, the handler is
imported, and each invocation runs with the function's environment variables plus the ones Lambda sets.

The handler's thread reads that environment through a per-thread view of `os.environ`
(`local.thread_environment`): the emulator's other threads (Step Functions interpreters, event deliveries,
the caller's own boto3 clients) keep reading the process's variables while a handler runs. Invocations are
still serialized by one lock, because `sys.path`, imported modules and their caches are process-wide; a
handler that synchronously invokes another function in server mode would wait on itself, which the product
never does.
"""

from __future__ import annotations

import importlib
import io
import json
import sys
import tempfile
import threading
import time
import traceback
import uuid
import zipfile
from collections.abc import Mapping
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from local.thread_environment import install as install_thread_environment
from local.thread_environment import process_variables, thread_environment

# Set for every invocation. X-Ray has no daemon here, so Powertools' tracer is switched off.
LAMBDA_BASE_ENVIRONMENT = {
    "AWS_LAMBDA_LOG_FORMAT": "Text",
    "POWERTOOLS_TRACE_DISABLED": "true",
}


@dataclass(frozen=True)
class FunctionSpec:
    """What the runtime needs to know about a deployed function."""

    name: str
    arn: str
    handler: str
    runtime: str | None
    code_zip: bytes
    code_sha256: str
    environment: Mapping[str, str]
    memory_mb: int
    timeout_seconds: int
    region: str


@dataclass
class Invocation:
    """A finished invocation: the JSON payload, whether the handler raised, and the traceback if it did."""

    payload: str
    errored: bool
    logs: str
    duration_seconds: float


@dataclass
class LambdaContext:
    """The attributes of the Lambda context object that handlers and Powertools read."""

    function_name: str
    invoked_function_arn: str
    memory_limit_in_mb: int
    timeout_seconds: int
    function_version: str = "$LATEST"
    aws_request_id: str = field(default_factory=lambda: str(uuid.uuid4()))
    log_stream_name: str = field(default_factory=lambda: f"local/[$LATEST]{uuid.uuid4().hex}")
    _deadline: float = field(default=0.0)

    def __post_init__(self) -> None:
        self.log_group_name = f"/aws/lambda/{self.function_name}"
        self._deadline = time.monotonic() + self.timeout_seconds

    def get_remaining_time_in_millis(self) -> int:
        return max(0, int((self._deadline - time.monotonic()) * 1000))


class InProcessLambdaRuntime:
    def __init__(self, base_environment: Mapping[str, str] | None = None) -> None:
        self._code_root = Path(tempfile.mkdtemp(prefix="tuneline-lambda-code-"))
        self._base_environment = dict(base_environment or {})
        self._lock = threading.RLock()
        install_thread_environment()  # before any invocation thread exists
        self.invocations: list[tuple[str, Invocation]] = []

    def set_base_environment(self, environment: Mapping[str, str]) -> None:
        """Variables every function sees (credentials, endpoint), under the function's own."""
        self._base_environment = dict(environment)

    def invoke(self, spec: FunctionSpec, event: Any) -> Invocation:
        with self._lock:
            code_dir = self._unpack(spec)
            started = time.monotonic()
            logs = io.StringIO()
            with thread_environment({**process_variables(), **self._lambda_environment(spec, code_dir)}):
                try:
                    handler = _load_handler(spec.handler, code_dir)
                    context = LambdaContext(spec.name, spec.arn, spec.memory_mb, spec.timeout_seconds)
                    result = handler(event, context)
                    invocation = Invocation(json.dumps(result, default=str), False, "", 0.0)
                except Exception as error:  # the handler's failure is the invocation's result, as in Lambda
                    logs.write(traceback.format_exc())
                    invocation = Invocation(json.dumps(_error_payload(error)), True, "", 0.0)
            invocation.logs = logs.getvalue()
            invocation.duration_seconds = time.monotonic() - started
            self.invocations.append((spec.name, invocation))
            return invocation

    def _unpack(self, spec: FunctionSpec) -> Path:
        target = self._code_root / spec.code_sha256.replace("/", "_")
        if not target.exists():
            staging = target.with_suffix(".partial")
            with zipfile.ZipFile(io.BytesIO(spec.code_zip)) as archive:
                archive.extractall(staging)
            staging.rename(target)
        return target

    def _lambda_environment(self, spec: FunctionSpec, code_dir: Path) -> dict[str, str]:
        reserved = {
            "AWS_REGION": spec.region,
            "AWS_DEFAULT_REGION": spec.region,
            "AWS_LAMBDA_FUNCTION_NAME": spec.name,
            "AWS_LAMBDA_FUNCTION_VERSION": "$LATEST",
            "AWS_LAMBDA_FUNCTION_MEMORY_SIZE": str(spec.memory_mb),
            "AWS_LAMBDA_LOG_GROUP_NAME": f"/aws/lambda/{spec.name}",
            "AWS_EXECUTION_ENV": f"AWS_Lambda_{spec.runtime or 'python3.12'}",
            "LAMBDA_TASK_ROOT": str(code_dir),
            "_HANDLER": spec.handler,
        }
        return {**LAMBDA_BASE_ENVIRONMENT, **self._base_environment, **dict(spec.environment), **reserved}


def _load_handler(handler: str, code_dir: Path) -> Any:
    """Imports `package.module.function` from the function's code (or the same package already installed)."""
    module_name, _, function_name = handler.rpartition(".")
    if str(code_dir) not in sys.path:
        # Appended, not prepended: the editable `tuneline` install is the same source as the asset.
        sys.path.append(str(code_dir))
    module = importlib.import_module(module_name)
    return getattr(module, function_name)


def _error_payload(error: BaseException) -> dict[str, Any]:
    return {
        "errorMessage": str(error),
        "errorType": type(error).__name__,
        "requestId": str(uuid.uuid4()),
        "stackTrace": traceback.format_tb(error.__traceback__),
    }
