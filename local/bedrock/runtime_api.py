"""Serves the simulated bedrock-runtime (InvokeModel, Converse) behind moto's HTTP routing.

moto routes every `bedrock-runtime.<region>.amazonaws.com` request to `BedrockRuntimeResponse.dispatch`; the
emulator points that class's `_dispatch` here (see `local.patches`). The request is parsed with the botocore
service model, answered by the account/region's simulator (`local.bedrock.inference`) and serialized by moto's
model-driven serializer, errors included, in decorator and server mode alike.
"""

from __future__ import annotations

from typing import Any

from moto.core.exceptions import ServiceException
from moto.core.responses import TYPE_RESPONSE, ActionResult, BaseResponse

from local.bedrock.api import SimulatorRegistry, add_request_id
from local.bedrock.errors import BedrockError


class SimulatedRuntimeError(ServiceException):
    """A bedrock-runtime error for moto's serializer (looked up in the bedrock-runtime model for its status)."""


class SimulatedRuntimeResponse(BaseResponse):
    registry: SimulatorRegistry | None = None

    def __init__(self) -> None:
        super().__init__(service_name="bedrock-runtime")
        self.automated_parameter_parsing = True

    def call_action(self) -> TYPE_RESPONSE:
        operation = self._get_action()
        if self.registry is None or not operation:
            return 404, {}, ""
        add_request_id(self)
        simulator = self.registry.get(self.current_account, self.region)
        if not simulator.handles_runtime(operation):
            raise NotImplementedError(f"The simulated bedrock-runtime has no {operation} operation")
        try:
            result: object = simulator.call_runtime(operation, dict(self.params))
        except BedrockError as error:
            result = SimulatedRuntimeError(error.code, error.message)
        return self.serialized(ActionResult(result))


def dispatch_to_runtime_simulation(
    _moto_response: BaseResponse, request: Any, full_url: str | None = None, headers: Any = None
) -> TYPE_RESPONSE:
    """Replacement for `BedrockRuntimeResponse._dispatch`: same request, answered by the simulation."""
    return SimulatedRuntimeResponse()._dispatch(request, full_url, headers)
