"""Simulated Bedrock evaluation jobs in bring-your-own-inference mode (docs/bedrock.md §12.1, §12.3).

moto has no evaluation jobs. A job here reads its dataset (`prompt`, `referenceResponse`, `modelResponses`),
"judges" every stored response by the share of reference words it contains (so a better answer scores higher,
as a judge would score it), and when its simulated duration is over writes one JSONL line per prompt to
`<output>/<job name>/<job id>/models/<source>/taskTypes/<task>/datasets/<dataset>/<id>_output.jsonl`, with
`automatedEvaluationResult.scores[]` of `metricName` and `result`. Job names follow §12.1's pattern and must be
unique. Knob: `fail_next(message)` makes the next job end Failed with that message in `failureMessages`.
"""

from __future__ import annotations

import json
import re
import uuid
from collections import deque
from dataclasses import dataclass, field
from datetime import timedelta
from typing import Any

from local.bedrock.context import SimContext, iso
from local.bedrock.errors import ConflictException, ResourceNotFoundException, ValidationException

JOB_NAME = re.compile(r"^[a-z0-9](-*[a-z0-9]){0,62}$")
MAX_PROMPTS = 1000
DURATION_SECONDS = 1800
_WORD = re.compile(r"[a-z0-9]+")


@dataclass
class EvaluationJob:
    arn: str
    name: str
    request: dict[str, Any]
    created: Any
    ends: Any
    failure: str | None
    status: str = "InProgress"
    written: bool = False

    def describe(self) -> dict[str, Any]:
        described = {
            "jobName": self.name,
            "jobArn": self.arn,
            "status": self.status,
            "roleArn": self.request.get("roleArn"),
            "jobType": "Automated",
            "applicationType": self.request.get("applicationType", "ModelEvaluation"),
            "evaluationConfig": self.request.get("evaluationConfig"),
            "inferenceConfig": self.request.get("inferenceConfig"),
            "outputDataConfig": self.request.get("outputDataConfig"),
            "creationTime": iso(self.created),
            "lastModifiedTime": iso(self.ends if self.status != "InProgress" else self.created),
        }
        if self.status == "Failed":
            described["failureMessages"] = [self.failure]
        return described


@dataclass
class EvaluationJobs:
    context: SimContext
    jobs: dict[str, EvaluationJob] = field(default_factory=dict)
    failures: deque[str] = field(default_factory=deque)

    def fail_next(self, message: str) -> None:
        self.failures.append(message)

    def create(self, params: dict[str, Any]) -> dict[str, Any]:
        name = str(params.get("jobName") or "")
        if not JOB_NAME.fullmatch(name):
            raise ValidationException(
                f"1 validation error detected: Value '{name}' at 'jobName' failed to satisfy constraint: Member "
                "must satisfy regular expression pattern: [a-z0-9](-*[a-z0-9]){0,62}"
            )
        if any(job.name == name for job in self.jobs.values()):
            raise ConflictException(f"An evaluation job with the name {name} already exists.")
        configs = ((params.get("evaluationConfig") or {}).get("automated") or {}).get("datasetMetricConfigs") or []
        if not configs or not (params.get("inferenceConfig") or {}).get("models"):
            raise ValidationException("An automated evaluation job needs datasetMetricConfigs and one model.")
        arn = f"arn:aws:bedrock:{self.context.region}:{self.context.account_id}:evaluation-job/{uuid.uuid4().hex[:12]}"
        now = self.context.now()
        job = EvaluationJob(
            arn,
            name,
            params,
            now,
            now + timedelta(seconds=DURATION_SECONDS),
            self.failures.popleft() if self.failures else None,
        )
        self.jobs[arn] = job
        return {"jobArn": arn}

    def get(self, identifier: str) -> EvaluationJob:
        job = self.jobs.get(identifier) or next((j for j in self.jobs.values() if j.name == identifier), None)
        if job is None:
            raise ResourceNotFoundException(f"Evaluation job {identifier} not found.")
        self._advance(job)
        return job

    def _advance(self, job: EvaluationJob) -> None:
        if job.status != "InProgress" or self.context.now() < job.ends:
            return
        if job.failure:
            job.status = "Failed"
            return
        self._write_output(job)
        job.status = "Completed"

    def _write_output(self, job: EvaluationJob) -> None:
        config = job.request["evaluationConfig"]["automated"]["datasetMetricConfigs"][0]
        dataset_uri = str(config["dataset"]["datasetLocation"]["s3Uri"])
        bucket, key = dataset_uri[len("s3://") :].split("/", 1)
        body = self.context.store.read(bucket, key) or b""
        source = job.request["inferenceConfig"]["models"][0]["precomputedInferenceSource"]["inferenceSourceIdentifier"]
        lines = []
        for line in body.decode().splitlines()[:MAX_PROMPTS]:
            if not line.strip():
                continue
            record = json.loads(line)
            response = " ".join(r.get("response", "") for r in record.get("modelResponses", []))
            score = _overlap(response, str(record.get("referenceResponse", "")))
            scores = [{"metricName": m.removeprefix("Builtin."), "result": score} for m in config["metricNames"]]
            lines.append(json.dumps({"automatedEvaluationResult": {"scores": scores}, "inputRecord": record}))
        out_bucket, out_prefix = str(job.request["outputDataConfig"]["s3Uri"])[len("s3://") :].split("/", 1)
        job_id = job.arn.rsplit("/", 1)[-1]
        dataset = config["dataset"]["name"]
        key = (
            f"{out_prefix.rstrip('/')}/{job.name}/{job_id}/models/{source}/taskTypes/{config['taskType']}/"
            f"datasets/{dataset}/{uuid.uuid4().hex[:8]}_output.jsonl"
        )
        self.context.store.write(out_bucket, key, "".join(f"{line}\n" for line in lines).encode(), "application/jsonl")


def _overlap(response: str, reference: str) -> float:
    wanted = set(_WORD.findall(reference.lower()))
    if not wanted:
        return 0.0
    return round(len(wanted & set(_WORD.findall(response.lower()))) / len(wanted), 4)
