"""The `llmJudge` grader (RLAIF, docs/bedrock.md §13): a Bedrock model reads the rubric, the prompt, the
reference answer and the answer, and gives a score from 0 to 1.

The call itself is passed in (`ask(model_id, prompt, max_tokens) -> text`), so this module stays free of AWS and
the tests can play the judge.
"""

from __future__ import annotations

import json
import re
from collections.abc import Callable, Mapping
from typing import Any

from tuneline.graders.rules import GradingError, Score

Ask = Callable[[str, str, int], str]
_SCORE = re.compile(r'"?score"?\s*[:=]\s*(-?\d+(?:\.\d+)?)', re.IGNORECASE)

JUDGE_INSTRUCTIONS = (
    "You grade an answer to a prompt. Apply the rubric strictly. Reply with one JSON object and nothing else: "
    '{"score": <a number from 0 to 1>, "reason": "<one sentence>"}. 1 means the answer fully meets the rubric, '
    "0 means it does not meet it at all."
)


def judge_prompt(rubric: str, prompt: str, reference: Any, answer: str) -> str:
    reference_text = reference if isinstance(reference, str) else json.dumps(reference, ensure_ascii=False)
    return (
        f"{JUDGE_INSTRUCTIONS}\n\n<rubric>\n{rubric}\n</rubric>\n\n<prompt>\n{prompt}\n</prompt>\n\n"
        f"<reference_answer>\n{reference_text}\n</reference_answer>\n\n<answer>\n{answer}\n</answer>"
    )


def judge_score(options: Mapping[str, Any], prompt: str, answer: str, reference: Any, ask: Ask) -> Score:
    from tuneline.graders.spec import DEFAULT_JUDGE_MAX_TOKENS

    if not answer.strip():
        # Nothing to judge: spares a model call, and an empty answer never earns a reward.
        return Score(0.0, "the answer is empty")
    reply = ask(
        options["modelId"],
        judge_prompt(options["rubric"], prompt, reference, answer),
        int(options.get("maxTokens", DEFAULT_JUDGE_MAX_TOKENS)),
    )
    return parse_judgement(reply)


def parse_judgement(reply: str) -> Score:
    """The judge's score, clamped to 0-1; a reply without a score cannot be graded."""
    match = _SCORE.search(reply)
    if match is None:
        raise GradingError(f"the judge gave no score: {reply[:120]!r}")
    value = float(match.group(1))
    return Score(min(1.0, max(0.0, value)), _judge_reason(reply))


def _judge_reason(reply: str) -> str:
    """The `reason` of the JSON object in the reply; a reply that holds none (or no valid JSON) still scored, so
    its reason is the generic one."""
    try:
        parsed = json.loads(reply[reply.index("{") : reply.rindex("}") + 1])
    except ValueError:  # no braces (str.index) or not JSON (json.JSONDecodeError is a ValueError)
        return "judged"
    reason = parsed.get("reason") if isinstance(parsed, dict) else None
    return reason if isinstance(reason, str) else "judged"
