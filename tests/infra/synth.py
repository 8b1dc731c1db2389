"""Synthesize the real app once per test process and give tests the template and the rendered workflow."""

from __future__ import annotations

import copy
import json
from functools import cache
from pathlib import Path
from typing import Any

from aws_cdk.assertions import Template

import app as tuneline_app

# The template tests look at cdk.json's profiles plus one that buys Provisioned Throughput, one that deploys on
# demand (the serving states exist only when a profile serves) and one whose uploaders are named.
UPLOADER_ROLE = "arn:aws:iam::111122223333:role/DatasetUploader"
NAMED_UPLOADERS = "named-uploaders"
EXTRA_PROFILES: dict[str, Any] = {
    "serve-pt": {"baseModel": "amazon.nova-micro-v1:0:128k", "serving": {"mode": "provisioned"}},
    "serve-od": {"baseModel": "amazon.nova-lite-v1:0:300k", "serving": {"mode": "on-demand"}},
    NAMED_UPLOADERS: {"baseModel": "amazon.nova-micro-v1:0:128k", "uploaderPrincipals": [UPLOADER_ROLE]},
}


def infra_context() -> dict[str, Any]:
    context = copy.deepcopy(tuneline_app.cdk_json_context())
    context["tuneline"]["profiles"].update(copy.deepcopy(EXTRA_PROFILES))
    return context


@cache
def synthesized(outdir: str) -> tuple[Template, dict[str, Any], Path]:
    cdk_app = tuneline_app.build_app(context=infra_context(), outdir=outdir)
    assembly = cdk_app.synth()
    stack = assembly.get_stack_by_name(tuneline_app.STACK_NAME)
    template_path = Path(assembly.directory) / stack.template_file
    template_json = json.loads(template_path.read_text())
    return Template.from_json(template_json), template_json, template_path


def resources_of_type(template_json: dict[str, Any], resource_type: str) -> dict[str, dict[str, Any]]:
    return {k: v for k, v in template_json["Resources"].items() if v["Type"] == resource_type}


def render(value: Any) -> str:
    """Flatten an Fn::Join'ed string, replacing references with readable placeholders."""
    if isinstance(value, str):
        return value
    if "Fn::Join" in value:
        separator, parts = value["Fn::Join"]
        return separator.join(render(part) for part in parts)
    if "Ref" in value:
        return f"REF_{value['Ref']}"
    if "Fn::GetAtt" in value:
        return f"ATT_{'_'.join(value['Fn::GetAtt'])}"
    if "Fn::Select" in value and "Fn::Split" in value["Fn::Select"][1]:
        index, split = value["Fn::Select"]
        separator, source = split["Fn::Split"]
        return f"PART{index}_OF_{render(source)}"
    raise AssertionError(f"unexpected intrinsic in definition: {value}")


def state_machine_definitions(template_json: dict[str, Any]) -> dict[str, dict[str, Any]]:
    return {
        logical_id: json.loads(render(resource["Properties"]["DefinitionString"]))
        for logical_id, resource in resources_of_type(template_json, "AWS::StepFunctions::StateMachine").items()
    }
