"""Fixtures for the emulator's pure parts: an in-memory S3 and a Bedrock simulator on a hand-driven clock."""

from __future__ import annotations

from typing import Any

import pytest

from local.bedrock import BedrockSimulator
from local.clock import SimulatedClock


class MemoryStore:
    def __init__(self) -> None:
        self.objects: dict[tuple[str, str], bytes] = {}

    def read(self, bucket: str, key: str) -> bytes | None:
        return self.objects.get((bucket, key))

    def list_keys(self, bucket: str, prefix: str) -> list[str]:
        return sorted(key for (name, key) in self.objects if name == bucket and key.startswith(prefix))

    def write(self, bucket: str, key: str, body: bytes, content_type: str) -> None:
        self.objects[(bucket, key)] = body


@pytest.fixture
def store() -> MemoryStore:
    return MemoryStore()


@pytest.fixture
def clock() -> SimulatedClock:
    # Real-rate clock: simulated time only moves meaningfully when a test calls advance().
    return SimulatedClock(speedup=1.0)


@pytest.fixture
def events() -> list[tuple[str, dict[str, Any], list[str]]]:
    return []


@pytest.fixture
def bedrock(clock: SimulatedClock, store: MemoryStore, events: list) -> BedrockSimulator:
    return BedrockSimulator(
        account_id="123456789012",
        region="us-east-1",
        clock=clock,
        store=store,
        publish_event=lambda detail_type, detail, resources: events.append((detail_type, detail, resources)),
    )
