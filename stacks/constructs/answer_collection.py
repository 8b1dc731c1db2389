"""Ask models the prompts of an evaluation set: one Distributed Map, shared by every evaluation in a workflow.

    Ask both models / Ask the base model only (Pass: what to ask, into $.evaluationAsk)
      -> Collect answers (Distributed Map over the items file; per prompt: Ask base model -> Ask the custom model
         too? -> Ask custom model -> Keep both answers, or Keep base answer; results written to S3)

`$.evaluationAsk` holds `itemsKey` (the JSONL items written by `pipeline/evaluation_prepare.py`), `base` and `custom`
(model IDs or ARNs; `custom` empty asks the base model alone, as the check before training does) and `phase`,
which the state after the Map reads to go on to the right scoring step. The results are read back with
`tuneline.pipeline.evaluation_answers` (docs/decisions/0011-evaluation-stage.md).
"""

from __future__ import annotations

from typing import Any

from aws_cdk import Duration
from aws_cdk import aws_s3 as s3
from aws_cdk import aws_stepfunctions as sfn
from aws_cdk import aws_stepfunctions_tasks as tasks
from constructs import Construct

from stacks.constants import STAGED_PREFIX
from stacks.constructs.bedrock_role import bedrock_arn

ASK = "$.evaluationAsk"
ANSWERS_PREFIX = f"{STAGED_PREFIX}evaluation-answers"
# How many prompts are asked at once. Each call reserves input + maxTokens of the model's tokens-per-minute
# quota (docs/bedrock.md §10), so a few at a time keeps both models under it; throttling is retried below.
EVALUATION_MAX_CONCURRENCY = 5
# Throttling inside the Map: Converse answers ThrottlingException when the quota is used up (docs/bedrock.md §10);
# an imported model answers ModelNotReadyException while it loads (docs/bedrock.md §7).
ASK_RETRY_ERRORS = (
    "BedrockRuntime.ThrottlingException",
    "BedrockRuntime.ServiceUnavailableException",
    "BedrockRuntime.InternalServerException",
    "BedrockRuntime.ModelNotReadyException",
)
# Every model the Map may ask: base models (in-Region or through an inference profile), a custom model's
# deployment or throughput, and an imported model.
ASKED_MODELS = [
    "arn:aws:bedrock:*::foundation-model/*",
    bedrock_arn("inference-profile/*"),
    bedrock_arn("custom-model-deployment/*"),
    bedrock_arn("provisioned-model/*"),
    bedrock_arn("imported-model/*"),
]


def ask(scope: Construct, name: str, *, phase: str, items_key: str, base: str, custom: str | None) -> sfn.Pass:
    """The Pass that says what the next `Collect answers` asks; `custom=None` asks the base model alone (an empty
    string, which the child's Choice tests: a null would be dropped from the rendered parameters).

    `items_key`, `base` and `custom` are JSONPaths into the state."""
    parameters: dict[str, Any] = {
        "phase": phase,
        "itemsKey.$": items_key,
        "base.$": base,
        **({"custom.$": custom} if custom else {"custom": ""}),
    }
    return sfn.Pass(scope, name, parameters=parameters, result_path=ASK)


def collect_answers(scope: Construct, *, bucket: s3.IBucket, result_path: str) -> sfn.DistributedMap:
    """One child execution per prompt: the models answer with the same settings (temperature 0, same maxTokens)."""
    collect = sfn.DistributedMap(
        scope,
        "Collect answers",
        comment="Ask the models every prompt of the items file; answers written to S3",
        item_reader=sfn.S3JsonLItemReader(bucket=bucket, key=sfn.JsonPath.string_at(f"{ASK}.itemsKey")),
        item_selector={
            "index.$": "$$.Map.Item.Value.index",
            "messages.$": "$$.Map.Item.Value.messages",
            "system.$": "$$.Map.Item.Value.system",
            "maxTokens.$": "$$.Map.Item.Value.maxTokens",
            "baseModelId.$": f"{ASK}.base",
            "customModelId.$": f"{ASK}.custom",
        },
        max_concurrency=EVALUATION_MAX_CONCURRENCY,
        # A fixed prefix: the map run's ID names its folder. Whether AWS evaluates `Prefix.$` against the state
        # input or the Map's results is not documented clearly, so the job's own folder is not used here.
        result_writer=sfn.ResultWriter(bucket=bucket, prefix=ANSWERS_PREFIX),
        map_execution_type=sfn.StateMachineType.STANDARD,
        result_path=result_path,
    )
    ask_base = _ask_model(scope, "Ask base model", "$.baseModelId", "$.base")
    ask_custom = _ask_model(scope, "Ask custom model", "$.customModelId", "$.custom")
    keep_both = sfn.Pass(
        scope,
        "Keep both answers",
        parameters={"index.$": "$.index", "base.$": "$.base", "custom.$": "$.custom"},
    )
    keep_base = sfn.Pass(scope, "Keep base answer", parameters={"index.$": "$.index", "base.$": "$.base"})
    custom_too = (
        sfn.Choice(scope, "Ask the custom model too?")
        .when(sfn.Condition.string_equals("$.customModelId", ""), keep_base)
        .otherwise(ask_custom.next(keep_both))
    )
    collect.item_processor(
        ask_base.next(custom_too),
        mode=sfn.ProcessorMode.DISTRIBUTED,
        execution_type=sfn.ProcessorType.STANDARD,
    )
    return collect


def _ask_model(scope: Construct, name: str, model_path: str, result_path: str) -> tasks.CallAwsService:
    task = tasks.CallAwsService(
        scope,
        name,
        service="bedrockruntime",
        action="converse",
        iam_action="bedrock:InvokeModel",
        iam_resources=ASKED_MODELS,
        parameters={
            "ModelId.$": model_path,
            "Messages.$": "$.messages",
            "System.$": "$.system",
            # Temperature 0 and the same token limit for both models (docs/bedrock.md §12.3).
            "InferenceConfig": {"MaxTokens.$": "$.maxTokens", "Temperature": 0},
        },
        result_selector={
            "text.$": "$.Output.Message.Content[0].Text",
            "inputTokens.$": "$.Usage.InputTokens",
            "outputTokens.$": "$.Usage.OutputTokens",
        },
        result_path=result_path,
    )
    task.add_retry(
        errors=list(ASK_RETRY_ERRORS),
        interval=Duration.seconds(2),
        backoff_rate=2,
        max_attempts=8,
        max_delay=Duration.seconds(120),
        jitter_strategy=sfn.JitterType.FULL,
    )
    return task
