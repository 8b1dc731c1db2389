"""`tuneline evaluate`: the JSON contract, exit codes 0/1/2, help, errors that name the file and line, progress."""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

import pytest

from tests.cli.dataset_files import write
from tuneline.cli import main
from tuneline.datasets import render

# Prompts as users have them: CJK, emoji, a JSON answer, punctuation, categories on some.
PROMPTS = [
    ("日本の首都はどこですか", "東京です。", "geo"),
    ("What is the capital of France?", "Paris is the capital of France.", "geo"),
    ("Return the user as JSON", '{"name": "Ada", "role": "admin"}', "json"),
    ("Say hello with an emoji", "Hello 👋", None),
    ("2+2?", "4", "math"),
    ("Spell 'cat' backwards", "tac", "math"),
]
GOOD = ["東京です。", "Paris is the capital of France.", '{"name": "Ada", "role": "admin"}', "Hello 👋", "4", "tac"]
POOR = ["大阪です。", "I believe it is Lyon.", "name: Ada, role: admin", "Hi", "5", "The word is tac."]


def byoi(path: Path, responses: list[str], model: str, **options: Any) -> Path:
    records = []
    for (prompt, reference, category), response in zip(PROMPTS, responses, strict=True):
        record: dict[str, Any] = {"prompt": prompt, "referenceResponse": reference}
        if category:
            record["category"] = category
        record["modelResponses"] = [{"response": response, "modelIdentifier": model}]
        records.append(record)
    return write(path, records, **options)


@pytest.fixture
def files(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Path:
    monkeypatch.chdir(tmp_path)
    byoi(tmp_path / "base.jsonl", POOR, "amazon.nova-micro-v1:0")  # BOM and CRLF, as Windows editors write
    byoi(tmp_path / "custom.jsonl", GOOD, "custom-support-bot", bom=False, crlf=False)
    return tmp_path


def run_json(capsys: pytest.CaptureFixture[str], *argv: str) -> tuple[int, dict[str, Any]]:
    code = main(["evaluate", *argv, "--format", "json"])
    captured = capsys.readouterr()
    return code, json.loads(captured.out)


BOTH = ("--responses", "base=base.jsonl", "--responses", "custom=custom.jsonl")


def test_a_better_candidate_passes_the_gate_with_the_contract_shape(
    files: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    code, result = run_json(capsys, *BOTH)
    assert code == 0
    assert set(result) == {"models", "comparison", "gate"}
    custom = result["models"]["custom"]
    assert {"count", "exactMatch", "tokenF1", "rougeL", "lengthRatio", "jsonValid", "byCategory"} <= set(custom)
    assert custom["count"] == 6 and custom["exactMatch"] == 1.0 and custom["rougeL"] == 1.0
    assert set(custom["byCategory"]) == {"geo", "json", "math", "(none)"}
    assert result["models"]["base"]["jsonValid"] == 0.0
    comparison = result["comparison"]
    assert {"metric", "baseline", "candidate", "delta", "ci95", "wins", "ties", "losses"} <= set(comparison)
    assert (comparison["baseline"], comparison["candidate"], comparison["metric"]) == ("base", "custom", "rougeL")
    assert comparison["wins"] + comparison["ties"] + comparison["losses"] == 6 and comparison["losses"] == 0
    assert comparison["delta"] > 0 and len(comparison["ci95"]) == 2
    assert result["gate"]["passed"] is True and result["gate"]["minImprovement"] == 0.0


def test_a_worse_candidate_fails_the_gate_with_exit_1(files: Path, capsys: pytest.CaptureFixture[str]) -> None:
    code, result = run_json(capsys, *BOTH, "--baseline", "custom")
    assert code == 1
    assert result["comparison"]["baseline"] == "custom" and result["comparison"]["delta"] < 0
    assert result["gate"]["passed"] is False


def test_the_margin_and_significance_options_reach_the_gate(files: Path, capsys: pytest.CaptureFixture[str]) -> None:
    code, result = run_json(capsys, *BOTH, "--gate-metric", "tokenF1", "--min-improvement", "0.99")
    assert code == 1 and result["gate"]["reason"] == "below-min-improvement"
    assert result["comparison"]["metric"] == "tokenF1" and result["gate"]["minImprovement"] == 0.99
    code, result = run_json(capsys, *BOTH, "--require-significance", "--resamples", "500")
    assert result["gate"]["requireSignificance"] is True
    assert code == (0 if result["comparison"]["ci95"][0] > 0 else 1)


def test_the_same_files_give_the_same_numbers(files: Path, capsys: pytest.CaptureFixture[str]) -> None:
    assert run_json(capsys, *BOTH)[1] == run_json(capsys, *BOTH)[1]
    seeded = run_json(capsys, *BOTH, "--seed", "1")[1]["comparison"]["ci95"]
    assert seeded == run_json(capsys, *BOTH, "--seed", "1")[1]["comparison"]["ci95"]


def test_one_model_is_scored_without_a_gate(files: Path, capsys: pytest.CaptureFixture[str]) -> None:
    code, result = run_json(capsys, "--responses", "custom=custom.jsonl")
    assert code == 0 and set(result) == {"models"}


def test_text_output_shows_the_table_the_comparison_and_the_gate(
    files: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    assert main(["evaluate", *BOTH]) == 0
    out = capsys.readouterr().out
    assert out.startswith("6 prompts, 2 model(s)")
    assert "model   exactMatch  tokenF1  rougeL  lengthRatio  jsonValid" in out
    assert "by category (rougeL):" in out
    assert "custom vs base on rougeL: " in out and " wins / " in out
    assert "GATE PASSED" in out


def test_text_output_names_the_reason_a_gate_fails(files: Path, capsys: pytest.CaptureFixture[str]) -> None:
    assert main(["evaluate", *BOTH, "--baseline", "custom"]) == 1
    assert "GATE FAILED: the candidate's mean is not above the baseline's" in capsys.readouterr().out


def test_help_explains_the_format_the_gate_and_the_exit_codes(capsys: pytest.CaptureFixture[str]) -> None:
    with pytest.raises(SystemExit) as raised:
        main(["evaluate", "--help"])
    assert raised.value.code == 0
    text = capsys.readouterr().out
    assert "examples:\n  tuneline evaluate --responses base=base.jsonl" in text
    assert '"modelResponses": [{"response": "4", "modelIdentifier": "custom"}]' in text
    assert "exit codes: 0 the gate passes" in text and "1 the gate fails" in text
    assert "(default: rougeL;" in text and "(default: 2000)" in text


@pytest.mark.parametrize(
    ("argv", "message"),
    [
        (["--responses", "base.jsonl"], "give NAME=FILE"),
        (["--responses", "a=base.jsonl", "--responses", "a=custom.jsonl"], "the name 'a' is given twice"),
        (["--responses", "base=missing.jsonl"], "missing.jsonl: no such file"),
        ([*BOTH, "--baseline", "bse"], "did you mean 'base'?"),
        ([*BOTH, "--gate-metric", "jsonValid", "--responses", "x=custom.jsonl"], "comparison and gate need"),
    ],
)
def test_usage_errors_exit_2_with_stdout_empty(
    files: Path, capsys: pytest.CaptureFixture[str], argv: list[str], message: str
) -> None:
    assert main(["evaluate", *argv, "--format", "json"]) == 2
    captured = capsys.readouterr()
    assert captured.out == "" and message in captured.err


def test_json_validity_cannot_gate_without_json_references(files: Path, capsys: pytest.CaptureFixture[str]) -> None:
    PROMPTS_WITHOUT_JSON = [row for row in PROMPTS if not row[1].startswith("{")]
    lines = [
        {"prompt": p, "referenceResponse": r, "modelResponses": [{"response": r, "modelIdentifier": "m"}]}
        for p, r, _ in PROMPTS_WITHOUT_JSON
    ]
    write(files / "a.jsonl", lines)
    write(files / "b.jsonl", lines)
    assert main(["evaluate", "--responses", "a=a.jsonl", "--responses", "b=b.jsonl", "--gate-metric", "jsonValid"]) == 2
    assert "jsonValid needs references that are JSON" in capsys.readouterr().err


def test_option_errors_exit_2(files: Path, capsys: pytest.CaptureFixture[str]) -> None:
    with pytest.raises(SystemExit) as raised:
        main(["evaluate", *BOTH, "--min-improvement", "-0.1"])
    assert raised.value.code == 2
    assert "expected a number of 0 or more" in capsys.readouterr().err


def test_a_broken_record_is_named_by_file_line_and_key(files: Path, capsys: pytest.CaptureFixture[str]) -> None:
    lines = (files / "custom.jsonl").read_text(encoding="utf-8").splitlines()
    lines[3] = lines[3].replace('"referenceResponse"', '"reference"')
    (files / "custom.jsonl").write_text("\n".join(lines) + "\n", encoding="utf-8")
    assert main(["evaluate", *BOTH, "--format", "json"]) == 2
    captured = capsys.readouterr()
    assert captured.out == ""
    assert "custom.jsonl line 4: [missing-key] key 'referenceResponse' is missing" in captured.err


def test_files_with_different_prompts_or_counts_do_not_pair(files: Path, capsys: pytest.CaptureFixture[str]) -> None:
    reordered = [*GOOD[1:], GOOD[0]]
    records = [json.loads(line) for line in (files / "custom.jsonl").read_text(encoding="utf-8").splitlines()]
    write(files / "shuffled.jsonl", [*records[1:], records[0]], bom=False)
    write(files / "short.jsonl", records[:4], bom=False)
    assert reordered  # the same answers, in another order
    assert main(["evaluate", "--responses", "base=base.jsonl", "--responses", "custom=shuffled.jsonl"]) == 2
    err = capsys.readouterr().err
    assert "shuffled.jsonl line 1: [records-out-of-step] key 'prompt' differs from base.jsonl line 1" in err
    assert main(["evaluate", "--responses", "base=base.jsonl", "--responses", "custom=short.jsonl"]) == 2
    assert "short.jsonl: [record-count-mismatch] 4 records, but base.jsonl has 6" in capsys.readouterr().err


class Terminal:
    def __init__(self) -> None:
        self.text = ""

    def write(self, text: str) -> int:
        self.text += text
        return len(text)

    def flush(self) -> None:
        pass

    def isatty(self) -> bool:
        return True


def test_long_scoring_draws_one_progress_bar_on_a_terminal_only_for_text(
    files: Path, capsys: pytest.CaptureFixture[str], monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setattr(render, "PROGRESS_MIN_BYTES", 1)  # the sample files count as big
    terminal = Terminal()
    monkeypatch.setattr("sys.stderr", terminal)
    assert main(["evaluate", *BOTH]) == 0
    assert terminal.text.count("100.0%") == 1 and terminal.text.endswith("\n")
    terminal.text = ""
    assert main(["evaluate", *BOTH, "--format", "json"]) == 0
    assert terminal.text == ""


def test_three_models_are_scored_side_by_side_without_a_gate(files: Path, capsys: pytest.CaptureFixture[str]) -> None:
    assert main(["evaluate", *BOTH, "--responses", "again=custom.jsonl"]) == 0
    out = capsys.readouterr().out
    assert out.startswith("6 prompts, 3 model(s)") and "\nagain " in out
    assert "no comparison: give exactly two --responses" in out and "GATE" not in out
