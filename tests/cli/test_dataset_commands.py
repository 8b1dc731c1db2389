"""The `tuneline` dataset commands: the contract other tools rely on (exit codes, JSON shape, outputs)."""

from __future__ import annotations

import json
import shutil
import subprocess
import sys
from pathlib import Path

import pytest

from tuneline.cli import main

DATA = Path(__file__).resolve().parents[1] / "data" / "datasets"
NOVA = "amazon.nova-micro-v1:0:128k"


def run_json(capsys: pytest.CaptureFixture[str], *argv: str) -> tuple[int, dict]:
    code = main(list(argv))
    out = capsys.readouterr().out
    return code, json.loads(out)


def test_validate_valid_file_json(capsys: pytest.CaptureFixture[str]) -> None:
    code, report = run_json(
        capsys,
        "validate",
        str(DATA / "converse_train.jsonl"),
        "--model",
        "amazon.nova-micro-v1:0",
        "--validation",
        str(DATA / "converse_validation.jsonl"),
        "--format",
        "json",
    )
    assert code == 0
    assert report["valid"] is True and report["errors"] == []
    assert report["stats"]["records"] == 50
    assert set(report["stats"]["estimated_tokens"]) == {"total", "max", "p50", "p95"}


def test_validate_invalid_file_json_lists_line_rule_message(capsys: pytest.CaptureFixture[str]) -> None:
    code, report = run_json(
        capsys, "validate", str(DATA / "converse_broken.jsonl"), "--model", NOVA, "--format", "json"
    )
    assert code == 1
    assert report["valid"] is False
    for finding in report["errors"] + report["warnings"]:
        assert set(finding) >= {"line", "rule", "message"}
        assert finding["line"] is None or isinstance(finding["line"], int)
    assert {"rule": "jsonl.blank-line", "line": 3} in [{"rule": e["rule"], "line": e["line"]} for e in report["errors"]]
    dataset_level = [e for e in report["errors"] if e["rule"] == "dataset.training-records"]
    assert dataset_level and dataset_level[0]["line"] is None


def test_validate_text_output_groups_findings_by_rule(capsys: pytest.CaptureFixture[str]) -> None:
    code = main(["validate", str(DATA / "converse_broken.jsonl"), "--model", NOVA])
    out = capsys.readouterr().out
    assert code == 1
    assert out.startswith("INVALID: 10 error(s), 2 warning(s) for Amazon Nova Micro FINE_TUNING")
    assert "[jsonl.blank-line] x1" in out
    assert "converse_broken.jsonl line 3:" in out


def test_validate_distillation_with_teacher(capsys: pytest.CaptureFixture[str]) -> None:
    argv = ["validate", str(DATA / "distillation_prompts.jsonl"), "--model", "meta.llama3-1-8b-instruct-v1:0"]
    argv += ["--type", "DISTILLATION", "--format", "json"]
    code, report = run_json(capsys, *argv, "--teacher", "meta.llama3-1-405b-instruct-v1:0")
    assert code == 0, report["errors"]
    code, report = run_json(capsys, *argv, "--teacher", "amazon.nova-pro-v1:0")
    assert code == 1
    assert [e["rule"] for e in report["errors"]] == ["dataset.teacher"]


@pytest.mark.parametrize(
    "argv",
    [
        ["validate", "FILE", "--model", "no.such-model-v1:0"],
        ["validate", "missing.jsonl", "--model", NOVA],
        ["validate", "FILE", "--model", NOVA, "--validation", "missing.jsonl"],
        ["validate", "FOLDER", "--model", NOVA],
        [
            "estimate",
            "--model",
            "amazon.titan-text-express-v1:0:8k",
            "--tokens",
            "10",
            "--hyperparameter",
            "epochCount=1_0",
        ],
        ["split", "FILE", "--model", "amazon.titan-image-generator-v2:0"],
        ["estimate", "--model", NOVA],
        ["estimate", "--model", NOVA, "--tokens", "10", "--hyperparameter", "epochCount=9"],
        ["convert", "FILE", "--from", "csv", "--model", NOVA, "--question-column", "nope"],
    ],
)
def test_usage_errors_exit_2(argv: list[str], capsys: pytest.CaptureFixture[str], tmp_path: Path) -> None:
    source = tmp_path / "faq.csv"
    shutil.copy(DATA / "faq.csv", source)
    argv = [
        str(source)
        if a == "FILE"
        else str(tmp_path)
        if a == "FOLDER"
        else str(tmp_path / a)
        if a.endswith(".jsonl")
        else a
        for a in argv
    ]
    assert main(argv) == 2
    captured = capsys.readouterr()
    assert captured.err.startswith(f"tuneline {argv[0]}: error:")
    assert captured.out == ""


def test_argparse_errors_exit_2() -> None:
    with pytest.raises(SystemExit) as raised:
        main(["validate", "x.jsonl", "--model", NOVA, "--type", "PRETRAINING"])
    assert raised.value.code == 2


@pytest.mark.parametrize("command", ["validate", "fix", "split", "convert", "estimate"])
def test_help(command: str, capsys: pytest.CaptureFixture[str]) -> None:
    with pytest.raises(SystemExit) as raised:
        main([command, "--help"])
    assert raised.value.code == 0
    assert f"usage: tuneline {command}" in capsys.readouterr().out


def test_fix_writes_a_copy_that_validates(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    source = tmp_path / "broken.jsonl"
    shutil.copy(DATA / "converse_broken.jsonl", source)
    code, summary = run_json(capsys, "fix", str(source), "--format", "json")
    assert code == 0
    output = Path(summary["output"])
    assert output == tmp_path / "broken.fixed.jsonl"
    assert summary["blank_lines_removed"] == 1 and summary["bom_removed"] == 1
    assert source.read_bytes() == (DATA / "converse_broken.jsonl").read_bytes()
    _, report = run_json(capsys, "validate", str(output), "--model", NOVA, "--format", "json")
    assert not {e["rule"] for e in report["errors"]} & {"encoding.bom", "jsonl.blank-line"}


def test_fix_refuses_to_overwrite_its_input(tmp_path: Path) -> None:
    source = tmp_path / "a.jsonl"
    source.write_text('{"a": 1}\n')
    assert main(["fix", str(source), "-o", str(source)]) == 2


def test_split_then_validate_both_files(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    source = tmp_path / "pc.jsonl"
    shutil.copy(DATA / "prompt_completion_train.jsonl", source)
    model = "amazon.titan-text-express-v1"
    code, summary = run_json(capsys, "split", str(source), "--model", model, "--ratio", "0.2", "--format", "json")
    assert code == 0
    assert (summary["training_records"], summary["validation_records"]) == (96, 24)
    code, report = run_json(
        capsys,
        "validate",
        summary["training"],
        "--validation",
        summary["validation"],
        "--model",
        model,
        "--format",
        "json",
    )
    assert code == 0 and report["stats"]["records"] == 120


def test_convert_csv_for_haiku_with_redaction(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    source = tmp_path / "faq.csv"
    shutil.copy(DATA / "faq.csv", source)
    model = "anthropic.claude-3-haiku-20240307-v1:0:200k"
    code = main(["convert", str(source), "--from", "csv", "--model", model, "--redact-pii"])
    out = capsys.readouterr().out
    assert code == 0
    assert "personal data redacted: email 1, phone 1" in out
    converted = tmp_path / "faq.claude-messages.jsonl"
    lines = converted.read_text().splitlines()
    assert len(lines) == 11
    assert "[EMAIL]" in lines[-1]


def test_estimate_from_file_and_from_tokens(capsys: pytest.CaptureFixture[str]) -> None:
    code, estimate = run_json(
        capsys, "estimate", str(DATA / "converse_train.jsonl"), "--model", NOVA, "--epochs", "3", "--format", "json"
    )
    assert code == 0
    assert estimate["epochs"] == 3 and estimate["dataset_valid"] is True
    assert estimate["tokens"] > 0
    assert estimate["usd"] == pytest.approx(estimate["tokens"] * 3 / 1000 * estimate["price_per_1k_tokens_usd"])
    code, estimate = run_json(
        capsys, "estimate", "--tokens", "2000000", "--model", NOVA, "--price-per-1k-tokens", "0.5", "--format", "json"
    )
    assert (code, estimate["usd"], estimate["price_source"]) == (0, 2000.0, "override from configuration")


def test_installed_command_runs_in_a_subprocess() -> None:
    command = [sys.executable, "-m", "tuneline.cli", "validate", str(DATA / "haiku_train.jsonl")]
    command += ["--model", "anthropic.claude-3-haiku-20240307-v1:0", "--format", "json"]
    result = subprocess.run(command, capture_output=True, text=True, timeout=120, check=False)
    assert result.returncode == 0, result.stderr
    assert json.loads(result.stdout)["valid"] is True
    result = subprocess.run(
        [sys.executable, "-m", "tuneline.cli", "validate", str(DATA / "haiku_train.jsonl"), "--model", "x"],
        capture_output=True,
        text=True,
        timeout=120,
        check=False,
    )
    assert result.returncode == 2 and "unknown" in result.stderr
