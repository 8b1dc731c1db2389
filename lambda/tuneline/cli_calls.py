"""Copy-paste AWS CLI calls for alerts, written to work with AWS CLI v1 and v2 alike.

A request body is written to a file and passed with `fileb://`, which both versions send as it is. An inline
`--body '{...}'` would need `--cli-binary-format raw-in-base64-out` in v2 (which otherwise expects base64), and
v1 rejects that option.
"""

from __future__ import annotations

import json
import shlex
from collections.abc import Mapping
from typing import Any

BODY_FILE = "body.json"
ANSWER_FILE = "answer.json"
JSON_CONTENT_TYPE = "application/json"


def invoke_model_call(model_id: str, body: Mapping[str, Any], *, content_type: str = JSON_CONTENT_TYPE) -> str:
    """`aws bedrock-runtime invoke-model` with `body`, printing the answer: one shell line."""
    text = json.dumps(body, separators=(", ", ": "))
    return (
        f"printf '%s' {shlex.quote(text)} > {BODY_FILE} && "
        f"aws bedrock-runtime invoke-model --model-id {model_id} --content-type {content_type} "
        f"--body fileb://{BODY_FILE} {ANSWER_FILE} && cat {ANSWER_FILE}"
    )
