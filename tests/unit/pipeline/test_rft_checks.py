"""The checks before an RFT job (docs/bedrock.md §13): a grader that cannot tell right from wrong stops the run
with the samples in the message; the base model's mean reward stops it above skipTrainingAbove and at 0."""

from __future__ import annotations

import io
import json
from pathlib import Path
from typing import Any

import pytest

from tuneline.errors import BaselineAlreadyGood, BaselineScoresZero, GraderDryRunFailed
from tuneline.graders.contract import grade_samples
from tuneline.pipeline.rft_checks import base_inference_id, baseline, dry_run_grader
from tuneline.profiles import parse_profiles

EXAMPLE = Path(__file__).resolve().parents[3] / "examples" / "math-rft" / "prompts.jsonl"
PLAN = {"profile": "math", "source": {"bucket": "data"}, "stagedTrainingKey": "staged/job/train.jsonl"}
GRADER = "arn:aws:lambda:us-east-1:111122223333:function:grader"


def profile(**rft: Any) -> Any:
    body = {
        "baseModel": "amazon.nova-2-lite-v1:0:256k",
        "customizationType": "REINFORCEMENT_FINE_TUNING",
        "rftConfig": {"grader": {"type": "numeric", "referenceField": "final_answer"}, **rft},
    }
    return parse_profiles({"math": body})["math"]


def plan(**rft: Any) -> dict[str, Any]:
    """The plan the Plan function writes for the profile: the checks read rftConfig from it, not the profiles."""
    settings = profile(**rft)
    return {**PLAN, "baseModelIdentifier": settings.base_model, "rftConfig": settings.rft.as_written()}


def reference_answers() -> dict[str, str]:
    records = [json.loads(line) for line in EXAMPLE.read_text().splitlines()]
    return {r["messages"][1]["content"]: r["reference_answer"]["final_answer"] for r in records}


class StagedFile:
    def get_object(self, Bucket: str, Key: str) -> dict[str, Any]:
        assert (Bucket, Key) == ("data", PLAN["stagedTrainingKey"])

        class Body(io.BytesIO):
            def iter_lines(self) -> Any:
                return iter(self.getvalue().splitlines())

        return {"Body": Body(EXAMPLE.read_bytes())}


class GraderLambda:
    """Plays Lambda's Invoke for a grader: the real built-in grader, a constant one, or a broken one."""

    def __init__(self, score: Any = None, error: str | None = None) -> None:
        self.score, self.error, self.calls = score, error, 0

    def invoke(self, FunctionName: str, Payload: bytes) -> dict[str, Any]:
        self.calls += 1
        samples = json.loads(Payload)
        if self.error:
            return {
                "FunctionError": "Unhandled",
                "Payload": io.BytesIO(json.dumps({"errorMessage": self.error}).encode()),
            }
        if self.score is None:
            spec = profile().rft.grader
            rewards = grade_samples(samples, spec)
        else:
            rewards = [{"id": s["id"], "aggregate_reward_score": self.score} for s in samples]
        return {"Payload": io.BytesIO(json.dumps(rewards).encode())}


class BaseModel:
    def __init__(self, answer: Any) -> None:
        self.answer, self.models = answer, set()

    def converse(self, **request: Any) -> dict[str, Any]:
        self.models.add(request["modelId"])
        question = request["messages"][-1]["content"][0]["text"]
        return {"output": {"message": {"content": [{"text": self.answer(question)}]}}}


def test_a_working_grader_passes_the_dry_run() -> None:
    grader = GraderLambda()
    result = dry_run_grader(plan(), GRADER, s3=StagedFile(), lambda_client=grader)
    assert result["passed"] and result["referenceMean"] == 1.0 and result["wrongMean"] == 0.0
    assert grader.calls == 1


@pytest.mark.parametrize("constant", [1.0, 0.5, 0.0])
def test_a_constant_grader_stops_the_run_and_the_message_shows_samples(constant: float) -> None:
    with pytest.raises(GraderDryRunFailed) as failure:
        dry_run_grader(plan(), GRADER, s3=StagedFile(), lambda_client=GraderLambda(score=constant))
    message = str(failure.value)
    assert "cannot tell right from wrong" in message
    assert "Eli shares 80 cookies" in message and '"score": ' in message


def test_a_grader_that_errors_stops_the_run() -> None:
    with pytest.raises(GraderDryRunFailed, match="KeyError: 'metadata'"):
        dry_run_grader(plan(), GRADER, s3=StagedFile(), lambda_client=GraderLambda(error="KeyError: 'metadata'"))


def test_a_base_model_that_already_answers_right_stops_the_run() -> None:
    answers = reference_answers()
    model = BaseModel(lambda question: f"Working... {answers[question]}")
    with pytest.raises(BaselineAlreadyGood, match=r"already scores 1\.00"):
        baseline(plan(), GRADER, region="us-east-1", s3=StagedFile(), lambda_client=GraderLambda(), runtime=model)
    assert model.models == {"us.amazon.nova-2-lite-v1:0"}


def test_a_base_model_that_scores_zero_stops_the_run_and_suggests_fine_tuning() -> None:
    model = BaseModel(lambda question: "I do not know.")
    with pytest.raises(BaselineScoresZero, match="fine-tune it first"):
        baseline(plan(), GRADER, region="us-east-1", s3=StagedFile(), lambda_client=GraderLambda(), runtime=model)


def test_a_base_model_in_between_trains_and_reports_its_mean_reward() -> None:
    answers = reference_answers()
    seen: list[str] = []

    def half_right(question: str) -> str:
        seen.append(question)
        return answers[question] if len(seen) % 2 else "no idea"

    result = baseline(
        plan(baselineSamples=10),
        GRADER,
        region="us-east-1",
        s3=StagedFile(),
        lambda_client=GraderLambda(),
        runtime=BaseModel(half_right),
    )
    assert result == {"meanReward": 0.5, "samples": 10, "verdict": "train", "modelId": "us.amazon.nova-2-lite-v1:0"}


def test_baseline_samples_0_skips_the_baseline() -> None:
    assert baseline(plan(baselineSamples=0), GRADER, region="us-east-1", s3=None, lambda_client=None, runtime=None) == {
        "skipped": True
    }


def test_the_base_model_is_called_through_the_regions_inference_profile() -> None:
    assert base_inference_id("amazon.nova-2-lite-v1:0:256k", "eu-west-1") == "eu.amazon.nova-2-lite-v1:0"
