"""The house rules of the runtime package that import-linter cannot see (docs/architecture.md, "Package graph").

- Alert subjects and bodies are built only in `tuneline.alerts`; other packages pass data.
- S3 prefixes, name prefixes and tag keys are defined only in `tuneline.layout`.
- The `tuneline` command's exit codes are defined only in `tuneline.exit_codes`.
"""

from __future__ import annotations

import ast
from collections.abc import Iterator
from pathlib import Path

from tuneline import layout

ROOT = Path(__file__).resolve().parents[2]
PACKAGE = ROOT / "lambda" / "tuneline"
ALERT_BUILDERS = {"make_alert", "subject_line", "command_lines", "SUBJECT_PREFIX"}
LAYOUT_VALUES = {
    value for name, value in vars(layout).items() if name.isupper() and isinstance(value, str) and len(value) > 1
}


def _modules(outside: str, root: Path | None = None) -> Iterator[tuple[str, ast.Module]]:
    folder = root or PACKAGE
    for path in sorted(folder.rglob("*.py")):
        relative = path.relative_to(folder).as_posix()
        if not relative.startswith(outside):
            yield relative, ast.parse(path.read_text(encoding="utf-8"))


def _constant_assignments(tree: ast.Module) -> Iterator[tuple[str, object]]:
    """Module-level `NAME = "value"`, and each literal of `NAME = ["a", "b"]` (or a tuple or set)."""
    for node in tree.body:
        if not isinstance(node, ast.Assign):
            continue
        values = node.value.elts if isinstance(node.value, ast.List | ast.Tuple | ast.Set) else [node.value]
        for value in values:
            if isinstance(value, ast.Constant):
                for target in node.targets:
                    if isinstance(target, ast.Name):
                        yield target.id, value.value


def test_only_the_alerts_package_builds_alert_subjects_and_bodies() -> None:
    offenders = [
        f"{module}: {alias.name}"
        for module, tree in _modules(outside="alerts/")
        for node in ast.walk(tree)
        if isinstance(node, ast.ImportFrom) and (node.module or "").startswith("tuneline.alerts")
        for alias in node.names
        if alias.name in ALERT_BUILDERS
    ]
    offenders += [
        f"{module}: defines {name}"
        for module, tree in _modules(outside="alerts/")
        for name, _ in _constant_assignments(tree)
        if name == "SUBJECT_PREFIX"
    ]
    assert offenders == []


def test_prefixes_and_tag_keys_are_defined_only_in_the_layout_module() -> None:
    modules = [*_modules(outside="layout.py"), *_modules(outside="__none__", root=ROOT / "stacks")]
    offenders = [
        f"{module}: {name} = {value!r}"
        for module, tree in modules
        for name, value in _constant_assignments(tree)
        if value in LAYOUT_VALUES
    ]
    assert offenders == []


def test_exit_codes_are_defined_only_once() -> None:
    offenders = [
        f"{module}: {name}"
        for module, tree in _modules(outside="exit_codes.py")
        for name, _ in _constant_assignments(tree)
        if name.startswith("EXIT_")
    ]
    assert offenders == []
