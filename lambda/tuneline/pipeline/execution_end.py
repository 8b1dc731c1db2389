"""A workflow execution that ended (EventBridge `Step Functions Execution Status Change`): what ended it, and
whether the workflow's own failure alert already went out.

A FAILED execution that went through the workflow's failure branch ends in a Fail state whose error is one of
FAILURE_ALERT_SENT_ERRORS: it alerted and released what it bought already. Any other FAILED execution (an error
no Catch handles, or a failure alert that could not be sent), and every timed-out or aborted one, did not.
"""

from __future__ import annotations

import logging
from collections.abc import Mapping
from dataclasses import dataclass
from typing import Any

from botocore.exceptions import ClientError

from tuneline.errors import FAILURE_ALERT_SENT_ERRORS

logger = logging.getLogger(__name__)

FAILED = "FAILED"


@dataclass(frozen=True)
class ExecutionEnd:
    status: str
    error: str | None = None
    cause: str | None = None

    @property
    def alert_sent(self) -> bool:
        """The workflow reached a Fail state after its own failure alert went out."""
        return self.status == FAILED and self.error in FAILURE_ALERT_SENT_ERRORS


def read_execution_end(detail: Mapping[str, Any], *, stepfunctions: Any) -> ExecutionEnd:
    """The status of an ended execution, with the error and cause of a FAILED one.

    The event carries them; when it does not, DescribeExecution does. If even that cannot be read, the error
    stays unknown: the caller alerts rather than risk staying silent.
    """
    status = str(detail.get("status") or "")
    error, cause = detail.get("error"), detail.get("cause")
    execution_arn = detail.get("executionArn")
    if status == FAILED and not error and execution_arn:
        try:
            described = stepfunctions.describe_execution(executionArn=execution_arn)
        except ClientError:
            logger.exception("could not read the error of execution %s", execution_arn)
        else:
            error, cause = described.get("error"), described.get("cause")
    return ExecutionEnd(status, str(error) if error else None, str(cause) if cause else None)
