"""Profiles as a platform engineer writes them in cdk.json, parsed by the real profile parser."""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

import pytest

from tuneline.profiles import Profile, parse_profile

NOVA_MICRO = "amazon.nova-micro-v1:0:128k"
NOVA_2_LITE = "amazon.nova-2-lite-v1:0:256k"

MakeProfile = Callable[..., Profile]


def _make_profile(name: str = "support", **settings: Any) -> Profile:
    body = {"baseModel": NOVA_MICRO, **settings}
    return parse_profile(name, body, f"tuneline.profiles.{name}")


@pytest.fixture
def make_profile() -> MakeProfile:
    """Build a profile from cdk.json-style settings (baseModel defaults to Nova Micro)."""
    return _make_profile


@pytest.fixture
def no_validation_profile() -> Profile:
    """Nova 2 Lite accepts no validation set."""
    return _make_profile("lite", baseModel=NOVA_2_LITE)
