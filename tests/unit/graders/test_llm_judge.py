"""The llmJudge grader: the judge sees the rubric, prompt, reference and answer; its 0-1 score is the reward;
a reply without a score, or a failing call, scores 0."""

from __future__ import annotations

from typing import Any

import pytest

from tuneline.graders.contract import grade_samples
from tuneline.graders.judge import parse_judgement
from tuneline.graders.rules import GradingError
from tuneline.graders.spec import parse_grader

JUDGE = parse_grader(
    {"type": "llmJudge", "modelId": "us.amazon.nova-pro-v1:0", "rubric": "Correct and polite.", "maxTokens": 64},
    "grader",
)


def sample(answer: str) -> dict[str, Any]:
    return {
        "id": "s",
        "messages": [{"role": "user", "content": "Where is the Louvre?"}, {"role": "assistant", "content": answer}],
        "metadata": {"reference_answer": "Paris"},
    }


def test_the_judge_reads_rubric_prompt_reference_and_answer_and_its_score_is_the_reward() -> None:
    calls: list[tuple[str, str, int]] = []

    def ask(model: str, prompt: str, max_tokens: int) -> str:
        calls.append((model, prompt, max_tokens))
        return '{"score": 0.8, "reason": "right city, curt"}'

    [result] = grade_samples([sample("In Paris.")], JUDGE, ask=ask)
    assert result["aggregate_reward_score"] == 0.8 and result["reason"] == "right city, curt"
    model, prompt, max_tokens = calls[0]
    assert (model, max_tokens) == ("us.amazon.nova-pro-v1:0", 64)
    for part in ("Correct and polite.", "Where is the Louvre?", "Paris", "In Paris."):
        assert part in prompt


@pytest.mark.parametrize(("reply", "expected"), [('{"score": 1.7}', 1.0), ("score: -2", 0.0), ("Score = 0.25.", 0.25)])
def test_scores_are_clamped_to_0_1(reply: str, expected: float) -> None:
    assert parse_judgement(reply).value == expected


def test_a_reply_without_a_score_or_a_failing_call_scores_0() -> None:
    with pytest.raises(GradingError):
        parse_judgement("The answer is good.")
    [wordy] = grade_samples([sample("Paris")], JUDGE, ask=lambda *_: "I like it")
    assert wordy["aggregate_reward_score"] == 0.0 and "no score" in wordy["reason"]

    def broken(*_: Any) -> str:
        raise TimeoutError("read timed out")

    [failed] = grade_samples([sample("Paris")], JUDGE, ask=broken)
    assert failed["aggregate_reward_score"] == 0.0 and "TimeoutError" in failed["reason"]


def test_an_empty_answer_scores_0_without_asking_the_judge() -> None:
    def never(*_: Any) -> str:
        raise AssertionError("the judge was asked")

    [result] = grade_samples([sample("  ")], JUDGE, ask=never)
    assert result["aggregate_reward_score"] == 0.0
