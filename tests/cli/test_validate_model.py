"""`tuneline validate-model DIR [--format text|json]`: output and exit codes."""

from __future__ import annotations

import argparse
import io
import json
import os
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import boto3
import pytest
from moto import mock_aws

from tests.unit.imports.model_folder_builder import LLAMA_CONFIG, write_model_folder
from tuneline.cli import main
from tuneline.imports import cli as imports_cli


def run(argv: list[str]) -> int:
    parser = argparse.ArgumentParser(prog="tuneline")
    subparsers = parser.add_subparsers(dest="command")
    imports_cli.register(subparsers)
    args = parser.parse_args(argv)
    return int(args.handler(args))


class TerminalStream(io.StringIO):
    def isatty(self) -> bool:
        return True


def test_an_importable_folder_exits_0_with_a_summary(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    write_model_folder(tmp_path)

    code = run(["validate-model", str(tmp_path)])

    out = capsys.readouterr().out
    assert code == 0
    assert out.startswith(f"IMPORTABLE: 0 error(s), 0 warning(s) for {tmp_path}\n")
    assert "architecture LlamaForCausalLM (Llama), model_type llama" in out
    assert "context length 8192 (limit 131072)" in out
    assert "tensor dtypes: BF16 x3, F32 x1" in out
    assert "Errors:" not in out


def test_a_folder_that_is_not_importable_exits_1_naming_file_and_rule(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    write_model_folder(tmp_path, config={**LLAMA_CONFIG, "max_position_embeddings": 262144})

    code = run(["validate-model", str(tmp_path)])

    out = capsys.readouterr().out
    assert code == 1
    assert out.startswith("NOT IMPORTABLE: 1 error(s), 0 warning(s)")
    assert "Errors:\n  [context-too-long]\n    config.json: `max_position_embeddings` is 262144" in out


def test_json_output_has_the_shared_report_shape_with_file(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    write_model_folder(tmp_path, tokenizer_files=())

    code = run(["validate-model", str(tmp_path), "--format", "json"])

    document = json.loads(capsys.readouterr().out)
    assert code == 1
    assert document["valid"] is False
    assert document["errors"] == [
        {
            "line": None,
            "rule": "tokenizer-missing",
            "message": document["errors"][0]["message"],
            "file": "tokenizer.json or tokenizer.model",
        }
    ]
    assert document["stats"]["architecture"] == "LlamaForCausalLM"
    assert document["stats"]["tensor_count"] == 4


def test_a_missing_directory_is_a_usage_error(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    code = run(["validate-model", str(tmp_path / "nowhere")])

    captured = capsys.readouterr()
    assert code == 2
    assert "is not a directory" in captured.err
    assert captured.out == ""


def test_a_file_instead_of_a_directory_is_a_usage_error(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    (tmp_path / "config.json").write_text("{}")

    assert run(["validate-model", str(tmp_path / "config.json")]) == 2
    assert f"give the folder that holds it: {tmp_path}" in capsys.readouterr().err


def test_a_bad_s3_uri_shows_one_that_works(capsys: pytest.CaptureFixture[str]) -> None:
    assert run(["validate-model", "s3://"]) == 2
    assert "e.g. s3://my-bucket/imports/my-model/" in capsys.readouterr().err


@pytest.mark.parametrize("argv", [["validate-model"], ["validate-model", ".", "--format", "yaml"]])
def test_bad_arguments_exit_2(argv: list[str]) -> None:
    with pytest.raises(SystemExit) as raised:
        run(argv)

    assert raised.value.code == 2


def test_progress_goes_to_a_terminal_for_many_shards(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str]
) -> None:
    write_model_folder(tmp_path, shards=4)
    terminal = TerminalStream()
    monkeypatch.setattr("sys.stderr", terminal)

    code = run(["validate-model", str(tmp_path), "--format", "json"])

    assert code == 0
    assert "Reading safetensors headers: 4/4" in terminal.getvalue()
    assert json.loads(capsys.readouterr().out)["valid"] is True


def test_no_progress_when_stderr_is_not_a_terminal(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    write_model_folder(tmp_path, shards=4)

    run(["validate-model", str(tmp_path)])

    assert capsys.readouterr().err == ""


@pytest.fixture
def bucket() -> Iterator[Any]:
    with mock_aws():
        client = boto3.client("s3", region_name="us-east-1")
        client.create_bucket(Bucket="models")
        yield client


def test_an_s3_folder_can_be_checked_too(bucket: Any, tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    write_model_folder(tmp_path)
    for path in tmp_path.iterdir():
        bucket.put_object(Bucket="models", Key=f"imports/llama/{path.name}", Body=path.read_bytes())

    code = run(["validate-model", "s3://models/imports/llama/", "--format", "json"])

    assert code == 0
    assert json.loads(capsys.readouterr().out)["stats"]["weight_files"] == 1


def test_an_s3_folder_that_cannot_be_listed_is_a_usage_error(bucket: Any, capsys: pytest.CaptureFixture[str]) -> None:
    code = run(["validate-model", "s3://no-such-bucket/imports/llama/"])

    assert code == 2
    assert "[folder-unreadable]" in capsys.readouterr().out


def test_the_tuneline_command_runs_validate_model(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    write_model_folder(tmp_path)
    (tmp_path / "model.safetensors").write_bytes(b"\x00" * 4)

    code = main(["validate-model", str(tmp_path), "--format", "json"])

    document = json.loads(capsys.readouterr().out)
    assert code == 1
    assert [(e["rule"], e["file"], e["line"]) for e in document["errors"]] == [
        ("safetensors-header-corrupt", "model.safetensors", None)
    ]


def test_the_tuneline_command_lists_validate_model(capsys: pytest.CaptureFixture[str]) -> None:
    with pytest.raises(SystemExit) as raised:
        main(["--help"])

    assert raised.value.code == 0
    assert "validate-model" in capsys.readouterr().out


def test_a_subfolder_that_cannot_be_listed_is_a_usage_error_not_an_empty_folder(
    tmp_path: Path, capsys: pytest.CaptureFixture[str], monkeypatch: pytest.MonkeyPatch
) -> None:
    # chmod 000 does not stop root (CI containers), so fail the listing the way os.walk reports it.
    write_model_folder(tmp_path)
    (tmp_path / "original").mkdir()
    real_scandir = os.scandir

    def scandir(path: Any) -> Any:
        if Path(path).name == "original":
            raise PermissionError(13, "Permission denied", str(path))
        return real_scandir(path)

    monkeypatch.setattr(os, "scandir", scandir)
    assert main(["validate-model", str(tmp_path), "--format", "json"]) == 2
    report = json.loads(capsys.readouterr().out)
    assert [finding["rule"] for finding in report["errors"]] == ["folder-unreadable"]
    assert "original: permission denied; make it readable (chmod -R u+rX" in report["errors"][0]["message"]
