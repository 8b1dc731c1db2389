"""Prepare evaluation: stage the evaluation set and decide how the custom model is asked.

The set goes to `staged/<job>/evaluation/set.jsonl` (Bedrock's evaluation dataset format, for the record and
the judge) and `items.jsonl` (what the Distributed Map reads). The custom model answers only through serving
(docs/bedrock.md §6, §12.3), so this step also prepares that purchase with the serving step's own rules
(`serving/request.py`): the same deterministic name and token as the serving the profile asks for, so serving
that passes the gate is the resource the evaluation already created, not a second one.

- an on-demand deployment when the base model supports one (nothing is paid for idle time);
- else no-commitment Provisioned Throughput, only when the profile sets `evaluation.allowThroughput`;
- else the evaluation is skipped and the result says why.

With `base_only` (the check before training, `evaluation.baselineFirst`) only the set is staged: the base model
alone is asked. With `custom_model_id` (an imported model, which answers on demand by its ARN) nothing is bought.
"""

from __future__ import annotations

import datetime as dt
import re
from collections.abc import Mapping
from typing import Any

from tuneline.errors import EvaluationSetInvalid
from tuneline.pipeline.evaluation_answers import stage_prompts
from tuneline.pipeline.evaluation_set import EvaluationPrompt, read_evaluation_set, sample_validation_set
from tuneline.serving.errors import ServingNotPossible
from tuneline.serving.request import prepare_request

READY = "Ready"
SKIPPED = "Skipped"
# `amazon.nova-micro-v1:0:128k` -> `amazon.nova-micro-v1:0`: the context variant is for customization only.
_CONTEXT_VARIANT = re.compile(r"^(?P<model>.+:\d+):[0-9]+k$")
# The evaluation set is small (at most 1,000 prompts); a companion larger than this is a mistake.
MAX_EVALUATION_SET_BYTES = 50 * 1024 * 1024


def prepare_evaluation(
    plan: Mapping[str, Any],
    metrics: Mapping[str, Any] | None,
    job: Mapping[str, Any] | None,
    *,
    execution: str,
    now: dt.datetime,
    s3: Any,
    base_only: bool = False,
    custom_model_id: str | None = None,
) -> dict[str, Any]:
    settings = plan.get("evaluation") or {}
    bucket = str(settings["bucket"])
    prompts, origin = _evaluation_prompts(plan, settings, s3=s3)
    if not prompts:
        return _skipped(
            "there is no evaluation set: add <name>.eval.jsonl beside the dataset, or a validation set "
            "(<name>.validation.jsonl or validationSplit) with assistant answers"
        )
    staged = str(settings["stagedPrefix"])
    stage_prompts(s3, bucket, f"{staged}set.jsonl", str(settings["itemsKey"]), prompts)
    ready = {
        "status": READY,
        "count": len(prompts),
        "origin": origin,
        "baseModelId": base_model_invocation_id(plan),
        "setKey": f"{staged}set.jsonl",
    }
    if base_only:
        return ready
    if custom_model_id:
        return {**ready, "customModelId": custom_model_id}

    route = _serving_route(plan, settings)
    if route is None:
        return _skipped(
            f"{plan.get('baseModelIdentifier')} has no on-demand custom model deployment, and the profile does "
            "not allow no-commitment Provisioned Throughput for evaluation (evaluation.allowThroughput)",
            count=len(prompts),
            origin=origin,
        )
    try:
        request = prepare_request({**plan, "serving": route}, metrics, job, execution=execution, now=now)
    except ServingNotPossible as error:
        return _skipped(str(error), count=len(prompts), origin=origin)
    return {
        **ready,
        # Only the fields the purchase and its release read: the state stays small.
        "request": {
            key: request[key]
            for key in (
                "kind",
                "mode",
                "name",
                "clientRequestToken",
                "modelArn",
                "modelUnits",
                "hasCommitment",
                "tags",
                "description",
                "expiresAt",
            )
        },
    }


def base_model_invocation_id(plan: Mapping[str, Any]) -> str:
    """The ID the base model answers on demand with (docs/bedrock.md §12.3), unless the profile names one."""
    configured = (plan.get("evaluation") or {}).get("baseModelInvocationId")
    if configured:
        return str(configured)
    base = str(plan.get("baseModelIdentifier", ""))
    match = _CONTEXT_VARIANT.match(base)
    return match.group("model") if match else base


def _serving_route(plan: Mapping[str, Any], settings: Mapping[str, Any]) -> dict[str, Any] | None:
    """The serving settings the evaluation buys with (the profile's own when they already fit)."""
    from tuneline.datasets.models import UnknownModelError, resolve_model

    serving = dict(plan.get("serving") or {})
    try:
        on_demand = resolve_model(str(plan.get("baseModelIdentifier", ""))).on_demand_deployment
    except UnknownModelError:
        on_demand = False
    if serving.get("mode") == "on-demand" or on_demand:
        return {**serving, "mode": "on-demand", "commitment": "none"}
    if settings.get("allowThroughput"):
        return {**serving, "mode": "provisioned", "commitment": "none", "modelUnits": serving.get("modelUnits", 1)}
    return None


def _evaluation_prompts(
    plan: Mapping[str, Any], settings: Mapping[str, Any], *, s3: Any
) -> tuple[list[EvaluationPrompt], str]:
    limit = int(settings.get("prompts") or 200)
    source = settings.get("source")
    if source:
        extra = {"VersionId": source["versionId"]} if source.get("versionId") else {}
        head = s3.head_object(Bucket=source["bucket"], Key=source["key"], **extra)
        file = f"s3://{source['bucket']}/{source['key']}"
        if int(head.get("ContentLength", 0)) > MAX_EVALUATION_SET_BYTES:
            raise EvaluationSetInvalid(
                f"{file}: is larger than {MAX_EVALUATION_SET_BYTES // (1024 * 1024)} MB; an evaluation set holds "
                "at most 1,000 prompts"
            )
        text = _read_text(s3, source["bucket"], source["key"], file, **extra)
        return read_evaluation_set(text.splitlines(), file=file, limit=limit), "companion"
    validation_key = plan.get("stagedValidationKey")
    if not validation_key:
        return [], "none"
    text = _read_text(s3, str(settings["bucket"]), str(validation_key), str(validation_key))
    return sample_validation_set(text.splitlines(), limit=limit), "validation sample"


def _read_text(s3: Any, bucket: str, key: str, file: str, **extra: str) -> str:
    body = s3.get_object(Bucket=bucket, Key=key, **extra)["Body"].read()
    try:
        return str(body.decode("utf-8-sig"))
    except UnicodeDecodeError as error:
        raise EvaluationSetInvalid(f"{file}: is not UTF-8 text (byte {error.start}); save it as UTF-8") from None


def _skipped(reason: str, *, count: int = 0, origin: str = "none") -> dict[str, Any]:
    return {"status": SKIPPED, "reason": reason, "count": count, "origin": origin}
