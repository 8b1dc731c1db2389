"""Turns the execution input into job parameters; fails or overruns its timeout on request, so Catch paths
can be tested, and returns a result above Step Functions' 256 KiB payload quota on request."""

from __future__ import annotations

import os
import time
from typing import Any

# Far beyond the function's 3-second timeout, yet bounded if nothing stops it.
OVERRUN_SECONDS = 600


class DatasetRejected(Exception):
    pass


def handler(event: dict[str, Any], context: Any) -> dict[str, Any]:
    if "reject" in event["key"]:
        raise DatasetRejected(f"{event['key']}: rejected by the fixture")
    if "overrun" in event["key"]:
        deadline = time.monotonic() + OVERRUN_SECONDS
        while time.monotonic() < deadline:
            time.sleep(0.01)
    job = "job-" + event["version"].replace(".", "-").replace("_", "-")[:40]
    return {
        "jobName": job,
        "modelName": job.replace("-", "_"),
        "trainingUri": f"s3://{event['bucket']}/{event['key']}",
        "outputUri": f"s3://{event['bucket']}/output/{job}/",
        "serve": "serve" in event["key"],
        "function": os.environ["AWS_LAMBDA_FUNCTION_NAME"],
        "greeting": os.environ["FIXTURE_GREETING"] * (300 * 1024 if "oversized" in event["key"] else 1),
    }
