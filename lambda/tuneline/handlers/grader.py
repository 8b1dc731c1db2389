"""RFT grader: Bedrock sends sampled answers, the profile's built-in grader scores them (docs/bedrock.md §13)."""

from __future__ import annotations

import os
from typing import Any

from tuneline.graders.contract import grade_samples
from tuneline.pipeline.clients import client
from tuneline.pipeline.rft_checks import converse_text
from tuneline.pipeline.settings import Settings


def handler(event: Any, context: Any = None) -> list[dict[str, Any]]:
    profile = Settings.from_env().profiles[os.environ["GRADER_PROFILE"]]
    if profile.rft is None:
        raise RuntimeError(f"profile {profile.name!r} has no rftConfig; this grader was deployed without one")

    def ask(model_id: str, prompt: str, max_tokens: int) -> str:
        return converse_text(client("bedrock-runtime"), model_id, prompt, max_tokens)

    return grade_samples(event, profile.rft.grader, ask=ask)
