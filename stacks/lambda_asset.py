"""The functions' code asset: the `tuneline` runtime package plus the pinned AWS SDK it was tested with.

Lambda's Python runtimes bring a boto3 of their own, updated on Lambda's schedule, which can lack Bedrock
operations the functions call (custom model deployments, imports). Lambda searches the function's code before
its own libraries, so the asset carries boto3, botocore and their dependencies at the versions pinned in
requirements.txt: the SDK that runs in Lambda is the one the tests ran. All of it is pure Python, so the asset
is built by copying the installed distributions, without Docker or a download, and synth stays offline.

botocore's service models are kept only for the services the functions call (`SDK_SERVICES`); the rest of its
data (450 services) would be dead weight in every function. tests/infra/test_lambda_asset.py checks that every
operation, paginator and exception the runtime package uses exists in the bundled SDK, and that the asset
imports with nothing but itself and the standard library. See docs/decisions/0009-runtime-parity.md.

What a deployment adds to the code (the profiles document, docs/decisions/0010-profiles-at-run-time.md) is
written at synth into CDK's output folder beside a copy of the build (`write_deployment_asset`), never into the
shared build: synths of different configurations, in parallel, each get their own asset.
"""

from __future__ import annotations

import hashlib
import importlib.metadata
import os
import shutil
import tempfile
from collections.abc import Iterable, Iterator, Mapping
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
SOURCE_DIR = ROOT / "lambda"
PACKAGE = "tuneline"
BUILD_ROOT = ROOT / "build" / "lambda-asset"  # git-ignored; one folder per content

# boto3 and everything it imports, at the versions installed from requirements.txt.
SDK_DISTRIBUTIONS = ("boto3", "botocore", "s3transfer", "jmespath", "python-dateutil", "six", "urllib3")
# The services the package creates clients for (tuneline.pipeline.clients.client("...")); cloudformation only
# for `tuneline status` and `tuneline report` (tuneline.deployed), which ship in the same package.
SDK_SERVICES = ("bedrock", "bedrock-runtime", "cloudformation", "cloudwatch", "lambda", "s3", "sns", "stepfunctions")
# Left out of the asset: caches, compiled files (Lambda's Python would not use this Python's), build leftovers.
EXCLUDED_PARTS = {"__pycache__", ".mypy_cache", ".pytest_cache"}
EXCLUDED_SUFFIXES = (".pyc", ".pyo")
FORMAT = "1"  # bump when the layout of the asset changes


def sdk_versions() -> dict[str, str]:
    return {name: importlib.metadata.version(name) for name in SDK_DISTRIBUTIONS}


def build_lambda_asset(build_root: Path = BUILD_ROOT) -> tuple[Path, str]:
    """The asset folder for the current sources and SDK, built once per content; returns (folder, hash).

    The hash covers the package's files, the SDK versions and the kept services, so it names the content.
    """
    sources = sorted(_package_files())
    digest = hashlib.sha256(f"format {FORMAT}\n".encode())
    for name, version in sorted(sdk_versions().items()):
        digest.update(f"{name}=={version}\n".encode())
    digest.update(("services " + ",".join(SDK_SERVICES) + "\n").encode())
    for relative, path in sources:
        digest.update(relative.encode() + b"\0" + path.read_bytes() + b"\0")
    asset_hash = digest.hexdigest()
    target = build_root / asset_hash
    if target.is_dir():
        return target, asset_hash
    build_root.mkdir(parents=True, exist_ok=True)
    staging = Path(tempfile.mkdtemp(prefix=".building-", dir=build_root))
    try:
        _copy(sources, staging)
        _copy(_sdk_files(), staging)
        try:
            staging.rename(target)
        except OSError:
            if not target.is_dir():  # not another process that built the same content first
                raise
    finally:
        shutil.rmtree(staging, ignore_errors=True)
    _remove_other_builds(build_root, keep=target)
    return target, asset_hash


def deployment_asset_hash(code_hash: str, files: Mapping[str, str]) -> str:
    """The hash naming the build (`code_hash`) with a deployment's `files` (relative path -> text) beside it."""
    digest = hashlib.sha256(f"code {code_hash}\n".encode())
    for relative, text in sorted(files.items()):
        digest.update(relative.encode() + b"\0" + text.encode() + b"\0")
    return digest.hexdigest()


def write_deployment_asset(code: Path, destination: Path, files: Mapping[str, str]) -> None:
    """Fill `destination` with a copy of the built `code` and a deployment's `files` at its root."""
    _copy(((path.relative_to(code).as_posix(), path) for path in code.rglob("*") if path.is_file()), destination)
    for relative, text in files.items():
        target = destination / relative
        if target.exists():
            raise ValueError(f"{relative} would replace a file of the built code")
        target.parent.mkdir(parents=True, exist_ok=True)
        target.write_text(text, encoding="utf-8")


def _package_files() -> Iterator[tuple[str, Path]]:
    for path in (SOURCE_DIR / PACKAGE).rglob("*"):
        relative = path.relative_to(SOURCE_DIR).as_posix()
        if path.is_file() and _kept(relative):
            yield relative, path


def _sdk_files() -> Iterator[tuple[str, Path]]:
    for name in SDK_DISTRIBUTIONS:
        distribution = importlib.metadata.distribution(name)
        for file in distribution.files or ():
            relative = file.as_posix()
            if relative.startswith("..") or not _kept(relative) or not _service_kept(relative):
                continue
            path = Path(str(file.locate()))
            if path.is_file():
                yield relative, path


def _kept(relative: str) -> bool:
    parts = relative.split("/")
    return not (EXCLUDED_PARTS & set(parts)) and not relative.endswith(EXCLUDED_SUFFIXES)


def _service_kept(relative: str) -> bool:
    parts = relative.split("/")
    if parts[:2] != ["botocore", "data"] or len(parts) < 4:
        return True  # code, and the data files every client needs (endpoints, partitions, retry rules)
    return parts[2] in SDK_SERVICES


def _copy(files: Iterable[tuple[str, Path]], destination: Path) -> None:
    for relative, path in files:
        target = destination / relative
        target.parent.mkdir(parents=True, exist_ok=True)
        shutil.copyfile(path, target)


def _remove_other_builds(build_root: Path, keep: Path) -> None:
    for entry in build_root.iterdir():
        if entry != keep and entry.is_dir() and not entry.name.startswith(".building-"):
            shutil.rmtree(entry, ignore_errors=True)


def asset_size(folder: Path) -> tuple[int, int]:
    """(files, bytes) of a built asset, for the decision record's numbers and the size test."""
    files = [path for path in folder.rglob("*") if path.is_file()]
    return len(files), sum(os.path.getsize(path) for path in files)
