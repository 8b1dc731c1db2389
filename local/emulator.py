"""The local AWS: moto plus the patches, simulations and pollers that let the real template run.

    with Emulator() as emulator:                    # in-process (tests): moto's mock_aws
        outputs = emulator.deploy(Path("cdk.out"), "Tuneline")
        ...
    with Emulator(server=True) as emulator:         # a moto server on 127.0.0.1:<free port> (the demo)
    with Emulator(server=True, port=4566) as e:     # on a fixed port (`make emulator`)
        print(emulator.endpoint_url)

Schedules (EventBridge Scheduler) do not fire on their own; `emulator.run_schedule(...)` runs one firing, with
the schedule's target and input read from the deployed template (see `local.schedules`).

Both modes share one code path: moto's backends, the patches and the simulations live in this process;
server mode only adds an HTTP front door. Inside an already active `mock_aws`, the emulator reuses it.
Time is simulated (see `local.clock`): `speedup` simulated seconds pass per real second. Lambda functions run
in-process, in parallel, within their timeouts in real seconds times `lambda_timeout_scale` (see
`local.lambda_runtime`).
"""

from __future__ import annotations

import json
import os
import socket
import threading
import time
from concurrent.futures import ThreadPoolExecutor
from contextlib import ExitStack
from datetime import UTC, datetime
from pathlib import Path
from typing import Any
from unittest import mock

import boto3
from moto import mock_aws
from moto.core.models import botocore_stubber
from moto.moto_api._internal.models import moto_api_backend
from moto.server import ThreadedMotoServer
from moto.stepfunctions.responses import get_backend as stepfunctions_backend

from local import deploy as deployment
from local import event_delivery, history
from local import schedules as scheduling
from local.alerts import AlertInbox
from local.bedrock import BedrockSimulator, SimulationSettings
from local.bedrock.api import SimulatorRegistry
from local.clock import DEFAULT_SPEEDUP, SimulatedClock
from local.lambda_runtime import InProcessLambdaRuntime
from local.patches import MotoPatches, function_spec
from local.s3_store import MotoObjectStore
from local.sns_faults import PublishFaults
from local.sqs_poller import SqsEventSourcePoller, adopt_sqs_mappings

DEFAULT_ACCOUNT_ID = "123456789012"  # moto's default account
DEFAULT_REGION = "us-east-1"
TICK_SECONDS = 0.02
FINISHED = {"SUCCEEDED", "FAILED", "TIMED_OUT", "ABORTED"}


class Emulator:
    def __init__(
        self,
        *,
        server: bool = False,
        speedup: float = DEFAULT_SPEEDUP,
        region: str = DEFAULT_REGION,
        bedrock_settings: SimulationSettings | None = None,
        lambda_timeout_scale: float = 1.0,
        port: int | None = None,
    ) -> None:
        self.server = server
        # Server mode only: a fixed port for people driving the emulator by hand (`make emulator`); tests and
        # the demo take a free one.
        self.port = port
        self.region = region
        self.account_id = DEFAULT_ACCOUNT_ID
        self.clock = SimulatedClock(speedup)
        self.runtime = InProcessLambdaRuntime(timeout_scale=lambda_timeout_scale)
        self.stacks: dict[str, deployment.DeployedStack] = {}
        self.endpoint_url: str | None = None
        # SNS Publish refusals a test asks for (local/sns_faults.py).
        self.sns_faults = PublishFaults()
        self._bedrock_settings = bedrock_settings or SimulationSettings()
        self._bedrock = SimulatorRegistry(self._new_simulator)
        self._poller = SqsEventSourcePoller()
        self._executor = ThreadPoolExecutor(max_workers=4, thread_name_prefix="emulator-delivery")
        self._stack = ExitStack()
        self._stop_ticking = threading.Event()
        self._inbox: AlertInbox | None = None
        self._patches: MotoPatches | None = None
        self._ticker: threading.Thread | None = None

    # --- lifecycle --------------------------------------------------------------------------------------

    def __enter__(self) -> Emulator:
        try:
            self._start()
        except BaseException:
            self._stack.close()
            raise
        return self

    def __exit__(self, *exc_info: object) -> None:
        self._stop_ticking.set()
        if self._ticker is not None:
            self._ticker.join(timeout=10)
        self._poller.stop()
        if self._patches is not None:
            self._stop_running_executions()
            self._patches.executions.wait_until_idle(timeout=10)
        self._executor.shutdown(wait=True, cancel_futures=True)
        self.runtime.close()
        self._stack.close()

    def _start(self) -> None:
        environment = {
            "AWS_DEFAULT_REGION": self.region,
            "AWS_REGION": self.region,
            "AWS_ACCESS_KEY_ID": "testing",
            "AWS_SECRET_ACCESS_KEY": "testing",
            "AWS_SESSION_TOKEN": "testing",
        }
        if self.server:
            port = self.port or _free_port()
            self.endpoint_url = f"http://127.0.0.1:{port}"
            # MOTO_PORT: moto's Step Functions interpreter sends its service calls to localhost:MOTO_PORT.
            environment.update(
                {"AWS_ENDPOINT_URL": self.endpoint_url, "MOTO_PORT": str(port), "NO_PROXY": "127.0.0.1,localhost"}
            )
            self._stack.enter_context(mock.patch.dict(os.environ, environment))
            moto_api_backend.reset()
            self._stack.callback(moto_api_backend.reset)
            server = ThreadedMotoServer(ip_address="127.0.0.1", port=port, verbose=False)
            server.start()
            self._stack.callback(server.stop)
        else:
            self._stack.enter_context(mock.patch.dict(os.environ, environment))
            if not botocore_stubber.enabled:
                self._stack.enter_context(mock_aws())
        self.runtime.set_base_environment(environment)
        self._patches = self._stack.enter_context(
            MotoPatches(
                clock=self.clock,
                runtime=self.runtime,
                bedrock=self._bedrock,
                submit=self._submit,
                sns_faults=self.sns_faults,
            )
        )
        self._inbox = AlertInbox(self.client("sqs"), self.client("sns"))
        self._ticker = threading.Thread(target=self._tick, name="emulator-clock", daemon=True)
        self._ticker.start()
        self._poller.start()

    # --- AWS access -------------------------------------------------------------------------------------

    def client(self, service: str) -> Any:
        """A boto3 client for the emulated account (through the server's endpoint in server mode)."""
        return boto3.client(service, region_name=self.region, endpoint_url=self.endpoint_url)

    @property
    def bedrock(self) -> BedrockSimulator:
        """The Bedrock simulation: durations, queued failures and quota errors."""
        return self._bedrock.get(self.account_id, self.region)

    # --- deployment -------------------------------------------------------------------------------------

    def deploy(self, cdk_out: Path, stack_name: str) -> dict[str, str]:
        """Deploys a synthesized stack; returns its outputs."""
        stack = deployment.deploy(self.client, Path(cdk_out), stack_name, self.account_id, self.region)
        self.stacks[stack_name] = stack
        self._poller.add(adopt_sqs_mappings(self.account_id, self.region))
        assert self._inbox is not None
        for topic_arn in stack.physical_ids("AWS::SNS::Topic"):
            self._inbox.subscribe(topic_arn)
        return dict(stack.outputs)

    # --- schedules ---------------------------------------------------------------------------------------

    def schedules(self) -> list[scheduling.Schedule]:
        """The EventBridge Scheduler schedules of every deployed stack (moto's CloudFormation skips them)."""
        return [
            schedule
            for stack in self.stacks.values()
            for schedule in scheduling.schedules_of(stack, self.account_id, self.region)
        ]

    def run_schedule(
        self, name_or_logical_id: str | None = None, *, at: datetime | None = None
    ) -> scheduling.ScheduledRun:
        """Fires a schedule once, as Scheduler would at `at` (default: the simulated now).

        `name_or_logical_id` is the schedule's name, logical ID or the start of its logical ID (CDK appends a
        hash: "ServingJanitorSchedule" finds "ServingJanitorSchedule156D4995"); None picks the only schedule.
        A Lambda target runs synchronously and its result is returned; a state machine target gets an execution.
        A DISABLED schedule never fires, so asking for it is an error.
        """
        schedule = scheduling.find_schedule(self.schedules(), name_or_logical_id)
        if schedule.state != scheduling.ENABLED:
            raise scheduling.ScheduleError(f"Schedule {schedule.name} is {schedule.state}: Scheduler would not fire it")
        moment = at or self.clock.now()
        payload = scheduling.render_input(schedule.input_template, schedule=schedule, at=moment)
        if ":states:" in schedule.target_arn:
            started = self.client("stepfunctions").start_execution(stateMachineArn=schedule.target_arn, input=payload)
            return scheduling.ScheduledRun(schedule, moment, payload, None, False, started["executionArn"])
        if ":lambda:" not in schedule.target_arn:
            raise scheduling.ScheduleError(f"Schedule {schedule.name} targets {schedule.target_arn}: not supported")
        response = self.client("lambda").invoke(FunctionName=schedule.target_arn, Payload=payload.encode())
        body = response["Payload"].read()
        result = json.loads(body) if body else None
        return scheduling.ScheduledRun(schedule, moment, payload, result, "FunctionError" in response)

    # --- observing --------------------------------------------------------------------------------------

    def read_alerts(self, *, topic_arn: str | None = None, expected: int = 0, timeout: float = 10.0) -> list[dict]:
        """Messages published to the deployed stacks' topics: [{topic_arn, subject, message, ...}]."""
        assert self._inbox is not None
        return self._inbox.read(topic_arn=topic_arn, expected=expected, timeout=timeout)

    def executions(self, state_machine_arn: str) -> list[dict[str, Any]]:
        sfn = self.client("stepfunctions")
        return sfn.list_executions(stateMachineArn=state_machine_arn)["executions"]

    def wait_for_executions(self, state_machine_arn: str, count: int = 1, timeout: float = 60.0) -> list[dict]:
        """Waits until at least `count` executions exist and all have finished; returns their descriptions."""
        sfn = self.client("stepfunctions")
        deadline = time.monotonic() + timeout
        while True:
            listed = self.executions(state_machine_arn)
            if len(listed) >= count and all(self._finished(item) for item in listed):
                return [sfn.describe_execution(executionArn=item["executionArn"]) for item in listed]
            if time.monotonic() >= deadline:
                states = [item["status"] for item in listed]
                raise TimeoutError(f"{len(listed)} executions of {state_machine_arn} after {timeout}s: {states}")
            time.sleep(0.05)

    def _finished(self, execution: dict[str, Any]) -> bool:
        """Finished and announced: its status-change event (and any alert it triggers) is already out."""
        assert self._patches is not None
        return execution["status"] in FINISHED and not self._patches.executions.is_pending(execution["executionArn"])

    def execution_history(self, execution_arn: str) -> list[dict[str, Any]]:
        return history.execution_history(self.client("stepfunctions"), execution_arn)

    def state_transitions(self, execution_arn: str) -> int:
        """State transitions of an execution, as AWS bills them (one per state entered)."""
        return history.state_transitions(self.execution_history(execution_arn))

    def states_entered(self, execution_arn: str) -> list[str]:
        return history.states_entered(self.execution_history(execution_arn))

    # --- internals --------------------------------------------------------------------------------------

    def _new_simulator(self, account_id: str, region: str) -> BedrockSimulator:
        def publish(detail_type: str, detail: dict[str, Any], resources: list[str]) -> None:
            event_delivery.publish(account_id, region, "aws.bedrock", detail_type, detail, resources)

        simulator = BedrockSimulator(
            account_id=account_id,
            region=region,
            clock=self.clock,
            store=MotoObjectStore(account_id),
            publish_event=publish,
            settings=self._bedrock_settings,
        )

        def invoke_function(arn: str, event: Any) -> tuple[Any, bool]:
            # Gap: Bedrock invokes an RFT job's grader itself; the simulation calls the deployed function the
            # way Lambda's Invoke would run it here (in-process, local.lambda_runtime).
            from moto.awslambda.models import lambda_backends

            function = lambda_backends[account_id][region].get_function(arn)
            with self.clock.busy():
                result = self.runtime.invoke(function_spec(function), event)
            return result.payload, result.errored

        simulator.invoke_function = invoke_function
        return simulator

    def _submit(self, work: Any) -> None:
        self._executor.submit(work)

    def _tick(self) -> None:
        while not self._stop_ticking.wait(TICK_SECONDS):
            for simulator in self._bedrock.all():
                simulator.advance()

    def _stop_running_executions(self) -> None:
        """Stops what is still running, so no worker thread outlives the patches."""
        backend = stepfunctions_backend(self.account_id, self.region)
        for state_machine in list(getattr(backend, "state_machines", [])):
            for execution in list(state_machine.executions):
                if getattr(execution, "status", None) == "RUNNING":
                    execution.stop(stop_date=datetime.now(UTC), error="States.Aborted", cause="Emulator stopped")


def _free_port() -> int:
    with socket.socket(socket.AF_INET, socket.SOCK_STREAM) as probe:
        probe.bind(("127.0.0.1", 0))
        return int(probe.getsockname()[1])
