"""Errors the serving steps raise on purpose; Step Functions matches their class names (keep them stable)."""

from __future__ import annotations

from tuneline.errors import TunelineError


class ServingNotPossible(TunelineError):
    """The plan asks for serving that cannot be bought (no custom model ARN, or a model without that mode)."""


class ServedModelNotReady(TunelineError):
    """Bedrock reports the served model as not ready yet; the workflow retries the smoke test later."""
