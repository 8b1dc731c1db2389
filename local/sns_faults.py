"""Fault injection for SNS Publish: make the alert topic refuse messages the way AWS sometimes does.

moto's SNS always accepts a publish. AWS can refuse one: `KMSThrottling` when the topic's KMS key is
throttled, `InternalError` (HTTP 500) on a service fault. Tests use this knob to check that a refused alert
never decides a job's fate (docs/decisions/0014-alerts-never-decide-a-job.md):

    emulator.sns_faults.fail_next(1, subject_contains="training started")            # one KMSThrottling
    emulator.sns_faults.fail_always(error="InternalError", subject_contains="completed")

A refused publish reaches no subscriber, so the alert inbox never sees it; `refused` lists what was refused.
"""

from __future__ import annotations

import threading
from dataclasses import dataclass

from moto.sns.exceptions import InternalError, SNSException

KMS_THROTTLING = "KMSThrottling"
INTERNAL_ERROR = "InternalError"


@dataclass
class _Fault:
    error: str
    subject_contains: str | None
    remaining: int | None  # None: every matching publish


class PublishFaults:
    def __init__(self) -> None:
        self._lock = threading.Lock()
        self._faults: list[_Fault] = []
        self.refused: list[tuple[str | None, str]] = []  # (subject, error) of every refused publish

    def fail_next(self, count: int = 1, *, error: str = KMS_THROTTLING, subject_contains: str | None = None) -> None:
        """The next `count` publishes (whose subject contains `subject_contains`, if given) are refused."""
        with self._lock:
            self._faults.append(_Fault(error, subject_contains, count))

    def fail_always(self, *, error: str = KMS_THROTTLING, subject_contains: str | None = None) -> None:
        with self._lock:
            self._faults.append(_Fault(error, subject_contains, None))

    def clear(self) -> None:
        with self._lock:
            self._faults.clear()

    def check(self, subject: str | None) -> None:
        """Raises the error AWS would answer this publish with, if a fault applies to it."""
        with self._lock:
            for fault in self._faults:
                if fault.subject_contains is not None and fault.subject_contains not in (subject or ""):
                    continue
                if fault.remaining is not None:
                    fault.remaining -= 1
                    if fault.remaining <= 0:
                        self._faults.remove(fault)
                self.refused.append((subject, fault.error))
                raise _error(fault.error)


def _error(code: str) -> SNSException:
    if code == INTERNAL_ERROR:
        return InternalError("Request could not be completed due to an internal error (emulated fault)")
    return SNSException(code, f"{code}: the topic's request was refused (emulated fault)")
