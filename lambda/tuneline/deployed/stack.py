"""Find a deployed Tuneline stack and its outputs through CloudFormation, so no command needs a bucket name."""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

from botocore.exceptions import BotoCoreError, ClientError

DEFAULT_STACK_NAME = "Tuneline"
# The outputs stacks/tuneline_stack.py declares; a stack without the bucket output is not a Tuneline stack.
BUCKET_OUTPUT = "DataBucketName"
CUSTOMIZE_OUTPUT = "CustomizeStateMachineArn"


class StackNotFound(Exception):
    """No deployed Tuneline stack under that name (or the account cannot be reached)."""


@dataclass(frozen=True)
class DeployedStack:
    name: str
    bucket: str
    customize_state_machine_arn: str | None
    outputs: dict[str, str]


def find_stack(cloudformation: Any, name: str = DEFAULT_STACK_NAME) -> DeployedStack:
    try:
        stacks = cloudformation.describe_stacks(StackName=name)["Stacks"]
    except ClientError as error:
        message = error.response.get("Error", {}).get("Message") or str(error)
        raise StackNotFound(
            f"no stack {name!r} in this account and Region ({message}). Deploy it with `make deploy` "
            "(or `make emulator` locally), or name it with --stack"
        ) from error
    except BotoCoreError as error:
        raise StackNotFound(f"cannot reach CloudFormation: {error}") from error
    outputs = {o["OutputKey"]: o["OutputValue"] for o in stacks[0].get("Outputs") or []}
    if BUCKET_OUTPUT not in outputs:
        raise StackNotFound(f"stack {name!r} has no {BUCKET_OUTPUT} output: it is not a Tuneline stack")
    return DeployedStack(
        name=name,
        bucket=outputs[BUCKET_OUTPUT],
        customize_state_machine_arn=outputs.get(CUSTOMIZE_OUTPUT),
        outputs=outputs,
    )
