"""fix, split and convert draw a progress bar on a terminal for big inputs, and nothing elsewhere."""

from __future__ import annotations

import io
import shutil
from pathlib import Path

import pytest

from tuneline.cli import main
from tuneline.datasets import render

DATA = Path(__file__).resolve().parents[1] / "data" / "datasets"
NOVA = "amazon.nova-micro-v1:0:128k"


class Terminal(io.StringIO):
    def isatty(self) -> bool:
        return True


@pytest.fixture
def inputs(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Path:
    shutil.copy(DATA / "converse_train.jsonl", tmp_path / "train.jsonl")
    shutil.copy(DATA / "faq.csv", tmp_path / "faq.csv")
    monkeypatch.chdir(tmp_path)
    monkeypatch.setattr(render, "PROGRESS_MIN_BYTES", 1)  # the sample files count as big
    return tmp_path


@pytest.mark.parametrize(
    "argv",
    [
        ["fix", "train.jsonl"],
        ["split", "train.jsonl", "--model", NOVA],
        ["convert", "faq.csv", "--from", "csv", "--model", NOVA],
    ],
)
def test_a_big_input_draws_one_bar_that_ends_at_100_percent(
    inputs: Path, monkeypatch: pytest.MonkeyPatch, argv: list[str]
) -> None:
    terminal = Terminal()
    monkeypatch.setattr("sys.stderr", terminal)

    assert main(argv) == 0

    drawn = terminal.getvalue()
    assert drawn.count("100.0%") == 1 and drawn.endswith("\n"), drawn
    assert drawn.rstrip("\n").rsplit("\r", 1)[-1].startswith("[" + "#" * 30 + "]")


@pytest.mark.parametrize("argv", [["fix", "train.jsonl"], ["fix", "train.jsonl", "--format", "json", "--force"]])
def test_no_bar_when_stderr_is_not_a_terminal_or_the_output_is_json(
    inputs: Path, capsys: pytest.CaptureFixture[str], monkeypatch: pytest.MonkeyPatch, argv: list[str]
) -> None:
    if "--format" in argv:
        monkeypatch.setattr("sys.stderr", Terminal())
    assert main(argv) == 0
    assert "%" not in capsys.readouterr().err
