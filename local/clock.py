"""Simulated time: an hour of Bedrock training or a 5-minute Wait state costs a fraction of a real second.

One `SimulatedClock` drives everything that waits in the emulator:
- Bedrock jobs, throughput, deployments and imports finish when simulated time has passed their duration;
- Step Functions Wait states and Retry intervals sleep `seconds / speedup` real seconds.
Simulated time starts at the real time the clock is created and runs `speedup` times faster.
"""

from __future__ import annotations

import threading
import time
from datetime import UTC, datetime, timedelta

DEFAULT_SPEEDUP = 3600.0  # one simulated hour per real second


class SimulatedClock:
    def __init__(self, speedup: float = DEFAULT_SPEEDUP) -> None:
        if speedup <= 0:
            raise ValueError("speedup must be positive")
        self._speedup = speedup
        self._lock = threading.Lock()
        self._real_origin = time.monotonic()
        self._simulated_origin = datetime.now(UTC)
        self._offset = timedelta()

    @property
    def speedup(self) -> float:
        return self._speedup

    def now(self) -> datetime:
        """The simulated time, timezone-aware UTC."""
        with self._lock:
            elapsed_real = time.monotonic() - self._real_origin
            return self._simulated_origin + self._offset + timedelta(seconds=elapsed_real * self._speedup)

    def advance(self, seconds: float) -> None:
        """Jump simulated time forward, e.g. to expire a throughput's TTL in a test."""
        with self._lock:
            self._offset += timedelta(seconds=seconds)

    def real_seconds(self, simulated_seconds: float) -> float:
        """How long a simulated wait lasts in real time."""
        return max(0.0, simulated_seconds) / self._speedup

    def sleep(self, simulated_seconds: float) -> None:
        time.sleep(self.real_seconds(simulated_seconds))
