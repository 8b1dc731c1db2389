"""The in-process Lambda runtime enforces what Lambda enforces: the timeout, a JSON response of at most 6 MB,
an importable handler; and it runs invocations in parallel, one at a time per execution environment.

Handlers here are tiny modules written into a zip, as CDK would package them. Nothing asserts how long
anything took: the tests assert the error Lambda would report and what the handler could or could not do.
"""

from __future__ import annotations

import ast
import io
import json
import sys
import threading
import uuid
import zipfile
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest

from local.lambda_runtime import (
    MAX_RESPONSE_BYTES,
    FunctionSpec,
    InProcessLambdaRuntime,
    Invocation,
    LambdaTimeout,
    overlapping,
)

ROOT = Path(__file__).resolve().parents[3]
PACKAGE = ROOT / "lambda" / "tuneline"
# The scale makes a 1-second timeout last 50 ms; tests that do not test the timeout keep Lambda's 900 seconds
# (45 s here), so a loaded machine never times them out.
FAST_TIMEOUTS = 0.05


@pytest.fixture
def module_name() -> Iterator[str]:
    name = f"runtime_handler_{uuid.uuid4().hex}"
    yield name
    sys.modules.pop(name, None)


@pytest.fixture
def runtime() -> Iterator[InProcessLambdaRuntime]:
    running = InProcessLambdaRuntime(timeout_scale=FAST_TIMEOUTS)
    yield running
    running.close()


def function_spec(module: str, source: str, *, timeout_seconds: int = 900, name: str | None = None) -> FunctionSpec:
    buffer = io.BytesIO()
    with zipfile.ZipFile(buffer, "w") as archive:
        archive.writestr(f"{module}.py", source)
    return FunctionSpec(
        name=name or module,
        arn=f"arn:aws:lambda:us-east-1:123456789012:function:{name or module}",
        handler=f"{module}.handler",
        runtime="python3.14",
        code_zip=buffer.getvalue(),
        code_sha256=uuid.uuid4().hex,
        environment={},
        memory_mb=128,
        timeout_seconds=timeout_seconds,
        region="us-east-1",
    )


def error_of(invocation: Invocation) -> dict[str, Any]:
    assert invocation.errored, invocation.payload
    return dict(json.loads(invocation.payload))


# --- timeout -----------------------------------------------------------------------------------------------


def test_an_invocation_past_its_timeout_fails_as_sandbox_timedout_and_its_handler_is_stopped(
    runtime: InProcessLambdaRuntime, module_name: str
) -> None:
    # At least 5 real seconds of work, against a timeout of 2 s x FAST_TIMEOUTS = 0.1 s.
    source = (
        "import time\n"
        "state = {'finished': False}\n"
        "def handler(event, context):\n"
        "    for _ in range(5000):\n"  # busy in Python between short sleeps, so the stop takes effect at once
        "        time.sleep(0.001)\n"
        "    state['finished'] = True\n"
    )
    spec = function_spec(module_name, source, timeout_seconds=2)

    invocation = runtime.invoke(spec, {})

    error = error_of(invocation)
    assert error["errorType"] == "Sandbox.Timedout"
    assert error["errorMessage"] == f"RequestId: {invocation.request_id} Error: Task timed out after 2.00 seconds"
    for environment in [thread for thread in threading.enumerate() if thread.name.endswith(invocation.environment)]:
        environment.join(timeout=30)
        assert not environment.is_alive(), "the timed-out handler kept running"
    assert sys.modules[module_name].state == {"finished": False}


def test_the_handler_sees_the_time_it_has_left_and_except_exception_cannot_swallow_the_stop(
    runtime: InProcessLambdaRuntime, module_name: str
) -> None:
    source = (
        "import time\n"
        "seen = {}\n"
        "def handler(event, context):\n"
        "    seen['left_ms'] = context.get_remaining_time_in_millis()\n"
        "    try:\n"
        "        while True:\n"
        "            time.sleep(0.001)\n"
        "    except Exception:\n"
        "        seen['swallowed'] = True\n"
        "        return 'caught'\n"
    )
    spec = function_spec(module_name, source, timeout_seconds=1)

    invocation = runtime.invoke(spec, {})

    assert error_of(invocation)["errorType"] == "Sandbox.Timedout"
    seen = sys.modules[module_name].seen
    assert 0 < seen["left_ms"] <= 1000 * FAST_TIMEOUTS
    assert "swallowed" not in seen


def test_a_timed_out_environment_is_replaced_and_the_next_invocation_starts_cold(
    runtime: InProcessLambdaRuntime, module_name: str
) -> None:
    source = (
        "import time\n"
        "def handler(event, context):\n"
        "    while event.get('hang'):\n"
        "        time.sleep(0.001)\n"
        "    return 'done'\n"
    )
    spec = function_spec(module_name, source, timeout_seconds=20)  # 1 s here: ample for the ones that return

    hung = runtime.invoke(spec, {"hang": True})
    after = runtime.invoke(spec, {})
    warm = runtime.invoke(spec, {})

    assert error_of(hung)["errorType"] == "Sandbox.Timedout"
    assert (after.payload, after.errored) == ('"done"', False)
    assert after.environment != hung.environment and after.cold_start
    assert warm.environment == after.environment and not warm.cold_start


# --- the response ------------------------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("returned", "message"),
    [
        ("datetime.datetime(2026, 12, 7)", "Object of type datetime is not JSON serializable"),
        ("{'ids': {1, 2}}", "Object of type set is not JSON serializable"),
        ("object()", "Object of type object is not JSON serializable"),
    ],
)
def test_a_response_that_is_not_json_fails_as_a_marshal_error(
    runtime: InProcessLambdaRuntime, module_name: str, returned: str, message: str
) -> None:
    source = f"import datetime\ndef handler(event, context):\n    return {returned}\n"

    error = error_of(runtime.invoke(function_spec(module_name, source), {}))

    assert error["errorType"] == "Runtime.MarshalError"
    assert error["errorMessage"] == f"Unable to marshal response: {message}"


def test_json_values_decimals_and_bytes_are_returned_as_lambda_returns_them(
    runtime: InProcessLambdaRuntime, module_name: str
) -> None:
    source = (
        "import decimal\n"
        "def handler(event, context):\n"
        "    if event == 'bytes':\n"
        "        return b'raw'\n"
        "    return {'n': decimal.Decimal('2'), 'x': decimal.Decimal('0.5'), 'list': (1, 'a'), 'none': None}\n"
    )
    spec = function_spec(module_name, source)

    as_json = runtime.invoke(spec, {})
    as_bytes = runtime.invoke(spec, "bytes")

    assert json.loads(as_json.payload) == {"n": 2, "x": 0.5, "list": [1, "a"], "none": None}
    assert (as_bytes.payload, as_bytes.errored) == ("raw", False)


def test_a_response_above_6_mb_fails_as_too_large(runtime: InProcessLambdaRuntime, module_name: str) -> None:
    source = "def handler(event, context):\n    return 'x' * event\n"
    spec = function_spec(module_name, source)

    fits = runtime.invoke(spec, MAX_RESPONSE_BYTES - 2)  # the quotes make it exactly the limit
    too_large = runtime.invoke(spec, MAX_RESPONSE_BYTES - 1)

    assert not fits.errored
    assert error_of(too_large) == {
        "errorMessage": "Response payload size exceeded maximum allowed payload size (6291556 bytes).",
        "errorType": "Function.ResponseSizeTooLarge",
        "requestId": "",
        "stackTrace": [],
    }


# --- loading the handler -----------------------------------------------------------------------------------


def test_a_module_that_cannot_be_imported_fails_as_an_import_module_error(
    runtime: InProcessLambdaRuntime, module_name: str
) -> None:
    error = error_of(runtime.invoke(function_spec(module_name, "import no_such_module_here\n"), {}))
    assert error["errorType"] == "Runtime.ImportModuleError"
    assert error["errorMessage"] == f"Unable to import module '{module_name}': No module named 'no_such_module_here'"


def test_a_missing_handler_function_fails_as_handler_not_found(
    runtime: InProcessLambdaRuntime, module_name: str
) -> None:
    error = error_of(runtime.invoke(function_spec(module_name, "def other(event, context):\n    pass\n"), {}))
    assert error["errorType"] == "Runtime.HandlerNotFound"
    assert error["errorMessage"] == f"Handler 'handler' missing on module '{module_name}'"


def test_a_handler_exception_is_the_invocations_error(runtime: InProcessLambdaRuntime, module_name: str) -> None:
    source = "class Rejected(Exception):\n    pass\ndef handler(event, context):\n    raise Rejected('no')\n"
    invocation = runtime.invoke(function_spec(module_name, source), {})
    assert (error_of(invocation)["errorType"], error_of(invocation)["errorMessage"]) == ("Rejected", "no")
    assert invocation.error_type == "Rejected"
    assert "Traceback" in invocation.logs


# --- concurrency -------------------------------------------------------------------------------------------


def test_invocations_that_arrive_together_run_in_parallel_each_in_its_own_environment(
    module_name: str,
) -> None:
    # All three handlers must be inside at once for any of them to return: impossible when serialized.
    source = (
        "import threading\n"
        "together = threading.Barrier(3, timeout=30)\n"
        "def handler(event, context):\n"
        "    together.wait()\n"
        "    return threading.current_thread().name\n"
    )
    runtime = InProcessLambdaRuntime()  # real timeouts: the barrier may take a while on a loaded machine
    spec = function_spec(module_name, source, timeout_seconds=60)
    results: list[Invocation] = []
    callers = [threading.Thread(target=lambda: results.append(runtime.invoke(spec, {}))) for _ in range(3)]
    try:
        for caller in callers:
            caller.start()
        for caller in callers:
            caller.join()
    finally:
        runtime.close()

    assert [result.errored for result in results] == [False] * 3, [result.payload for result in results]
    assert len({result.environment for result in results}) == 3
    assert len({json.loads(result.payload) for result in results}) == 3  # three threads ran the handler
    assert all(result.cold_start for result in results)
    assert overlapping(results) == 3


def test_an_environment_serves_one_invocation_at_a_time_and_is_reused_while_warm(
    runtime: InProcessLambdaRuntime, module_name: str
) -> None:
    source = "import threading\ndef handler(event, context):\n    return threading.current_thread().name\n"
    spec = function_spec(module_name, source)

    first, second = runtime.invoke(spec, {}), runtime.invoke(spec, {})

    assert first.environment == second.environment
    assert first.payload == second.payload
    assert (first.cold_start, second.cold_start) == (True, False)
    assert overlapping([first, second]) == 1


def test_hold_starts_the_next_invocations_of_a_handler_together(module_name: str) -> None:
    source = "def handler(event, context):\n    return event\n"
    runtime = InProcessLambdaRuntime()
    spec = function_spec(module_name, source, timeout_seconds=60)
    results: list[Invocation] = []
    with runtime.hold(spec.handler, parties=2, timeout=30):
        callers = [threading.Thread(target=lambda n=n: results.append(runtime.invoke(spec, n))) for n in range(2)]
        for caller in callers:
            caller.start()
        for caller in callers:
            caller.join()
    later = runtime.invoke(spec, 9)  # the hold let two through: a third is not held
    runtime.close()

    assert sorted(json.loads(result.payload) for result in results) == [0, 1]
    assert overlapping(results) == 2
    assert later.payload == "9"


def test_overlapping_counts_invocations_running_at_one_moment() -> None:
    def ran(started: float, ended: float) -> Invocation:
        return Invocation("null", False, "", ended - started, started=started, ended=ended)

    assert overlapping([]) == 0
    assert overlapping([ran(0, 1), ran(1, 2)]) == 1  # one ended as the other started
    assert overlapping([ran(0, 3), ran(1, 2), ran(1.5, 4), ran(5, 6)]) == 3


def test_the_product_keeps_boto3_clients_per_thread(module_name: str) -> None:
    """Clients made in one environment are never handed to another (sessions are not thread-safe)."""
    from tuneline.pipeline import clients

    seen: list[Any] = []
    barrier = threading.Barrier(2, timeout=30)

    def make() -> None:
        barrier.wait()
        seen.append(clients.client("s3"))
        seen.append(clients.client("s3"))

    workers = [threading.Thread(target=make) for _ in range(2)]
    for worker in workers:
        worker.start()
    for worker in workers:
        worker.join()

    assert seen[0] is seen[1] and seen[2] is seen[3]  # reused within a thread
    assert len({id(item) for item in seen}) == 2  # never shared across threads


def test_the_runtime_package_keeps_no_mutable_state_at_module_level_but_the_client_cache() -> None:
    """Module globals are shared by every environment in the emulator (one process), so parallel invocations are
    faithful only while the runtime package keeps none: no `global` statements, no function caches, no
    module-level lists, dicts or sets that code could change; the per-thread client cache is the exception."""
    allowed = {"pipeline/clients.py"}
    offenders: list[str] = []
    for path in sorted(PACKAGE.rglob("*.py")):
        relative = path.relative_to(PACKAGE).as_posix()
        if relative in allowed:
            continue
        tree = ast.parse(path.read_text(encoding="utf-8"))
        for node in ast.walk(tree):
            if isinstance(node, ast.Global):
                offenders.append(f"{relative}:{node.lineno}: global {', '.join(node.names)}")
            if isinstance(node, ast.FunctionDef | ast.AsyncFunctionDef):
                for decorator in node.decorator_list:
                    name = ast.unparse(decorator).split("(")[0].rsplit(".", 1)[-1]
                    if name in {"cache", "lru_cache"}:  # a cache per process (cached_property is per object)
                        offenders.append(f"{relative}:{node.lineno}: @{name} on {node.name}")
        for statement in tree.body:
            value = statement.value if isinstance(statement, ast.Assign | ast.AnnAssign) else None
            mutable = isinstance(value, ast.List | ast.Dict | ast.Set | ast.ListComp | ast.DictComp | ast.SetComp)
            name = _module_level_name(statement)
            if mutable and name.lstrip("_").islower() and not name.startswith("__"):
                offenders.append(f"{relative}:{statement.lineno}: {name}")
    assert offenders == []


def _module_level_name(statement: ast.stmt) -> str:
    targets = statement.targets if isinstance(statement, ast.Assign) else [getattr(statement, "target", None)]
    names = [target.id for target in targets if isinstance(target, ast.Name)]
    return names[0] if names else ""


def test_lambda_timeout_is_not_an_exception_handlers_catch() -> None:
    assert not issubclass(LambdaTimeout, Exception)
