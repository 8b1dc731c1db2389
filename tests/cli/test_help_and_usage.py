"""`--help` that helps, forgiving option case, and what `--format json` prints on a usage error."""

from __future__ import annotations

import json
from pathlib import Path

import pytest

from tuneline.cli import main
from tuneline.datasets.models import known_model_ids

DATA = Path(__file__).resolve().parents[1] / "data" / "datasets"
NOVA = "amazon.nova-micro-v1:0:128k"


def help_text(capsys: pytest.CaptureFixture[str], *argv: str) -> str:
    with pytest.raises(SystemExit) as raised:
        main([*argv, "--help"])
    assert raised.value.code == 0
    return capsys.readouterr().out


@pytest.mark.parametrize("command", ["validate", "split", "convert", "estimate"])
def test_model_commands_list_every_model_id_with_examples(capsys: pytest.CaptureFixture[str], command: str) -> None:
    text = help_text(capsys, command)
    assert f"examples:\n  tuneline {command} " in text
    assert all(model_id in text for model_id in known_model_ids())
    assert "exit codes: 0 success" in text and "stdout stays empty, also with --format json" in text


def test_help_shows_defaults(capsys: pytest.CaptureFixture[str]) -> None:
    text = " ".join(help_text(capsys, "validate").split())
    assert "(default: FINE_TUNING)" in text
    assert "findings kept per rule (default: 20)" in text
    assert "(default: None)" not in text
    assert "validation fraction, between 0 and 1 (default: 0.1)" in " ".join(help_text(capsys, "split").split())


@pytest.mark.parametrize("command", [[], ["fix"], ["validate-model"]])
def test_other_help_pages_have_examples(capsys: pytest.CaptureFixture[str], command: list[str]) -> None:
    assert "examples:\n  tuneline " in help_text(capsys, *command)


def test_type_format_and_source_accept_any_letter_case(capsys: pytest.CaptureFixture[str], tmp_path: Path) -> None:
    argv = ["validate", str(DATA / "converse_train.jsonl"), "--model", NOVA, "--type", "fine_tuning"]
    assert main([*argv, "--format", "JSON"]) == 0
    assert json.loads(capsys.readouterr().out)["stats"]["customization_type"] == "FINE_TUNING"
    output = tmp_path / "faq.jsonl"
    assert main(["convert", str(DATA / "faq.csv"), "--from", "CSV", "--model", NOVA, "-o", str(output)]) == 0
    assert output.exists()


@pytest.mark.parametrize(
    "argv",
    [
        ["validate", "FILE", "--model", "amazon.nova-mikro-v1:0"],
        ["validate", "missing.jsonl", "--model", NOVA],
        ["validate", "FILE", "--model", NOVA, "--validation", "missing.jsonl"],
    ],
)
def test_json_usage_errors_leave_stdout_empty(
    capsys: pytest.CaptureFixture[str], tmp_path: Path, argv: list[str]
) -> None:
    """A usage error is not a validation result: exit 2, the message on stderr, nothing for a JSON reader."""
    argv = [str(DATA / "converse_train.jsonl") if a == "FILE" else a for a in argv]
    argv = [str(tmp_path / a) if a.endswith("missing.jsonl") else a for a in argv]
    assert main([*argv, "--format", "json"]) == 2
    captured = capsys.readouterr()
    assert captured.out == ""
    assert captured.err.startswith("tuneline validate: error: ")


def test_json_option_errors_leave_stdout_empty(capsys: pytest.CaptureFixture[str]) -> None:
    with pytest.raises(SystemExit) as raised:
        main(["validate", str(DATA / "converse_train.jsonl"), "--model", NOVA, "--format", "json", "--type", "SFT"])
    assert raised.value.code == 2
    captured = capsys.readouterr()
    assert captured.out == ""
    assert "invalid choice: 'SFT'" in captured.err


def test_max_findings_below_one_is_an_option_error(capsys: pytest.CaptureFixture[str]) -> None:
    with pytest.raises(SystemExit) as raised:
        main(["validate", str(DATA / "converse_train.jsonl"), "--model", NOVA, "--max-findings", "-3"])
    assert raised.value.code == 2
    assert "expected a whole number of 1 or more, got '-3'" in capsys.readouterr().err


@pytest.mark.parametrize(
    ("argv", "expected"),
    [
        (
            ["--question-column", "qestion"],
            "--question-column 'qestion' is not a column of the CSV header; did you mean",
        ),
        (["--system-column", "persna"], "did you mean 'persona'?"),
    ],
)
def test_convert_names_the_column_option_and_suggests_the_column(
    capsys: pytest.CaptureFixture[str], tmp_path: Path, argv: list[str], expected: str
) -> None:
    output = tmp_path / "out.jsonl"
    assert main(["convert", str(DATA / "faq.csv"), "--from", "csv", "--model", NOVA, "-o", str(output), *argv]) == 2
    assert expected in capsys.readouterr().err
    assert not output.exists()


def test_convert_from_an_empty_csv_says_it_is_empty(capsys: pytest.CaptureFixture[str], tmp_path: Path) -> None:
    source = tmp_path / "empty.csv"
    source.write_text("")
    assert main(["convert", str(source), "--from", "csv", "--model", NOVA]) == 2
    assert "the CSV file is empty" in capsys.readouterr().err


def test_convert_with_the_wrong_source_shape_writes_nothing(capsys: pytest.CaptureFixture[str], tmp_path: Path) -> None:
    output = tmp_path / "out.jsonl"
    argv = ["convert", str(DATA / "converse_train.jsonl"), "--from", "alpaca", "--model", NOVA, "-o", str(output)]
    assert main(argv) == 1
    err = capsys.readouterr().err
    assert "has what --from alpaca reads (e.g. line 1)" in err
    assert "already in the bedrock-conversation-2024 format" in err
    assert f"tuneline validate {DATA / 'converse_train.jsonl'} --model {NOVA}" in err
    assert not output.exists()


@pytest.mark.parametrize(
    ("argv", "expected"),
    [
        (
            ["--epochs", "3", "--hyperparameter", "epochCount=2"],
            "--epochs 3 and --hyperparameter epochCount=2 disagree",
        ),
        (["--epochs", "0"], "--epochs: epochCount must be a whole number from 1 to 5, got '0'"),
        (["--hyperparameter", "epochcount=2"], "no hyperparameter 'epochcount'; did you mean 'epochCount'?"),
        (["--price-per-1k-tokens", "-1"], "--price-per-1k-tokens must be 0 or more (USD), got -1.0"),
    ],
)
def test_estimate_option_errors(capsys: pytest.CaptureFixture[str], argv: list[str], expected: str) -> None:
    assert main(["estimate", "--tokens", "1000", "--model", NOVA, *argv]) == 2
    captured = capsys.readouterr()
    assert expected in captured.err and captured.out == ""
