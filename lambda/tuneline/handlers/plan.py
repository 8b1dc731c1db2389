"""Plan job: the execution input -> the job plan (names, hyperparameters, S3 paths)."""

from __future__ import annotations

from typing import Any

from tuneline.pipeline.clients import client
from tuneline.pipeline.plan import plan_execution
from tuneline.pipeline.settings import Settings


def handler(event: dict[str, Any], context: Any = None) -> dict[str, Any]:
    settings = Settings.from_env()
    return plan_execution(event, profiles=settings.profiles, s3=client("s3"))
