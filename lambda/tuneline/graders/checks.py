"""The checks before a reinforcement fine-tuning job, as decisions on plain data (docs/bedrock.md §13).

* Dry run: the grader scores sample prompts with their reference answer as the response (must score high) and
  with an empty or another prompt's answer (must score low). A grader that errors, breaks the contract or
  cannot tell them apart would train the model on noise, so the run stops before it costs anything.
* Baseline: the base model answers sample prompts and the grader scores them. A base model that already scores
  above `skipTrainingAbove` gains little from RFT; one that scores 0 gives RFT no reward to learn from, and
  supervised fine-tuning should come first.
"""

from __future__ import annotations

import json
from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field
from typing import Any

from tuneline.graders.rules import GradingError, reference_text
from tuneline.graders.spec import GraderSpec

# A reference answer must score at least this on average, the wrong answers at most LOW, and the two must be
# this far apart: a constant grader (always 1, always 0.5) fails the last rule whatever its level.
HIGH = 0.8
LOW = 0.2
MIN_SEPARATION = 0.5
# How many of the samples an alert shows.
SHOWN_SAMPLES = 3


@dataclass(frozen=True)
class Prompt:
    """One RFT record as the checks use it."""

    id: str
    messages: list[dict[str, Any]]
    reference: Any
    metadata: Mapping[str, Any] = field(default_factory=dict)

    @classmethod
    def from_record(cls, record: Mapping[str, Any], line: int) -> Prompt:
        extras = {k: v for k, v in record.items() if k not in ("messages", "reference_answer", "id")}
        return cls(str(record.get("id", f"line-{line}")), list(record["messages"]), record["reference_answer"], extras)

    def sample(self, sample_id: str, answer: str) -> dict[str, Any]:
        """The prompt with `answer` as the model's turn, shaped as Bedrock sends it to the grader."""
        return {
            "id": sample_id,
            "messages": [*self.messages, {"role": "assistant", "content": answer}],
            "metadata": {"reference_answer": self.reference, **self.metadata},
        }


def reference_response(prompt: Prompt, spec: GraderSpec) -> str:
    """The reference answer written as a model would answer: its text, or its JSON."""
    try:
        return reference_text(prompt.reference, spec.options.get("referenceField"))
    except GradingError:
        return json.dumps(prompt.reference, ensure_ascii=False)


def dry_run_samples(prompts: Sequence[Prompt], spec: GraderSpec) -> tuple[list[dict[str, Any]], list[str], list[str]]:
    """(samples for one grader call, ids answered with the reference, ids answered wrongly)."""
    samples: list[dict[str, Any]] = []
    right: list[str] = []
    wrong: list[str] = []
    for index, prompt in enumerate(prompts):
        expected = reference_response(prompt, spec)
        samples.append(prompt.sample(f"right-{index}", expected))
        right.append(f"right-{index}")
        samples.append(prompt.sample(f"empty-{index}", ""))
        wrong.append(f"empty-{index}")
        other = reference_response(prompts[(index + 1) % len(prompts)], spec)
        if len(prompts) > 1 and other.strip() != expected.strip():
            samples.append(prompt.sample(f"other-{index}", other))
            wrong.append(f"other-{index}")
    return samples, right, wrong


@dataclass(frozen=True)
class DryRunResult:
    passed: bool
    right_mean: float
    wrong_mean: float
    problem: str | None
    shown: list[dict[str, Any]]

    def to_dict(self) -> dict[str, Any]:
        return {
            "passed": self.passed,
            "referenceMean": round(self.right_mean, 4),
            "wrongMean": round(self.wrong_mean, 4),
            "problem": self.problem,
            "samples": self.shown,
        }


def judge_dry_run(
    samples: Sequence[Mapping[str, Any]], scores: Mapping[str, float], right: Sequence[str], wrong: Sequence[str]
) -> DryRunResult:
    right_mean = _mean([scores[i] for i in right])
    wrong_mean = _mean([scores[i] for i in wrong])
    problem = None
    if right_mean < HIGH:
        problem = f"reference answers scored {right_mean:.2f} on average; a grader must give them at least {HIGH}"
    elif wrong_mean > LOW:
        problem = f"empty or wrong answers scored {wrong_mean:.2f} on average; a grader must keep them at most {LOW}"
    elif right_mean - wrong_mean < MIN_SEPARATION:
        problem = f"the grader barely tells right from wrong ({right_mean:.2f} vs {wrong_mean:.2f})"
    return DryRunResult(problem is None, right_mean, wrong_mean, problem, show_samples(samples, scores))


def show_samples(samples: Sequence[Mapping[str, Any]], scores: Mapping[str, float]) -> list[dict[str, Any]]:
    """A few samples as an alert shows them: prompt, answer, reference, score."""
    shown = []
    for sample in list(samples)[: SHOWN_SAMPLES * 3]:
        messages = sample["messages"]
        shown.append(
            {
                "id": sample["id"],
                "prompt": _clip(_content(next((m for m in reversed(messages[:-1]) if m.get("role") == "user"), {}))),
                "answer": _clip(_content(messages[-1])),
                "reference": _clip(json.dumps(sample["metadata"]["reference_answer"], ensure_ascii=False)),
                "score": scores.get(sample["id"]),
            }
        )
    return shown


@dataclass(frozen=True)
class Baseline:
    mean: float
    samples: int
    verdict: str  # "train", "already-good" or "no-reward"

    def to_dict(self) -> dict[str, Any]:
        return {"meanReward": round(self.mean, 4), "samples": self.samples, "verdict": self.verdict}


def judge_baseline(scores: Sequence[float], skip_training_above: float) -> Baseline:
    mean = _mean(scores)
    if mean > skip_training_above:
        verdict = "already-good"
    elif mean == 0.0:
        verdict = "no-reward"
    else:
        verdict = "train"
    return Baseline(mean, len(scores), verdict)


def _mean(values: Sequence[float]) -> float:
    return sum(values) / len(values) if values else 0.0


def _content(message: Mapping[str, Any]) -> str:
    content = message.get("content", "")
    if isinstance(content, list):
        return "".join(p.get("text", "") for p in content if isinstance(p, dict))
    return str(content)


def _clip(text: str, limit: int = 160) -> str:
    return text if len(text) <= limit else text[: limit - 3] + "..."
