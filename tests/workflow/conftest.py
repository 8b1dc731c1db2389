"""Fixtures for tests that deploy a synthesized template into the local emulator and run it."""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path

import pytest

from local.emulator import Emulator


@pytest.fixture(scope="session")
def fixture_cdk_out(tmp_path_factory: pytest.TempPathFactory) -> Path:
    """The emulator's self-test stack, synthesized once per test process (synth takes seconds)."""
    from tests.workflow import fixture_app

    return fixture_app.synth(tmp_path_factory.mktemp("fixture-cdk-out"))


@pytest.fixture
def emulator() -> Iterator[Emulator]:
    with Emulator() as running:
        yield running


@pytest.fixture
def fixture_stack(emulator: Emulator, fixture_cdk_out: Path) -> dict[str, str]:
    """The self-test stack deployed into a fresh emulator; returns its outputs."""
    from tests.workflow import fixture_app

    return emulator.deploy(fixture_cdk_out, fixture_app.STACK_NAME)
