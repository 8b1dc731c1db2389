"""cdk-nag acknowledgements and checkov skips, each tied to the construct it is about and carrying its reason.

cdk-nag v3 names a wildcard finding after the rendered resource, e.g.
`AwsSolutions-IAM5[Resource::<DataBucketArn>/staged/*]`. `acknowledge_wildcards` renders our own resource
strings the same way, so acknowledgements follow the code instead of hard-coded logical IDs.
"""

from __future__ import annotations

from collections.abc import Iterable
from typing import Any

from aws_cdk import Acknowledgment, CfnResource, Stack, Validations
from aws_cdk import aws_iam as iam
from aws_cdk import aws_lambda as lambda_
from constructs import IConstruct

# Why no CloudWatch log group of the stack uses the data key (checkov CKV_AWS_158), shared by every log group.
LOG_GROUP_KEY_REASON = (
    "No dataset content is logged (functions log names and counts, state machines log without execution data); "
    "CloudWatch Logs encrypts the groups at rest with its own keys."
)

# Why SQS queues pass CKV_AWS_27 although checkov reports them: the check only recognizes KmsMasterKeyId.
SQS_MANAGED_SSE_REASON = (
    "Encrypted at rest with SQS-managed SSE (SqsManagedSseEnabled), which EventBridge can deliver to without a "
    "key grant; the check recognizes only KMS keys."
)


def acknowledge(construct: IConstruct, rule_id: str, reason: str) -> None:
    Validations.of(construct).acknowledge(Acknowledgment(id=rule_id, reason=reason))


def acknowledge_wildcards(construct: IConstruct, resources: Iterable[str], reason: str) -> None:
    """Acknowledge AwsSolutions-IAM5 for each resource in `resources` that contains a wildcard."""
    stack = Stack.of(construct)
    for resource in resources:
        rendered = render_for_nag(stack.resolve(resource))
        if "*" in rendered:
            acknowledge(construct, f"AwsSolutions-IAM5[Resource::{rendered}]", reason)


def allow_function(
    fn: lambda_.IFunction,
    sid: str,
    actions: list[str],
    resources: list[str],
    conditions: dict[str, Any] | None = None,
    *,
    why_wildcards: str,
) -> None:
    """One statement on a function's role, and the wildcard resources in it acknowledged with `why_wildcards`."""
    fn.add_to_role_policy(iam.PolicyStatement(sid=sid, actions=actions, resources=resources, conditions=conditions))
    acknowledge_wildcards(fn, resources, f"{sid}: {why_wildcards}")


def render_for_nag(value: Any) -> str:
    """Flatten a resolved CloudFormation value the way cdk-nag prints it in finding IDs."""
    if isinstance(value, str):
        return value
    if isinstance(value, dict):
        if "Ref" in value:
            return f"<{value['Ref']}>"
        if "Fn::GetAtt" in value:
            logical_id, attribute = value["Fn::GetAtt"]
            return f"<{logical_id}.{attribute}>"
        if "Fn::Join" in value:
            separator, parts = value["Fn::Join"]
            return separator.join(render_for_nag(part) for part in parts)
    return str(value)


def skip_checkov(construct: IConstruct, check_id: str, reason: str) -> None:
    """Record an intended checkov finding in the resource's metadata (`Metadata.checkov.skip`), where checkov
    reads it; `construct` is the resource or the L2 construct around it. `make lint` runs checkov."""
    resource = construct if isinstance(construct, CfnResource) else construct.node.default_child
    if not isinstance(resource, CfnResource):
        raise TypeError(f"{construct.node.path} has no CloudFormation resource to carry a checkov skip")
    metadata = resource.get_metadata("checkov") or {"skip": []}
    metadata["skip"].append({"id": check_id, "comment": reason})
    resource.add_metadata("checkov", metadata)
