"""The AWS limits a synthesized Tuneline template must stay inside, and the template's value for each.

A size that depends on names AWS gives at deploy time (bucket names, ARNs) is measured on the template with
every reference resolved to a value as long as a real one: CloudFormation names a resource
`<stack>-<logical id>-<random>` cut to the service's length limit, in the longest partition and Region names.
The limits themselves, with their sources, are listed in tests/infra/test_limits.py, which asserts each value
with 25% headroom; `make bench` prints the figures.
"""

from __future__ import annotations

import json
import re
from collections.abc import Callable, Iterator, Mapping
from dataclasses import dataclass
from typing import Any

STACK_NAME = "Tuneline"
PARTITION = "aws-us-gov"  # the longest partition name in use
REGION = "ap-southeast-5"  # as long as any Region name
ACCOUNT = "123456789012"
URL_SUFFIX = "amazonaws.com.cn"
# CloudFormation's generated names end in a random suffix of about 12 characters.
RANDOM_SUFFIX = "A1B2C3D4E5F6G"
PSEUDO_PARAMETERS = {
    "AWS::Partition": PARTITION,
    "AWS::Region": REGION,
    "AWS::AccountId": ACCOUNT,
    "AWS::URLSuffix": URL_SUFFIX,
    "AWS::StackName": STACK_NAME,
    "AWS::StackId": f"arn:{PARTITION}:cloudformation:{REGION}:{ACCOUNT}:stack/{STACK_NAME}/{'0' * 36}",
    "AWS::NoValue": "",
}
# The longest name each service accepts, which caps the name CloudFormation generates.
NAME_LIMITS = {
    "AWS::S3::Bucket": 63,
    "AWS::Lambda::Function": 64,
    "AWS::IAM::Role": 64,
    "AWS::IAM::ManagedPolicy": 128,
    "AWS::SQS::Queue": 80,
    "AWS::SNS::Topic": 256,
    "AWS::StepFunctions::StateMachine": 80,
    "AWS::Logs::LogGroup": 512,
    "AWS::Events::Rule": 64,
    "AWS::Scheduler::Schedule": 64,
}
# Identifiers AWS makes up rather than names: their real length.
IDENTIFIERS = {
    "AWS::KMS::Key": "1234abcd-12ab-34cd-56ef-1234567890ab",
    "AWS::EC2::VPC": "vpc-0123456789abcdef0",
    "AWS::EC2::Subnet": "subnet-0123456789abcdef0",
    "AWS::EC2::SecurityGroup": "sg-0123456789abcdef0",
    "AWS::EC2::RouteTable": "rtb-0123456789abcdef0",
}


@dataclass(frozen=True)
class Limit:
    name: str
    maximum: int
    source: str
    # template -> {what was measured (a resource, a role): value}
    measure: Callable[[Mapping[str, Any]], dict[str, int]]


class Resolver:
    """Turns intrinsic functions into the strings CloudFormation would produce, at their realistic longest."""

    def __init__(self, template: Mapping[str, Any]) -> None:
        self._resources: Mapping[str, Any] = template.get("Resources", {})
        self._parameters: Mapping[str, Any] = template.get("Parameters", {})

    def __call__(self, value: Any) -> Any:
        if isinstance(value, list):
            return [self(item) for item in value]
        if not isinstance(value, dict):
            return value
        if len(value) == 1:
            [(function, argument)] = value.items()
            if function == "Ref":
                return self._ref(argument)
            if function == "Fn::GetAtt":
                return self._get_att(*argument)
            if function == "Fn::Join":
                separator, parts = argument
                return separator.join(str(self(part)) for part in parts)
            if function == "Fn::Sub":
                return self._sub(argument)
            if function == "Fn::Select":
                index, items = argument
                return self(items)[int(index)]
            if function == "Fn::Split":
                delimiter, source = argument
                return str(self(source)).split(delimiter)
            if function == "Fn::GetAZs":
                return [f"{REGION}{zone}" for zone in "abc"]
            if function.startswith("Fn::"):
                raise AssertionError(f"{function} is not resolved yet; add it to the resolver")
        return {key: self(item) for key, item in value.items()}

    def name_of(self, logical_id: str) -> str:
        resource_type = self._resources[logical_id]["Type"]
        name = f"{STACK_NAME}-{logical_id}-{RANDOM_SUFFIX}"[: NAME_LIMITS.get(resource_type, 64)]
        return name.lower() if resource_type == "AWS::S3::Bucket" else name

    def _ref(self, name: str) -> str:
        if name in PSEUDO_PARAMETERS:
            return PSEUDO_PARAMETERS[name]
        if name in self._parameters:
            return str(self._parameters[name].get("Default", "x" * 64))
        resource_type = self._resources[name]["Type"]
        if resource_type in IDENTIFIERS:
            return IDENTIFIERS[resource_type]
        if resource_type in ("AWS::SNS::Topic", "AWS::StepFunctions::StateMachine", "AWS::IAM::ManagedPolicy"):
            return self._arn(name)  # these return their ARN for Ref
        if resource_type == "AWS::SQS::Queue":
            return f"https://sqs.{REGION}.{URL_SUFFIX}/{ACCOUNT}/{self.name_of(name)}"
        return self.name_of(name)

    def _get_att(self, logical_id: str, attribute: str) -> str:
        resource_type = self._resources[logical_id]["Type"]
        if attribute in ("Arn", "TopicArn"):
            return self._arn(logical_id)
        if attribute == "GroupId":
            return IDENTIFIERS[resource_type]
        if attribute == "CidrBlock":
            return "10.255.255.0/24"
        if attribute in ("Name", "QueueName", "TopicName"):
            return self.name_of(logical_id)
        raise AssertionError(f"no length known for {resource_type}.{attribute}; add it to the resolver")

    def _arn(self, logical_id: str) -> str:
        resource_type = self._resources[logical_id]["Type"]
        name = self.name_of(logical_id)
        regional = f"{REGION}:{ACCOUNT}"
        return {
            "AWS::S3::Bucket": f"arn:{PARTITION}:s3:::{name}",
            "AWS::IAM::Role": f"arn:{PARTITION}:iam::{ACCOUNT}:role/{name}",
            "AWS::IAM::ManagedPolicy": f"arn:{PARTITION}:iam::{ACCOUNT}:policy/{name}",
            "AWS::KMS::Key": f"arn:{PARTITION}:kms:{regional}:key/{IDENTIFIERS.get(resource_type, name)}",
            "AWS::Lambda::Function": f"arn:{PARTITION}:lambda:{regional}:function:{name}",
            "AWS::Logs::LogGroup": f"arn:{PARTITION}:logs:{regional}:log-group:{name}:*",
            "AWS::SQS::Queue": f"arn:{PARTITION}:sqs:{regional}:{name}",
            "AWS::SNS::Topic": f"arn:{PARTITION}:sns:{regional}:{name}",
            "AWS::StepFunctions::StateMachine": f"arn:{PARTITION}:states:{regional}:stateMachine:{name}",
            "AWS::Events::Rule": f"arn:{PARTITION}:events:{regional}:rule/{name}",
            "AWS::Scheduler::Schedule": f"arn:{PARTITION}:scheduler:{regional}:schedule/default/{name}",
        }[resource_type]

    def _sub(self, argument: Any) -> str:
        text, variables = (argument, {}) if isinstance(argument, str) else argument

        def replace(match: re.Match[str]) -> str:
            name = match.group(1)
            if name in variables:
                return str(self(variables[name]))
            if "." in name and name.split(".", 1)[0] in self._resources:
                return self._get_att(*name.split(".", 1))
            return self._ref(name)

        return re.sub(r"\$\{([^}!]+)\}", replace, text)


def _compact(value: Any) -> str:
    return json.dumps(value, separators=(",", ":"), ensure_ascii=False)


def _resources(template: Mapping[str, Any], resource_type: str) -> Iterator[tuple[str, Mapping[str, Any]]]:
    for logical_id, resource in template.get("Resources", {}).items():
        if resource["Type"] == resource_type:
            yield logical_id, resource.get("Properties", {})


def environment_bytes(template: Mapping[str, Any]) -> dict[str, int]:
    """Per function: the keys and values of its environment variables, in bytes (Lambda counts them together)."""
    resolve = Resolver(template)
    sizes = {}
    for logical_id, properties in _resources(template, "AWS::Lambda::Function"):
        variables = resolve(properties.get("Environment", {}).get("Variables", {}))
        sizes[logical_id] = sum(len(key.encode()) + len(str(value).encode()) for key, value in variables.items())
    return sizes


def _policies_by_role(template: Mapping[str, Any], policy_type: str) -> dict[str, list[Any]]:
    """Role logical id -> the policy documents of `policy_type` resources attached to it."""
    attached: dict[str, list[Any]] = {}
    for _, properties in _resources(template, policy_type):
        for role in properties.get("Roles", []):
            attached.setdefault(role["Ref"], []).append(properties["PolicyDocument"])
    return attached


def inline_policy_chars(template: Mapping[str, Any]) -> dict[str, int]:
    """Per role: all its inline policies together (the role's own and AWS::IAM::Policy resources), in
    characters without whitespace, as IAM counts them."""
    resolve = Resolver(template)
    attached = _policies_by_role(template, "AWS::IAM::Policy")
    sizes = {}
    for logical_id, properties in _resources(template, "AWS::IAM::Role"):
        documents = [p["PolicyDocument"] for p in properties.get("Policies", [])] + attached.get(logical_id, [])
        sizes[logical_id] = sum(len(_compact(resolve(document))) for document in documents)
    return sizes


def _property_sizes(
    template: Mapping[str, Any], resource_type: str, name: str, *, as_json: bool = True
) -> dict[str, int]:
    """Per resource of `resource_type` that has property `name`: its length once resolved, as compact JSON
    (documents, patterns; characters) or as the string it renders to (bytes)."""
    resolve = Resolver(template)

    def size(value: Any) -> int:
        return len(_compact(value)) if as_json else len(str(value).encode())

    return {
        logical_id: size(resolve(properties[name]))
        for logical_id, properties in _resources(template, resource_type)
        if name in properties
    }


def managed_policy_chars(template: Mapping[str, Any]) -> dict[str, int]:
    """Per customer managed policy the stack creates (CDK's overflow policies among them), in characters."""
    return _property_sizes(template, "AWS::IAM::ManagedPolicy", "PolicyDocument")


def managed_policies_per_role(template: Mapping[str, Any]) -> dict[str, int]:
    """Per role: the managed policies attached to it, AWS's and the stack's."""
    attached = _policies_by_role(template, "AWS::IAM::ManagedPolicy")
    return {
        logical_id: len(properties.get("ManagedPolicyArns", [])) + len(attached.get(logical_id, []))
        for logical_id, properties in _resources(template, "AWS::IAM::Role")
    }


def bucket_policy_bytes(template: Mapping[str, Any]) -> dict[str, int]:
    """Per bucket policy: its document as compact JSON (the stack's policies are ASCII: characters are bytes)."""
    return _property_sizes(template, "AWS::S3::BucketPolicy", "PolicyDocument")


def trust_policy_chars(template: Mapping[str, Any]) -> dict[str, int]:
    return _property_sizes(template, "AWS::IAM::Role", "AssumeRolePolicyDocument")


def state_machine_definition_bytes(template: Mapping[str, Any]) -> dict[str, int]:
    return _property_sizes(template, "AWS::StepFunctions::StateMachine", "DefinitionString", as_json=False)


def event_pattern_chars(template: Mapping[str, Any]) -> dict[str, int]:
    return _property_sizes(template, "AWS::Events::Rule", "EventPattern")


def targets_per_rule(template: Mapping[str, Any]) -> dict[str, int]:
    rules = _resources(template, "AWS::Events::Rule")
    return {logical_id: len(properties.get("Targets", [])) for logical_id, properties in rules}


def template_bytes(template: Mapping[str, Any]) -> dict[str, int]:
    """The template as CDK writes it into cdk.out (indented), which is what is uploaded."""
    return {"template": len(json.dumps(template, indent=1).encode())}


def count_of(section: str) -> Callable[[Mapping[str, Any]], dict[str, int]]:
    def measure(template: Mapping[str, Any]) -> dict[str, int]:
        return {section: len(template.get(section, {}))}

    return measure
