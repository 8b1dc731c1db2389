"""A handler's environment is its thread's own: other threads keep reading the process's variables.

The in-process Lambda runtime used to swap the process-wide `os.environ` for each invocation; a thread that
iterated it meanwhile (botocore's proxy lookup, while creating a client) raised KeyError for a key the
restore had just removed, and a workflow step failed with `Exception: 'AWS_LAMBDA_...'`.
"""

from __future__ import annotations

import io
import os
import sys
import threading
import urllib.request
import uuid
import zipfile
from collections.abc import Iterator
from typing import Any

import pytest

from local.lambda_runtime import FunctionSpec, InProcessLambdaRuntime
from local.thread_environment import install, process_variables, thread_environment

READS_DURING_INVOCATIONS = 1000


def in_other_thread(read: Any) -> Any:
    """What `read()` returns when another thread calls it."""
    seen: list[Any] = []
    reader = threading.Thread(target=lambda: seen.append(read()))
    reader.start()
    reader.join()
    return seen[0]


@pytest.fixture
def probe_name() -> str:
    return f"TUNELINE_PROBE_{uuid.uuid4().hex.upper()}"


def test_the_thread_sees_exactly_its_variables_and_other_threads_see_the_process(probe_name: str) -> None:
    before = dict(os.environ)
    with thread_environment({probe_name: "mine", "PATH": "/only/mine"}):
        assert dict(os.environ) == {probe_name: "mine", "PATH": "/only/mine"}
        assert os.getenv(probe_name) == "mine" and probe_name in os.environ
        assert in_other_thread(lambda: dict(os.environ)) == before
    assert dict(os.environ) == before


def test_blocks_nest_and_the_outer_variables_come_back(probe_name: str) -> None:
    with thread_environment({probe_name: "outer"}):
        with thread_environment({probe_name: "inner", "ONLY_INNER": "1"}):
            assert dict(os.environ) == {probe_name: "inner", "ONLY_INNER": "1"}
        assert dict(os.environ) == {probe_name: "outer"}
    assert probe_name not in os.environ


def test_writes_inside_a_block_stay_in_the_threads_view(probe_name: str) -> None:
    try:
        with thread_environment({"A": "1"}):
            os.environ[probe_name] = "written"
            del os.environ["A"]
            assert dict(os.environ) == {probe_name: "written"}
            assert in_other_thread(lambda: os.environ.get(probe_name)) is None
        assert probe_name not in os.environ
    finally:
        os.unsetenv(probe_name)  # putenv still reached the C-level environment


def test_process_variables_are_the_process_view_even_inside_a_block(probe_name: str) -> None:
    with thread_environment({probe_name: "mine"}):
        outside = process_variables()
    assert probe_name not in outside
    assert outside == dict(os.environ)


def test_environb_reads_the_same_view(probe_name: str) -> None:
    with thread_environment({probe_name: "mine"}):
        assert os.environb[probe_name.encode()] == b"mine"
    assert probe_name.encode() not in os.environb


def test_installing_twice_keeps_one_view_and_the_process_variables() -> None:
    assert install() is install()
    assert os.environ.get("PATH") == process_variables().get("PATH")


# --- through the Lambda runtime -------------------------------------------------------------------------


def handler_zip(module: str, source: str) -> bytes:
    buffer = io.BytesIO()
    with zipfile.ZipFile(buffer, "w") as archive:
        archive.writestr(f"{module}.py", source)
    return buffer.getvalue()


def function_spec(module: str, source: str, environment: dict[str, str]) -> FunctionSpec:
    code = handler_zip(module, source)
    return FunctionSpec(
        name=module,
        arn=f"arn:aws:lambda:us-east-1:123456789012:function:{module}",
        handler=f"{module}.handler",
        runtime="python3.12",
        code_zip=code,
        code_sha256=uuid.uuid4().hex,
        environment=environment,
        memory_mb=128,
        timeout_seconds=30,
        region="us-east-1",
    )


@pytest.fixture
def module_name() -> Iterator[str]:
    name = f"thread_env_handler_{uuid.uuid4().hex}"
    yield name
    sys.modules.pop(name, None)


def test_a_running_handler_changes_nothing_other_threads_read(module_name: str, probe_name: str) -> None:
    source = (
        "import os, threading\n"
        "inside, release = threading.Event(), threading.Event()\n"
        "def handler(event, context):\n"
        "    inside.set()\n"
        "    release.wait(30)\n"
        f"    return {{'probe': os.environ[{probe_name!r}], 'name': os.environ['AWS_LAMBDA_FUNCTION_NAME']}}\n"
    )
    runtime = InProcessLambdaRuntime()
    spec = function_spec(module_name, source, {probe_name: "function value"})
    before = dict(os.environ)
    results: list[Any] = []
    invoker = threading.Thread(target=lambda: results.append(runtime.invoke(spec, {})))
    invoker.start()
    try:
        handler_module = _wait_for_module(module_name)
        assert handler_module.inside.wait(30)
        assert dict(os.environ) == before  # this thread, while the handler runs in the other one
    finally:
        _wait_for_module(module_name).release.set()
        invoker.join()
    [invocation] = results
    assert not invocation.errored, invocation.logs
    assert invocation.payload == f'{{"probe": "function value", "name": "{module_name}"}}'
    assert dict(os.environ) == before


def test_iterating_the_environment_during_invocations_never_fails(module_name: str) -> None:
    # The read botocore makes while creating a client; sys.setswitchinterval makes thread switches
    # (and so the old failure) frequent enough to show within a few thousand reads.
    runtime = InProcessLambdaRuntime()
    spec = function_spec(module_name, "def handler(event, context):\n    return 1\n", {"FUNCTION_ONLY": "1"})
    stop = threading.Event()

    def keep_invoking() -> None:
        while not stop.is_set():
            runtime.invoke(spec, {})

    invoker = threading.Thread(target=keep_invoking)
    interval = sys.getswitchinterval()
    sys.setswitchinterval(1e-4)
    invoker.start()
    failures: list[str] = []
    foreign_reads = 0
    try:
        for _ in range(READS_DURING_INVOCATIONS):
            try:
                urllib.request.getproxies_environment()
            except KeyError as error:
                failures.append(str(error))
            foreign_reads += "FUNCTION_ONLY" in os.environ
    finally:
        stop.set()
        invoker.join()
        sys.setswitchinterval(interval)
    assert failures == []
    assert foreign_reads == 0
    assert len(runtime.invocations) > 1 and not any(invocation.errored for _, invocation in runtime.invocations)


def _wait_for_module(name: str) -> Any:
    """The handler module, once the invoking thread has imported it."""
    pause = threading.Event()
    for _ in range(3000):
        if name in sys.modules:
            return sys.modules[name]
        pause.wait(0.01)
    raise AssertionError(f"the handler module {name} was never imported")
