"""`tuneline validate --type REINFORCEMENT_FINE_TUNING` and `convert` to RFT prompts: the usual exit codes and
JSON report."""

from __future__ import annotations

import json
from pathlib import Path

import pytest

from tuneline.cli import main

EXAMPLE = Path(__file__).resolve().parents[2] / "examples" / "math-rft" / "prompts.jsonl"
NOVA_2 = "amazon.nova-2-lite-v1:0:256k"
RFT = ("--model", NOVA_2, "--type", "REINFORCEMENT_FINE_TUNING", "--format", "json")


def test_a_valid_rft_file_exits_0_with_a_json_report(capsys: pytest.CaptureFixture[str]) -> None:
    code = main(["validate", str(EXAMPLE), *RFT])
    report = json.loads(capsys.readouterr().out)
    assert code == 0 and report["valid"] is True
    assert report["stats"]["customization_type"] == "REINFORCEMENT_FINE_TUNING"
    assert report["stats"]["records"] == 120


def test_an_invalid_rft_file_exits_1_and_names_lines_and_rules(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    lines = EXAMPLE.read_text().splitlines()[:99]
    broken = json.loads(lines[3])
    broken["messages"].append({"role": "assistant", "content": "7"})
    lines[3] = json.dumps(broken)
    path = tmp_path / "prompts.jsonl"
    path.write_text("\n".join(lines) + "\n")
    code = main(["validate", str(path), *RFT])
    report = json.loads(capsys.readouterr().out)
    assert code == 1
    assert {(f["rule"], f["line"]) for f in report["errors"]} == {
        ("rft.assistant-answer", 4),
        ("dataset.training-records", None),
    }


def test_rft_on_a_model_without_it_is_invalid_and_lists_the_supported_types(
    capsys: pytest.CaptureFixture[str],
) -> None:
    code = main(
        ["validate", str(EXAMPLE), "--model", "amazon.nova-micro-v1:0:128k", "--type", "REINFORCEMENT_FINE_TUNING"]
    )
    out = capsys.readouterr().out
    assert code == 1 and "does not support REINFORCEMENT_FINE_TUNING" in out


def test_convert_writes_rft_prompts_that_validate(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    source = tmp_path / "qa.jsonl"
    source.write_text(
        "".join(json.dumps({"question": f"What is {n} times 3?", "answer": str(3 * n)}) + "\n" for n in range(150))
    )
    target = tmp_path / "rft.jsonl"
    code = main(
        ["convert", str(source), "--from", "jsonl", "--prompt-field", "question", "--answer-field", "answer",
         "--model", NOVA_2, "--type", "REINFORCEMENT_FINE_TUNING", "-o", str(target)]
    )  # fmt: skip
    capsys.readouterr()
    assert code == 0
    assert json.loads(target.read_text().splitlines()[2]) == {
        "messages": [{"role": "user", "content": "What is 2 times 3?"}],
        "reference_answer": "6",
    }
    assert main(["validate", str(target), *RFT]) == 0
