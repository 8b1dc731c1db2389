"""Reinforcement fine-tuning in the emulator, end to end (docs/bedrock.md §13): the RFT prompts are validated,
the grader is dry-run and the base model scored before the job, and the simulated job calls the deployed grader
Lambda with sampled answers at every step; its rewards are summarized after the job."""

from __future__ import annotations

import json
import statistics
from pathlib import Path
from typing import Any

import pytest

from local.emulator import Emulator
from tests.workflow.customize_helpers import Pipeline, example, synthesize, tuneline_context, words

pytestmark = pytest.mark.workflow

PROMPTS = example("math-rft/prompts.jsonl")
RFT_TRAINS = "rft-trains"  # the example profile without the baseline, so the simulated base model (0) goes on
RFT_DEAF = "rft-deaf"  # a grader that reads JSON the answers never hold: it cannot tell right from wrong
_RFT = {"baseModel": "amazon.nova-2-lite-v1:0:256k", "customizationType": "REINFORCEMENT_FINE_TUNING"}
CONTEXT = tuneline_context(
    {
        RFT_TRAINS: {
            **_RFT,
            "rftConfig": {
                "grader": {"type": "numeric", "referenceField": "final_answer"},
                "hyperParameters": {"epochCount": 3, "batchSize": 16},
                "baselineSamples": 0,
            },
        },
        RFT_DEAF: {**_RFT, "rftConfig": {"grader": {"type": "jsonField", "path": "answer.value"}}},
    }
)


@pytest.fixture(scope="module")
def rft_cdk_out(tmp_path_factory: pytest.TempPathFactory) -> Path:
    return synthesize(tmp_path_factory.mktemp("rft-cdk-out"), CONTEXT)


@pytest.fixture
def pipeline(emulator: Emulator, rft_cdk_out: Path) -> Pipeline:
    from app import STACK_NAME

    return Pipeline(emulator, emulator.deploy(rft_cdk_out, STACK_NAME))


def test_an_rft_job_trains_end_to_end_and_calls_the_deployed_grader(pipeline: Pipeline) -> None:
    pipeline.upload(f"incoming/{RFT_TRAINS}/prompts.jsonl", PROMPTS)
    [execution] = pipeline.finished_executions(1)
    assert execution["status"] == "SUCCEEDED", execution.get("cause")
    entered = pipeline.states_entered(execution)
    assert entered[:8] == [
        "Plan job",
        "Validate dataset",
        "Reinforcement fine-tuning?",
        f"Use the grader of {RFT_TRAINS}",
        "Dry-run grader",
        "Score base model",
        "Join the queue",
        "Check budget and capacity",
    ]
    assert f"Create RFT job for {RFT_TRAINS}" in entered
    job = pipeline.only_job()
    request = pipeline.request_seen_by_bedrock(job["jobArn"])
    assert request["customizationType"] == "REINFORCEMENT_FINE_TUNING"
    rft_config = request["customizationConfig"]["rftConfig"]
    assert rft_config["hyperParameters"] == {"epochCount": 3, "batchSize": 16}
    simulated = pipeline.emulator.bedrock.jobs.get(job["jobArn"])
    assert simulated.rft_run is not None and simulated.rft_run.failure is None
    assert len(simulated.rft_run.rewards) == 6  # two simulated steps per epoch, each one grader call
    assert simulated.rft_run.rewards[-1] > simulated.rft_run.rewards[0]
    grader = rft_config["graderConfig"]["lambdaGrader"]["lambdaArn"]
    assert grader.endswith(
        pipeline.emulator.client("lambda").get_function(FunctionName=grader)["Configuration"]["FunctionName"]
    )
    output = json.loads(execution["output"])
    assert output["rft"]["graderCheck"]["passed"] is True and output["rft"]["baseline"] == {"skipped": True}
    latencies = sorted(simulated.rft_run.latencies_ms)
    print(  # the figures the docs quote: grader latency per call and transitions per RFT run
        f"\ngrader latency per call: p50 {statistics.median(latencies):.1f} ms, "
        f"p95 {latencies[max(0, round(0.95 * len(latencies)) - 1)]:.1f} ms over {len(latencies)} calls; "
        f"transitions per RFT run: {pipeline.emulator.state_transitions(execution['executionArn'])}"
    )


def test_a_base_model_that_scores_zero_stops_the_run_before_the_job(pipeline: Pipeline) -> None:
    pipeline.upload("incoming/math-rft/prompts.jsonl", PROMPTS)
    [execution] = pipeline.finished_executions(1)
    assert execution["status"] == "FAILED"
    assert "Score base model" in pipeline.states_entered(execution)
    assert pipeline.jobs() == []
    alert = pipeline.alert("base model scores 0")
    assert "fine-tune it first" in words(alert["message"])


def test_a_grader_that_cannot_tell_right_from_wrong_stops_the_run_with_samples(pipeline: Pipeline) -> None:
    pipeline.upload(f"incoming/{RFT_DEAF}/prompts.jsonl", PROMPTS)
    [execution] = pipeline.finished_executions(1)
    assert execution["status"] == "FAILED"
    assert "Score base model" not in pipeline.states_entered(execution)
    assert pipeline.jobs() == []
    message = words(pipeline.alert("grader failed its dry run")["message"])
    assert "cannot tell right from wrong" in message and "Eli shares 80 cookies" in message


def test_a_grader_that_breaks_during_training_fails_the_job(pipeline: Pipeline) -> None:
    """The grader works for the dry run, then its function is replaced by one that raises."""
    lambda_ = pipeline.emulator.client("lambda")
    graders: list[dict[str, Any]] = [
        f
        for page in lambda_.get_paginator("list_functions").paginate()
        for f in page["Functions"]
        if f["Handler"] == "tuneline.handlers.grader.handler"
        and json.loads(f["Environment"]["Variables"]["GRADER"])["type"] == "numeric"
        and "RftTrains" in f["FunctionName"]
    ]
    [grader] = graders
    pipeline.upload(f"incoming/{RFT_TRAINS}/prompts.jsonl", PROMPTS)
    pipeline.wait_for_jobs(1)
    lambda_.update_function_configuration(
        FunctionName=grader["FunctionName"], Environment={"Variables": {"GRADER": '{"type": "no-such-grader"}'}}
    )
    [execution] = pipeline.finished_executions(1)
    assert execution["status"] == "FAILED"
    job = pipeline.only_job()
    assert job["status"] == "Failed"
    failure = pipeline.emulator.bedrock.jobs.get(job["jobArn"]).failure_message
    assert failure.startswith(f"The grader Lambda function {grader['FunctionArn']} failed at step 0")
