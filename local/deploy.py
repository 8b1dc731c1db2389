"""Deploys a synthesized CDK stack (a `cdk.out` folder) the way `cdk deploy` does, into the emulator.

1. Publish the stack's file assets to the bootstrap bucket named in `<stack>.assets.json`.
2. Put the bootstrap version parameter the template's `BootstrapVersion` parameter reads from SSM.
3. Create the stack through CloudFormation from the synthesized template, unchanged.
4. Apply what moto's CloudFormation ignores but the running system depends on: bucket versioning (object
   versions feed the pipeline's deduplication) and S3 -> EventBridge delivery.
Bucket policies, public-access blocks and lifecycle rules are not applied (moto does not enforce them);
assert those on the template instead.
"""

from __future__ import annotations

import io
import json
import logging
import re
import warnings
import zipfile
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from moto.stepfunctions.parser.api import InvalidDefinition
from moto.stepfunctions.parser.models import StepFunctionsParserBackend

BOOTSTRAP_VERSION = "30"
UNSUPPORTED_PREFIXES = ("Custom::", "AWS::CloudFormation::CustomResource")

ClientFactory = Callable[[str], Any]


class DeploymentError(RuntimeError):
    pass


@dataclass(frozen=True)
class StackArtifact:
    template_path: Path
    assets_path: Path | None


@dataclass(frozen=True)
class DeployedStack:
    name: str
    outputs: dict[str, str]
    # logical ID -> (resource type, physical ID)
    resources: dict[str, tuple[str, str]]
    template: dict[str, Any]
    # logical ID -> type, for resources moto's CloudFormation does not create (nothing at run time needs them)
    skipped: dict[str, str]

    def physical_ids(self, resource_type: str) -> list[str]:
        return [physical for kind, physical in self.resources.values() if kind == resource_type]


def find_stack(cdk_out: Path, stack_name: str) -> StackArtifact:
    """The template and asset manifest of `stack_name` (artifact ID or stack name) in a cloud assembly."""
    manifest = json.loads((cdk_out / "manifest.json").read_text())
    artifacts = manifest.get("artifacts", {})
    for artifact_id, artifact in artifacts.items():
        if artifact.get("type") != "aws:cloudformation:stack":
            continue
        properties = artifact.get("properties", {})
        if stack_name not in (artifact_id, properties.get("stackName"), artifact.get("displayName")):
            continue
        assets = None
        for dependency in artifact.get("dependencies", []):
            dependency_artifact = artifacts.get(dependency, {})
            if dependency_artifact.get("type") == "cdk:asset-manifest":
                assets = cdk_out / dependency_artifact["properties"]["file"]
        return StackArtifact(cdk_out / properties["templateFile"], assets)
    raise DeploymentError(f"No stack named {stack_name} in {cdk_out}")


def substitute(text: str, account_id: str, region: str) -> str:
    return (
        text.replace("${AWS::AccountId}", account_id)
        .replace("${AWS::Region}", region)
        .replace("${AWS::Partition}", "aws")
    )


def zip_directory(directory: Path) -> bytes:
    """A zip of the directory's contents, paths relative to it, as the CDK CLI packages `zip` assets."""
    buffer = io.BytesIO()
    with zipfile.ZipFile(buffer, "w", zipfile.ZIP_DEFLATED) as archive:
        for path in sorted(directory.rglob("*")):
            if path.is_file():
                archive.write(path, path.relative_to(directory).as_posix())
    return buffer.getvalue()


def publish_assets(client: ClientFactory, cdk_out: Path, assets_path: Path, account_id: str, region: str) -> int:
    """Uploads every file asset to its destination bucket; returns how many objects were written."""
    s3 = client("s3")
    manifest = json.loads(assets_path.read_text())
    written = 0
    existing = {bucket["Name"] for bucket in s3.list_buckets().get("Buckets", [])}
    for asset in manifest.get("files", {}).values():
        source = cdk_out / asset["source"]["path"]
        if asset["source"].get("packaging") == "zip" and source.is_dir():
            body = zip_directory(source)
        else:
            body = source.read_bytes()
        for destination in asset["destinations"].values():
            bucket = substitute(destination["bucketName"], account_id, region)
            if bucket not in existing:
                s3.create_bucket(Bucket=bucket)
                existing.add(bucket)
            s3.put_object(Bucket=bucket, Key=substitute(destination["objectKey"], account_id, region), Body=body)
            written += 1
    return written


def put_bootstrap_parameters(client: ClientFactory, template: dict[str, Any]) -> None:
    """What `cdk bootstrap` leaves in SSM and the template's BootstrapVersion parameter reads."""
    ssm = client("ssm")
    for parameter in template.get("Parameters", {}).values():
        default = str(parameter.get("Default", ""))
        if parameter.get("Type", "").startswith("AWS::SSM::Parameter::Value") and default.startswith("/cdk-bootstrap/"):
            ssm.put_parameter(Name=default, Value=BOOTSTRAP_VERSION, Type="String", Overwrite=True)


@contextmanager
def _quiet_logger(name: str) -> Iterator[None]:
    logger = logging.getLogger(name)
    level = logger.level
    logger.setLevel(logging.ERROR)
    try:
        yield
    finally:
        logger.setLevel(level)


def check_supported(template: dict[str, Any]) -> None:
    """moto's CloudFormation never completes custom resources: refuse them up front with their IDs."""
    custom = [
        logical_id
        for logical_id, resource in template.get("Resources", {}).items()
        if str(resource.get("Type", "")).startswith(UNSUPPORTED_PREFIXES)
    ]
    if custom:
        raise DeploymentError(
            "Custom resources cannot be deployed to the emulator (moto never completes them): "
            + ", ".join(sorted(custom))
        )


PSEUDO_PARAMETERS = {
    "AWS::Partition": "aws",
    "AWS::Region": "us-east-1",
    "AWS::AccountId": "123456789012",
    "AWS::URLSuffix": "amazonaws.com",
    "AWS::StackName": "stack",
}


def _placeholder_render(value: Any) -> str:
    """A DefinitionString with references replaced by ARN-shaped placeholders, enough to parse the ASL."""
    if isinstance(value, str):
        return value
    if isinstance(value, dict) and "Fn::Join" in value:
        separator, parts = value["Fn::Join"]
        return str(separator).join(_placeholder_render(part) for part in parts)
    if isinstance(value, dict) and "Ref" in value:
        return PSEUDO_PARAMETERS.get(value["Ref"], str(value["Ref"]))
    if isinstance(value, dict) and "Fn::GetAtt" in value:
        # Task resources are GetAtt'ed function ARNs; any ARN-shaped string parses for the other uses.
        return f"arn:aws:lambda:us-east-1:123456789012:function:{value['Fn::GetAtt'][0]}"
    if isinstance(value, dict) and "Fn::Sub" in value:
        template = value["Fn::Sub"] if isinstance(value["Fn::Sub"], str) else value["Fn::Sub"][0]
        return re.sub(r"\$\{[^}]+\}", "placeholder", template)
    return "placeholder"


def check_definitions(template: dict[str, Any]) -> None:
    """Parses each state machine's definition up front, so a definition Step Functions would reject is
    reported with its state machine's ID instead of failing inside CloudFormation."""
    problems = []
    for logical_id, resource in template.get("Resources", {}).items():
        if resource.get("Type") != "AWS::StepFunctions::StateMachine":
            continue
        definition = _placeholder_render(resource.get("Properties", {}).get("DefinitionString", "{}"))
        try:
            StepFunctionsParserBackend._validate_definition(definition=definition)
        except InvalidDefinition as error:
            problems.append(f"{logical_id}: {error.message}")
    if problems:
        raise DeploymentError("Step Functions would reject these definitions: " + "; ".join(problems))


def create_stack(client: ClientFactory, stack_name: str, template: dict[str, Any]) -> DeployedStack:
    # moto warns for each resource type it skips (policies, subscriptions, alarms, schedules), on every
    # parse of the template; those are reported once, as DeployedStack.skipped, instead.
    with warnings.catch_warnings(), _quiet_logger("moto"):
        warnings.simplefilter("ignore", UserWarning)
        return _create_stack(client("cloudformation"), stack_name, template)


def _create_stack(cloudformation: Any, stack_name: str, template: dict[str, Any]) -> DeployedStack:
    cloudformation.create_stack(
        StackName=stack_name,
        TemplateBody=json.dumps(template),
        Capabilities=["CAPABILITY_IAM", "CAPABILITY_NAMED_IAM", "CAPABILITY_AUTO_EXPAND"],
    )
    stack = cloudformation.describe_stacks(StackName=stack_name)["Stacks"][0]
    if stack["StackStatus"] != "CREATE_COMPLETE":
        events = cloudformation.describe_stack_events(StackName=stack_name)["StackEvents"]
        reasons = [
            f"{e['LogicalResourceId']}: {e.get('ResourceStatusReason')}"
            for e in events
            if "FAILED" in e["ResourceStatus"]
        ]
        raise DeploymentError(f"Stack {stack_name} is {stack['StackStatus']}: {'; '.join(reasons)}")
    outputs = {output["OutputKey"]: output["OutputValue"] for output in stack.get("Outputs", [])}
    resources = {
        resource["LogicalResourceId"]: (resource["ResourceType"], resource.get("PhysicalResourceId", ""))
        for resource in cloudformation.describe_stack_resources(StackName=stack_name)["StackResources"]
        if "LogicalResourceId" in resource
    }
    skipped = {
        logical_id: resource["Type"]
        for logical_id, resource in template.get("Resources", {}).items()
        if logical_id not in resources
    }
    return DeployedStack(stack_name, outputs, resources, template, skipped)


def apply_bucket_settings(client: ClientFactory, stack: DeployedStack) -> None:
    """Versioning and EventBridge delivery, which moto's CloudFormation does not apply to buckets."""
    s3 = client("s3")
    for logical_id, (kind, bucket) in stack.resources.items():
        if kind != "AWS::S3::Bucket" or not bucket:
            continue
        properties = stack.template["Resources"][logical_id].get("Properties", {})
        versioning = (properties.get("VersioningConfiguration") or {}).get("Status")
        if versioning:
            s3.put_bucket_versioning(Bucket=bucket, VersioningConfiguration={"Status": versioning})
        eventbridge = (properties.get("NotificationConfiguration") or {}).get("EventBridgeConfiguration") or {}
        if eventbridge.get("EventBridgeEnabled") in (True, "true"):
            s3.put_bucket_notification_configuration(
                Bucket=bucket, NotificationConfiguration={"EventBridgeConfiguration": {}}
            )


def deploy(client: ClientFactory, cdk_out: Path, stack_name: str, account_id: str, region: str) -> DeployedStack:
    artifact = find_stack(cdk_out, stack_name)
    template = json.loads(artifact.template_path.read_text())
    check_supported(template)
    check_definitions(template)
    if artifact.assets_path is not None:
        publish_assets(client, cdk_out, artifact.assets_path, account_id, region)
    put_bootstrap_parameters(client, template)
    stack = create_stack(client, stack_name, template)
    apply_bucket_settings(client, stack)
    return stack
