"""Simulated time: an hour of Bedrock training or a 5-minute Wait state costs a fraction of a real second.

One `SimulatedClock` drives everything that waits in the emulator:
- Bedrock jobs, throughput, deployments and imports finish when simulated time has passed their duration;
- Step Functions Wait states and Retry intervals wait for simulated time, not real time.
Simulated time starts at the real time the clock is created. It runs `speedup` times faster only while
nothing is working: no Lambda handler or task service call in progress, and every running Step Functions
execution waiting (in a Wait state, a Retry interval or a `.sync` task). Otherwise it runs at the real rate,
so real work and machine load cost real seconds, not simulated minutes, and a polling loop
(Wait -> Get -> Choice) takes the same number of rounds on a fast or a loaded machine.

While it runs fast it never passes the end of a pending wait: a waiting thread that wakes late (a loaded
machine) would otherwise find its 5-minute Wait lasted 8 simulated minutes, and loops of many waits would drift
against the simulated Bedrock's durations.
"""

from __future__ import annotations

import threading
import time
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from datetime import UTC, datetime, timedelta

DEFAULT_SPEEDUP = 3600.0  # one simulated hour per real second
MAX_SLEEP_SLICE = 0.05  # real seconds; waits re-check the clock this often


class SimulatedClock:
    def __init__(self, speedup: float = DEFAULT_SPEEDUP) -> None:
        if speedup <= 0:
            raise ValueError("speedup must be positive")
        self._speedup = speedup
        self._lock = threading.Lock()
        self._busy = 0
        self._running: dict[str, int] = {}  # execution ARN -> how many of its branches are waiting
        self._real_mark = time.monotonic()
        self._simulated_mark = datetime.now(UTC)
        self._deadlines: dict[int, datetime] = {}  # the end of every pending wait, by waiter
        self._next_waiter = 0

    @property
    def speedup(self) -> float:
        return self._speedup

    def now(self) -> datetime:
        """The simulated time, timezone-aware UTC."""
        with self._lock:
            self._settle()
            return self._simulated_mark

    def advance(self, seconds: float) -> None:
        """Jump simulated time forward, e.g. to expire a throughput's TTL in a test."""
        with self._lock:
            self._settle()
            self._simulated_mark += timedelta(seconds=seconds)

    @contextmanager
    def busy(self) -> Iterator[None]:
        """Marks real work in progress: simulated time runs at the real rate until it ends."""
        with self._lock:
            self._settle()
            self._busy += 1
        try:
            yield
        finally:
            with self._lock:
                self._settle()
                self._busy -= 1

    def execution_started(self, execution_arn: str) -> None:
        with self._lock:
            self._settle()
            self._running.setdefault(execution_arn, 0)

    def execution_ended(self, execution_arn: str) -> None:
        with self._lock:
            self._settle()
            self._running.pop(execution_arn, None)

    @contextmanager
    def waiting(self, execution_arn: str) -> Iterator[None]:
        """Marks an execution as waiting on simulated time (it does no work meanwhile)."""
        with self._lock:
            self._settle()
            if execution_arn in self._running:
                self._running[execution_arn] += 1
        try:
            yield
        finally:
            with self._lock:
                self._settle()
                if execution_arn in self._running:
                    self._running[execution_arn] -= 1

    def real_seconds(self, simulated_seconds: float) -> float:
        """How long a simulated wait lasts in real time when nothing else is working."""
        return max(0.0, simulated_seconds) / self._speedup

    def sleep(self, simulated_seconds: float) -> None:
        self.wait(simulated_seconds, threading.Event())

    def wait(
        self,
        simulated_seconds: float,
        interrupted: threading.Event,
        stopped: Callable[[], bool] | None = None,
    ) -> bool:
        """Waits until `simulated_seconds` of simulated time have passed; False if interrupted first.

        `stopped` is checked between slices: moto signals a stopped execution with a momentary pulse of its
        event (set, then cleared at once), which a waiter between two slices never sees.
        """
        target = self.now() + timedelta(seconds=max(0.0, simulated_seconds))
        with self.pending_until(target):
            while True:
                remaining = (target - self.now()).total_seconds()
                if remaining <= 0:
                    return True
                if stopped is not None and stopped():
                    return False
                if interrupted.wait(min(MAX_SLEEP_SLICE, self.real_seconds(remaining))):
                    return False

    @contextmanager
    def pending_until(self, target: datetime) -> Iterator[None]:
        """Marks a wait that ends at `target`: running fast, simulated time stops there until the wait is over."""
        with self._lock:
            self._settle()
            waiter = self._next_waiter
            self._next_waiter += 1
            self._deadlines[waiter] = target
        try:
            yield
        finally:
            with self._lock:
                self._settle()
                del self._deadlines[waiter]

    def _settle(self) -> None:
        real_now = time.monotonic()
        idle = not self._busy and all(self._running.values())
        rate = self._speedup if idle else 1.0
        moved = self._simulated_mark + timedelta(seconds=(real_now - self._real_mark) * rate)
        if idle and self._deadlines:
            moved = min(moved, max(self._simulated_mark, min(self._deadlines.values())))
        self._simulated_mark = moved
        self._real_mark = real_now
