"""`tuneline validate` on files that were never converted: the report leads with what the file looks like and the
`tuneline convert` command that fixes it, and that command, run as printed, writes a file that validates.

Files are written as people's tools write them (BOM, CRLF, CJK and emoji, newlines inside texts, JSON arrays)."""

from __future__ import annotations

import json
import shlex
from pathlib import Path
from typing import Any

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from tests.cli.dataset_files import write
from tuneline.cli import main
from tuneline.jobs.ignored_uploads import explain_ignored_upload

NOVA = "amazon.nova-micro-v1:0:128k"
LLAMA = "meta.llama3-1-8b-instruct-v1:0"
HAIKU = "anthropic.claude-3-haiku-20240307-v1:0:200k"
TITAN = "amazon.titan-text-express-v1"
RULE = "dataset.other-shape"
COUNT = 230  # over the sample of 200 records


def validate(capsys: pytest.CaptureFixture[str], path: Path, *options: str) -> tuple[int, dict[str, Any]]:
    code = main(["validate", str(path), *options, "--format", "json"])
    return code, json.loads(capsys.readouterr().out)


def run_printed(capsys: pytest.CaptureFixture[str], command: str) -> None:
    argv = shlex.split(command)
    assert argv[:2] == ["tuneline", "convert"]
    assert main(argv[1:]) == 0, capsys.readouterr()
    capsys.readouterr()


def text(i: int) -> str:
    return f"第{i}問: how do I reset my password? 🔑\nSecond line of the question {i}."


def answer(i: int) -> str:
    return f"Open Settings → Security, then choose Reset ({i}). 完了です 🎉\nThat is all."


def openai_chat(i: int) -> dict[str, Any]:
    return {
        "messages": [
            {"role": "system", "content": "You are a helpful support agent."},
            {"role": "user", "content": text(i)},
            {"role": "assistant", "content": answer(i)},
        ]
    }


def sharegpt(i: int) -> dict[str, Any]:
    return {"id": f"c{i}", "conversations": [{"from": "human", "value": text(i)}, {"from": "gpt", "value": answer(i)}]}


def alpaca(i: int) -> dict[str, Any]:
    return {"instruction": text(i), "input": "" if i % 3 else f"context {i}\twith a tab", "output": answer(i)}


def dolly(i: int) -> dict[str, Any]:
    return {"instruction": text(i), "context": f"ctx {i}" if i % 2 else "", "response": answer(i), "category": "qa"}


def flat(i: int) -> dict[str, Any]:
    return {"id": i, "question": text(i), "answer": answer(i)}


def unusual_fields(i: int) -> dict[str, Any]:
    return {"Frage": text(i), "Antwort": answer(i)}


SHAPES = [
    pytest.param("chat.jsonl", openai_chat, False, NOVA, "--from chat", "OpenAI chat", id="openai-chat-nova"),
    pytest.param("chat.jsonl", openai_chat, False, HAIKU, "--from chat", "OpenAI chat", id="openai-chat-claude"),
    pytest.param("share.jsonl", sharegpt, False, LLAMA, "--from chat", "ShareGPT", id="sharegpt-llama"),
    pytest.param("alpaca.json", alpaca, True, NOVA, "--from alpaca", "JSON array of Alpaca", id="alpaca-array"),
    pytest.param("dolly.jsonl", dolly, False, LLAMA, "--from dolly", "Dolly", id="dolly-llama"),
    pytest.param(
        "qa.jsonl",
        flat,
        False,
        NOVA,
        "--from jsonl --prompt-field question --answer-field answer",
        "'question'",
        id="question-answer",
    ),
    pytest.param(
        "de.jsonl",
        unusual_fields,
        False,
        LLAMA,
        "--from jsonl --prompt-field Frage --answer-field Antwort",
        "'Frage'",
        id="unusual-field-names",
    ),
    pytest.param("chat.json", openai_chat, True, NOVA, "--from chat", "JSON array of OpenAI chat", id="chat-array"),
]


@pytest.mark.parametrize(("name", "make", "array", "model", "source", "label"), SHAPES)
def test_an_unconverted_file_leads_with_its_shape_and_a_command_that_fixes_it(
    tmp_path: Path,
    capsys: pytest.CaptureFixture[str],
    name: str,
    make: Any,
    array: bool,
    model: str,
    source: str,
    label: str,
) -> None:
    path = write(tmp_path / name, [make(i) for i in range(COUNT)], array=array)

    code, report = validate(capsys, path, "--model", model)

    assert code == 1
    first = report["errors"][0]
    assert first["rule"] == RULE and label in first["message"]
    command = first["command"]
    assert command.startswith(f"tuneline convert {path} {source} --model {model} -o ")
    assert report["stats"]["error_counts"][RULE] == 1
    assert len(report["errors"]) > 1  # the usual findings follow

    run_printed(capsys, command)
    output = Path(shlex.split(command)[-1])
    assert output.name == f"{path.name.rsplit('.', 1)[0]}.converted.jsonl"
    code, converted = validate(capsys, output, "--model", model)
    assert code == 0, converted["errors"][:3]
    assert converted["stats"]["records"] == COUNT


def test_text_output_puts_the_finding_and_the_command_first(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    path = write(tmp_path / "chat.jsonl", [openai_chat(i) for i in range(COUNT)])

    assert main(["validate", str(path), "--model", NOVA]) == 1
    out = capsys.readouterr().out
    errors = out.split("Errors:\n", 1)[1].splitlines()
    assert errors[0].strip() == f"[{RULE}] x1"
    assert "OpenAI chat records" in errors[1]
    assert errors[2].strip() == f"tuneline convert {path} --from chat --model {NOVA} -o {tmp_path}/chat.converted.jsonl"


def paragraphs(count: int) -> str:
    return "\r\n\r\n".join(
        f"Chapter {i}. 雨が降っています ☔ and the prose goes on for a while.\r\nA second line of paragraph {i}."
        for i in range(count)
    )


def test_plain_text_for_continued_pre_training_gets_the_text_conversion(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    path = tmp_path / "manual.txt"
    path.write_bytes(b"\xef\xbb\xbf" + paragraphs(COUNT).encode())

    code, report = validate(capsys, path, "--model", TITAN, "--type", "CONTINUED_PRE_TRAINING")

    assert code == 1
    first = report["errors"][0]
    assert first["rule"] == RULE and "plain text" in first["message"]
    assert first["command"] == (
        f"tuneline convert {path} --from text --model {TITAN} --type CONTINUED_PRE_TRAINING "
        f"-o {tmp_path}/manual.converted.jsonl"
    )
    run_printed(capsys, first["command"])
    code, converted = validate(
        capsys, tmp_path / "manual.converted.jsonl", "--model", TITAN, "--type", "CONTINUED_PRE_TRAINING"
    )
    assert code == 0, converted["errors"][:3]


def test_plain_text_for_fine_tuning_says_it_trains_only_by_continued_pre_training(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    path = tmp_path / "notes.txt"
    path.write_text(paragraphs(50), encoding="utf-8")

    _, titan = validate(capsys, path, "--model", TITAN)
    assert titan["errors"][0]["rule"] == RULE
    assert "--type CONTINUED_PRE_TRAINING" in titan["errors"][0]["command"]

    _, nova = validate(capsys, path, "--model", NOVA)
    assert nova["errors"][0]["rule"] == RULE and "command" not in nova["errors"][0]
    assert "question/answer" in nova["errors"][0]["message"]


def test_a_few_other_records_among_valid_ones_are_no_shape_finding(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    records: list[Any] = [{"prompt": text(i), "completion": answer(i)} for i in range(COUNT)]
    records[3:20] = [openai_chat(i) for i in range(17)]
    path = write(tmp_path / "train.jsonl", records)

    code, report = validate(capsys, path, "--model", LLAMA)

    assert code == 1
    assert RULE not in report["stats"]["error_counts"]


def valid_converse(i: int, prompt: str, reply: str) -> dict[str, Any]:
    return {
        "schemaVersion": "bedrock-conversation-2024",
        "system": [{"text": "Answer briefly."}],
        "messages": [
            {"role": "user", "content": [{"text": f"{prompt} {i}"}]},
            {"role": "assistant", "content": [{"text": f"{reply} {i}"}]},
        ],
    }


words = st.text(st.characters(blacklist_categories=("Cs", "Cc")), min_size=1, max_size=30).filter(str.strip)


@settings(max_examples=25, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture])
@given(
    kind=st.sampled_from(["converse", "prompt", "claude"]),
    prompt=words,
    reply=words,
    count=st.integers(min_value=1, max_value=60),
    crlf=st.booleans(),
)
def test_valid_records_for_the_model_never_get_a_shape_finding(
    tmp_path_factory: pytest.TempPathFactory,
    capsys: pytest.CaptureFixture[str],
    kind: str,
    prompt: str,
    reply: str,
    count: int,
    crlf: bool,
) -> None:
    if kind == "converse":
        model, records = NOVA, [valid_converse(i, prompt, reply) for i in range(count)]
    elif kind == "prompt":
        model, records = LLAMA, [{"prompt": f"{prompt} {i}", "completion": f"{reply} {i}"} for i in range(count)]
    else:
        model = HAIKU
        records = [
            {
                "system": "Be kind.",
                "messages": [
                    {"role": "user", "content": f"{prompt} {i}"},
                    {"role": "assistant", "content": f"{reply} {i}"},
                ],
            }
            for i in range(count)
        ]
    path = write(tmp_path_factory.mktemp("valid") / "train.jsonl", records, bom=False, crlf=crlf)

    # Too few records (or other whole-file errors) may make it invalid; it is still the right shape.
    _, report = validate(capsys, path, "--model", model)

    assert all(error["rule"] != RULE for error in report["errors"])


def test_a_valid_dataset_has_no_shape_finding(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    path = write(tmp_path / "train.jsonl", [valid_converse(i, "Q", "A") for i in range(COUNT)], bom=False, crlf=False)
    code, report = validate(capsys, path, "--model", NOVA)
    assert code == 0 and report["errors"] == []


# --- the advice for uploads that are not .jsonl works when pasted ------------------------------------------------


def pasted(command: str | None, model: str) -> str:
    assert command is not None
    return command.replace("<base-model-id>", model)


@pytest.mark.parametrize("make", [alpaca, openai_chat, dolly, sharegpt])
def test_the_json_upload_advice_converts_an_array_of_any_shape(
    tmp_path: Path, capsys: pytest.CaptureFixture[str], monkeypatch: pytest.MonkeyPatch, make: Any
) -> None:
    monkeypatch.chdir(tmp_path)
    write(tmp_path / "train.json", [make(i) for i in range(COUNT)], array=True)
    ignored = explain_ignored_upload("incoming/support/train.json")
    assert ignored is not None

    run_printed(capsys, pasted(ignored.command, NOVA))

    code, report = validate(capsys, tmp_path / "train.jsonl", "--model", NOVA)
    assert code == 0, report["errors"][:3]
    assert report["stats"]["records"] == COUNT


def test_the_tsv_and_txt_upload_advice_commands_work(
    tmp_path: Path, capsys: pytest.CaptureFixture[str], monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.chdir(tmp_path)
    rows = ["frage\tantwort"] + [f'"{text(i)}"\t"{answer(i)}"' for i in range(COUNT)]
    (tmp_path / "faq.tsv").write_bytes(b"\xef\xbb\xbf" + "\r\n".join(rows).encode() + b"\r\n")
    table = explain_ignored_upload("incoming/support/faq.tsv")
    assert table is not None
    command = pasted(table.command, NOVA).replace("--question-column <column>", "--question-column frage")
    run_printed(capsys, command.replace("--answer-column <column>", "--answer-column antwort"))
    code, report = validate(capsys, tmp_path / "faq.jsonl", "--model", NOVA)
    assert code == 0, report["errors"][:3]
    assert report["stats"]["records"] == COUNT

    (tmp_path / "manual.txt").write_bytes(paragraphs(COUNT).encode())
    plain = explain_ignored_upload("incoming/support/manual.txt")
    assert plain is not None
    run_printed(capsys, pasted(plain.command, TITAN))
    code, report = validate(capsys, tmp_path / "manual.jsonl", "--model", TITAN, "--type", "CONTINUED_PRE_TRAINING")
    assert code == 0, report["errors"][:3]
    assert report["stats"]["records"] == COUNT


# --- the JSON-array findings give a convert command that works ---------------------------------------------------


def backticked(message: str) -> str:
    return message.split("`")[1]


@pytest.mark.parametrize(
    ("model", "kind", "make"),
    [
        pytest.param(NOVA, "FINE_TUNING", lambda i: valid_converse(i, text(i), answer(i)), id="converse-array"),
        pytest.param(LLAMA, "FINE_TUNING", lambda i: {"prompt": text(i), "completion": answer(i)}, id="prompt-array"),
        pytest.param(TITAN, "CONTINUED_PRE_TRAINING", lambda i: {"input": text(i)}, id="pretraining-array"),
    ],
)
@pytest.mark.parametrize("pretty", [True, False], ids=["pretty-printed", "one-line"])
def test_a_json_array_of_records_in_the_right_format_is_told_a_convert_command_that_works(
    tmp_path: Path, capsys: pytest.CaptureFixture[str], model: str, kind: str, make: Any, pretty: bool
) -> None:
    records = [make(i) for i in range(COUNT)]
    path = tmp_path / "train.json"
    if pretty:
        write(path, records, array=True)
    else:
        path.write_text(json.dumps(records, ensure_ascii=False) + "\n", encoding="utf-8")

    code, report = validate(capsys, path, "--model", model, "--type", kind)

    assert code == 1
    rule = "jsonl.multi-line-json" if pretty else "jsonl.not-object"
    finding = next(error for error in report["errors"] if error["rule"] == rule)
    assert "jq" not in finding["message"]
    run_printed(capsys, backticked(finding["message"]))
    code, converted = validate(capsys, tmp_path / "train.converted.jsonl", "--model", model, "--type", kind)
    assert code == 0, converted["errors"][:3]
    assert converted["stats"]["records"] == COUNT


# --- a table passed to validate ----------------------------------------------------------------------------------


def table_file(path: Path, header: list[str], delimiter: str, rows: int) -> Path:
    lines = [delimiter.join(header)]
    for i in range(rows):
        cells = [f'"{text(i)}"', f'"{answer(i)}, with the delimiter {delimiter} inside"']
        lines.append(delimiter.join(cells + [f"tag{i}"] * (len(header) - 2)))
    path.write_bytes(b"\xef\xbb\xbf" + "\r\n".join(lines).encode() + b"\r\n")
    return path


@pytest.mark.parametrize(
    ("name", "header", "delimiter", "kind", "options"),
    [
        pytest.param("faq.tsv", ["question", "answer"], "\t", "TSV", "", id="tsv"),
        pytest.param(
            "faq.csv",
            ["Prompt", "Response", "category"],
            ";",
            "semicolon-separated",
            " --question-column Prompt --answer-column Response",
            id="semicolon-named-columns",
        ),
        pytest.param(
            "faq.csv", ["frage", "antwort"], ",", "CSV", " --question-column frage --answer-column antwort", id="csv"
        ),
    ],
)
def test_a_table_leads_with_the_csv_conversion_that_works(
    tmp_path: Path,
    capsys: pytest.CaptureFixture[str],
    name: str,
    header: list[str],
    delimiter: str,
    kind: str,
    options: str,
) -> None:
    path = table_file(tmp_path / name, header, delimiter, COUNT)

    code, report = validate(capsys, path, "--model", NOVA)

    assert code == 1
    first = report["errors"][0]
    assert first["rule"] == RULE and f"a {kind} table with a header row" in first["message"]
    output = tmp_path / "faq.converted.jsonl"
    assert first["command"] == f"tuneline convert {path} --from csv{options} --model {NOVA} -o {output}"
    run_printed(capsys, first["command"])
    code, converted = validate(capsys, output, "--model", NOVA)
    assert code == 0, converted["errors"][:3]
    assert converted["stats"]["records"] == COUNT


def test_a_table_without_known_columns_is_named_without_a_command(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    path = table_file(tmp_path / "export.csv", ["col a", "col b", "col c"], ",", COUNT)

    _, report = validate(capsys, path, "--model", NOVA)

    first = report["errors"][0]
    assert first["rule"] == RULE and "CSV table" in first["message"] and "'col a'" in first["message"]
    assert "command" not in first and "--question-column <column>" in first["message"]


def test_prose_with_commas_is_still_plain_text(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    path = tmp_path / "notes.txt"
    path.write_text(
        "\n".join(f"Line {i}, where a comma or two, like this, {'and more, ' * (i % 4)}appears." for i in range(COUNT)),
        encoding="utf-8",
    )
    _, report = validate(capsys, path, "--model", TITAN, "--type", "CONTINUED_PRE_TRAINING")
    assert report["errors"][0]["rule"] == RULE and "plain text" in report["errors"][0]["message"]
    assert "--from text" in report["errors"][0]["command"]
