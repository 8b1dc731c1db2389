"""What `make synth` did, in a few lines: each stack, its resources and outputs, cdk-nag, cfn-lint, the template.

Everything is read from the cloud assembly the CDK CLI wrote (`cdk.out`): the manifest names the stacks and
their templates; each stack's metadata records every cdk-nag acknowledgement on the construct it concerns
(`stacks/nag.py`); the validation report lists the findings no acknowledgement covers (the synth stops on any
of them) and the CDK's own construct warnings. cfn-lint runs here, on the same templates, with the repository's
`.cfnlintrc.yaml`.

    python -m stacks.synth_summary [cdk.out]      exit 0 when clean, 1 on a cfn-lint finding or an open one
"""

from __future__ import annotations

import json
import subprocess
import sys
from collections import Counter
from collections.abc import Sequence
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

NAG_PACK = "AwsSolutions"
# How the CDK records an acknowledgement in a construct's metadata, and how it prefixes a rule's ID there.
ACKNOWLEDGED_RULES = "aws:cdk:acknowledged-rules"
_ANNOTATION_PREFIX = "annotation::"
_ROOT = Path(__file__).resolve().parent.parent


@dataclass(frozen=True)
class StackSummary:
    name: str
    template_path: Path
    resource_types: Counter[str]
    # Output name -> its description (or its name when it has none).
    outputs: dict[str, str]
    nag_acknowledged: int
    nag_open: list[str] = field(default_factory=list)
    # CDK construct warnings ("<construct path>: <message>") that the synth let through.
    warnings: list[str] = field(default_factory=list)

    @property
    def resources(self) -> int:
        return sum(self.resource_types.values())


def summarize(assembly: Path) -> list[StackSummary]:
    """One summary per stack in the cloud assembly at `assembly`."""
    manifest = _read_json(assembly / "manifest.json")
    report = _read_json(assembly / "validation-report.json") if (assembly / "validation-report.json").exists() else {}
    summaries = []
    for name, artifact in manifest.get("artifacts", {}).items():
        if artifact.get("type") != "aws:cloudformation:stack":
            continue
        template_path = assembly / artifact["properties"]["templateFile"]
        template = _read_json(template_path)
        stack_path = f"{artifact.get('displayName', name)}/"
        summaries.append(
            StackSummary(
                name=artifact.get("displayName", name),
                template_path=template_path,
                resource_types=Counter(r["Type"] for r in template.get("Resources", {}).values()),
                outputs={
                    key: output.get("Description", key) for key, output in sorted(template.get("Outputs", {}).items())
                },
                nag_acknowledged=count_acknowledgements(_stack_metadata(assembly, artifact), NAG_PACK),
                nag_open=_violations(report, lambda plugin: plugin == NAG_PACK, stack_path),
                warnings=_violations(report, lambda plugin: plugin != NAG_PACK, stack_path),
            )
        )
    return summaries


def count_acknowledgements(metadata: dict[str, list[dict[str, Any]]], pack: str) -> int:
    """How many acknowledgements of the pack's rules the stack's constructs carry, each with its reason."""
    return sum(
        1
        for entries in metadata.values()
        for entry in entries
        if entry.get("type") == ACKNOWLEDGED_RULES
        for rule in entry.get("data", {})
        if _rule_id(rule).startswith(f"{pack}-")
    )


def run_cfn_lint(templates: Sequence[Path]) -> list[str]:
    """cfn-lint's findings on the templates, one line each; empty when clean."""
    cfn_lint = Path(sys.executable).parent / "cfn-lint"
    result = subprocess.run(
        [str(cfn_lint), "--format", "parseable", *map(str, templates)],
        capture_output=True,
        text=True,
        check=False,
        cwd=_ROOT,
    )
    findings = [line for line in (result.stdout + result.stderr).splitlines() if line.strip()]
    if result.returncode != 0 and not findings:
        findings = [f"cfn-lint exited with {result.returncode}"]
    return findings


def render(summaries: Sequence[StackSummary], lint_findings: Sequence[str], *, relative_to: Path) -> str:
    lines: list[str] = []
    for stack in summaries:
        kinds = ", ".join(
            f"{count} {kind}{'s' if count != 1 else ''}" for kind, count in _main_kinds(stack.resource_types)
        )
        lines.append(f"Stack {stack.name}: {stack.resources} resources ({kinds} and more)")
        lines.append(f"Outputs ({len(stack.outputs)}):")
        width = max((len(key) for key in stack.outputs), default=0)
        lines += [
            f"  {key.ljust(width)}  {description}".rstrip() if description != key else f"  {key}"
            for key, description in stack.outputs.items()
        ]
        lines += [f"CDK warning: {warning}" for warning in stack.warnings]
        lines += [f"cdk-nag open finding: {finding}" for finding in stack.nag_open]
    acknowledged = sum(stack.nag_acknowledged for stack in summaries)
    still_open = sum(len(stack.nag_open) for stack in summaries)
    lint = "clean" if not lint_findings else f"{len(lint_findings)} findings"
    lines += lint_findings
    lines.append(f"cdk-nag: {acknowledged} acknowledged, {still_open} open; cfn-lint: {lint}")
    for stack in summaries:
        lines.append(f"Template: {_shown(stack.template_path, relative_to)}")
    return "\n".join(lines)


def main(argv: Sequence[str] | None = None) -> int:
    args = list(sys.argv[1:] if argv is None else argv)
    assembly = Path(args[0] if args else "cdk.out")
    summaries = summarize(assembly)
    if not summaries:
        print(f"No stack in {assembly}: run the synth first.", file=sys.stderr)
        return 1
    lint_findings = run_cfn_lint([stack.template_path for stack in summaries])
    print(render(summaries, lint_findings, relative_to=Path.cwd()))
    return 1 if lint_findings or any(stack.nag_open for stack in summaries) else 0


# The kinds of resource named in the first line (singular; an s makes the plural), in this order.
_KIND_NAMES = {
    "AWS::StepFunctions::StateMachine": "state machine",
    "AWS::Lambda::Function": "function",
    "AWS::S3::Bucket": "bucket",
    "AWS::SQS::Queue": "queue",
    "AWS::Events::Rule": "event rule",
    "AWS::CloudWatch::Alarm": "alarm",
    "AWS::IAM::Role": "role",
}


def _main_kinds(types: Counter[str]) -> list[tuple[str, int]]:
    return [(name, types[kind]) for kind, name in _KIND_NAMES.items() if types[kind]]


def _violations(report: dict[str, Any], plugin_matches: Any, stack_path: str) -> list[str]:
    found = []
    for plugin in report.get("pluginReports", []):
        if not plugin_matches(plugin.get("pluginName", "")):
            continue
        for violation in plugin.get("violations", []):
            constructs = violation.get("violatingConstructs") or violation.get("violatingResources") or []
            for construct in constructs:
                path = construct.get("constructPath", "")
                if path.startswith(stack_path):
                    found.append(f"{violation.get('ruleName', '')} at {path}: {violation.get('description', '')}")
    return found


def _stack_metadata(assembly: Path, artifact: dict[str, Any]) -> dict[str, list[dict[str, Any]]]:
    metadata: dict[str, list[dict[str, Any]]] = dict(artifact.get("metadata", {}))
    extra = artifact.get("additionalMetadataFile")
    if extra and (assembly / extra).exists():
        for path, entries in _read_json(assembly / extra).items():
            metadata.setdefault(path, []).extend(entries)
    return metadata


def _rule_id(recorded: str) -> str:
    return recorded[len(_ANNOTATION_PREFIX) :] if recorded.lower().startswith(_ANNOTATION_PREFIX) else recorded


def _shown(path: Path, relative_to: Path) -> str:
    try:
        return str(path.resolve().relative_to(relative_to.resolve()))
    except ValueError:
        return str(path)


def _read_json(path: Path) -> Any:
    return json.loads(path.read_text())


if __name__ == "__main__":
    raise SystemExit(main())
