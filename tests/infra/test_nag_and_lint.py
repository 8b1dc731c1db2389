"""cdk-nag runs in every synth and stops it on an unacknowledged finding; cfn-lint finds no errors."""

from __future__ import annotations

import json
import subprocess
import sys
from pathlib import Path
from typing import Any

import pytest
from aws_cdk import Stack
from aws_cdk import aws_s3 as s3

import app as tuneline_app

ROOT = Path(__file__).resolve().parents[2]


def test_cfn_lint_finds_no_errors_or_warnings(template_path: Path) -> None:
    # Settings (and the one ignored warning, with its reason) come from .cfnlintrc.yaml at the repo root.
    result = subprocess.run(
        [str(Path(sys.executable).parent / "cfn-lint"), "--format", "parseable", str(template_path)],
        capture_output=True,
        text=True,
        check=False,
        cwd=ROOT,
    )
    assert result.returncode == 0, result.stdout + result.stderr


def test_nag_stops_a_synth_with_an_unacknowledged_finding(tmp_path: Path) -> None:
    app = tuneline_app.build_app(outdir=str(tmp_path))
    insecure = Stack(app, "Insecure")
    s3.Bucket(insecure, "PlainBucket")  # no TLS policy, no access logs: AwsSolutions-S1 and S10
    with pytest.raises(Exception, match="AwsSolutions-S"):
        app.synth()


def test_the_real_app_passes_nag(template_json: dict[str, Any]) -> None:
    # The session fixture synthesized the real app with the AwsSolutions pack on; reaching here means no
    # unacknowledged finding stopped it.
    assert template_json["Resources"]


# Flags the CDK CLI no longer reports (its own list, aws-cdk lib/commands/flags/obsolete-flags).
_OBSOLETE_FLAGS = {
    "@aws-cdk/core:enableStackNameDuplicates",
    "@aws-cdk/aws-s3:grantWriteWithoutAcl",
    "@aws-cdk/aws-kms:defaultKeyPolicies",
}


def test_every_feature_flag_the_library_recommends_is_decided_in_cdk_json(template_path: Path) -> None:
    # The same rule as the CDK CLI's "N feature flags are not configured" warning after every synth: a flag
    # needs a decision when cdk.json leaves it unset and its default differs from the recommended value.
    # docs/decisions/0013-feature-flags.md says how the values in cdk.json were chosen.
    manifest = json.loads((template_path.parent / "manifest.json").read_text())
    reports = [a for a in manifest["artifacts"].values() if a["type"] == "cdk:feature-flag-report"]
    assert reports
    undecided = [
        name
        for report in reports
        for name, flag in report["properties"]["flags"].items()
        if name not in _OBSOLETE_FLAGS
        and "userValue" not in flag
        and flag.get("unconfiguredBehavesLike", {}).get("v2", False) != flag["recommendedValue"]
    ]
    assert undecided == [], f"decide these flags in cdk.json (docs/decisions/0013-feature-flags.md): {undecided}"
