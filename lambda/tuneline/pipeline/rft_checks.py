"""The checks before a reinforcement fine-tuning job: the grader dry run and the base model's baseline
(decisions in `tuneline.graders.checks`; docs/bedrock.md §13). Both read sample prompts from the staged training
file and call the profile's grader Lambda the way Bedrock will."""

from __future__ import annotations

import json
import time
from collections.abc import Mapping
from typing import Any

from tuneline.datasets.models import resolve_model
from tuneline.errors import BaselineAlreadyGood, BaselineScoresZero, GraderDryRunFailed
from tuneline.graders.checks import Prompt, dry_run_samples, judge_baseline, judge_dry_run, show_samples
from tuneline.graders.contract import parse_rewards
from tuneline.graders.rules import GradingError
from tuneline.graders.spec import RftSettings, parse_rft_settings

# Tokens the base model may write per baseline answer when the profile sets no inferenceMaxTokens.
DEFAULT_BASELINE_MAX_TOKENS = 1024
# Geography prefixes of the system inference profiles, by Region prefix (docs/bedrock.md §12.3: newer models
# such as Nova 2 Lite are called on demand only through one).
_GEOGRAPHIES = {"us": "us", "eu": "eu", "ap": "apac", "ca": "us", "sa": "us"}


def sample_prompts(s3: Any, bucket: str, key: str, count: int) -> list[Prompt]:
    """The first `count` prompts of the staged file (validated already, so every line is a record)."""
    prompts: list[Prompt] = []
    body = s3.get_object(Bucket=bucket, Key=key)["Body"]
    for number, line in enumerate(body.iter_lines(), 1):
        if len(prompts) >= count:
            break
        if line.strip():
            prompts.append(Prompt.from_record(json.loads(line), number))
    return prompts


def invoke_grader(lambda_client: Any, grader_arn: str, samples: list[dict[str, Any]]) -> tuple[dict[str, float], float]:
    """Scores by sample id and the call's seconds; GradingError when the grader fails or breaks the contract."""
    started = time.monotonic()
    response = lambda_client.invoke(FunctionName=grader_arn, Payload=json.dumps(samples).encode())
    elapsed = time.monotonic() - started
    payload = response["Payload"].read()
    if response.get("FunctionError"):
        raise GradingError(f"the grader failed: {payload[:300].decode(errors='replace')}")
    try:
        rewards = json.loads(payload)
    except ValueError:
        raise GradingError(f"the grader returned no JSON: {payload[:120]!r}") from None
    return parse_rewards(rewards, [s["id"] for s in samples]), elapsed


def dry_run_grader(plan: Mapping[str, Any], grader_arn: str, *, s3: Any, lambda_client: Any) -> dict[str, Any]:
    settings = rft_settings(plan)
    prompts = sample_prompts(s3, plan["source"]["bucket"], plan["stagedTrainingKey"], settings.dry_run_samples)
    samples, right, wrong = dry_run_samples(prompts, settings.grader)
    try:
        scores, seconds = invoke_grader(lambda_client, grader_arn, samples)
    except GradingError as error:
        raise GraderDryRunFailed(
            f"the grader {grader_arn} could not score {len(samples)} sample answers: {error}. Nothing was started: "
            f"fix the grader of profile {plan['profile']!r} and upload the dataset again. Samples: "
            f"{json.dumps(show_samples(samples, {}), ensure_ascii=False)}"
        ) from None
    result = judge_dry_run(samples, scores, right, wrong)
    if not result.passed:
        raise GraderDryRunFailed(
            f"the grader of profile {plan['profile']!r} cannot tell right from wrong answers: {result.problem}. "
            "Nothing was started: fix the grader (or the reference answers) and upload the dataset again. "
            f"Samples: {json.dumps(result.shown, ensure_ascii=False)}"
        )
    return {**result.to_dict(), "graderSeconds": round(seconds, 3)}


def baseline(
    plan: Mapping[str, Any],
    grader_arn: str,
    *,
    region: str,
    s3: Any,
    lambda_client: Any,
    runtime: Any,
) -> dict[str, Any]:
    """The base model's mean reward on sample prompts; stops the run when RFT would not help."""
    settings = rft_settings(plan)
    if settings.baseline_samples == 0:
        return {"skipped": True}
    prompts = sample_prompts(s3, plan["source"]["bucket"], plan["stagedTrainingKey"], settings.baseline_samples)
    model_id = base_inference_id(plan["baseModelIdentifier"], region)
    max_tokens = int(settings.hyperparameters.get("inferenceMaxTokens", DEFAULT_BASELINE_MAX_TOKENS))
    samples = [p.sample(f"base-{i}", _answer(runtime, model_id, p, max_tokens)) for i, p in enumerate(prompts)]
    try:
        scores, _ = invoke_grader(lambda_client, grader_arn, samples)
    except GradingError as error:
        raise GraderDryRunFailed(f"the grader {grader_arn} could not score the base model's answers: {error}") from None
    result = judge_baseline([scores[s["id"]] for s in samples], settings.skip_training_above)
    shown = json.dumps(show_samples(samples, scores), ensure_ascii=False)
    if result.verdict == "already-good":
        raise BaselineAlreadyGood(
            f"the base model {model_id} already scores {result.mean:.2f} on average over {result.samples} prompts, "
            f"above skipTrainingAbove {settings.skip_training_above} of profile {plan['profile']!r}: the base model "
            f"already does this, so no RFT job was started. Samples: {shown}"
        )
    if result.verdict == "no-reward":
        raise BaselineScoresZero(
            f"the base model {model_id} scores 0 on all {result.samples} sample prompts, so RFT has no reward to "
            "learn from: fine-tune it first (customizationType FINE_TUNING with answers to imitate), then run RFT "
            f"on the fine-tuned model, or check the grader. Samples: {shown}"
        )
    return {**result.to_dict(), "modelId": model_id}


def base_inference_id(base_model: str, region: str) -> str:
    """`amazon.nova-2-lite-v1:0:256k` in us-east-1 -> `us.amazon.nova-2-lite-v1:0`: the customization suffix
    dropped, called through the Region's system inference profile."""
    parts = base_model.split(":")
    model = ":".join(parts[:2])
    geography = _GEOGRAPHIES.get(region.split("-", 1)[0], "us")
    return f"{geography}.{model}"


def _answer(runtime: Any, model_id: str, prompt: Prompt, max_tokens: int) -> str:
    system = [{"text": _text(m)} for m in prompt.messages if m.get("role") == "system"]
    messages = [
        {"role": m["role"], "content": [{"text": _text(m)}]}
        for m in prompt.messages
        if m.get("role") in ("user", "assistant")
    ]
    request: dict[str, Any] = {"modelId": model_id, "messages": messages, "inferenceConfig": {"maxTokens": max_tokens}}
    if system:
        request["system"] = system
    return _answer_text(runtime.converse(**request))


def _text(message: Mapping[str, Any]) -> str:
    content = message.get("content", "")
    if isinstance(content, list):
        return "".join(p.get("text", "") for p in content if isinstance(p, dict))
    return str(content)


def rft_settings(plan: Mapping[str, Any]) -> RftSettings:
    """The profile's rftConfig as the Plan function wrote it into the plan: only Plan reads the profiles
    (docs/decisions/0010-profiles-at-run-time.md), every later step reads the plan."""
    config = plan.get("rftConfig")
    if not config:
        raise GraderDryRunFailed(f"profile {plan['profile']!r} has no rftConfig; it does not train with a grader")
    rules = resolve_model(plan["baseModelIdentifier"])
    return parse_rft_settings(config, rules.rft_hyperparameters, f"profiles.{plan['profile']}.rftConfig")


def converse_text(runtime: Any, model_id: str, prompt: str, max_tokens: int) -> str:
    """One user prompt to a Bedrock model, its text answer (the llmJudge grader's call)."""
    response = runtime.converse(
        modelId=model_id,
        messages=[{"role": "user", "content": [{"text": prompt}]}],
        inferenceConfig={"maxTokens": max_tokens, "temperature": 0.0},
    )
    return _answer_text(response)


def _answer_text(response: Mapping[str, Any]) -> str:
    blocks = response.get("output", {}).get("message", {}).get("content", [])
    return "".join(block.get("text", "") for block in blocks if isinstance(block, dict))
