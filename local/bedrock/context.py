"""What every simulated Bedrock resource shares: account, region, clock, S3 access, event sink, settings."""

from __future__ import annotations

from collections import defaultdict, deque
from collections.abc import Callable
from dataclasses import dataclass, field
from datetime import datetime
from typing import Any, Protocol

from local.clock import SimulatedClock


class ObjectStore(Protocol):
    """The slice of S3 the simulated service uses with its service role."""

    def read(self, bucket: str, key: str) -> bytes | None: ...

    def list_keys(self, bucket: str, prefix: str) -> list[str]: ...

    def write(self, bucket: str, key: str, body: bytes, content_type: str) -> None: ...


# (detail-type, detail, resources): one event on the default bus with source `aws.bedrock`.
EventSink = Callable[[str, dict[str, Any], list[str]], None]


@dataclass
class SimulationSettings:
    """Simulated durations, in simulated seconds (see `local.clock`)."""

    job_duration_seconds: float = 3600.0
    throughput_duration_seconds: float = 1200.0
    deployment_duration_seconds: float = 600.0
    import_duration_seconds: float = 1800.0
    # Data problems surface early in a real job: after this share of its duration.
    validation_share: float = 0.1
    # Imported models: loading after the first call (math.inf: never loads), and eviction after idle time.
    imported_model_load_seconds: float = 300.0
    imported_model_idle_seconds: float = 3600.0


@dataclass
class Faults:
    """Failures and quota errors queued by tests and the demo, consumed in order."""

    failure_messages: dict[str, deque[str]] = field(default_factory=lambda: defaultdict(deque))
    quota_errors: dict[str, int] = field(default_factory=lambda: defaultdict(int))

    def take_failure(self, kind: str) -> str | None:
        queue = self.failure_messages[kind]
        return queue.popleft() if queue else None

    def take_quota_error(self, operation: str) -> bool:
        if self.quota_errors[operation] > 0:
            self.quota_errors[operation] -= 1
            return True
        return False


@dataclass
class SimContext:
    account_id: str
    region: str
    clock: SimulatedClock
    store: ObjectStore
    settings: SimulationSettings
    faults: Faults
    pending_events: list[tuple[str, dict[str, Any], list[str]]] = field(default_factory=list)

    def now(self) -> datetime:
        return self.clock.now()

    def emit(self, detail_type: str, detail: dict[str, Any], resources: list[str]) -> None:
        """Queued and sent once the simulator's lock is released (targets may call Bedrock back)."""
        self.pending_events.append((detail_type, detail, resources))


def iso(moment: datetime | None) -> str | None:
    """Event timestamps are ISO-8601 strings in UTC, as in Bedrock's sample events."""
    if moment is None:
        return None
    return moment.strftime("%Y-%m-%dT%H:%M:%S.") + f"{moment.microsecond // 1000:03d}Z"
