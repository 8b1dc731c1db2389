"""The evaluation set: the companion file's rules, the validation sample, and the evaluation profile setting."""

from __future__ import annotations

import json

import pytest

from tuneline.errors import EvaluationSetInvalid
from tuneline.pipeline.evaluation_score import judge_job_name
from tuneline.pipeline.evaluation_set import (
    max_tokens_for,
    prompt_of_record,
    read_evaluation_set,
    sample_validation_set,
)
from tuneline.profiles import ConfigError, parse_profile

NOVA_MICRO = "amazon.nova-micro-v1:0:128k"


def test_a_companion_line_without_a_reference_is_refused_with_its_file_line_and_key() -> None:
    lines = [json.dumps({"prompt": "hi", "referenceResponse": "hello"}), json.dumps({"prompt": "bye"})]
    with pytest.raises(EvaluationSetInvalid, match=r"s3://b/x.eval.jsonl line 2: key referenceResponse"):
        read_evaluation_set(lines, file="s3://b/x.eval.jsonl", limit=10)


def test_the_validation_sample_is_the_same_whatever_the_order_of_the_file() -> None:
    records = [
        json.dumps(
            {
                "messages": [
                    {"role": "user", "content": [{"text": f"q{i}"}]},
                    {"role": "assistant", "content": [{"text": f"a{i}"}]},
                ]
            }
        )
        for i in range(20)
    ]
    first = sample_validation_set(records, limit=5)
    second = sample_validation_set(list(reversed(records)), limit=5)
    assert [p.reference for p in first] == [p.reference for p in second] and len(first) == 5


def test_the_prompt_is_the_conversation_up_to_the_last_assistant_turn() -> None:
    record = {
        "system": [{"text": "Be brief."}],
        "messages": [
            {"role": "user", "content": [{"text": "one"}]},
            {"role": "assistant", "content": [{"text": "two"}]},
            {"role": "user", "content": [{"text": "three"}]},
            {"role": "assistant", "content": [{"text": "four"}]},
        ],
    }
    prompt = prompt_of_record(record)
    assert prompt is not None and prompt.reference == "four" and prompt.system == "Be brief."
    assert [t.text for t in prompt.turns] == ["one", "two", "three"]
    item = prompt.to_item(3)
    assert item["messages"][-1] == {"Role": "user", "Content": [{"Text": "three"}]} and item["index"] == 3


def test_max_tokens_follow_the_reference_length_within_bounds() -> None:
    assert max_tokens_for("") == 64 and max_tokens_for("x" * 400) == 200 and max_tokens_for("x" * 10**6) == 4096


def test_judge_job_names_follow_bedrocks_pattern() -> None:
    name = judge_job_name("tuneline-Support_Bot-" + "x" * 80, "custom")
    assert len(name) <= 63 and name.endswith("-custom") and name == name.lower() and "_" not in name


def test_evaluation_is_off_unless_a_profile_asks_for_it() -> None:
    assert parse_profile("p", {"baseModel": NOVA_MICRO}, "tuneline.profiles.p").evaluation is None
    on = parse_profile("p", {"baseModel": NOVA_MICRO, "evaluation": True}, "tuneline.profiles.p").evaluation
    assert on is not None and on.prompts == 200 and on.gate.metric == "rougeL"


@pytest.mark.parametrize(
    ("evaluation", "key"),
    [
        ({"prompts": 1001}, "tuneline.profiles.p.evaluation.prompts"),
        ({"gate": {"metric": "bleu"}}, "tuneline.profiles.p.evaluation.gate.metric"),
        (
            {"judge": {"evaluatorModel": "m", "metrics": ["Builtin.Nope"]}},
            "tuneline.profiles.p.evaluation.judge.metrics[0]",
        ),
        (
            {"judge": {"evaluatorModel": "m", "customMetrics": [{"name": "tone", "instructions": "rate"}]}},
            "tuneline.profiles.p.evaluation.judge.customMetrics[0].instructions",
        ),
        ({"baselineFirst": True}, "tuneline.profiles.p.evaluation.skipTrainingAbove"),
        ({"baselineFirst": "yes", "skipTrainingAbove": 0.5}, "tuneline.profiles.p.evaluation.baselineFirst"),
        ({"skipTrainingAbove": 0.5}, "tuneline.profiles.p.evaluation.skipTrainingAbove"),
        ({"baselineFirst": True, "skipTrainingAbove": 1.5}, "tuneline.profiles.p.evaluation.skipTrainingAbove"),
        ({"allowThroughput": True}, "tuneline.profiles.p.evaluation.throughputPricePerHourUsd"),
        ({"throughputPricePerHourUsd": 20}, "tuneline.profiles.p.evaluation.throughputPricePerHourUsd"),
    ],
)
def test_a_bad_evaluation_setting_names_its_key(evaluation: dict, key: str) -> None:
    with pytest.raises(ConfigError) as raised:
        parse_profile("p", {"baseModel": NOVA_MICRO, "evaluation": evaluation}, "tuneline.profiles.p")
    assert raised.value.key == key


def test_baseline_first_takes_its_threshold() -> None:
    evaluation = {"baselineFirst": True, "skipTrainingAbove": 0.75}
    parsed = parse_profile("p", {"baseModel": NOVA_MICRO, "evaluation": evaluation}, "tuneline.profiles.p").evaluation
    assert parsed is not None and parsed.baseline_first and parsed.skip_training_above == 0.75


@pytest.mark.parametrize(
    ("base_model", "example"),
    [
        ("amazon.nova-2-lite-v1:0:256k", "us.amazon.nova-2-lite-v1:0"),
        ("meta.llama3-3-70b-instruct-v1:0:128k", "us.meta.llama3-3-70b-instruct-v1:0"),
    ],
)
def test_a_base_model_reachable_only_through_an_inference_profile_needs_its_id(base_model: str, example: str) -> None:
    for evaluation in (True, {"baseModelInvocationId": base_model.rsplit(":", 1)[0]}):
        with pytest.raises(ConfigError) as raised:
            parse_profile("p", {"baseModel": base_model, "evaluation": evaluation}, "tuneline.profiles.p")
        assert raised.value.key == "tuneline.profiles.p.evaluation.baseModelInvocationId"
        assert example in raised.value.problem
    fixed = {"baseModelInvocationId": example}
    parsed = parse_profile("p", {"baseModel": base_model, "evaluation": fixed}, "tuneline.profiles.p").evaluation
    assert parsed is not None and parsed.base_model_invocation_id == example
