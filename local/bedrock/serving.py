"""Provisioned Throughput and on-demand custom-model deployments.

Neither has EventBridge events in Bedrock, so callers poll: throughput goes Creating -> InService, a
deployment Creating -> Active, after the configured simulated duration (or Failed when a failure is queued).

Gap: moto 5.2.5 has none of these calls. Bedrock's rules the simulation keeps:
- an on-demand deployment only for a custom model whose base model supports it (docs/bedrock.md §6.3), else
  ValidationException;
- no delete while the resource is still `Creating` (ConflictException, the API reference's error for a delete
  that conflicts with the resource's state; docs/bedrock.md §6.1), nor of committed throughput before its term
  ends.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass, field
from datetime import datetime, timedelta
from typing import Any

from local.bedrock import catalog, identifiers
from local.bedrock.context import SimContext
from local.bedrock.errors import (
    ConflictException,
    ResourceNotFoundException,
    ServiceQuotaExceededException,
    ValidationException,
)
from local.bedrock.tagging import checked_tags

COMMITMENT_TERMS = {"OneMonth": timedelta(days=30), "SixMonths": timedelta(days=182)}

# Resolves a custom-model name or ARN to its ARN and base-model ARN, raising ResourceNotFoundException.
ModelResolver = Callable[[str], tuple[str, str]]


@dataclass
class Throughput:
    arn: str
    name: str
    model_arn: str
    foundation_model_arn: str
    model_units: int
    creation_time: datetime
    ready_at: datetime
    commitment: str | None
    status: str = "Creating"
    failure_message: str | None = None
    last_modified_time: datetime | None = None
    client_request_token: str | None = None
    tags: list[dict[str, str]] = field(default_factory=list)

    def commitment_expiration(self) -> datetime | None:
        return self.creation_time + COMMITMENT_TERMS[self.commitment] if self.commitment else None

    def describe(self) -> dict[str, Any]:
        described: dict[str, Any] = {
            "provisionedModelArn": self.arn,
            "provisionedModelName": self.name,
            "modelArn": self.model_arn,
            "desiredModelArn": self.model_arn,
            "foundationModelArn": self.foundation_model_arn,
            "modelUnits": self.model_units,
            "desiredModelUnits": self.model_units,
            "status": self.status,
            "creationTime": self.creation_time,
            "lastModifiedTime": self.last_modified_time or self.creation_time,
        }
        if self.commitment:
            described["commitmentDuration"] = self.commitment
            described["commitmentExpirationTime"] = self.commitment_expiration()
        if self.failure_message:
            described["failureMessage"] = self.failure_message
        return described

    def summary(self) -> dict[str, Any]:
        return {key: value for key, value in self.describe().items() if key != "failureMessage"}


@dataclass
class Deployment:
    arn: str
    name: str
    model_arn: str
    description: str | None
    created_at: datetime
    ready_at: datetime
    status: str = "Creating"
    failure_message: str | None = None
    last_updated_at: datetime | None = None
    client_request_token: str | None = None
    tags: list[dict[str, str]] = field(default_factory=list)

    def describe(self) -> dict[str, Any]:
        described: dict[str, Any] = {
            "customModelDeploymentArn": self.arn,
            "modelDeploymentName": self.name,
            "modelArn": self.model_arn,
            "createdAt": self.created_at,
            "status": self.status,
            "lastUpdatedAt": self.last_updated_at or self.created_at,
        }
        if self.description:
            described["description"] = self.description
        if self.failure_message:
            described["failureMessage"] = self.failure_message
        return described

    def summary(self) -> dict[str, Any]:
        return {
            "customModelDeploymentArn": self.arn,
            "customModelDeploymentName": self.name,
            "modelArn": self.model_arn,
            "createdAt": self.created_at,
            "status": self.status,
            "lastUpdatedAt": self.last_updated_at or self.created_at,
        }


class Serving:
    def __init__(self, context: SimContext, resolve_model: ModelResolver) -> None:
        self._context = context
        self._resolve_model = resolve_model
        self._throughputs: dict[str, Throughput] = {}
        self._deployments: dict[str, Deployment] = {}

    # --- provisioned throughput ---------------------------------------------------------------------------

    def create_throughput(self, request: dict[str, Any]) -> dict[str, Any]:
        token = request.get("clientRequestToken")
        for existing in self._throughputs.values():
            if token and existing.client_request_token == token:
                return {"provisionedModelArn": existing.arn}
        for required in ("modelUnits", "provisionedModelName", "modelId"):
            identifiers.require(request.get(required), required)
        name = request["provisionedModelName"]
        identifiers.check_pattern(name, identifiers.MODEL_NAME, "provisionedModelName")
        tags = checked_tags(request.get("tags"))
        if int(request["modelUnits"]) < 1:
            raise ValidationException("modelUnits must be at least 1")
        commitment = request.get("commitmentDuration")
        if commitment is not None and commitment not in COMMITMENT_TERMS:
            raise ValidationException(f"commitmentDuration must be one of {sorted(COMMITMENT_TERMS)}")
        if any(t.name == name for t in self._throughputs.values()):
            raise ConflictException(f"A provisioned model with the name {name} already exists")
        if self._context.faults.take_quota_error("CreateProvisionedModelThroughput"):
            raise ServiceQuotaExceededException(
                "You have exceeded the number of model units allowed for provisioned throughput in this account. "
                "Request a quota increase or delete unused provisioned throughput."
            )
        model_arn, foundation_arn = self._model_arns(request["modelId"])
        now = self._context.now()
        throughput = Throughput(
            arn=identifiers.arn(
                self._context.region, self._context.account_id, f"provisioned-model/{identifiers.new_resource_id()}"
            ),
            name=name,
            model_arn=model_arn,
            foundation_model_arn=foundation_arn,
            model_units=int(request["modelUnits"]),
            creation_time=now,
            ready_at=now + timedelta(seconds=self._context.settings.throughput_duration_seconds),
            commitment=commitment,
            client_request_token=token,
            tags=tags,
        )
        throughput.failure_message = self._context.faults.take_failure("throughput")
        self._throughputs[throughput.arn] = throughput
        return {"provisionedModelArn": throughput.arn}

    def get_throughput(self, identifier: str) -> Throughput:
        for throughput in self._throughputs.values():
            if identifier in (throughput.arn, throughput.name):
                return throughput
        raise ResourceNotFoundException(f"Provisioned model {identifier} not found")

    def delete_throughput(self, identifier: str) -> None:
        throughput = self.get_throughput(identifier)
        _refuse_while_creating("Provisioned model", throughput.name, throughput.status)
        expiration = throughput.commitment_expiration()
        if expiration is not None and self._context.now() < expiration:
            raise ConflictException(
                f"Provisioned model {throughput.name} cannot be deleted before its commitment term ends"
            )
        del self._throughputs[throughput.arn]

    def list_throughputs(self, filters: dict[str, Any]) -> list[Throughput]:
        found = list(self._throughputs.values())
        if filters.get("statusEquals"):
            found = [t for t in found if t.status == filters["statusEquals"]]
        if filters.get("nameContains"):
            found = [t for t in found if filters["nameContains"] in t.name]
        if filters.get("modelArnEquals"):
            found = [t for t in found if t.model_arn == filters["modelArnEquals"]]
        if filters.get("creationTimeAfter"):
            found = [t for t in found if t.creation_time > filters["creationTimeAfter"]]
        if filters.get("creationTimeBefore"):
            found = [t for t in found if t.creation_time < filters["creationTimeBefore"]]
        return sorted(found, key=lambda t: t.creation_time, reverse=filters.get("sortOrder") != "Ascending")

    # --- on-demand deployments ----------------------------------------------------------------------------

    def create_deployment(self, request: dict[str, Any]) -> dict[str, Any]:
        token = request.get("clientRequestToken")
        for existing in self._deployments.values():
            if token and existing.client_request_token == token:
                return {"customModelDeploymentArn": existing.arn}
        for required in ("modelDeploymentName", "modelArn"):
            identifiers.require(request.get(required), required)
        name = request["modelDeploymentName"]
        identifiers.check_pattern(name, identifiers.MODEL_NAME, "modelDeploymentName")
        tags = checked_tags(request.get("tags"))
        if any(d.name == name for d in self._deployments.values()):
            raise ConflictException(f"A custom model deployment with the name {name} already exists")
        if self._context.faults.take_quota_error("CreateCustomModelDeployment"):
            raise ServiceQuotaExceededException("You have reached the maximum number of custom model deployments.")
        model_arn, base_model_arn = self._resolve_model(request["modelArn"])
        base = catalog.find(identifiers.foundation_model_id(base_model_arn))
        if base is None or not base.on_demand_deployment:
            supported = ", ".join(m.name for m in catalog.FOUNDATION_MODELS if m.on_demand_deployment)
            raise ValidationException(
                f"The model {model_arn} doesn't support on-demand deployment: its base model "
                f"{identifiers.foundation_model_id(base_model_arn)} can be served with Provisioned Throughput only. "
                f"Custom models of these base models can be deployed on demand: {supported}."
            )
        now = self._context.now()
        deployment = Deployment(
            arn=identifiers.arn(
                self._context.region,
                self._context.account_id,
                f"custom-model-deployment/{identifiers.new_resource_id()}",
            ),
            name=name,
            model_arn=model_arn,
            description=request.get("description"),
            created_at=now,
            ready_at=now + timedelta(seconds=self._context.settings.deployment_duration_seconds),
            client_request_token=token,
            tags=tags,
        )
        deployment.failure_message = self._context.faults.take_failure("deployment")
        self._deployments[deployment.arn] = deployment
        return {"customModelDeploymentArn": deployment.arn}

    def get_deployment(self, identifier: str) -> Deployment:
        for deployment in self._deployments.values():
            if identifier in (deployment.arn, deployment.name):
                return deployment
        raise ResourceNotFoundException(f"Custom model deployment {identifier} not found")

    def delete_deployment(self, identifier: str) -> None:
        deployment = self.get_deployment(identifier)
        _refuse_while_creating("Custom model deployment", deployment.name, deployment.status)
        del self._deployments[deployment.arn]

    def list_deployments(self, filters: dict[str, Any]) -> list[Deployment]:
        found = list(self._deployments.values())
        if filters.get("statusEquals"):
            found = [d for d in found if d.status == filters["statusEquals"]]
        if filters.get("nameContains"):
            found = [d for d in found if filters["nameContains"] in d.name]
        if filters.get("modelArnEquals"):
            found = [d for d in found if d.model_arn == filters["modelArnEquals"]]
        if filters.get("createdAfter"):
            found = [d for d in found if d.created_at > filters["createdAfter"]]
        if filters.get("createdBefore"):
            found = [d for d in found if d.created_at < filters["createdBefore"]]
        return sorted(found, key=lambda d: d.created_at, reverse=filters.get("sortOrder") != "Ascending")

    # --- time ---------------------------------------------------------------------------------------------

    def advance(self) -> None:
        now = self._context.now()
        for throughput in self._throughputs.values():
            if throughput.status == "Creating" and now >= throughput.ready_at:
                throughput.status = "Failed" if throughput.failure_message else "InService"
                throughput.last_modified_time = throughput.ready_at
        for deployment in self._deployments.values():
            if deployment.status == "Creating" and now >= deployment.ready_at:
                deployment.status = "Failed" if deployment.failure_message else "Active"
                deployment.last_updated_at = deployment.ready_at

    def _model_arns(self, model_id: str) -> tuple[str, str]:
        """(model ARN, foundation-model ARN) for a custom model (name or ARN) or a base model ID."""
        try:
            return self._resolve_model(model_id)
        except ResourceNotFoundException:
            base_id = identifiers.foundation_model_id(model_id)
            if (model_id.startswith("arn:") and "foundation-model/" not in model_id) or catalog.find(base_id) is None:
                raise
            foundation_arn = f"arn:aws:bedrock:{self._context.region}::foundation-model/{base_id}"
            return foundation_arn, foundation_arn


def _refuse_while_creating(what: str, name: str, status: str) -> None:
    if status == "Creating":
        raise ConflictException(
            f"{what} {name} cannot be deleted while its status is Creating. Try again after it is created."
        )
