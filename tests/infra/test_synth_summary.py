"""`make synth` ends with what it made: stack, resources, outputs, cdk-nag and cfn-lint, the template path."""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

import pytest

from stacks import synth_summary
from stacks.synth_summary import count_acknowledgements, render, summarize


def _assembly(tmp_path: Path, *, report: dict[str, Any] | None = None) -> Path:
    template = {
        "Resources": {
            "Fn1": {"Type": "AWS::Lambda::Function"},
            "Fn2": {"Type": "AWS::Lambda::Function"},
            "Machine": {"Type": "AWS::StepFunctions::StateMachine"},
            "Topic": {"Type": "AWS::SNS::Topic"},
        },
        "Outputs": {
            "DataBucketName": {"Value": {"Ref": "Bucket"}},
            "UploadPolicyArnBot": {"Value": "x", "Description": "Attach to whoever uploads datasets for profile bot"},
        },
    }
    metadata = {
        "/Demo": [{"type": "aws:cdk:acknowledged-rules", "data": {"CloudFormation-Validate::W3010": "AZs"}}],
        "/Demo/Role": [
            {
                "type": "aws:cdk:acknowledged-rules",
                "data": {"Annotation::AwsSolutions-IAM5[Resource::*]": "why", "annotation::AwsSolutions-IAM4": "why"},
            },
            {"type": "aws:cdk:logicalId", "data": "Role"},
        ],
        "/Demo/Bucket": [{"type": "aws:cdk:acknowledged-rules", "data": {"Annotation::AwsSolutions-S1": "loop"}}],
    }
    manifest = {
        "artifacts": {
            "Demo.assets": {"type": "cdk:asset-manifest"},
            "Demo": {
                "type": "aws:cloudformation:stack",
                "displayName": "Demo",
                "properties": {"templateFile": "Demo.template.json"},
                "additionalMetadataFile": "Demo.metadata.json",
            },
        }
    }
    (tmp_path / "Demo.template.json").write_text(json.dumps(template))
    (tmp_path / "Demo.metadata.json").write_text(json.dumps(metadata))
    (tmp_path / "manifest.json").write_text(json.dumps(manifest))
    if report is not None:
        (tmp_path / "validation-report.json").write_text(json.dumps(report))
    return tmp_path


def _violation(plugin: str, rule: str, path: str, description: str) -> dict[str, Any]:
    return {
        "pluginName": plugin,
        "violations": [
            {"ruleName": rule, "description": description, "violatingConstructs": [{"constructPath": path}]}
        ],
    }


def test_the_summary_counts_resources_outputs_and_only_the_packs_acknowledgements(tmp_path: Path) -> None:
    [stack] = summarize(_assembly(tmp_path))
    assert stack.name == "Demo" and stack.resources == 4
    assert list(stack.outputs) == ["DataBucketName", "UploadPolicyArnBot"]
    # Two on the role (either spelling of the prefix) and one on the bucket; the cfn-lint one is not cdk-nag's.
    assert stack.nag_acknowledged == 3
    assert stack.nag_open == [] and stack.warnings == []
    text = render([stack], [], relative_to=tmp_path)
    assert "Stack Demo: 4 resources (1 state machine, 2 functions and more)" in text
    assert "  UploadPolicyArnBot  Attach to whoever uploads datasets for profile bot" in text
    assert text.splitlines()[-2:] == [
        "cdk-nag: 3 acknowledged, 0 open; cfn-lint: clean",
        "Template: Demo.template.json",
    ]


def test_open_findings_warnings_and_lint_findings_are_shown_and_fail(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str]
) -> None:
    report = {
        "pluginReports": [
            _violation("AwsSolutions", "AwsSolutions-S10", "Demo/Bucket/Resource", "no TLS"),
            _violation("AwsSolutions", "AwsSolutions-S10", "Other/Bucket/Resource", "another stack"),
            _violation("Construct Annotations", "Annotation::x", "Demo/Map", "ignored property"),
        ]
    }
    assembly = _assembly(tmp_path, report=report)
    [stack] = summarize(assembly)
    assert stack.nag_open == ["AwsSolutions-S10 at Demo/Bucket/Resource: no TLS"]
    assert stack.warnings == ["Annotation::x at Demo/Map: ignored property"]

    monkeypatch.setattr(synth_summary, "run_cfn_lint", lambda templates: ["Demo.template.json:1:1:1:E3001:bad"])
    assert synth_summary.main([str(assembly)]) == 1
    out = capsys.readouterr().out
    assert "cdk-nag: 3 acknowledged, 1 open; cfn-lint: 1 findings" in out
    assert "Demo.template.json:1:1:1:E3001:bad" in out
    assert "CDK warning: Annotation::x at Demo/Map: ignored property" in out


def test_an_empty_assembly_says_to_synthesize_first(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    (tmp_path / "manifest.json").write_text(json.dumps({"artifacts": {}}))
    assert synth_summary.main([str(tmp_path)]) == 1
    assert "run the synth first" in capsys.readouterr().err


def test_the_real_assembly_summary_matches_its_template(template_path: Path, template_json: dict[str, Any]) -> None:
    [stack] = summarize(template_path.parent)
    assert stack.resources == len(template_json["Resources"])
    assert set(stack.outputs) == set(template_json["Outputs"])
    assert stack.nag_open == []
    metadata = json.loads((template_path.parent / "Tuneline.metadata.json").read_text())
    assert stack.nag_acknowledged == count_acknowledgements(metadata, "AwsSolutions") > 100
    assert synth_summary.run_cfn_lint([template_path]) == []
