"""`tuneline convert` on the files people have: Dolly, flat JSON, TSV/semicolon tables, plain text, OpenAI chat
with tools, images and weights; `tuneline dedupe` and `--dedupe`. Files are written as people's tools write them
(BOM, CRLF, CJK and emoji, newlines inside fields)."""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

import pytest

from tests.cli.dataset_files import write
from tuneline.cli import main
from tuneline.datasets.models import resolve_model
from tuneline.datasets.validator import validate_dataset

NOVA = "amazon.nova-micro-v1:0:128k"
NOVA_LITE = "amazon.nova-lite-v1:0"
LLAMA = "meta.llama3-1-8b-instruct-v1:0"
TITAN = "amazon.titan-text-express-v1"


def convert(capsys: pytest.CaptureFixture[str], *argv: str) -> tuple[int, dict[str, Any], str]:
    code = main(["convert", *argv, "--format", "json"])
    captured = capsys.readouterr()
    return code, json.loads(captured.out) if captured.out.strip() else {}, captured.err


def records_of(path: Path) -> list[dict[str, Any]]:
    return [json.loads(line) for line in path.read_text(encoding="utf-8").splitlines()]


def valid(path: Path, model: str, kind: str = "FINE_TUNING") -> bool:
    with path.open("rb") as stream:
        report = validate_dataset(stream, model_id=model, customization_type=kind)
    return report.valid


def dolly(count: int) -> list[dict[str, str]]:
    return [
        {
            "instruction": f"Summarize item {i} 📦",
            "context": f"Line one of {i}\nline two 東京" if i % 2 else "",
            "response": f"Summary {i}: 简短",
            "category": "summarization",
        }
        for i in range(count)
    ]


def test_dolly_maps_instruction_and_context_to_the_prompt(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    source = write(tmp_path / "dolly.jsonl", dolly(120))
    out = tmp_path / "train.jsonl"
    code, summary, _ = convert(capsys, str(source), "--from", "dolly", "--model", LLAMA, "-o", str(out))
    assert code == 0 and summary["records_out"] == 120
    first, second = records_of(out)[:2]
    assert first == {"prompt": "Summarize item 0 📦", "completion": "Summary 0: 简短"}
    assert second["prompt"] == "Summarize item 1 📦\n\nLine one of 1\nline two 東京"
    assert valid(out, LLAMA)


def test_dolly_as_one_json_array(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    source = write(tmp_path / "dolly.json", dolly(10), array=True)
    code, summary, _ = convert(capsys, str(source), "--from", "dolly", "--model", NOVA, "-o", str(tmp_path / "o.jsonl"))
    assert code == 0 and summary["records_out"] == 10


def test_jsonl_with_named_fields_and_skips_counted_by_reason(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    rows: list[Any] = [{"query": f"Q{i}?", "docs": "ctx", "reply": f"A{i}", "persona": "Be brief."} for i in range(10)]
    rows += [{"query": "no answer", "reply": ""}, {"query": "", "reply": "no question"}, ["not", "an", "object"]]
    source = write(tmp_path / "qa.jsonl", rows)
    source.write_bytes(source.read_bytes() + b"{broken json\r\n")
    out = tmp_path / "out.jsonl"
    code, summary, _ = convert(
        capsys, str(source), "--from", "jsonl", "--model", NOVA, "-o", str(out), "--prompt-field", "query",
        "--context-field", "docs", "--answer-field", "reply", "--system-field", "persona",
    )  # fmt: skip
    assert code == 0 and summary["records_out"] == 10 and summary["records_in"] == 14
    assert summary["skipped_reasons"] == {
        "empty answer": 1, "empty prompt": 1, "not a JSON object": 1, "not valid JSON": 1,
    }  # fmt: skip
    record = records_of(out)[0]
    assert record["system"] == [{"text": "Be brief."}]
    assert record["messages"][0]["content"] == [{"text": "Q0?\n\nctx"}]


def test_jsonl_with_a_misspelled_field_is_a_usage_error(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    source = write(tmp_path / "qa.jsonl", [{"question": "q", "answer": "a"}])
    code, _, err = convert(capsys, str(source), "--from", "jsonl", "--model", NOVA, "--prompt-field", "questoin")
    assert code == 2 and "'questoin'" in err and "'question'" in err
    assert not (tmp_path / "qa.converse.jsonl").exists()


@pytest.mark.parametrize(("delimiter", "name"), [("\t", "faq.tsv"), (";", "faq.csv"), ("|", "faq.txt")])
def test_tables_with_any_delimiter_are_sniffed(
    tmp_path: Path, capsys: pytest.CaptureFixture[str], delimiter: str, name: str
) -> None:
    rows = [["question", "answer"]] + [[f"Wie geht's {i}?", f'"Gut"; danke\nZeile 2 {i} 😀'] for i in range(10)]
    text = "\r\n".join(delimiter.join('"' + cell.replace('"', '""') + '"' for cell in row) for row in rows) + "\r\n"
    source = tmp_path / name
    source.write_bytes(b"\xef\xbb\xbf" + text.encode())
    out = tmp_path / "o.jsonl"
    code, summary, _ = convert(capsys, str(source), "--from", "csv", "--model", NOVA, "-o", str(out))
    assert code == 0 and summary["records_out"] == 10 and summary["delimiter"] == delimiter
    assert records_of(out)[3]["messages"][1]["content"][0]["text"] == '"Gut"; danke\nZeile 2 3 😀'


def test_a_wrong_delimiter_override_names_the_one_in_the_header(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    source = tmp_path / "faq.tsv"
    source.write_text("question\tanswer\nq\ta\n")
    code, _, err = convert(capsys, str(source), "--from", "csv", "--model", NOVA, "--delimiter", ",")
    assert code == 2 and "--delimiter tab" in err
    code, summary, _ = convert(
        capsys, str(source), "--from", "csv", "--model", NOVA, "--delimiter", "tab", "-o", str(tmp_path / "o.jsonl")
    )
    assert code == 0 and summary["records_out"] == 1


@pytest.mark.parametrize(
    ("source", "option"),
    [
        ("alpaca", ["--question-column", "q"]),
        ("chat", ["--prompt-field", "q"]),
        ("csv", ["--chunk-tokens", "100"]),
        ("dolly", ["--delimiter", ";"]),
        ("text", ["--system", "be nice"]),
        ("jsonl", ["--skip-unsupported"]),
    ],
)
def test_options_that_do_not_apply_to_the_source_are_usage_errors(
    tmp_path: Path, capsys: pytest.CaptureFixture[str], source: str, option: list[str]
) -> None:
    path = write(tmp_path / "x.jsonl", [{"instruction": "i", "output": "o"}])
    code, _, err = convert(capsys, str(path), "--from", source, "--model", TITAN, *option)
    assert code == 2 and option[0] in err and "applies to" in err
    assert not list(tmp_path.glob("x.*.jsonl"))


def test_plain_text_splits_on_blank_lines_within_the_model_limit(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    long_cjk = "東京は日本の首都です。" * 4000  # no spaces: cut at sentence ends
    text = "Chapter 1\r\nIt begins.\r\n\r\n\r\nSecond paragraph 😀\r\n\r\n" + long_cjk + "\r\n"
    source = tmp_path / "book.txt"
    source.write_bytes(b"\xef\xbb\xbf" + text.encode())
    out = tmp_path / "cpt.jsonl"
    argv = [str(source), "--from", "text", "--model", TITAN, "--type", "CONTINUED_PRE_TRAINING", "-o", str(out)]
    code, _, _ = convert(capsys, *argv)
    assert code == 0
    records = records_of(out)
    assert records[0] == {"input": "Chapter 1\nIt begins."} and records[1] == {"input": "Second paragraph 😀"}
    assert len(records) > 3 and "".join(r["input"] for r in records[2:]) == long_cjk
    assert valid(out, TITAN, "CONTINUED_PRE_TRAINING")
    code, _, _ = convert(capsys, *argv, "--chunk-tokens", "500", "--force")
    assert code == 0
    packed = records_of(out)
    assert packed[0] == {"input": "Chapter 1\nIt begins.\n\nSecond paragraph 😀"}
    chars_per_token = resolve_model(TITAN).chars_per_token
    assert all(len(r["input"]) <= 500 * chars_per_token for r in packed)  # ≤ N tokens as the validator counts


def test_plain_text_for_a_fine_tuning_target_or_as_json_never_writes_an_empty_file(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    source = tmp_path / "notes.txt"
    source.write_text("Just some notes.\n\nMore notes.\n")
    code, _, err = convert(capsys, str(source), "--from", "text", "--model", NOVA)
    assert code == 2 and "CONTINUED_PRE_TRAINING" in err
    for wrong in ("alpaca", "chat"):
        code, summary, err = convert(capsys, str(source), "--from", wrong, "--model", NOVA)
        assert code == 1 and "not valid JSON" in err and "plain text" in err and "CONTINUED_PRE_TRAINING" in err
        assert summary["output"] is None and summary["command"] is None
    empty = tmp_path / "empty.jsonl"
    empty.write_bytes(b"\xef\xbb\xbf\r\n\r\n")
    code, summary, err = convert(capsys, str(empty), "--from", "alpaca", "--model", NOVA)
    assert code == 1 and "no records" in err and summary["output"] is None
    assert not list(tmp_path.glob("*.converse.jsonl"))


def chat(*messages: dict[str, Any]) -> dict[str, Any]:
    return {"messages": [{"role": "system", "content": "You help."}, *messages]}


TOOL_RECORD = chat(
    {"role": "user", "content": "Weather in Paris?"},
    {"role": "assistant", "content": None, "tool_calls": [{"id": "1", "type": "function", "function": {}}]},
    {"role": "tool", "tool_call_id": "1", "content": "18C"},
    {"role": "assistant", "content": "It is 18C."},
)


def plain_chat(i: int, **extra: Any) -> dict[str, Any]:
    return chat({"role": "user", "content": f"Hi {i} 👋"}, {"role": "assistant", "content": f"Hello {i}", **extra})


def test_chat_refuses_tool_calls_with_the_count(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    source = write(tmp_path / "openai.jsonl", [plain_chat(i) for i in range(10)] + [TOOL_RECORD] * 3)
    out = tmp_path / "o.jsonl"
    code, summary, err = convert(capsys, str(source), "--from", "chat", "--model", NOVA, "-o", str(out))
    assert code == 1 and "3 record(s) have tool calls" in err and summary["tool_records"] == 3
    assert not out.exists()
    code, summary, _ = convert(
        capsys, str(source), "--from", "chat", "--model", NOVA, "--skip-unsupported", "-o", str(out)
    )
    assert code == 0 and summary["records_out"] == 10
    assert not any(r["messages"][1]["content"][0]["text"].startswith("\n") for r in records_of(out))


def image_record(url: str) -> dict[str, Any]:
    image = {"type": "image_url", "image_url": {"url": url}}
    return chat(
        {"role": "user", "content": [{"type": "text", "text": "What is this?"}, image]},
        {"role": "assistant", "content": "A cat."},
    )


def test_chat_keeps_s3_images_for_models_that_take_them(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    source = write(tmp_path / "vision.jsonl", [image_record("s3://bucket/cats/1.JPG")] * 2 + [plain_chat(1)])
    out = tmp_path / "o.jsonl"
    code, summary, _ = convert(capsys, str(source), "--from", "chat", "--model", NOVA_LITE, "-o", str(out))
    assert code == 0 and summary["images_kept"] == 2
    content = records_of(out)[0]["messages"][0]["content"]
    assert content[0] == {"image": {"format": "jpeg", "source": {"s3Location": {"uri": "s3://bucket/cats/1.JPG"}}}}
    assert content[1] == {"text": "What is this?"}


@pytest.mark.parametrize(
    ("model", "url"),
    [(NOVA, "s3://bucket/cat.png"), (NOVA_LITE, "https://example.com/cat.png"), (NOVA_LITE, "data:image/png;base64,A")],
)
def test_chat_refuses_images_it_cannot_keep(
    tmp_path: Path, capsys: pytest.CaptureFixture[str], model: str, url: str
) -> None:
    source = write(tmp_path / "vision.jsonl", [image_record(url)] * 4 + [plain_chat(1)])
    code, summary, err = convert(capsys, str(source), "--from", "chat", "--model", model)
    assert code == 1 and "4 record(s) have images" in err and summary["image_records"] == 4


def test_chat_warns_about_weight_zero_turns(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    records = [plain_chat(i) for i in range(5)] + [
        chat(
            {"role": "user", "content": "Hi"},
            {"role": "assistant", "content": "Bad answer", "weight": 0},
            {"role": "user", "content": "Again"},
            {"role": "assistant", "content": "Good answer", "weight": 1},
        )
    ]
    source = write(tmp_path / "weights.jsonl", records)
    code, summary, _ = convert(capsys, str(source), "--from", "chat", "--model", NOVA)
    assert code == 0 and summary["unweighted_turns"] == 1
    assert any('"weight": 0' in w and "trains on every assistant turn" in w for w in summary["warnings"])
    main(["convert", str(source), "--from", "chat", "--model", NOVA, "-o", str(tmp_path / "t.jsonl")])
    assert 'warning: 1 assistant turn(s) in 1 record(s) have "weight": 0' in capsys.readouterr().out


def test_sharegpt_conversations_convert(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    rows = [
        {"conversations": [{"from": "human", "value": f"q{i}"}, {"from": "gpt", "value": f"a{i}"}]} for i in range(3)
    ]
    source = write(tmp_path / "sharegpt.json", rows, array=True)
    code, summary, _ = convert(capsys, str(source), "--from", "chat", "--model", LLAMA, "-o", str(tmp_path / "o.jsonl"))
    assert code == 0 and summary["records_out"] == 3


DUPLICATED = [
    {"prompt": "Hello  World 🌍", "completion": "Hi"},
    {"prompt": "Other", "completion": "x"},
    {"completion": "hi", "prompt": "hello world 🌍"},  # same record: whitespace, case, key order
    {"prompt": "Hello  World 🌍", "completion": "Hi"},  # exact copy
    {"prompt": "東京", "completion": "とうきょう"},
]


def test_dedupe_keeps_the_first_of_exact_and_normalized_copies(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    source = write(tmp_path / "d.jsonl", DUPLICATED)
    assert main(["dedupe", str(source), "--format", "json"]) == 0
    summary = json.loads(capsys.readouterr().out)
    assert (summary["removed_exact"], summary["removed_normalized"], summary["removed_lines"]) == (1, 1, [3, 4])
    assert records_of(tmp_path / "d.dedupe.jsonl") == [DUPLICATED[0], DUPLICATED[1], DUPLICATED[4]]
    assert main(["dedupe", str(source)]) == 2  # default output exists: --force needed
    assert "--force" in capsys.readouterr().err


def test_dedupe_option_on_convert_and_fix(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    source = write(tmp_path / "d.jsonl", DUPLICATED)
    code, summary, _ = convert(
        capsys, str(source), "--from", "jsonl", "--model", LLAMA, "--dedupe", "-o", str(tmp_path / "c.jsonl")
    )
    assert code == 0 and summary["records_out"] == 3
    assert summary["skipped_reasons"] == {"copy of an earlier record (--dedupe)": 2}
    assert main(["fix", str(source), "--dedupe", "-o", str(tmp_path / "f.jsonl"), "--format", "json"]) == 0
    assert json.loads(capsys.readouterr().out)["duplicates_removed"] == 2
    assert len(records_of(tmp_path / "f.jsonl")) == 3


def test_convert_help_has_examples_for_every_source(capsys: pytest.CaptureFixture[str]) -> None:
    with pytest.raises(SystemExit):
        main(["convert", "--help"])
    out = capsys.readouterr().out
    for source in ("csv", "dolly", "jsonl", "chat", "text"):
        assert f"--from {source}" in out
    with pytest.raises(SystemExit):
        main(["dedupe", "--help"])
    assert "tuneline dedupe train.jsonl" in capsys.readouterr().out


# --- records that exist but do not fit --from: exit 1, and the command that fits --------------------------------


def openai_chat(count: int) -> list[dict[str, Any]]:
    return [plain_chat(i) for i in range(count)]


@pytest.mark.parametrize(
    ("records", "wrong", "label", "right"),
    [
        pytest.param(openai_chat(120), "dolly", "OpenAI chat", "--from chat", id="chat-read-as-dolly"),
        pytest.param(dolly(120), "chat", "Dolly", "--from dolly", id="dolly-read-as-chat"),
        pytest.param(
            [{"frage": f"F {i} 東京", "antwort": f"A {i} 🎉"} for i in range(120)],
            "alpaca",
            "'frage'",
            "--from jsonl --prompt-field frage --answer-field antwort",
            id="flat-fields-read-as-alpaca",
        ),
    ],
)
def test_records_that_fit_another_source_exit_1_with_the_command_that_reads_them(
    tmp_path: Path,
    capsys: pytest.CaptureFixture[str],
    records: list[dict[str, Any]],
    wrong: str,
    label: str,
    right: str,
) -> None:
    source = write(tmp_path / "data.jsonl", records)
    out = tmp_path / "train.jsonl"

    code, summary, err = convert(capsys, str(source), "--from", wrong, "--model", LLAMA, "-o", str(out))

    assert code == 1 and not out.exists()
    assert str(source) in err and label in err and "nothing was written" in err
    command = summary["command"]
    assert command == f"tuneline convert {source} {right} --model {LLAMA} -o {out}"
    assert command in err
    assert main(command.split()[1:]) == 0  # the printed command works as printed
    assert valid(out, LLAMA) and len(records_of(out)) == 120


def test_a_table_converted_as_chat_names_the_csv_conversion(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    source = tmp_path / "faq.tsv"
    rows = ["question\tanswer"] + [f'"Q {i}: 東京?"\t"A {i}\nsecond line 🎉"' for i in range(20)]
    source.write_bytes(b"\xef\xbb\xbf" + "\r\n".join(rows).encode() + b"\r\n")

    code, summary, err = convert(capsys, str(source), "--from", "chat", "--model", NOVA)

    assert code == 1 and "TSV table" in err
    assert summary["command"].startswith(f"tuneline convert {source} --from csv --model {NOVA} -o ")


def test_from_auto_reads_a_table_with_its_named_columns(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    source = tmp_path / "faq.tsv"
    rows = ["id\tPrompt\tResponse"] + [f'{i}\t"F {i}: 東京?"\t"A {i}\nzweite Zeile 🎉"' for i in range(120)]
    source.write_bytes(b"\xef\xbb\xbf" + "\r\n".join(rows).encode() + b"\r\n")
    out = tmp_path / "train.jsonl"

    code, summary, _ = convert(capsys, str(source), "--from", "auto", "--model", LLAMA, "-o", str(out))

    assert code == 0 and summary["records_out"] == 120 and "TSV table" in summary["detected"]
    assert records_of(out)[1] == {"prompt": "F 1: 東京?", "completion": "A 1\nzweite Zeile 🎉"}
    assert valid(out, LLAMA)
