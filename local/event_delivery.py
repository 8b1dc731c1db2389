"""EventBridge deliveries moto cannot make, and the events AWS services emit that moto does not.

- Rule targets: moto 5.2.5 delivers to SQS, CloudWatch Logs, archives and other buses only; an SNS, Lambda
  or Step Functions target makes `put_events` raise NotImplementedError. `RuleTargets` delivers those three
  the way EventBridge does (Lambda and Step Functions asynchronously) and leaves the rest to moto.
- `Step Functions Execution Status Change`: AWS emits one on the default bus when an execution starts and
  when it ends; moto's interpreter emits none.
- Bedrock's `Model Customization Job State Change` goes through `publish`, called by the simulation.
"""

from __future__ import annotations

import copy
import json
import uuid
from collections.abc import Callable
from typing import Any

from moto.awslambda.utils import get_backend as lambda_backend
from moto.events.models import Rule, events_backends
from moto.sns.models import sns_backends
from moto.stepfunctions.responses import get_backend as stepfunctions_backend

from local.event_input import as_message, target_input

Submit = Callable[[Callable[[], None]], None]
HANDLED_SERVICES = ("sns", "lambda", "states")


def publish(
    account_id: str, region: str, source: str, detail_type: str, detail: dict[str, Any], resources: list[str]
) -> None:
    """Puts one event on the default bus, as an AWS service does."""
    entry = {"Source": source, "DetailType": detail_type, "Detail": json.dumps(detail), "Resources": resources}
    events_backends[account_id][region].put_events([entry])


def _service(arn: str) -> str:
    return arn.split(":")[2] if arn.count(":") >= 5 else ""


class RuleTargets:
    """Replacement for `Rule.send_to_targets`, built around moto's original."""

    def __init__(self, original: Callable[..., None], submit: Submit) -> None:
        self._original = original
        self._submit = submit

    def send_to_targets(self, rule: Rule, event: dict[str, Any], transform_input: bool = True) -> None:
        if not rule.event_pattern.matches_event(event):  # type: ignore[arg-type]
            return
        ours = [t for t in rule.targets if _service(t["Arn"]) in HANDLED_SERVICES]
        theirs = [t for t in rule.targets if _service(t["Arn"]) not in HANDLED_SERVICES]
        if theirs:
            native = copy.copy(rule)
            native.targets = theirs
            self._original(native, event, transform_input)
        for target in ours:
            payload = target_input(target, event, rule.name) if transform_input else event
            self._deliver(rule, target, payload)

    def _deliver(self, rule: Rule, target: dict[str, Any], payload: Any) -> None:
        arn = target["Arn"]
        service = _service(arn)
        account_id, region = rule.account_id, rule.region_name
        if service == "sns":
            sns_backends[account_id][region].publish(as_message(payload), arn=arn)
        elif service == "lambda":
            body = as_message(payload)
            self._submit(lambda: _invoke_async(account_id, region, arn, body))
        elif service == "states":
            body = as_message(payload)
            self._submit(lambda: _start_execution(account_id, region, arn, body))


def _invoke_async(account_id: str, region: str, function_arn: str, body: str) -> None:
    lambda_backend(account_id, region).invoke(
        function_name=function_arn,
        qualifier=None,
        body=body,
        headers={"x-amz-invocation-type": "Event"},
        response_headers={},
    )


def _start_execution(account_id: str, region: str, state_machine_arn: str, body: str) -> None:
    stepfunctions_backend(account_id, region).start_execution(
        state_machine_arn, name=str(uuid.uuid4()), execution_input=body
    )


def execution_status_detail(execution: Any) -> dict[str, Any]:
    """The `detail` of `Step Functions Execution Status Change` (dates in epoch milliseconds, as AWS)."""
    status = execution.exec_status.value if hasattr(execution.exec_status, "value") else str(execution.exec_status)

    def millis(moment: Any) -> int | None:
        return int(moment.timestamp() * 1000) if moment is not None else None

    output = None
    if status == "SUCCEEDED" and execution.output is not None:
        output = json.dumps(execution.output, separators=(",", ":"), default=str)
    return {
        "executionArn": execution.exec_arn,
        "stateMachineArn": execution.state_machine_arn,
        "name": execution.name,
        "status": status,
        "startDate": millis(execution.start_date),
        "stopDate": millis(execution.stop_date),
        "input": json.dumps(execution.input_data, separators=(",", ":"), default=str),
        "output": output,
        "inputDetails": {"included": True},
        "outputDetails": {"included": True} if output is not None else None,
        "error": execution.error,
        "cause": execution.cause,
    }


def publish_execution_status(execution: Any) -> None:
    publish(
        execution.account_id,
        execution.region_name,
        "aws.states",
        "Step Functions Execution Status Change",
        execution_status_detail(execution),
        [execution.exec_arn],
    )
