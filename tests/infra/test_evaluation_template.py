"""The evaluation stage in the synthesized customize workflow (docs/decisions/0011-evaluation-stage.md)."""

from __future__ import annotations

from typing import Any


def test_answers_are_collected_by_a_distributed_map_over_s3_with_bounded_concurrency(
    customize_definition: dict[str, Any],
) -> None:
    collect = customize_definition["States"]["Collect answers"]
    assert collect["ItemProcessor"]["ProcessorConfig"]["Mode"] == "DISTRIBUTED"
    assert collect["ItemReader"]["ReaderConfig"]["InputType"] == "JSONL"
    assert collect["ItemReader"]["Parameters"]["Key.$"] == "$.evaluationAsk.itemsKey"
    assert collect["ResultWriter"]["Resource"].endswith(":states:::s3:putObject")
    assert collect["ResultWriter"]["Parameters"]["Prefix"].startswith("staged/")
    assert 1 <= collect["MaxConcurrency"] <= 10
    children = collect["ItemProcessor"]["States"]
    asks = [s for s in children.values() if s["Type"] == "Task"]
    assert len(asks) == 2 and all(s["Resource"].endswith("aws-sdk:bedrockruntime:converse") for s in asks)
    # The custom model is asked only when there is one: the check before training asks the base model alone.
    custom_too = children["Ask the custom model too?"]
    assert children["Ask base model"]["Next"] == "Ask the custom model too?"
    assert custom_too["Default"] == "Ask custom model" and custom_too["Choices"][0]["Next"] == "Keep base answer"
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


def test_the_base_model_is_checked_before_training_through_the_same_map(customize_definition: dict[str, Any]) -> None:
    states = customize_definition["States"]
    # A free job slot leads there (docs/decisions/0015-queue-on-a-deadline.md).
    assert states["Check budget and capacity"]["Next"] == "Is a job slot free?"
    assert states["Is a job slot free?"]["Default"] == "Check the base model first?"
    first = states["Check the base model first?"]
    assert first["Choices"][0]["Next"] == "Prepare baseline check" and first["Default"] == "Notify job starting"
    assert states["Ask the base model only"]["Parameters"]["custom"] == ""
    assert states["Ask the base model only"]["Next"] == states["Ask both models"]["Next"] == "Collect answers"
    # One Map; the phase it was asked for picks the scoring step after it.
    assert sum(1 for s in states.values() if s["Type"] == "Map") == 1
    after = states["Which answers were collected?"]
    assert after["Choices"][0]["Next"] == "Score base answers" and after["Default"] == "Score answers"
    good_enough = states["Is the base model already good enough?"]
    assert good_enough["Choices"][0]["Next"] == "Notify training skipped"
    assert good_enough["Default"] == "Notify job starting"
    assert states["Notify training skipped"]["Next"] == "Training skipped"
    assert states["Training skipped"]["Type"] == "Succeed"
    # Nothing before "Notify job starting" creates a job.
    assert "Create customization job" not in {
        states[n].get("Next") for n in ("Score base answers", "Ask the base model only")
    }


def test_the_evaluation_serving_is_released_before_the_judge_runs(customize_definition: dict[str, Any]) -> None:
    states = customize_definition["States"]
    assert states["Score answers"]["Next"] == "Finish evaluation"
    assert states["Finish evaluation"]["Next"] == "Ask the judge?"
    assert states["Ask the judge?"]["Default"] == "Did the custom model beat the base?"
