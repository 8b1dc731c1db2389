"""What the dataset commands say about bad paths: a message and exit 2, never a traceback or a half-written file."""

from __future__ import annotations

import io
import json
import os
import shutil
import subprocess
import sys
from pathlib import Path
from typing import Any

import pytest

from tuneline.cli import main
from tuneline.datasets import cli as datasets_cli

DATA = Path(__file__).resolve().parents[1] / "data" / "datasets"
NOVA = "amazon.nova-micro-v1:0:128k"


@pytest.fixture
def workdir(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Path:
    shutil.copy(DATA / "converse_train.jsonl", tmp_path / "train.jsonl")
    shutil.copy(DATA / "faq.csv", tmp_path / "faq.csv")
    (tmp_path / "folder").mkdir()
    (tmp_path / "folder" / "inside.jsonl").write_text("{}\n")
    monkeypatch.chdir(tmp_path)
    return tmp_path


def usage_error(capsys: pytest.CaptureFixture[str], argv: list[str]) -> str:
    """Run argv, expect exit 2 with nothing on stdout, and return the one error message."""
    assert main(argv) == 2
    captured = capsys.readouterr()
    assert captured.out == ""
    assert captured.err.startswith(f"tuneline {argv[0]}: error: ")
    assert "Traceback" not in captured.err
    return captured.err


@pytest.mark.parametrize(
    "argv",
    [
        ["validate", "folder", "--model", NOVA],
        ["validate", "train.jsonl", "--validation", "folder", "--model", NOVA],
        ["fix", "folder"],
        ["split", "folder", "--model", NOVA],
        ["convert", "folder", "--from", "csv", "--model", NOVA],
        ["estimate", "folder", "--model", NOVA],
    ],
)
def test_a_directory_instead_of_a_file_names_a_file_inside(
    workdir: Path, capsys: pytest.CaptureFixture[str], argv: list[str]
) -> None:
    message = usage_error(capsys, argv)
    assert "folder is a directory; give the file inside it, e.g. folder/inside.jsonl" in message


@pytest.mark.parametrize("command", ["validate", "fix", "split", "convert", "estimate"])
def test_an_unreadable_file_is_a_usage_error(
    workdir: Path, capsys: pytest.CaptureFixture[str], monkeypatch: pytest.MonkeyPatch, command: str
) -> None:
    # chmod 000 does not stop root (CI containers), so ask os.access the way an ordinary user would be answered.
    monkeypatch.setattr(datasets_cli.os, "access", lambda path, mode: not str(path).endswith("train.jsonl"))
    argv = {"convert": [command, "train.jsonl", "--from", "chat", "--model", NOVA]}.get(
        command, [command, "train.jsonl", "--model", NOVA] if command != "fix" else [command, "train.jsonl"]
    )
    message = usage_error(capsys, argv)
    assert "train.jsonl: permission denied; make it readable (chmod u+r train.jsonl)" in message


def test_an_os_error_while_reading_is_a_usage_error(
    workdir: Path, capsys: pytest.CaptureFixture[str], monkeypatch: pytest.MonkeyPatch
) -> None:
    def fail(*args: Any, **kwargs: Any) -> None:
        raise PermissionError(13, "Permission denied", "train.jsonl")

    monkeypatch.setattr(datasets_cli, "validate_dataset", fail)
    message = usage_error(capsys, ["validate", "train.jsonl", "--model", NOVA, "--format", "json"])
    assert message == "tuneline validate: error: train.jsonl: Permission denied\n"


@pytest.mark.parametrize(
    ("argv", "expected"),
    [
        (["fix", "train.jsonl", "-o", "missing/out.jsonl"], "folder missing does not exist; create it"),
        (["fix", "train.jsonl", "-o", "folder"], "folder is a directory; give a file name for -o"),
        (["fix", "train.jsonl", "-o", "-"], "-o - (standard output) is not supported"),
        (["split", "train.jsonl", "--model", NOVA, "--train-out", "missing/t.jsonl"], "folder missing does not"),
        (
            ["split", "train.jsonl", "--model", NOVA, "--train-out", "s.jsonl", "--validation-out", "./s.jsonl"],
            "--train-out and --validation-out are both s.jsonl; give two different files",
        ),
        (["convert", "faq.csv", "--from", "csv", "--model", NOVA, "-o", "missing/c.jsonl"], "does not exist"),
        (["convert", "faq.csv", "--from", "csv", "--model", NOVA, "-o", "./faq.csv"], "faq.csv is the input file"),
    ],
)
def test_bad_output_paths_are_refused_before_anything_is_written(
    workdir: Path, capsys: pytest.CaptureFixture[str], argv: list[str], expected: str
) -> None:
    before = {path: path.read_bytes() for path in workdir.rglob("*") if path.is_file()}
    assert expected in usage_error(capsys, argv)
    after = {path: path.read_bytes() for path in workdir.rglob("*") if path.is_file()}
    assert after == before


def test_an_output_named_on_the_command_line_is_replaced(workdir: Path, capsys: pytest.CaptureFixture[str]) -> None:
    (workdir / "out.jsonl").write_text("old\n")
    assert main(["fix", "train.jsonl", "-o", "out.jsonl"]) == 0
    assert (workdir / "out.jsonl").read_bytes() == (workdir / "train.jsonl").read_bytes()


def test_force_replaces_an_existing_output_at_its_default_name(
    workdir: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    (workdir / "train.fixed.jsonl").write_text("old\n")
    assert main(["fix", "train.jsonl", "--force"]) == 0
    assert (workdir / "train.fixed.jsonl").read_bytes() == (workdir / "train.jsonl").read_bytes()


def test_running_fix_twice_asks_for_force(workdir: Path, capsys: pytest.CaptureFixture[str]) -> None:
    assert main(["fix", "train.jsonl"]) == 0
    capsys.readouterr()
    assert "train.fixed.jsonl already exists" in usage_error(capsys, ["fix", "train.jsonl"])


def test_ctrl_c_exits_130_quietly_and_leaves_no_partial_output(
    workdir: Path, capsys: pytest.CaptureFixture[str], monkeypatch: pytest.MonkeyPatch
) -> None:
    def interrupted(src: Any, dst: io.BufferedWriter) -> None:
        dst.write(b'{"half": ')
        raise KeyboardInterrupt

    monkeypatch.setattr(datasets_cli, "normalize_stream", interrupted)
    assert main(["fix", "train.jsonl", "-o", "out.jsonl"]) == 130
    captured = capsys.readouterr()
    assert captured.out == "" and "Traceback" not in captured.err
    assert sorted(os.listdir(workdir)) == ["faq.csv", "folder", "train.jsonl"]


def test_dash_reads_standard_input(
    workdir: Path, capsys: pytest.CaptureFixture[str], monkeypatch: pytest.MonkeyPatch
) -> None:
    data = (workdir / "train.jsonl").read_bytes()
    monkeypatch.setattr("sys.stdin", io.TextIOWrapper(io.BytesIO(data)))
    assert main(["validate", "-", "--model", NOVA, "--format", "json"]) == 0
    report = json.loads(capsys.readouterr().out)
    assert report["valid"] is True and report["warnings"] == []
    assert report["stats"]["files"]["training"]["name"] == "<stdin>"

    monkeypatch.setattr("sys.stdin", io.TextIOWrapper(io.BytesIO(data)))
    assert main(["fix", "-", "-o", "copy.jsonl"]) == 0
    assert (workdir / "copy.jsonl").read_bytes() == data


def test_dash_without_an_output_name_asks_for_one(workdir: Path, capsys: pytest.CaptureFixture[str]) -> None:
    assert "reading from standard input needs an output file name; give -o FILE" in usage_error(capsys, ["fix", "-"])


def test_output_piped_into_a_closed_reader_stops_quietly(workdir: Path) -> None:
    command = [sys.executable, "-m", "tuneline.cli", "estimate", "--tokens", "10", "--model", NOVA]
    process = subprocess.Popen(command, stdout=subprocess.PIPE, stderr=subprocess.PIPE)
    assert process.stdout is not None and process.stderr is not None
    process.stdout.close()  # like `| head -0`: the reader is gone before the first line is written
    stderr = process.stderr.read().decode()
    assert process.wait(timeout=60) == 0
    assert stderr == ""
