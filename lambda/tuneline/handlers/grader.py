"""RFT grader: Bedrock sends sampled answers, the built-in grader scores them (docs/bedrock.md §13). Its settings
are the profile's `rftConfig.grader` as written, in `GRADER`, parsed by the same code as at synth time."""

from __future__ import annotations

import json
import os
from typing import Any

from tuneline.graders.contract import grade_samples
from tuneline.graders.spec import parse_grader
from tuneline.pipeline.clients import client
from tuneline.pipeline.rft_checks import converse_text


def handler(event: Any, context: Any = None) -> list[dict[str, Any]]:
    spec = parse_grader(json.loads(os.environ["GRADER"]), "GRADER")

    def ask(model_id: str, prompt: str, max_tokens: int) -> str:
        return converse_text(client("bedrock-runtime"), model_id, prompt, max_tokens)

    return grade_samples(event, spec, ask=ask)
