"""The evaluation stage in the synthesized customize workflow (docs/decisions/0011-evaluation-stage.md)."""

from __future__ import annotations

from typing import Any


def test_answers_are_collected_by_a_distributed_map_over_s3_with_bounded_concurrency(
    customize_definition: dict[str, Any],
) -> None:
    collect = customize_definition["States"]["Collect answers"]
    assert collect["ItemProcessor"]["ProcessorConfig"]["Mode"] == "DISTRIBUTED"
    assert collect["ItemReader"]["ReaderConfig"]["InputType"] == "JSONL"
    assert collect["ItemReader"]["Parameters"]["Key.$"] == "$.plan.evaluation.itemsKey"
    assert collect["ResultWriter"]["Resource"].endswith(":states:::s3:putObject")
    assert 1 <= collect["MaxConcurrency"] <= 10
    children = collect["ItemProcessor"]["States"]
    asks = [s for s in children.values() if s["Type"] == "Task"]
    assert len(asks) == 2 and all(s["Resource"].endswith("aws-sdk:bedrockruntime:converse") for s in asks)
    for ask in asks:
        retried = {e for r in ask["Retry"] for e in r["ErrorEquals"]}
        assert "BedrockRuntime.ThrottlingException" in retried
        assert ask["Parameters"]["InferenceConfig"]["Temperature"] == 0
    # Only S3 keys leave the Map: the answers stay in the result files.
    assert collect["ResultPath"] == "$.evaluationResponses"


def test_the_judge_is_two_bring_your_own_inference_jobs_polled_a_bounded_number_of_times(
    customize_definition: dict[str, Any],
) -> None:
    states = customize_definition["States"]
    creates = {n: s for n, s in states.items() if s.get("Resource", "").endswith("bedrock:createEvaluationJob")}
    gets = {n: s for n, s in states.items() if s.get("Resource", "").endswith("bedrock:getEvaluationJob")}
    assert len(creates) == 2 and len(gets) == 2
    done = states["Are the judge jobs done?"]
    assert any("NumericGreaterThanEquals" in c for c in done["Choices"])


def test_serving_follows_only_a_passed_gate(customize_definition: dict[str, Any]) -> None:
    states = customize_definition["States"]
    gate = states["Did the custom model beat the base?"]
    (choice,) = gate["Choices"]
    assert choice["Variable"] == "$.evaluation.gate.passed" and choice["Next"] == "Serve the model?"
    assert states[gate["Default"]]["Next"] == "Notify job completed"
    assert states["Evaluate the model?"]["Default"] == "Serve the model?"
