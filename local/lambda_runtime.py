"""Runs a deployed Lambda function's real handler in this process, as Lambda runs it: concurrently, within its
timeout, and with Lambda's rules for what a handler may return.

moto runs Lambda code only in Docker, which is not available here. Instead the function's code zip (the
CDK asset moto stored from the bootstrap bucket) is unpacked once and put on `sys.path`, the handler is
imported, and each invocation runs with the function's environment variables plus the ones Lambda sets.

Execution environments. Lambda runs each invocation in an execution environment that serves one invocation at
a time and is reused while warm; invocations that arrive together get environments of their own and run in
parallel. Here an environment is a long-lived thread of the function: an invocation takes an idle environment
of the same function and code, or starts a new one (a cold start), and hands the event to it. So invocations
run truly in parallel, and whatever the code keeps per thread is kept per environment, as in Lambda, where the
handler always runs on the runtime's one thread: the product's boto3 clients (`tuneline.pipeline.clients`)
are cached per thread for that reason, so environments never share a client, create theirs safely (boto3
sessions are not thread-safe), and a new emulator, with new environments, starts with new clients.

What one process cannot separate: modules are imported once (`sys.path`, `sys.modules` and module globals are
process-wide), so module-level state is shared by all environments. The import of a handler module happens
once, under a lock; afterwards handlers run without one. The runtime package keeps no mutable module state
besides its per-thread client cache (tests/unit/local/test_lambda_runtime.py keeps it that way). A handler's
thread reads its function's environment through a per-thread view of `os.environ`
(`local.thread_environment`), so other threads keep reading the process's variables.

Limits, as Lambda enforces them:
- Timeout: an invocation still running after the function's timeout fails with `Sandbox.Timedout` ("RequestId:
  ... Error: Task timed out after N.00 seconds"), the error Step Functions sees. Timeouts are real seconds,
  since handlers are real code running in real time; `timeout_scale` shortens them for tests. Lambda stops the
  environment; here the handler's thread gets an exception raised in it (`LambdaTimeout`, a BaseException, so
  `except Exception` does not swallow it) at its next Python instruction, and the environment is discarded. A
  call blocked in C finishes first, and `finally` blocks still run, which a killed sandbox would not do.
- Response: the return value must be JSON-serializable, as the runtime's marshaller requires
  (`Runtime.MarshalError`, "Unable to marshal response: ..."); bytes are returned as they are; Decimal is
  written as a number. A response above 6 MB fails with `Function.ResponseSizeTooLarge`.
- Import: a handler module that cannot be imported fails with `Runtime.ImportModuleError`, a missing handler
  function with `Runtime.HandlerNotFound`.
- Memory is not enforced. Neither tracemalloc nor the resident set can attribute memory to one invocation:
  both count the whole process, so concurrent invocations and moto itself (which serves the handler's AWS calls
  in the handler's own thread, storing S3 bodies among others) would be charged to whichever function runs,
  and tracemalloc slows every allocation in the process. A limit from those numbers would fail innocent
  invocations or pass guilty ones.

A handler that synchronously invokes another function waits for a second environment, as in Lambda.
"""

from __future__ import annotations

import contextlib
import ctypes
import decimal
import importlib
import io
import json
import queue
import sys
import tempfile
import threading
import time
import traceback
import uuid
import zipfile
from collections.abc import Callable, Iterator, Mapping
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
# The largest response a synchronous invocation may return (Lambda's quota, as its error message states it).
MAX_RESPONSE_BYTES = 6_291_556

TIMED_OUT = "Sandbox.Timedout"
MARSHAL_ERROR = "Runtime.MarshalError"
RESPONSE_TOO_LARGE = "Function.ResponseSizeTooLarge"
IMPORT_MODULE_ERROR = "Runtime.ImportModuleError"
HANDLER_NOT_FOUND = "Runtime.HandlerNotFound"
RUNTIME_EXIT = "Runtime.ExitError"


class LambdaTimeout(BaseException):
    """Raised in a handler's thread when its invocation ran past the function's timeout."""


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
    """A finished invocation: the JSON payload, whether it failed, its log, and when and where it ran.

    `started` and `ended` are `time.monotonic()` readings, for telling which invocations overlapped.
    """

    payload: str
    errored: bool
    logs: str
    duration_seconds: float
    function_name: str = ""
    handler: str = ""
    request_id: str = ""
    environment: str = ""
    cold_start: bool = False
    started: float = 0.0
    ended: float = 0.0

    @property
    def error_type(self) -> str | None:
        """The `errorType` of a failed invocation (what Step Functions names the error), else None."""
        if not self.errored:
            return None
        try:
            return str(json.loads(self.payload).get("errorType") or "") or None
        except (ValueError, AttributeError):
            return None


@dataclass
class LambdaContext:
    """The attributes of the Lambda context object that handlers and Powertools read."""

    function_name: str
    invoked_function_arn: str
    memory_limit_in_mb: int
    timeout_seconds: float
    function_version: str = "$LATEST"
    aws_request_id: str = field(default_factory=lambda: str(uuid.uuid4()))
    log_stream_name: str = field(default_factory=lambda: f"local/[$LATEST]{uuid.uuid4().hex}")
    _deadline: float = field(default=0.0)

    def __post_init__(self) -> None:
        self.log_group_name = f"/aws/lambda/{self.function_name}"
        self._deadline = time.monotonic() + self.timeout_seconds

    def get_remaining_time_in_millis(self) -> int:
        return max(0, int((self._deadline - time.monotonic()) * 1000))


class _Fault(Exception):
    """A failure the Lambda runtime reports itself (not the handler's exception): its type and message."""

    def __init__(self, error_type: str, message: str) -> None:
        super().__init__(message)
        self.error_type = error_type


@dataclass
class _Request:
    spec: FunctionSpec
    event: Any
    request_id: str
    real_timeout: float
    done: threading.Event = field(default_factory=threading.Event)
    lock: threading.Lock = field(default_factory=threading.Lock)
    abandoned: bool = False
    result: Invocation | None = None


class _Hold:
    """Keeps the first `parties` invocations of a handler waiting until all of them have started."""

    def __init__(self, handler: str, parties: int, timeout: float) -> None:
        self.handler = handler
        self.barrier = threading.Barrier(parties, timeout=timeout)
        self._remaining = parties
        self._lock = threading.Lock()

    def join(self, handler: str) -> None:
        if handler != self.handler:
            return
        with self._lock:
            if self._remaining == 0:
                return
            self._remaining -= 1
        # Fewer arrived in time: let them run; the caller's assertions tell what happened.
        with contextlib.suppress(threading.BrokenBarrierError):
            self.barrier.wait()


class _ExecutionEnvironment:
    """One thread that serves one function's invocations, one at a time, until closed or timed out."""

    def __init__(self, runtime: InProcessLambdaRuntime, spec: FunctionSpec, number: int) -> None:
        self.key = (spec.name, spec.code_sha256)
        self.name = f"{spec.name}#{number}"
        self._runtime = runtime
        self._work: queue.SimpleQueue[_Request | None] = queue.SimpleQueue()
        self._handler: Callable[[Any, Any], Any] | None = None
        self._code_dir: Path | None = None
        self.invocations = 0
        self.thread = threading.Thread(target=self._serve, name=f"lambda-environment-{self.name}", daemon=True)
        self.thread.start()

    def submit(self, request: _Request) -> None:
        self._work.put(request)

    def close(self) -> None:
        self._work.put(None)

    def stop(self) -> None:
        """Raises LambdaTimeout in the environment's thread (Lambda stops a timed-out sandbox) and closes it.

        Called under the timed-out request's lock, so the thread cannot see its request abandoned before the
        exception is pending (it clears one that has not fired yet, see `_serve`).
        """
        ident = self.thread.ident
        if ident is not None and self.thread.is_alive():
            # Python cannot kill a thread; an asynchronous exception stops it at its next instruction.
            ctypes.pythonapi.PyThreadState_SetAsyncExc(ctypes.c_ulong(ident), ctypes.py_object(LambdaTimeout))
        self.close()

    def _serve(self) -> None:
        try:
            while (request := self._work.get()) is not None:
                invocation = self._run(request)
                with request.lock:
                    if request.abandoned:
                        # Finished after its deadline: the result is dropped and this environment is not used
                        # again. Clear the exception `stop` left pending, so it cannot fire after the loop.
                        ctypes.pythonapi.PyThreadState_SetAsyncExc(ctypes.c_ulong(threading.get_ident()), None)
                        return
                    request.result = invocation
                    request.done.set()
                self._runtime._release(self)
        except LambdaTimeout:
            return

    def _run(self, request: _Request) -> Invocation:
        spec = request.spec
        cold_start = self.invocations == 0
        self.invocations += 1
        logs = io.StringIO()
        started = time.monotonic()
        if self._code_dir is None:
            # The environment's key includes the code's hash, so its code folder never changes.
            self._code_dir = self._runtime._unpack(spec)
        code_dir = self._code_dir
        variables = {**process_variables(), **self._runtime._lambda_environment(spec, code_dir)}
        with thread_environment(variables):
            try:
                if self._handler is None:
                    self._handler = self._runtime._load_handler(spec.handler, code_dir)
                self._runtime._hold_if_asked(spec.handler)
                context = LambdaContext(
                    spec.name, spec.arn, spec.memory_mb, request.real_timeout, aws_request_id=request.request_id
                )
                payload, errored = _marshal(self._handler(request.event, context)), False
            except _Fault as fault:
                logs.write(f"[ERROR] {fault.error_type}: {fault}\n")
                payload, errored = _fault_payload(fault), True
            except Exception as error:  # the handler's failure is the invocation's result, as in Lambda
                logs.write(traceback.format_exc())
                payload, errored = json.dumps(_error_payload(error)), True
            except SystemExit as error:  # the runtime process ends; Lambda reports it and starts a new one
                message = f"RequestId: {request.request_id} Error: Runtime exited with error: exit status {error.code}"
                logs.write(message + "\n")
                payload, errored = json.dumps({"errorType": RUNTIME_EXIT, "errorMessage": message}), True
        ended = time.monotonic()
        return Invocation(
            payload=payload,
            errored=errored,
            logs=logs.getvalue(),
            duration_seconds=ended - started,
            function_name=spec.name,
            handler=spec.handler,
            request_id=request.request_id,
            environment=self.name,
            cold_start=cold_start,
            started=started,
            ended=ended,
        )


_UNPACK_LOCK = threading.Lock()
_CODE_ROOT: list[Path] = []  # created on first use, then kept for the process


def _process_code_root() -> Path:
    with _UNPACK_LOCK:
        if not _CODE_ROOT:
            _CODE_ROOT.append(Path(tempfile.mkdtemp(prefix="tuneline-lambda-code-")))
        return _CODE_ROOT[0]


class InProcessLambdaRuntime:
    def __init__(self, base_environment: Mapping[str, str] | None = None, *, timeout_scale: float = 1.0) -> None:
        if timeout_scale <= 0:
            raise ValueError("timeout_scale must be positive")
        self.timeout_scale = timeout_scale
        self._base_environment = dict(base_environment or {})
        self._import_lock = threading.Lock()  # sys.path and first imports are process-wide
        self._lock = threading.Lock()  # the pool of environments and the log
        self._idle: dict[tuple[str, str], list[_ExecutionEnvironment]] = {}
        self._environments: list[_ExecutionEnvironment] = []
        self._started: dict[tuple[str, str], int] = {}  # environments ever started, per function and code
        self._holds: list[_Hold] = []
        install_thread_environment()  # before any invocation thread exists
        self.invocations: list[tuple[str, Invocation]] = []

    def set_base_environment(self, environment: Mapping[str, str]) -> None:
        """Variables every function sees (credentials, endpoint), under the function's own."""
        self._base_environment = dict(environment)

    def invoke(self, spec: FunctionSpec, event: Any) -> Invocation:
        """Runs one invocation in an idle (or new) environment of the function; waits at most its timeout."""
        environment = self._acquire(spec)
        real_timeout = spec.timeout_seconds * self.timeout_scale
        request = _Request(spec, event, str(uuid.uuid4()), real_timeout)
        started = time.monotonic()
        environment.submit(request)
        finished = request.done.wait(real_timeout)
        with request.lock:
            if not finished and request.result is None:
                request.abandoned = True
                environment.stop()
        if request.abandoned:
            invocation = self._timed_out(spec, request, environment, started)
        else:
            assert request.result is not None
            invocation = request.result
        with self._lock:
            self.invocations.append((spec.name, invocation))
        return invocation

    @contextlib.contextmanager
    def hold(self, handler: str, parties: int, timeout: float = 60.0) -> Iterator[None]:
        """Within the block, the next `parties` invocations of `handler` start their handlers together: each
        waits (at most `timeout` real seconds) until all have arrived. For tests of what runs at the same moment.
        """
        gate = _Hold(handler, parties, timeout)
        with self._lock:
            self._holds.append(gate)
        try:
            yield
        finally:
            with self._lock:
                self._holds.remove(gate)
            gate.barrier.abort()

    def close(self) -> None:
        """Ends every idle environment's thread (timed-out ones were stopped already)."""
        with self._lock:
            environments, self._environments = self._environments, []
            self._idle.clear()
        for environment in environments:
            environment.close()

    # --- internals ----------------------------------------------------------------------------------------

    def _acquire(self, spec: FunctionSpec) -> _ExecutionEnvironment:
        key = (spec.name, spec.code_sha256)
        with self._lock:
            idle = self._idle.get(key)
            if idle:
                return idle.pop()
            number = self._started[key] = self._started.get(key, 0) + 1
            environment = _ExecutionEnvironment(self, spec, number)
            self._environments.append(environment)
            return environment

    def _release(self, environment: _ExecutionEnvironment) -> None:
        with self._lock:
            if environment in self._environments:
                self._idle.setdefault(environment.key, []).append(environment)

    def _hold_if_asked(self, handler: str) -> None:
        if not self._holds:  # the usual case: no test asked to hold invocations
            return
        with self._lock:
            holds = list(self._holds)
        for gate in holds:
            gate.join(handler)

    def _timed_out(
        self, spec: FunctionSpec, request: _Request, environment: _ExecutionEnvironment, started: float
    ) -> Invocation:
        with self._lock:
            if environment in self._environments:
                self._environments.remove(environment)
        message = f"RequestId: {request.request_id} Error: Task timed out after {spec.timeout_seconds:.2f} seconds"
        ended = time.monotonic()
        return Invocation(
            payload=json.dumps({"errorType": TIMED_OUT, "errorMessage": message}),
            errored=True,
            logs=f"{message}\n",
            duration_seconds=ended - started,
            function_name=spec.name,
            handler=spec.handler,
            request_id=request.request_id,
            environment=environment.name,
            cold_start=environment.invocations <= 1,
            started=started,
            ended=ended,
        )

    def _unpack(self, spec: FunctionSpec) -> Path:
        """The function's code, unpacked once per process: every emulator of a test run shares the folder of
        the same code (named by its hash), as their imported modules are shared anyway."""
        target = _process_code_root() / spec.code_sha256.replace("/", "_")
        with _UNPACK_LOCK:
            if not target.exists():
                staging = target.with_suffix(".partial")
                with zipfile.ZipFile(io.BytesIO(spec.code_zip)) as archive:
                    archive.extractall(staging)
                staging.rename(target)
        return target

    def _load_handler(self, handler: str, code_dir: Path) -> Callable[[Any, Any], Any]:
        """Imports `package.module.function` from the function's code (or the same package already installed),
        once per process, under the import lock; fails as the Lambda runtime does."""
        module_name, _, function_name = handler.rpartition(".")
        with self._import_lock:
            if str(code_dir) not in sys.path:
                # Appended, not prepended: the editable `tuneline` install is the same source as the asset.
                sys.path.append(str(code_dir))
            try:
                module = importlib.import_module(module_name)
            except ImportError as error:
                raise _Fault(IMPORT_MODULE_ERROR, f"Unable to import module '{module_name}': {error}") from error
        function = getattr(module, function_name, None)
        if not callable(function):
            raise _Fault(HANDLER_NOT_FOUND, f"Handler '{function_name}' missing on module '{module_name}'")
        return function

    def _lambda_environment(self, spec: FunctionSpec, code_dir: Path) -> dict[str, str]:
        reserved = {
            "AWS_REGION": spec.region,
            "AWS_DEFAULT_REGION": spec.region,
            "AWS_LAMBDA_FUNCTION_NAME": spec.name,
            "AWS_LAMBDA_FUNCTION_VERSION": "$LATEST",
            "AWS_LAMBDA_FUNCTION_MEMORY_SIZE": str(spec.memory_mb),
            "AWS_LAMBDA_FUNCTION_TIMEOUT": str(spec.timeout_seconds),
            "AWS_LAMBDA_LOG_GROUP_NAME": f"/aws/lambda/{spec.name}",
            "AWS_EXECUTION_ENV": f"AWS_Lambda_{spec.runtime or 'python3.12'}",
            "LAMBDA_TASK_ROOT": str(code_dir),
            "_HANDLER": spec.handler,
        }
        return {**LAMBDA_BASE_ENVIRONMENT, **self._base_environment, **dict(spec.environment), **reserved}


def overlapping(invocations: list[Invocation]) -> int:
    """The largest number of `invocations` that were running at one moment."""
    edges = sorted([(item.started, 1) for item in invocations] + [(item.ended, -1) for item in invocations])
    running = most = 0
    for _, change in edges:  # at equal times an end (-1) sorts before a start: touching is not overlapping
        running += change
        most = max(most, running)
    return most


def _marshal(result: Any) -> str:
    """The response as the Lambda runtime's marshaller writes it, or the fault it reports instead."""
    if isinstance(result, bytes | bytearray):
        text = bytes(result).decode("utf-8", errors="replace")  # returned as it is, not as JSON
    else:
        try:
            text = json.dumps(result, default=_decimal_as_number)
        except (TypeError, ValueError) as error:
            raise _Fault(MARSHAL_ERROR, f"Unable to marshal response: {error}") from error
    if len(text.encode("utf-8")) > MAX_RESPONSE_BYTES:
        raise _Fault(
            RESPONSE_TOO_LARGE,
            f"Response payload size exceeded maximum allowed payload size ({MAX_RESPONSE_BYTES} bytes).",
        )
    return text


def _decimal_as_number(value: Any) -> Any:
    # The runtime's encoder writes a Decimal as a JSON number and refuses everything else it cannot encode.
    if isinstance(value, decimal.Decimal):
        return int(value) if value.is_finite() and value == value.to_integral_value() else float(value)
    raise TypeError(f"Object of type {type(value).__name__} is not JSON serializable")


def _fault_payload(fault: _Fault) -> str:
    return json.dumps({"errorMessage": str(fault), "errorType": fault.error_type, "requestId": "", "stackTrace": []})


def _error_payload(error: BaseException) -> dict[str, Any]:
    return {
        "errorMessage": str(error),
        "errorType": type(error).__name__,
        "requestId": str(uuid.uuid4()),
        "stackTrace": traceback.format_tb(error.__traceback__),
    }
