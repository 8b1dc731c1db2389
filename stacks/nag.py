"""cdk-nag acknowledgements, each tied to the construct it is about and carrying its reason.

cdk-nag v3 names a wildcard finding after the rendered resource, e.g.
`AwsSolutions-IAM5[Resource::<DataBucketArn>/staged/*]`. `acknowledge_wildcards` renders our own resource
strings the same way, so acknowledgements follow the code instead of hard-coded logical IDs.
"""

from __future__ import annotations

from collections.abc import Iterable
from typing import Any

from aws_cdk import Acknowledgment, Stack, Validations
from constructs import IConstruct


def acknowledge(construct: IConstruct, rule_id: str, reason: str) -> None:
    Validations.of(construct).acknowledge(Acknowledgment(id=rule_id, reason=reason))


def acknowledge_wildcards(construct: IConstruct, resources: Iterable[str], reason: str) -> None:
    """Acknowledge AwsSolutions-IAM5 for each resource in `resources` that contains a wildcard."""
    stack = Stack.of(construct)
    for resource in resources:
        rendered = render_for_nag(stack.resolve(resource))
        if "*" in rendered:
            acknowledge(construct, f"AwsSolutions-IAM5[Resource::{rendered}]", reason)


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
