"""Each built-in grader on a right, a wrong and a malformed answer, through the contract Bedrock calls the
grader Lambda with (docs/bedrock.md §13): a list of samples in, a list of id + score out, 0 with a reason for
anything that cannot be graded."""

from __future__ import annotations

from typing import Any

import pytest

from tuneline.graders.contract import grade_samples, parse_rewards
from tuneline.graders.rules import GradingError
from tuneline.graders.spec import GraderSpec, parse_grader


def sample(answer: Any, reference: Any, identifier: str = "s1", **metadata: Any) -> dict[str, Any]:
    return {
        "id": identifier,
        "messages": [
            {"role": "system", "content": "Be brief."},
            {"role": "user", "content": "The question"},
            {"role": "assistant", "content": answer},
        ],
        "metadata": {"reference_answer": reference, **metadata},
    }


def score(grader: dict[str, Any], answer: Any, reference: Any) -> tuple[float, str]:
    [result] = grade_samples([sample(answer, reference)], parse_grader(grader, "grader"))
    assert result["id"] == "s1"
    assert result["metrics_list"] == [
        {"name": grader["type"], "value": result["aggregate_reward_score"], "type": "Reward"}
    ]
    return result["aggregate_reward_score"], result["reason"]


NAME = {"type": "string"}
# (grader, reference, right answer, wrong answer, malformed answer)
CASES: list[tuple[dict[str, Any], Any, Any, Any, Any]] = [
    ({"type": "exact"}, "Paris", "  paris ", "Lyon", None),
    ({"type": "exact", "caseSensitive": True}, "Paris", "Paris", "paris", 17),
    ({"type": "exact", "referenceField": "city"}, {"city": "Paris", "country": "FR"}, "Paris", "Rome", []),
    ({"type": "regex", "pattern": r"answer:\s*(\w+)"}, "B", "I think... Answer: b", "Answer: C", "no label here"),
    ({"type": "numeric", "tolerance": 0.01}, {"final_answer": "3.14"}, "So it is 3.141", "It is 3.2", "no digits"),
    ({"type": "numeric"}, "1,250", "Total: $1,250", "Total: 1,205", "none"),
    ({"type": "numeric", "tolerance": 0.1, "relative": True}, "200", "about 215", "about 230", ""),
    ({"type": "numeric", "pattern": r"#### (\S+)"}, "42", "work... #### 42", "#### 41 (and 42 earlier)", "42"),
    ({"type": "jsonField", "path": "label"}, "spam", '{"label": "spam"}', '{"label": "ham"}', "label: spam"),
    ({"type": "jsonField", "path": "a.items[1]"}, {"a": {"items": [1, 2]}}, '```json\n{"a": {"items": [9, 2]}}\n```',
     '{"a": {"items": [2, 1]}}', '{"a": {"items": [1]}}'),
    ({"type": "jsonField", "path": "ok", "expected": True}, "ignored", '{"ok": true}', '{"ok": 1}', "{not json"),
    ({"type": "jsonSchema", "schema": {"type": "object", "required": ["name"], "properties": {"name": NAME}}},
     None, '{"name": "Ada"}', '{"name": 3}', "Ada"),
]  # fmt: skip


@pytest.mark.parametrize(("grader", "reference", "right", "wrong", "malformed"), CASES)
def test_right_scores_1_wrong_scores_0_malformed_scores_0_with_a_reason(
    grader: dict[str, Any], reference: Any, right: Any, wrong: Any, malformed: Any
) -> None:
    assert score(grader, right, reference)[0] == 1.0
    assert score(grader, wrong, reference)[0] == 0.0
    value, reason = score(grader, malformed, reference)
    assert value == 0.0 and reason


def test_a_batch_keeps_ids_and_order_and_one_broken_sample_does_not_stop_the_rest(
    caplog: pytest.LogCaptureFixture,
) -> None:
    spec = parse_grader({"type": "exact"}, "grader")
    event = [sample("4", "4", "a"), "not a sample", {"id": "c", "messages": "oops"}, sample("5", "4", "d")]
    results = grade_samples(event, spec)
    assert [(r["id"], r["aggregate_reward_score"]) for r in results] == [("a", 1.0), ("1", 0.0), ("c", 0.0), ("d", 0.0)]
    assert "no 'messages' list" in results[2]["reason"]


def test_an_unexpected_error_scores_0_and_is_logged(caplog: pytest.LogCaptureFixture) -> None:
    # A schema the parser would refuse, forced in: the scorer fails in a way no rule anticipates.
    spec = GraderSpec(type="jsonSchema", options={"schema": {"type": "object", "minItems": "x", "items": 5}})
    [result] = grade_samples([sample("[1]", None)], spec)
    assert result["aggregate_reward_score"] == 0.0
    assert result["reason"]


def test_an_answer_without_an_assistant_turn_scores_0() -> None:
    spec = parse_grader({"type": "exact"}, "grader")
    [result] = grade_samples([{"id": "x", "messages": [{"role": "user", "content": "q"}], "metadata": {}}], spec)
    assert result["aggregate_reward_score"] == 0.0 and "no assistant answer" in result["reason"]


def test_content_blocks_are_read_as_the_answer_text() -> None:
    assert score({"type": "exact"}, [{"text": "Par"}, {"text": "is"}], "Paris")[0] == 1.0


def test_parse_rewards_checks_the_contract() -> None:
    assert parse_rewards([{"id": "a", "aggregate_reward_score": 0.5}], ["a"]) == {"a": 0.5}
    with pytest.raises(GradingError, match="not a list"):
        parse_rewards({"id": "a"}, ["a"])
    with pytest.raises(GradingError, match="not a score from 0 to 1"):
        parse_rewards([{"id": "a", "aggregate_reward_score": 1.5}], ["a"])
    with pytest.raises(GradingError, match="no score for b"):
        parse_rewards([{"id": "a", "aggregate_reward_score": 1}], ["a", "b"])
