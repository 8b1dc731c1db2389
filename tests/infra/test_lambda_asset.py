"""The functions' code asset runs in Lambda's Python as it ran in the tests (docs/decisions/0009-runtime-parity.md).

- Every AWS operation, paginator and exception the runtime package uses exists in the SDK the asset carries,
  read from that SDK's own models in a Python that sees nothing but the asset and the standard library.
- The asset imports every handler with nothing but itself and the standard library.
- The runtime package uses nothing of the standard library that the deployed Python (3.14) no longer has:
  mypy checks it against typeshed's stubs for that version.
"""

from __future__ import annotations

import ast
import json
import subprocess
import sys
import textwrap
from collections import defaultdict
from functools import cache
from pathlib import Path
from typing import Any

import pytest
from mypy import api as mypy_api

from stacks import lambda_asset
from stacks.config import load_config
from stacks.lambda_asset import (
    SDK_DISTRIBUTIONS,
    SDK_SERVICES,
    asset_size,
    build_lambda_asset,
    write_deployment_asset,
)
from tests.infra.synth import infra_context, resources_of_type
from tuneline.profiles import PROFILES_FILE

ROOT = Path(__file__).resolve().parents[2]
PACKAGE = ROOT / "lambda" / "tuneline"
DEPLOYED_PYTHON = "3.14"
# How the runtime package names the clients it is handed (parameters, attributes): receiver name -> service.
CLIENT_NAMES = {
    "bedrock": "bedrock",
    "cloudformation": "cloudformation",
    "runtime": "bedrock-runtime",
    "s3": "s3",
    "s3_client": "s3",
    "sfn": "stepfunctions",
    "sns": "sns",
    "stepfunctions": "stepfunctions",
}
CLIENT_ATTRIBUTES_THAT_ARE_NOT_OPERATIONS = {"meta", "exceptions", "get_paginator", "can_paginate", "get_waiter"}
# Unzipped, the asset stays far below Lambda's 250 MB; this budget catches the SDK's data coming back whole.
SIZE_BUDGET_BYTES = 12 * 1024 * 1024


def _receiver_name(node: ast.expr) -> str | None:
    """`bedrock`, `self.s3`, `self._runtime` -> "bedrock", "s3", "runtime"."""
    if isinstance(node, ast.Name):
        return node.id.lstrip("_")
    if isinstance(node, ast.Attribute):
        return node.attr.lstrip("_")
    return None


@cache
def sdk_uses() -> dict[str, dict[str, set[str]]]:
    """service -> {"operations", "paginators", "exceptions"} -> names, scanned from the runtime package's source.

    Attribute references count, called or not (the janitor passes `bedrock.list_custom_model_deployments` to
    a pager). Under "?" are the calls on receivers with other names, for the check that no client hides behind
    a name the scan does not know.
    """
    uses: dict[str, dict[str, set[str]]] = defaultdict(lambda: defaultdict(set))
    for path in sorted(PACKAGE.rglob("*.py")):
        where = path.relative_to(PACKAGE).as_posix()
        for node in ast.walk(ast.parse(path.read_text(encoding="utf-8"))):
            if isinstance(node, ast.Attribute):
                service = CLIENT_NAMES.get(_receiver_name(node.value) or "")
                if service and node.attr not in CLIENT_ATTRIBUTES_THAT_ARE_NOT_OPERATIONS:
                    uses[service]["operations"].add(node.attr)
                if isinstance(node.value, ast.Attribute) and node.value.attr == "exceptions":
                    owner = CLIENT_NAMES.get(_receiver_name(node.value.value) or "")
                    assert owner, f"{where}: exceptions of an unknown client: {ast.unparse(node)}"
                    uses[owner]["exceptions"].add(node.attr)
            if not (isinstance(node, ast.Call) and isinstance(node.func, ast.Attribute)):
                continue
            service = CLIENT_NAMES.get(_receiver_name(node.func.value) or "")
            if service is None:
                uses["?"]["calls"].add(f"{where}: {ast.unparse(node.func)}")
            elif node.func.attr == "get_paginator" and node.args and isinstance(node.args[0], ast.Constant):
                uses[service]["paginators"].add(str(node.args[0].value))
    return uses


# Runs in a Python that sees only the asset and the standard library (-I -S): reads the SDK's models there.
PROBE = textwrap.dedent(
    """
    import json, os, sys
    sys.path.insert(0, sys.argv[1])
    wanted = json.loads(sys.stdin.read())
    os.environ.update(AWS_ACCESS_KEY_ID="probe", AWS_SECRET_ACCESS_KEY="probe", AWS_DEFAULT_REGION="us-east-1")
    import boto3, botocore
    from botocore import xform_name
    found = {"boto3": boto3.__file__, "botocore": botocore.__file__, "versions": [boto3.__version__,
             botocore.__version__], "missing": [], "operations": {}}
    for service, names in wanted.items():
        client = boto3.session.Session().client(service)
        model = client.meta.service_model
        found["operations"][service] = sorted(xform_name(name) for name in model.operation_names)
        for kind, present in (
            ("operations", lambda name: hasattr(client, name)),
            ("paginators", client.can_paginate),
            ("exceptions", lambda name: hasattr(client.exceptions, name)),
        ):
            found["missing"] += [f"{service}: {kind} {name}" for name in names[kind] if not present(name)]
    print(json.dumps(found))
    """
)


def run_in_asset(asset: Path, code: str, stdin: str = "") -> str:
    completed = subprocess.run(
        # -B: importing from the build folder must not write bytecode into the asset.
        [sys.executable, "-I", "-S", "-B", "-c", code, str(asset)],
        input=stdin,
        capture_output=True,
        text=True,
        timeout=300,
        check=False,
    )
    assert completed.returncode == 0, completed.stderr
    return completed.stdout


@pytest.fixture(scope="module")
def asset() -> Path:
    folder, _ = build_lambda_asset()
    return folder


@pytest.fixture(scope="module")
def sdk_in_asset(asset: Path) -> dict[str, Any]:
    uses = sdk_uses()
    wanted = {
        service: {kind: sorted(names) for kind, names in kinds.items()}
        for service, kinds in uses.items()
        if service != "?"
    }
    for kinds in wanted.values():
        for kind in ("operations", "paginators", "exceptions"):
            kinds.setdefault(kind, [])
    return dict(json.loads(run_in_asset(asset, PROBE, json.dumps(wanted))))


def test_every_operation_paginator_and_exception_the_functions_use_exists_in_the_bundled_sdk(
    asset: Path, sdk_in_asset: dict[str, Any]
) -> None:
    assert sdk_in_asset["missing"] == []
    # The SDK that answered is the asset's own, at the pinned versions.
    assert Path(sdk_in_asset["boto3"]).is_relative_to(asset) and Path(sdk_in_asset["botocore"]).is_relative_to(asset)
    assert sdk_in_asset["versions"] == [lambda_asset.sdk_versions()["boto3"], lambda_asset.sdk_versions()["botocore"]]


def test_the_scan_sees_the_calls_it_exists_for() -> None:
    uses = sdk_uses()
    # The newest Bedrock operations the janitor and the serving workflow depend on, and one call per service.
    assert {"delete_custom_model_deployment", "list_custom_model_deployments", "tag_resource"} <= uses["bedrock"][
        "operations"
    ]
    assert {"converse", "invoke_model"} <= uses["bedrock-runtime"]["operations"]
    assert {"list_model_customization_jobs"} <= uses["bedrock"]["paginators"]
    assert {"start_execution", "describe_execution"} <= uses["stepfunctions"]["operations"]
    assert {"publish"} <= uses["sns"]["operations"]
    assert {"get_object", "put_object", "copy_object"} <= uses["s3"]["operations"]


def test_no_client_hides_behind_a_name_the_scan_does_not_know(sdk_in_asset: dict[str, Any]) -> None:
    operations = {name for names in sdk_in_asset["operations"].values() for name in names}
    unknown = sorted(
        where
        for where in sdk_uses()["?"]["calls"]
        if where.rsplit(".", 1)[-1] in operations and where.rsplit(".", 1)[-1] not in {"get", "copy"}
    )
    assert unknown == [], "add the receiver's name to CLIENT_NAMES"


def test_the_bundled_services_are_the_ones_the_functions_create_clients_for() -> None:
    created = set()
    for path in PACKAGE.rglob("*.py"):
        for node in ast.walk(ast.parse(path.read_text(encoding="utf-8"))):
            if (
                isinstance(node, ast.Call)
                and isinstance(node.func, ast.Name | ast.Attribute)
                and (node.func.id if isinstance(node.func, ast.Name) else node.func.attr) == "client"
                and node.args
                and isinstance(node.args[0], ast.Constant)
            ):
                created.add(node.args[0].value)
    assert created == set(SDK_SERVICES)


def test_the_asset_imports_every_handler_with_nothing_but_itself_and_the_standard_library(asset: Path) -> None:
    handlers = sorted(path.stem for path in (PACKAGE / "handlers").glob("*.py") if path.stem != "__init__")
    code = textwrap.dedent(
        """
        import importlib, sys
        sys.path.insert(0, sys.argv[1])
        for name in sys.stdin.read().split():
            module = importlib.import_module(f"tuneline.handlers.{name}")
            assert callable(module.handler), name
            assert module.__file__.startswith(sys.argv[1]), module.__file__
        print("ok")
        """
    )
    assert run_in_asset(asset, code, " ".join(handlers)).strip() == "ok"


def test_the_asset_holds_the_runtime_package_and_the_pinned_sdk_only(asset: Path) -> None:
    top = {path.name for path in asset.iterdir()}
    packages = {name for name in top if not name.endswith(".dist-info")}
    assert packages == {"tuneline", "boto3", "botocore", "s3transfer", "jmespath", "dateutil", "urllib3", "six.py"}
    versions = lambda_asset.sdk_versions()
    distributions = {name.removesuffix(".dist-info") for name in top if name.endswith(".dist-info")}
    assert {name.rsplit("-", 1)[0].replace("_", "-") for name in distributions} == set(SDK_DISTRIBUTIONS)
    assert all(f"{name.replace('-', '_')}-{versions[name]}" in distributions for name in SDK_DISTRIBUTIONS)
    assert not [path for path in asset.rglob("*") if path.name == "__pycache__" or path.suffix == ".pyc"]
    assert not list(asset.rglob("tests"))
    assert sorted(path.name for path in (asset / "botocore" / "data").iterdir() if path.is_dir()) == sorted(
        SDK_SERVICES
    )
    _, size = asset_size(asset)
    assert size < SIZE_BUDGET_BYTES


def test_the_sdk_in_the_asset_is_pinned_in_requirements() -> None:
    pinned = {
        line.split("==")[0].strip().lower(): line.split("==")[1].split()[0]
        for line in (ROOT / "requirements.txt").read_text().splitlines()
        if "==" in line and not line.lstrip().startswith("#")
    }
    assert {name: pinned.get(name) for name in SDK_DISTRIBUTIONS} == lambda_asset.sdk_versions()


def test_the_runtime_package_uses_nothing_the_deployed_python_removed(tmp_path: Path) -> None:
    # The project's own mypy settings ignore every missing import; here only the SDK's missing stubs are
    # ignored, so an import of a standard module that the deployed Python removed is an error.
    config = tmp_path / "mypy.ini"
    config.write_text(
        f"[mypy]\npython_version = {DEPLOYED_PYTHON}\nmypy_path = lambda\nexplicit_package_bases = True\n"
        "check_untyped_defs = True\n\n[mypy-boto3,boto3.*,botocore,botocore.*]\nignore_missing_imports = True\n"
    )
    report, errors, status = mypy_api.run(
        ["--config-file", str(config), "--cache-dir", str(tmp_path / "cache"), str(PACKAGE)]
    )
    assert status == 0, report + errors


def test_every_function_runs_the_python_the_checks_target_from_the_bundled_asset(
    template_json: dict[str, Any], template_path: Path, asset: Path
) -> None:
    functions = resources_of_type(template_json, "AWS::Lambda::Function")
    tuneline = {name: f for name, f in functions.items() if f["Properties"]["Handler"].startswith("tuneline.")}
    assert tuneline
    assert {f["Properties"]["Runtime"] for f in tuneline.values()} == {f"python{DEPLOYED_PYTHON}"}
    # One asset for all of them, and it is the bundle (the runtime package with the SDK beside it), plus the
    # profiles document of this deployment (docs/decisions/0010-profiles-at-run-time.md).
    [key] = {f["Properties"]["Code"]["S3Key"] for f in tuneline.values()}
    staged = template_path.parent / f"asset.{key.removesuffix('.zip')}"
    assert _files(staged) == _files(asset) | {PROFILES_FILE}
    assert (staged / "tuneline" / "handlers").is_dir() and (staged / "botocore" / "data" / "bedrock").is_dir()
    # The profiles this template was synthesized with, compared as JSON: CDK's context hands whole floats back
    # as integers.
    synthesized = load_config(infra_context()["tuneline"])
    assert json.loads((staged / PROFILES_FILE).read_text(encoding="utf-8")) == json.loads(synthesized.profiles_document)


def _files(folder: Path) -> set[str]:
    return {path.relative_to(folder).as_posix() for path in folder.rglob("*") if path.is_file()}


def test_a_deployment_file_never_replaces_a_file_of_the_built_code(asset: Path, tmp_path: Path) -> None:
    with pytest.raises(ValueError, match=r"six\.py would replace a file of the built code"):
        write_deployment_asset(asset, tmp_path / "deployment", {"six.py": "# not the SDK's six"})
