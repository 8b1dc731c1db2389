"""boto3 clients, created on first use per process (not at import) and reused across warm invocations."""

from __future__ import annotations

from functools import cache
from typing import Any

import boto3
from botocore.config import Config

# Standard retry mode retries throttling and 5xx with backoff (botocore/retries/standard.py).
_CONFIG = Config(retries={"mode": "standard", "max_attempts": 5})
# One attempt: for calls whose "try again later" the state machine does itself, minutes apart (a Lambda that
# sleeps through the SDK's backoff only bills for waiting).
_SINGLE_ATTEMPT = Config(retries={"mode": "standard", "total_max_attempts": 1})


@cache
def client(service: str) -> Any:
    return boto3.client(service, config=_CONFIG)


@cache
def single_attempt_client(service: str) -> Any:
    return boto3.client(service, config=_SINGLE_ATTEMPT)
