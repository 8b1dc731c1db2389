"""What moto's Distributed Map lacks for the evaluation stage (docs/decisions/0011-evaluation-stage.md).

- `ItemReader` with `ReaderConfig.InputType` `JSONL` (one JSON value per line, AWS reads each line as an item):
  moto knows only `CSV` and `JSON` and refuses the definition.
- `ResultWriter`: moto writes a `manifest.json` with empty `ResultFiles` and no result files. AWS writes the
  child executions' results as JSON arrays (`SUCCEEDED_0.json`, ...) beside the manifest, each record with
  its `Output` as a JSON string, and lists them under `ResultFiles.SUCCEEDED`.
"""

from __future__ import annotations

import json
from typing import Any

from moto.stepfunctions.parser.asl.component.state.exec.state_map.item_reader.eval.resource_output_transformer.transformer import (  # noqa: E501
    ResourceOutputTransformer,
)
from moto.stepfunctions.parser.asl.eval.environment import Environment
from moto.stepfunctions.parser.asl.utils.boto_client import boto_client_for

JSONL = "JSONL"


class JsonLinesInputType:
    """Stands for InputType JSONL where moto's enum has no such member."""

    value = JSONL


class ResourceOutputTransformerJsonLines(ResourceOutputTransformer):
    def _eval_body(self, env: Environment) -> None:
        reader_config: Any = env.stack.pop()
        body: str = env.stack.pop()
        items = [json.loads(line) for line in body.splitlines() if line.strip()]
        env.stack.append(items[: reader_config["MaxItemsValue"]])


def input_type_init(original: Any) -> Any:
    def init(self: Any, input_type: str) -> None:
        if input_type == JSONL:
            self.input_type_value = JsonLinesInputType()
            return
        original(self, input_type)

    return init


def transformer_for(original: Any) -> Any:
    def pick(input_type: Any) -> ResourceOutputTransformer:
        if isinstance(input_type.input_type_value, JsonLinesInputType):
            return ResourceOutputTransformerJsonLines()
        return original(input_type)

    return pick


def write_results(env: Environment, resource_runtime_part: Any, state_credentials: Any) -> None:
    """Replacement for ResourceEvalS3._handle_put_object: the manifest and the succeeded results, as AWS."""
    parameters = env.stack.pop()
    results = env.stack.pop()
    s3 = boto_client_for(service="s3", region=resource_runtime_part.region, state_credentials=state_credentials)
    record = env.map_run_record_pool_manager.get_all().pop()
    run_id = record.map_run_arn.split(":")[-1]
    prefix = parameters["Prefix"]
    if prefix and not prefix.endswith("/"):
        prefix += "/"
    bucket = parameters["Bucket"]
    succeeded = [{"Output": json.dumps(output), "Status": "SUCCEEDED"} for output in (results or [])]
    result_key = f"{prefix}{run_id}/SUCCEEDED_0.json"
    body = json.dumps(succeeded).encode()
    s3.put_object(Bucket=bucket, Key=result_key, Body=body)
    manifest = {
        "DestinationBucket": bucket,
        "MapRunArn": record.map_run_arn,
        "ResultFiles": {"FAILED": [], "PENDING": [], "SUCCEEDED": [{"Key": result_key, "Size": len(body)}]},
    }
    key = f"{prefix}{run_id}/manifest.json"
    s3.put_object(Bucket=bucket, Key=key, Body=json.dumps(manifest).encode())
    env.stack.append({"MapRunArn": record.map_run_arn, "ResultWriterDetails": {"Bucket": bucket, "Key": key}})
