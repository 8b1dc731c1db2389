"""RFT checks before the job: the grader dry run, then the base model's baseline (docs/bedrock.md §13). The
profile's rftConfig comes in the plan: this function reads no profiles."""

from __future__ import annotations

import os
from typing import Any

from tuneline.pipeline.clients import client
from tuneline.pipeline.rft_checks import baseline, dry_run_grader


def handler(event: dict[str, Any], context: Any = None) -> dict[str, Any]:
    plan = event["plan"]
    grader_arn = event["graderArn"]
    if event["check"] == "grader":
        return dry_run_grader(plan, grader_arn, s3=client("s3"), lambda_client=client("lambda"))
    return baseline(
        plan,
        grader_arn,
        region=os.environ.get("AWS_REGION", "us-east-1"),
        s3=client("s3"),
        lambda_client=client("lambda"),
        runtime=client("bedrock-runtime"),
    )
