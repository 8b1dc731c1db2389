#!/usr/bin/env python3
"""Tuneline CDK app: reads the one typed configuration from cdk.json context and builds the stack.

cdk-nag's AwsSolutions pack runs in every synth; an unacknowledged finding stops the synth.
"""

from __future__ import annotations

import json
import os
import sys
from pathlib import Path
from typing import Any

import aws_cdk as cdk
from cdk_nag import AwsSolutionsChecks

# The runtime package lives in lambda/ (it is also the Lambda asset); make it importable without an install.
sys.path.insert(0, str(Path(__file__).resolve().parent / "lambda"))

from stacks.config import load_config
from stacks.tuneline_stack import TunelineStack
from tuneline.profiles import ConfigError

STACK_NAME = "Tuneline"
CDK_JSON = Path(__file__).resolve().parent / "cdk.json"


def cdk_json_context() -> dict[str, Any]:
    """The context block of cdk.json, for synths that do not go through the CDK CLI (tests, the emulator)."""
    return dict(json.loads(CDK_JSON.read_text())["context"])


def build_app(*, context: dict[str, Any] | None = None, outdir: str | None = None) -> cdk.App:
    """Build the app. Under the CDK CLI the context comes from the CLI; otherwise from `context` or cdk.json."""
    if context is None and "CDK_CONTEXT_JSON" not in os.environ:
        context = cdk_json_context()
    app = cdk.App(context=context, outdir=outdir)
    # Settings that parse may still not fit together (the bucket policy's uploader rules): the stack says so.
    try:
        TunelineStack(
            app,
            STACK_NAME,
            config=load_config(app.node.try_get_context("tuneline")),
            description="Tuneline: S3 datasets -> validated Amazon Bedrock custom models, with alerts",
        )
    except ConfigError as error:
        # A message, not a traceback: the person fixing cdk.json needs the keys, the rules and the fixes.
        raise SystemExit(config_error_message(error)) from None
    cdk.Validations.of(app).add_plugins(AwsSolutionsChecks(app))
    return app


def config_error_message(error: ConfigError) -> str:
    """One line for one mistake; a numbered list when cdk.json has several, so one run names them all."""
    mistakes = error.mistakes
    if len(mistakes) == 1:
        return f"Tuneline configuration error in cdk.json context, {error}"
    lines = [f"Tuneline configuration: {len(mistakes)} errors in cdk.json context; nothing was synthesized."]
    lines += [f"  {number}. {mistake}" for number, mistake in enumerate(mistakes, start=1)]
    return "\n".join(lines)


if __name__ == "__main__":
    build_app().synth()
