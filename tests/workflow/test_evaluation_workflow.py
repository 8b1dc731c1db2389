"""The real template in the emulator: a trained model is evaluated against its base, and the result decides
what is served (docs/decisions/0011-evaluation-stage.md).

The simulated models answer as a test scripts them: the custom model with the reference (better) or with
nonsense (worse), the base model with part of the reference.
"""

from __future__ import annotations

import json
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest

import app as tuneline_app
from local.bedrock.errors import ThrottlingException
from local.bedrock.inference import DEPLOYMENT, FOUNDATION, PROVISIONED
from local.emulator import Emulator

NOVA_MICRO = "amazon.nova-micro-v1:0:128k"
LLAMA_8B = "meta.llama3-1-8b-instruct-v1:0:128k"
EXAMPLES = Path(__file__).resolve().parents[2] / "examples"
DATASET = EXAMPLES / "support-bot" / "train.jsonl"
# Llama 3.1 8B has no on-demand custom model deployment (docs/bedrock.md §6.3): its custom model answers only
# through Provisioned Throughput. Prompt-completion records, and no validation set: a companion evaluation set.
LLAMA_DATASET = EXAMPLES / "llama-instruct" / "train.jsonl"
EVALUATION = {"prompts": 6, "gate": {"metric": "tokenF1", "minImprovement": 0.05, "requireSignificance": False}}
PROFILES: dict[str, dict[str, Any]] = {
    "eval-od": {"serving": {"mode": "on-demand", "ttlHours": 4}, "evaluation": EVALUATION},
    "eval-judged": {
        "evaluation": {**EVALUATION, "judge": {"evaluatorModel": "us.amazon.nova-pro-v1:0"}},
    },
    "eval-first": {"evaluation": {**EVALUATION, "baselineFirst": True, "skipTrainingAbove": 0.8}},
    "eval-llama": {"baseModel": LLAMA_8B, "validationSplit": 0, "evaluation": EVALUATION},
    "eval-llama-pt": {
        "baseModel": LLAMA_8B,
        "validationSplit": 0,
        "evaluation": {**EVALUATION, "allowThroughput": True, "throughputPricePerHourUsd": 20},
    },
}
REFERENCES: dict[str, str] = {}


@pytest.fixture(scope="module")
def evaluation_cdk_out(tmp_path_factory: pytest.TempPathFactory) -> Path:
    context = tuneline_app.cdk_json_context()
    context["tuneline"]["profiles"] = {
        name: {"baseModel": NOVA_MICRO, "validationSplit": 0.3, "budgetUsd": 50, **body}
        for name, body in PROFILES.items()
    }
    outdir = tmp_path_factory.mktemp("evaluation-cdk-out")
    tuneline_app.build_app(context=context, outdir=str(outdir)).synth()
    return outdir


@pytest.fixture
def stack(emulator: Emulator, evaluation_cdk_out: Path) -> Iterator[dict[str, str]]:
    yield emulator.deploy(evaluation_cdk_out, tuneline_app.STACK_NAME)
    emulator.bedrock.inference.scripted_answers.clear()


def references() -> dict[str, str]:
    """The last user turn of every example record -> its assistant answer (what a perfect model says)."""
    if not REFERENCES:
        for line in DATASET.read_text().splitlines():
            record = json.loads(line)
            users = [m for m in record["messages"] if m["role"] == "user"]
            answers = [m for m in record["messages"] if m["role"] == "assistant"]
            REFERENCES[users[-1]["content"][0]["text"]] = answers[-1]["content"][0]["text"]
    return REFERENCES


def script(emulator: Emulator, *, custom_better: bool) -> None:
    def good(prompt: str) -> str:
        return references().get(prompt, "")

    def half(prompt: str) -> str:
        words = good(prompt).split()
        return " ".join(words[: len(words) // 2])

    def poor(prompt: str) -> str:
        return "I cannot help with that."

    emulator.bedrock.inference.scripted_answers.update({FOUNDATION: half, DEPLOYMENT: good if custom_better else poor})


def run(emulator: Emulator, stack: dict[str, str], profile: str, dataset: Path = DATASET) -> dict[str, Any]:
    emulator.client("s3").put_object(
        Bucket=stack["DataBucketName"], Key=f"incoming/{profile}/train.jsonl", Body=dataset.read_bytes()
    )
    (execution,) = emulator.wait_for_executions(stack["CustomizeStateMachineArn"], 1, timeout=180)
    states = emulator.states_entered(execution["executionArn"])
    caught = [
        json.loads(e["stateEnteredEventDetails"]["input"]).get("error")
        for e in emulator.execution_history(execution["executionArn"])
        if e["type"] == "FailStateEntered"
    ]
    assert execution["status"] == "SUCCEEDED", (states[8:], caught)
    return execution


def report(emulator: Emulator, stack: dict[str, str], name: str) -> Any:
    s3 = emulator.client("s3")
    listed = s3.list_objects_v2(Bucket=stack["DataBucketName"], Prefix="reports/")["Contents"]
    (key,) = [item["Key"] for item in listed if item["Key"].endswith(f"/{name}")]
    return s3.get_object(Bucket=stack["DataBucketName"], Key=key)["Body"].read().decode()


def deployments(emulator: Emulator) -> list[dict[str, Any]]:
    return list(emulator.client("bedrock").list_custom_model_deployments()["modelDeploymentSummaries"])


def completed_alert(emulator: Emulator) -> str:
    alerts = [a for a in emulator.read_alerts(timeout=5) if "completed" in str(a["subject"])]
    assert alerts, "no completed alert"
    return str(alerts[-1]["message"])


def test_a_custom_model_that_beats_its_base_is_served_by_the_deployment_the_evaluation_created(
    emulator: Emulator, stack: dict[str, str]
) -> None:
    script(emulator, custom_better=True)
    execution = run(emulator, stack, "eval-od")

    output = json.loads(execution["output"])
    states = emulator.states_entered(execution["executionArn"])
    assert "Collect answers" in states and "Score answers" in states
    assert output["evaluation"]["gate"]["passed"] is True
    assert output["evaluation"]["comparison"]["delta"] > 0.05
    assert output["evaluationRelease"]["action"] == "kept"
    # One deployment: the one the evaluation created is the one served (same name and token).
    (deployment,) = deployments(emulator)
    assert deployment["status"] == "Active"
    assert output["serving"]["modelArn"] == deployment["customModelDeploymentArn"]
    rows = [json.loads(line) for line in report(emulator, stack, "evaluation.jsonl").splitlines()]
    assert len(rows) == 6 and all(row["scores"]["custom"]["tokenF1"] == 1.0 for row in rows)
    summary = json.loads(report(emulator, stack, "evaluation.json"))
    assert summary["gate"]["passed"] is True and summary["models"]["custom"]["count"] == 6


def test_a_custom_model_worse_than_its_base_gets_no_serving_and_its_evaluation_deployment_is_deleted(
    emulator: Emulator, stack: dict[str, str]
) -> None:
    script(emulator, custom_better=False)
    execution = run(emulator, stack, "eval-od")

    output = json.loads(execution["output"])
    states = emulator.states_entered(execution["executionArn"])
    assert output["evaluation"]["gate"]["passed"] is False
    assert output["serving"]["status"] == "WithheldByEvaluation"
    assert "Serve the model?" not in states and "Withhold serving" in states
    assert output["evaluationRelease"]["action"] == "deleted"
    assert all(d["status"] != "Active" for d in deployments(emulator)) or deployments(emulator) == []
    summary = json.loads(report(emulator, stack, "evaluation.json"))
    assert summary["comparison"]["delta"] < 0


def test_throttling_inside_the_map_is_retried_and_every_prompt_is_answered(
    emulator: Emulator, stack: dict[str, str]
) -> None:
    script(emulator, custom_better=True)
    for _ in range(3):
        emulator.bedrock.inference.faults.queued.append(ThrottlingException("Too many requests, please wait."))
    execution = run(emulator, stack, "eval-od")

    output = json.loads(execution["output"])
    assert output["evaluation"]["unanswered"] == 0 and output["evaluation"]["prompts"] == 6
    throttled = [c for c in emulator.bedrock.inference.calls if c.error and "Throttling" in c.error]
    assert len(throttled) == 3


def test_a_failing_judge_job_is_reported_and_the_gate_still_decides(emulator: Emulator, stack: dict[str, str]) -> None:
    script(emulator, custom_better=True)
    emulator.bedrock.evaluations.fail_next("The evaluator model could not be invoked.")
    execution = run(emulator, stack, "eval-judged")

    output = json.loads(execution["output"])
    states = emulator.states_entered(execution["executionArn"])
    assert "Create judge job for base model" in states and "Record judge failure" in states
    assert output["judge"]["status"] == "Failed"
    assert output["evaluation"]["gate"]["passed"] is True
    # The profile serves nothing: the evaluation's deployment is deleted either way.
    assert output["evaluationRelease"]["action"] == "deleted"


def test_a_judged_evaluation_merges_both_judge_jobs_scores(emulator: Emulator, stack: dict[str, str]) -> None:
    script(emulator, custom_better=True)
    execution = run(emulator, stack, "eval-judged")

    output = json.loads(execution["output"])
    assert output["judge"]["status"] == "Completed"
    means = output["judge"]["means"]
    assert means["custom"]["Correctness"] > means["base"]["Correctness"]
    summary = json.loads(report(emulator, stack, "evaluation.json"))
    assert summary["judge"]["means"] == means


def test_the_completed_alert_leads_with_the_verdict_and_says_nothing_was_served(
    emulator: Emulator, stack: dict[str, str]
) -> None:
    script(emulator, custom_better=False)
    run(emulator, stack, "eval-od")

    message = " ".join(completed_alert(emulator).split())
    assert message.lower().startswith("custom") and "tokenF1" in message
    assert "wins" in message and "Nothing was served or bought" in message


def llama_evaluation_set(emulator: Emulator, stack: dict[str, str], profile: str) -> dict[str, str]:
    """A companion `train.eval.jsonl` from the Llama example's records: prompt -> reference."""
    records = [json.loads(line) for line in LLAMA_DATASET.read_text().splitlines()[:6]]
    expected = {r["prompt"]: r["completion"] for r in records}
    body = "".join(json.dumps({"prompt": p, "referenceResponse": c}) + "\n" for p, c in expected.items())
    emulator.client("s3").put_object(
        Bucket=stack["DataBucketName"], Key=f"incoming/{profile}/train.eval.jsonl", Body=body.encode()
    )
    return expected


def jobs(emulator: Emulator) -> list[dict[str, Any]]:
    return list(emulator.client("bedrock").list_model_customization_jobs()["modelCustomizationJobSummaries"])


def throughputs(emulator: Emulator) -> list[dict[str, Any]]:
    return list(emulator.client("bedrock").list_provisioned_model_throughputs()["provisionedModelSummaries"])


def test_a_base_model_already_good_enough_stops_the_run_before_any_job_is_created(
    emulator: Emulator, stack: dict[str, str]
) -> None:
    emulator.bedrock.inference.scripted_answers[FOUNDATION] = lambda prompt: references().get(prompt, "")
    execution = run(emulator, stack, "eval-first")

    output = json.loads(execution["output"])
    states = emulator.states_entered(execution["executionArn"])
    assert output["baseline"]["skipTraining"] is True and output["baseline"]["score"] >= 0.8
    assert "Training skipped" in states and "Notify job starting" not in states
    assert jobs(emulator) == [] and deployments(emulator) == []
    # Only the base model was asked, once per prompt of the set.
    asked = [c for c in emulator.bedrock.inference.calls if c.api == "Converse"]
    assert {c.kind for c in asked} == {FOUNDATION} and len(asked) == output["baselineSetup"]["count"] == 6
    assert json.loads(report(emulator, stack, "baseline.json"))["skipTraining"] is True
    alerts = [a for a in emulator.read_alerts(timeout=5) if "training skipped" in str(a["subject"])]
    assert alerts and "No customization job was created" in " ".join(str(alerts[-1]["message"]).split())
    assert "tokenF1" in str(alerts[-1]["message"])


def test_a_base_model_below_the_target_is_trained_and_evaluated_on_the_same_set(
    emulator: Emulator, stack: dict[str, str]
) -> None:
    script(emulator, custom_better=True)
    execution = run(emulator, stack, "eval-first")

    output = json.loads(execution["output"])
    states = emulator.states_entered(execution["executionArn"])
    assert output["baseline"]["skipTraining"] is False and output["baseline"]["score"] < 0.8
    assert states.index("Score base answers") < states.index("Notify job starting") < states.index("Score answers")
    assert len(jobs(emulator)) == 1
    assert output["evaluation"]["gate"]["passed"] is True
    assert output["baselineSetup"]["setKey"] == output["evaluationSetup"]["setKey"]


def test_evaluation_is_skipped_with_its_reason_when_the_custom_model_cannot_be_served(
    emulator: Emulator, stack: dict[str, str]
) -> None:
    llama_evaluation_set(emulator, stack, "eval-llama")
    execution = run(emulator, stack, "eval-llama", LLAMA_DATASET)

    output = json.loads(execution["output"])
    states = emulator.states_entered(execution["executionArn"])
    assert output["evaluation"]["status"] == "Skipped" and "allowThroughput" in output["evaluation"]["reason"]
    assert "Record evaluation skipped" in states and "Collect answers" not in states
    # Nothing was bought to evaluate it, and no model was asked.
    assert throughputs(emulator) == [] and deployments(emulator) == []
    assert [c for c in emulator.bedrock.inference.calls if c.api == "Converse"] == []
    message = " ".join(completed_alert(emulator).split())
    assert "Evaluation skipped" in message and "no on-demand custom model deployment" in message


def test_with_allow_throughput_a_losing_model_gets_no_commitment_throughput_that_is_deleted(
    emulator: Emulator, stack: dict[str, str]
) -> None:
    expected = llama_evaluation_set(emulator, stack, "eval-llama-pt")
    emulator.bedrock.inference.scripted_answers.update(
        {FOUNDATION: lambda p: expected.get(p, ""), PROVISIONED: lambda p: "I cannot help with that."}
    )
    execution = run(emulator, stack, "eval-llama-pt", LLAMA_DATASET)

    output = json.loads(execution["output"])
    assert output["evaluationSetup"]["request"]["kind"] == "provisioned"
    assert output["evaluationSetup"]["request"]["hasCommitment"] is False
    arn = output["evaluationResource"]["arn"]
    assert ":provisioned-model/" in arn
    assert output["evaluation"]["gate"]["passed"] is False
    assert output["evaluationRelease"] == {
        "action": "deleted",
        "arn": arn,
        "reason": "the custom model did not pass the gate, so nothing is served",
    }
    assert throughputs(emulator) == []
    # The custom model was asked through that throughput.
    assert {c.model_id for c in emulator.bedrock.inference.calls if c.kind == PROVISIONED} == {arn}
    assert output["serving"]["status"] == "WithheldByEvaluation"
    # The budget check counted the throughput's hours.
    assert output["guard"]["evaluation"]["throughputUsd"] > 0
