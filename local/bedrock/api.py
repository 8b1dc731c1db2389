"""Serves the simulated Bedrock behind moto's HTTP routing (decorator mode and server mode alike).

moto registers `BedrockResponse.dispatch` for every `bedrock.<region>.amazonaws.com` path; the emulator
points that class's `_dispatch` at `SimulatedBedrockResponse`, which parses the request with the botocore
service model, runs the operation on the account/region's simulator and serializes the answer (timestamps
included) with moto's model-driven serializer.
"""

from __future__ import annotations

import threading
import uuid
from collections.abc import Callable
from typing import Any

from moto.core.exceptions import ServiceException
from moto.core.responses import TYPE_RESPONSE, ActionResult, BaseResponse

from local.bedrock.errors import BedrockError
from local.bedrock.simulator import BedrockSimulator

SimulatorFactory = Callable[[str, str], BedrockSimulator]


class SimulatedServiceError(ServiceException):
    """A Bedrock error for moto's serializer (defined here so it is looked up in the Bedrock model)."""


class SimulatorRegistry:
    """One simulator per (account, region), created on first use."""

    def __init__(self, factory: SimulatorFactory) -> None:
        self._factory = factory
        self._simulators: dict[tuple[str, str], BedrockSimulator] = {}
        self._lock = threading.Lock()

    def get(self, account_id: str, region: str) -> BedrockSimulator:
        with self._lock:
            key = (account_id, region)
            if key not in self._simulators:
                self._simulators[key] = self._factory(account_id, region)
            return self._simulators[key]

    def all(self) -> list[BedrockSimulator]:
        with self._lock:
            return list(self._simulators.values())


class SimulatedBedrockResponse(BaseResponse):
    registry: SimulatorRegistry | None = None

    def __init__(self) -> None:
        super().__init__(service_name="bedrock")
        self.automated_parameter_parsing = True

    def call_action(self) -> TYPE_RESPONSE:
        operation = self._get_action()
        if self.registry is None or not operation:
            return 404, {}, ""
        add_request_id(self)
        simulator = self.registry.get(self.current_account, self.region)
        if not simulator.handles(operation):
            raise NotImplementedError(f"The simulated Bedrock has no {operation} operation")
        params = dict(self.params)
        try:
            result: object = simulator.call(operation, params)
        except BedrockError as error:
            result = SimulatedServiceError(error.code, error.message)
        return self.serialized(ActionResult(result))


def add_request_id(response: BaseResponse) -> None:
    """AWS answers every request with a request ID; botocore reads it into `ResponseMetadata.RequestId`, and
    Step Functions quotes it in the cause of an aws-sdk task's error (moto's interpreter fails without it)."""
    response.response_headers["x-amzn-RequestId"] = str(uuid.uuid4())


def dispatch_to_simulation(
    _moto_response: BaseResponse, request: Any, full_url: str | None = None, headers: Any = None
) -> TYPE_RESPONSE:
    """Replacement for `BedrockResponse._dispatch`: same request, served by the simulation."""
    return SimulatedBedrockResponse()._dispatch(request, full_url, headers)
