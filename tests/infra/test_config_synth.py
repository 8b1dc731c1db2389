"""A bad setting fails the synth with the key and the allowed values."""

from __future__ import annotations

import copy
import json
import os
import subprocess
import sys
from pathlib import Path

import pytest

import app as tuneline_app

ROOT = Path(__file__).resolve().parents[2]


def _context_with(**changes: object) -> dict[str, object]:
    context = copy.deepcopy(tuneline_app.cdk_json_context())
    context["tuneline"].update(changes)  # type: ignore[union-attr]
    return context


def test_bad_network_mode_fails_synth_naming_key_and_choices(tmp_path: Path) -> None:
    with pytest.raises(SystemExit, match=r"tuneline\.network: 'public' is not one of create, none"):
        tuneline_app.build_app(context=_context_with(network="public"), outdir=str(tmp_path))


def test_unknown_base_model_fails_synth_listing_known_models(tmp_path: Path) -> None:
    context = _context_with()
    context["tuneline"]["profiles"]["support-bot"]["baseModel"] = "amazon.nova-nano-v9"  # type: ignore[index]
    with pytest.raises(SystemExit) as raised:
        tuneline_app.build_app(context=context, outdir=str(tmp_path))
    message = str(raised.value)
    assert "tuneline.profiles.support-bot.baseModel" in message
    assert "amazon.nova-micro-v1:0:128k" in message


def test_network_none_synthesizes_without_a_vpc(tmp_path: Path) -> None:
    app = tuneline_app.build_app(context=_context_with(network="none"), outdir=str(tmp_path))
    template = app.synth().get_stack_by_name(tuneline_app.STACK_NAME).template
    types = {r["Type"] for r in template["Resources"].values()}
    assert "AWS::EC2::VPC" not in types
    assert "AWS::StepFunctions::StateMachine" in types


def test_a_cdk_json_with_three_mistakes_names_all_three_in_one_run_without_a_traceback(tmp_path: Path) -> None:
    context = _context_with(network="public", retainData="yes")
    context["tuneline"]["profiles"]["llama-instruct"]["hyperParameters"] = {"epochCount": 99}  # type: ignore[index]
    # As the CDK CLI runs the app: the context arrives in CDK_CONTEXT_JSON.
    environment = {**os.environ, "CDK_CONTEXT_JSON": json.dumps(context), "CDK_OUTDIR": str(tmp_path)}
    result = subprocess.run(
        [sys.executable, "app.py"], cwd=ROOT, env=environment, capture_output=True, text=True, check=False
    )
    assert result.returncode != 0
    assert "Traceback" not in result.stderr
    assert "3 errors in cdk.json context; nothing was synthesized" in result.stderr
    assert "1. tuneline.network: 'public' is not one of create, none" in result.stderr
    assert "tuneline.profiles.llama-instruct.hyperParameters.epochCount" in result.stderr
    assert "3. tuneline.retainData: must be true or false (without quotes), got 'yes'" in result.stderr
    assert not list(tmp_path.iterdir())


def test_uploader_rules_past_the_bucket_policy_limit_fail_synth_naming_the_profile(tmp_path: Path) -> None:
    context = _context_with()
    profiles = context["tuneline"]["profiles"]  # type: ignore[index]
    for team in range(60):
        profiles[f"team-{team:02d}"] = {
            "baseModel": "amazon.nova-micro-v1:0:128k",
            "uploaderPrincipals": [f"arn:aws:iam::210987654321:role/team-{team:02d}-dataset-uploaders-*"],
        }
    with pytest.raises(SystemExit) as raised:
        tuneline_app.build_app(context=context, outdir=str(tmp_path))
    message = str(raised.value)
    assert message.startswith("Tuneline configuration error in cdk.json context, tuneline.profiles.team-")
    assert ".uploaderPrincipals: the bucket policy cannot hold this many uploader rules" in message
    assert "20,480 bytes S3 allows a bucket policy" in message
