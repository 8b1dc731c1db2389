"""Reinforcement fine-tuning jobs in the simulation (docs/bedrock.md §13).

Gap: moto has no RFT. A simulated RFT job checks its prompts as Bedrock documents them (100-20,000 records with
`messages` and `reference_answer`, text only, no validation set), and when its training time is up it runs a few
simulated steps: each step samples prompts, writes answers (the reference answer more often as training goes on,
empty otherwise) and sends them to the job's grader Lambda in the documented request shape. A grader that fails
or breaks the response contract fails the job, as it would in AWS, so a broken grader shows in a workflow test.
The rewards become the job's step-wise metrics file (reward column), and each grader call's latency is kept.
"""

from __future__ import annotations

import csv
import io
import json
import random
import time
from collections.abc import Callable
from dataclasses import dataclass, field
from typing import Any

REINFORCEMENT_FINE_TUNING = "REINFORCEMENT_FINE_TUNING"
PROMPTS = (100, 20_000)
MAX_STEPS = 10
SAMPLES_PER_STEP = 4
# Simulated policy: the share of sampled answers that are right grows from the first step to the last.
FIRST_SHARE, LAST_SHARE = 0.3, 0.9

# (grader ARN, samples) -> (payload, errored): the emulator invokes the deployed function in-process.
InvokeGrader = Callable[[str, list[dict[str, Any]]], tuple[Any, bool]]


@dataclass
class RftRun:
    csv: str = ""
    rewards: list[float] = field(default_factory=list)
    latencies_ms: list[float] = field(default_factory=list)
    failure: str | None = None


def grader_arn(customization_config: dict[str, Any] | None) -> str | None:
    config = (customization_config or {}).get("rftConfig") or {}
    return ((config.get("graderConfig") or {}).get("lambdaGrader") or {}).get("lambdaArn")


def prompts_problem(bodies: list[bytes], has_validation: bool) -> str | None:
    """The failureMessage of an RFT job on these prompts, or None."""
    if has_validation:
        return "Validation data is not supported for reinforcement fine-tuning: remove validationDataConfig."
    count = 0
    for body in bodies:
        for number, line in enumerate(body.splitlines(), 1):
            if not line.strip():
                continue
            count += 1
            record = json.loads(line)
            messages = record.get("messages")
            if not isinstance(messages, list) or not messages or "reference_answer" not in record:
                return f"Record {number} needs 'messages' and 'reference_answer' for reinforcement fine-tuning."
            if any(not isinstance(m, dict) or not isinstance(m.get("content"), str) for m in messages):
                return f"Record {number}: reinforcement fine-tuning accepts text content only."
    low, high = PROMPTS
    if not low <= count <= high:
        return f"Reinforcement fine-tuning needs {low} to {high} prompts; the training data has {count}."
    return None


def run(seed: str, bodies: list[bytes], arn: str, invoke: InvokeGrader, epochs: int) -> RftRun:
    records = [json.loads(line) for body in bodies for line in body.splitlines() if line.strip()]
    rng = random.Random(seed)
    steps = max(1, min(MAX_STEPS, epochs * 2))
    result = RftRun()
    out = io.StringIO()
    writer = csv.writer(out, lineterminator="\n")
    writer.writerow(["step_number", "epoch_number", "reward_mean"])
    for step in range(steps):
        share = FIRST_SHARE + (LAST_SHARE - FIRST_SHARE) * step / max(1, steps - 1)
        samples = [
            _sample(rng.choice(records), f"step{step}-{i}", rng.random() < share) for i in range(SAMPLES_PER_STEP)
        ]
        started = time.perf_counter()
        payload, errored = invoke(arn, samples)
        result.latencies_ms.append((time.perf_counter() - started) * 1000)
        scores = _scores(payload, errored, samples)
        if isinstance(scores, str):
            result.failure = f"The grader Lambda function {arn} failed at step {step}: {scores}"
            return result
        mean = sum(scores) / len(scores)
        result.rewards.append(mean)
        writer.writerow([step, step * max(epochs, 1) // steps, f"{mean:.6f}"])
    result.csv = out.getvalue()
    return result


def _sample(record: dict[str, Any], sample_id: str, right: bool) -> dict[str, Any]:
    reference = record["reference_answer"]
    if isinstance(reference, dict) and len(reference) == 1:
        answer = str(next(iter(reference.values())))
    else:
        answer = reference if isinstance(reference, str) else json.dumps(reference)
    metadata = {k: v for k, v in record.items() if k not in ("messages", "id")}
    return {
        "id": sample_id,
        "messages": [*record["messages"], {"role": "assistant", "content": answer if right else ""}],
        "metadata": metadata,
    }


def _scores(payload: Any, errored: bool, samples: list[dict[str, Any]]) -> list[float] | str:
    """The rewards in sample order, or why the response breaks the contract."""
    if errored:
        return f"the function returned an error: {str(payload)[:300]}"
    try:
        rewards = json.loads(payload) if isinstance(payload, str | bytes) else payload
    except ValueError:
        return "the response is not JSON"
    if not isinstance(rewards, list):
        return "the response is not a list of rewards"
    by_id = {r.get("id"): r.get("aggregate_reward_score") for r in rewards if isinstance(r, dict)}
    scores = []
    for sample in samples:
        value = by_id.get(sample["id"])
        if isinstance(value, bool) or not isinstance(value, int | float) or not 0 <= value <= 1:
            return f"no aggregate_reward_score from 0 to 1 for sample {sample['id']}"
        scores.append(float(value))
    return scores
