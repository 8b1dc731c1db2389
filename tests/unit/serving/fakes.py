"""In-memory stand-ins for the Bedrock calls serving makes (moto has no throughput or deployment APIs)."""

from __future__ import annotations

import datetime as dt
import io
import json
from collections.abc import Callable
from dataclasses import dataclass, field
from typing import Any

from botocore.exceptions import ClientError

ACCOUNT = "123456789012"
REGION = "us-east-1"


def client_error(code: str, message: str = "simulated", operation: str = "Operation") -> ClientError:
    return ClientError({"Error": {"Code": code, "Message": message}}, operation)


def throughput_arn(resource_id: str) -> str:
    return f"arn:aws:bedrock:{REGION}:{ACCOUNT}:provisioned-model/{resource_id}"


def deployment_arn(resource_id: str) -> str:
    return f"arn:aws:bedrock:{REGION}:{ACCOUNT}:custom-model-deployment/{resource_id}"


@dataclass
class FakeBedrock:
    """List/tag/delete for throughput and deployments, with pages of `page_size` and injectable failures."""

    throughputs: dict[str, dict[str, Any]] = field(default_factory=dict)
    deployments: dict[str, dict[str, Any]] = field(default_factory=dict)
    tags: dict[str, dict[str, str]] = field(default_factory=dict)
    page_size: int = 2
    delete_errors: dict[str, str] = field(default_factory=dict)
    calls: list[tuple[str, str]] = field(default_factory=list)

    def add_throughput(
        self,
        resource_id: str,
        tags: dict[str, str] | None = None,
        *,
        commitment: str | None = None,
        commitment_end: dt.datetime | None = None,
    ) -> str:
        arn = throughput_arn(resource_id)
        summary: dict[str, Any] = {
            "provisionedModelArn": arn,
            "provisionedModelName": f"pt-{resource_id}",
            "modelArn": f"arn:aws:bedrock:{REGION}:{ACCOUNT}:custom-model/amazon.nova-micro-v1:0:128k/abcdefabcdef",
            "modelUnits": 1,
            "status": "InService",
        }
        if commitment:
            summary["commitmentDuration"] = commitment
            summary["commitmentExpirationTime"] = commitment_end
        self.throughputs[arn] = summary
        self.tags[arn] = dict(tags or {})
        return arn

    def add_deployment(self, resource_id: str, tags: dict[str, str] | None = None) -> str:
        arn = deployment_arn(resource_id)
        self.deployments[arn] = {
            "customModelDeploymentArn": arn,
            "customModelDeploymentName": f"od-{resource_id}",
            "modelArn": f"arn:aws:bedrock:{REGION}:{ACCOUNT}:custom-model/amazon.nova-micro-v1:0:128k/abcdefabcdef",
            "status": "Active",
        }
        self.tags[arn] = dict(tags or {})
        return arn

    def list_provisioned_model_throughputs(self, nextToken: str | None = None) -> dict[str, Any]:
        return self._page(list(self.throughputs.values()), "provisionedModelSummaries", nextToken)

    def list_custom_model_deployments(self, nextToken: str | None = None) -> dict[str, Any]:
        return self._page(list(self.deployments.values()), "modelDeploymentSummaries", nextToken)

    def list_tags_for_resource(self, resourceARN: str) -> dict[str, Any]:
        if resourceARN not in self.tags:
            raise client_error("ResourceNotFoundException")
        return {"tags": [{"key": k, "value": v} for k, v in self.tags[resourceARN].items()]}

    def tag_resource(self, resourceARN: str, tags: list[dict[str, str]]) -> dict[str, Any]:
        self.calls.append(("tag", resourceARN))
        self.tags[resourceARN].update({t["key"]: t["value"] for t in tags})
        return {}

    def delete_provisioned_model_throughput(self, provisionedModelId: str) -> dict[str, Any]:
        return self._delete(self.throughputs, provisionedModelId)

    def delete_custom_model_deployment(self, customModelDeploymentIdentifier: str) -> dict[str, Any]:
        return self._delete(self.deployments, customModelDeploymentIdentifier)

    def _delete(self, store: dict[str, dict[str, Any]], arn: str) -> dict[str, Any]:
        self.calls.append(("delete", arn))
        if arn in self.delete_errors:
            raise client_error(self.delete_errors[arn])
        if arn not in store:
            raise client_error("ResourceNotFoundException")
        del store[arn]
        return {}

    def _page(self, items: list[dict[str, Any]], key: str, token: str | None) -> dict[str, Any]:
        start = int(token or 0)
        page: dict[str, Any] = {key: items[start : start + self.page_size]}
        if start + self.page_size < len(items):
            page["nextToken"] = str(start + self.page_size)
        return page


@dataclass
class FakeRuntime:
    """bedrock-runtime: answers from `answer(prompt_text)`, or raises the queued errors first."""

    answer: Callable[[str], str] = lambda text: f"answer to {text[:20]}"
    errors: list[ClientError] = field(default_factory=list)
    converse_calls: list[dict[str, Any]] = field(default_factory=list)
    invoke_calls: list[dict[str, Any]] = field(default_factory=list)
    invoke_response: dict[str, Any] | None = None

    def converse(self, **request: Any) -> dict[str, Any]:
        self.converse_calls.append(request)
        if self.errors:
            raise self.errors.pop(0)
        text = request["messages"][0]["content"][0]["text"]
        return {"output": {"message": {"role": "assistant", "content": [{"text": self.answer(text)}]}}}

    def invoke_model(self, **request: Any) -> dict[str, Any]:
        self.invoke_calls.append(request)
        if self.errors:
            raise self.errors.pop(0)
        body = self.invoke_response or {"images": ["aGVsbG8="]}
        return {"body": io.BytesIO(json.dumps(body).encode())}
