"""`tuneline validate | fix | split | convert | dedupe | estimate`: the dataset engine on your machine.

Exit codes: 0 success (valid), 1 the dataset is invalid, 2 usage error (unknown model, missing file, bad
option). `validate --format json` prints exactly one JSON object on stdout.
"""

from __future__ import annotations

import argparse
import contextlib
import json
import math
import os
import shlex
import sys
import tempfile
import textwrap
from collections.abc import Callable, Iterator, Sequence
from pathlib import Path
from typing import Any, BinaryIO

from tuneline.datasets.convert import (
    SOURCES,
    ConvertError,
    ConvertRefused,
    ConvertSummary,
    NoRecordFits,
    convert_stream,
    parse_delimiter,
)
from tuneline.datasets.cost import estimate_cost
from tuneline.datasets.dedupe import Deduplicator, dedupe_stream
from tuneline.datasets.fix import FixSummary, normalize_stream, normalized_lines
from tuneline.datasets.models import (
    CONTINUED_PRE_TRAINING,
    CUSTOMIZATION_TYPES,
    FINE_TUNING,
    ModelRules,
    UnknownModelError,
    resolve_model,
)
from tuneline.datasets.render import CountingReader, progress_bar, render_report
from tuneline.datasets.shapes import ARRAY_HEAD_CHARS, NATIVE, convert_command, detect_source
from tuneline.datasets.shapes import TEXT as TEXT_SHAPE
from tuneline.datasets.split import SplitError, split_stream
from tuneline.datasets.tables import DELIMITER_NAMES
from tuneline.datasets.validator import training_tokens, validate_dataset
from tuneline.exit_codes import EXIT_INVALID, EXIT_OK, EXIT_USAGE
from tuneline.suggest import did_you_mean

# A FILE of "-" reads standard input; findings then name the file "<stdin>".
STDIN = "-"
STDIN_NAME = "<stdin>"


class UsageError(Exception):
    """A problem with the command line: printed to stderr, exit code 2."""


class HelpFormatter(argparse.RawDescriptionHelpFormatter):
    """Keeps the examples and the model table as written, and shows each option's default when it has one."""

    def _get_help_string(self, action: argparse.Action) -> str | None:
        text = action.help or ""
        if action.default in (None, False, [], argparse.SUPPRESS) or "default" in text:
            return text
        return f"{text} (default: %(default)s)" if text else "default: %(default)s"


_EXIT_CODES = (
    "exit codes: 0 success (valid), 1 the dataset is invalid, 2 usage error (unknown model, missing or\n"
    "unreadable file, bad option), 130 interrupted. On a usage error the message goes to stderr and\n"
    "stdout stays empty, also with --format json."
)


def _model_table() -> str:
    from tuneline.datasets.models import MODEL_RULES

    rows = [(i, r.display_name, ", ".join(r.customization_types)) for r in MODEL_RULES for i in r.model_ids]
    width = max(len(row[0]) for row in rows)
    lines = [f"  {ids:<{width}}  {name} ({types})" for ids, name, types in rows]
    return "base models (--model; the ':<context>' suffix and letter case are optional):\n" + "\n".join(lines)


def _epilog(*examples: str) -> str:
    return "examples:\n" + "\n".join(f"  {line}" for line in examples) + f"\n\n{_model_table()}\n\n{_EXIT_CODES}"


def _add_parser(subparsers: Any, name: str, *, description: str, **kwargs: Any) -> argparse.ArgumentParser:
    parser: argparse.ArgumentParser = subparsers.add_parser(
        name, formatter_class=HelpFormatter, description=textwrap.fill(description, 100), **kwargs
    )
    return parser


def _upper(text: str) -> str:
    return text.upper()


def _lower(text: str) -> str:
    return text.lower()


def register(subparsers: Any) -> None:
    _register_validate(subparsers)
    _register_fix(subparsers)
    _register_split(subparsers)
    _register_convert(subparsers)
    _register_dedupe(subparsers)
    _register_estimate(subparsers)


def _model_options(parser: argparse.ArgumentParser) -> None:
    parser.add_argument(
        "--model",
        required=True,
        metavar="MODEL_ID",
        help="base model id, with or without the ':<context>' suffix, or its foundation-model ARN "
        "(e.g. amazon.nova-micro-v1:0:128k)",
    )
    parser.add_argument(
        "--type",
        dest="customization_type",
        default="FINE_TUNING",
        type=_upper,
        choices=CUSTOMIZATION_TYPES,
        help="customization type (any letter case)",
    )
    parser.add_argument(
        "--teacher", metavar="MODEL_ID", help="distillation teacher model id or inference profile (DISTILLATION)"
    )


def _format_option(parser: argparse.ArgumentParser) -> None:
    parser.add_argument("--format", choices=("text", "json"), default="text", type=_lower, help="output format")


def _force_option(parser: argparse.ArgumentParser) -> None:
    parser.add_argument(
        "--force",
        action="store_true",
        help="replace an existing output file at its default name (a file named with an option is always replaced)",
    )


def positive_int(text: str) -> int:
    try:
        value = int(text)
    except ValueError:
        raise argparse.ArgumentTypeError(f"expected a whole number of 1 or more, got {text!r}") from None
    if value < 1:
        raise argparse.ArgumentTypeError(f"expected a whole number of 1 or more, got {text!r}")
    return value


def _register_validate(subparsers: Any) -> None:
    parser = _add_parser(
        subparsers,
        "validate",
        help="check a dataset against a base model's data rules",
        description="Check a JSONL dataset against the Bedrock data rules of a base model, in one streaming "
        "pass, before you upload it. Every finding names the file, the line and the rule.",
        epilog=_epilog(
            "tuneline validate train.jsonl --model amazon.nova-micro-v1:0:128k",
            "tuneline validate train.jsonl --validation val.jsonl --model meta.llama3-1-8b-instruct-v1:0 \\",
            "    --format json",
            "tuneline validate prompts.jsonl --model amazon.nova-lite-v1:0 --type DISTILLATION \\",
            "    --teacher amazon.nova-pro-v1:0",
            "gunzip -c train.jsonl.gz | tuneline validate - --model amazon.nova-micro-v1:0",
        ),
    )
    parser.add_argument("file", metavar="FILE", help="training JSONL file, or - for standard input")
    _model_options(parser)
    parser.add_argument("--validation", metavar="FILE", help="validation JSONL file")
    parser.add_argument(
        "--format",
        choices=("text", "json"),
        default="text",
        type=_lower,
        help="output format; json prints one object: valid, errors, warnings, stats",
    )
    parser.add_argument("--max-findings", type=positive_int, default=20, metavar="N", help="findings kept per rule")
    parser.add_argument(
        "--dataset-bucket",
        metavar="BUCKET",
        help="bucket the dataset will be uploaded to: images/videos elsewhere are reported",
    )
    parser.set_defaults(handler=_guard(_validate))


def _register_fix(subparsers: Any) -> None:
    parser = _add_parser(
        subparsers,
        "fix",
        help="write a normalized copy (BOM, CRLF, blank lines, control characters)",
        description="Write a normalized copy of a JSONL file: removes a UTF-8 BOM and blank lines, turns CRLF "
        "into LF and escapes raw control characters. The input is never modified.",
        epilog="examples:\n  tuneline fix train.jsonl                  # writes train.fixed.jsonl\n"
        "  tuneline fix train.jsonl -o clean/train.jsonl\n\n" + _EXIT_CODES,
    )
    parser.add_argument("file", metavar="FILE", help="JSONL file, or - for standard input (then give -o)")
    parser.add_argument("-o", "--output", metavar="FILE", help="output file (default: FILE stem + .fixed.jsonl)")
    parser.add_argument(
        "--dedupe", action="store_true", help="also drop copies of earlier records (see `tuneline dedupe`)"
    )
    _format_option(parser)
    _force_option(parser)
    parser.set_defaults(handler=_guard(_fix))


def _register_split(subparsers: Any) -> None:
    parser = _add_parser(
        subparsers,
        "split",
        help="deterministic train/validation split within the model's bounds",
        description="Split a JSONL file into training and validation files. A record's side depends only on "
        "a hash of its content, and every copy of a record (exact, or equal up to whitespace and letter case) "
        "lands on the same side; sizes respect the model's validation/training bounds. Uploaded as written, "
        "the two outputs pair: X.train.jsonl trains with X.validation.jsonl.",
        epilog=_epilog(
            "tuneline split data.jsonl --model amazon.titan-text-express-v1 --ratio 0.2",
            "    # writes data.train.jsonl and data.validation.jsonl; upload both under incoming/<profile>/,",
            "    # data.validation.jsonl first",
        ),
    )
    parser.add_argument("file", metavar="FILE", help="JSONL file, or - for standard input (then give both outputs)")
    _model_options(parser)
    parser.add_argument("--ratio", type=float, default=0.1, help="validation fraction, between 0 and 1")
    parser.add_argument("--train-out", metavar="FILE", help="training output (default: FILE stem + .train.jsonl)")
    parser.add_argument(
        "--validation-out", metavar="FILE", help="validation output (default: FILE stem + .validation.jsonl)"
    )
    _format_option(parser)
    _force_option(parser)
    parser.set_defaults(handler=_guard(_split))


def _register_convert(subparsers: Any) -> None:
    parser = _add_parser(
        subparsers,
        "convert",
        help="convert CSV/TSV, JSON records, Alpaca, Dolly, chat or plain text to the model's format",
        description="Convert a dataset to the format of a base model, optionally redacting personal data and "
        "dropping duplicates. --from csv: a table (comma, tab, semicolon or pipe, sniffed from the header) with "
        "chosen columns; alpaca: instruction/input/output; dolly: instruction/context/response; jsonl: any flat "
        "JSON record with named fields; chat: OpenAI messages or ShareGPT conversations; text: plain text for "
        "continued pre-training, one record per paragraph or per --chunk-tokens. JSON sources may be JSON lines "
        "or one JSON array. Every skipped record is counted by reason; tool calls and images the model cannot "
        "take refuse the conversion (exit 1) unless --skip-unsupported. Converting no record is an error (exit 1, "
        "nothing written); an option that does not apply to --from is a usage error (exit 2).",
        epilog=_epilog(
            "tuneline convert faq.csv --from csv --model amazon.nova-micro-v1:0 --question-column q \\",
            "    --answer-column a --redact-pii",
            "tuneline convert faq.tsv --from csv --model amazon.nova-micro-v1:0   # tab found in the header",
            "tuneline convert dolly.jsonl --from dolly --model meta.llama3-1-8b-instruct-v1:0 -o train.jsonl",
            "tuneline convert qa.json --from jsonl --prompt-field query --answer-field reply \\",
            "    --model amazon.nova-lite-v1:0 --dedupe",
            "tuneline convert openai.jsonl --from chat --model amazon.nova-lite-v1:0",
            "tuneline convert manual.txt --from text --model amazon.titan-text-express-v1 \\",
            "    --type CONTINUED_PRE_TRAINING --chunk-tokens 2000",
        ),
    )
    parser.add_argument("file", metavar="FILE", help="source file, or - for standard input (then give -o)")
    parser.add_argument(
        "--from",
        dest="source",
        required=True,
        type=_lower,
        choices=(*SOURCES, "auto"),
        help="source shape; auto: found from the first records (JSON lines, one JSON array or plain text)",
    )
    _model_options(parser)
    parser.add_argument("-o", "--output", metavar="FILE", help="output file (default: FILE stem + .<format>.jsonl)")
    table = parser.add_argument_group("--from csv")
    table.add_argument("--question-column", help="column with the prompt (default: question)")
    table.add_argument("--answer-column", help="column with the answer (default: answer)")
    table.add_argument("--system-column", help="column with a per-row system prompt")
    table.add_argument("--delimiter", help="column delimiter: one character or 'tab' (default: sniffed)")
    fields = parser.add_argument_group("--from jsonl")
    fields.add_argument("--prompt-field", help="field with the prompt (default: prompt)")
    fields.add_argument("--context-field", help="field appended to the prompt after a blank line")
    fields.add_argument("--answer-field", help="field with the answer (default: completion)")
    fields.add_argument("--system-field", help="field with a per-record system prompt")
    text = parser.add_argument_group("--from text")
    text.add_argument(
        "--chunk-tokens",
        type=positive_int,
        metavar="N",
        help="pack paragraphs into records of about N tokens (default: one record per paragraph); never over "
        "the model's per-record limit",
    )
    chat = parser.add_argument_group("--from chat")
    chat.add_argument(
        "--skip-unsupported",
        action="store_true",
        help="leave out (and count) records with tool calls or images the model cannot take, instead of refusing",
    )
    parser.add_argument("--system", dest="system_prompt", help="system prompt for records without one (not text)")
    parser.add_argument(
        "--redact-pii",
        action="store_true",
        help="replace e-mail addresses, phone and card numbers and AWS keys with placeholders",
    )
    parser.add_argument("--dedupe", action="store_true", help="drop copies of earlier records (see `tuneline dedupe`)")
    _format_option(parser)
    _force_option(parser)
    parser.set_defaults(handler=_guard(_convert))


def _register_dedupe(subparsers: Any) -> None:
    parser = _add_parser(
        subparsers,
        "dedupe",
        help="write a copy without duplicate records (exact or whitespace/case variants)",
        description="Write a copy of a JSONL file without the copies of earlier records: exact copies and records "
        "that differ only in whitespace, letter case or key order. The first of each is kept, in place; blank "
        "lines are dropped and CRLF becomes LF. The input is never modified. The same comparison keeps copies of "
        "a record on one side in `tuneline split`.",
        epilog="examples:\n  tuneline dedupe train.jsonl                # writes train.dedupe.jsonl\n"
        "  tuneline dedupe train.jsonl -o clean/train.jsonl --format json\n\n" + _EXIT_CODES,
    )
    parser.add_argument("file", metavar="FILE", help="JSONL file, or - for standard input (then give -o)")
    parser.add_argument("-o", "--output", metavar="FILE", help="output file (default: FILE stem + .dedupe.jsonl)")
    _format_option(parser)
    _force_option(parser)
    parser.set_defaults(handler=_guard(_dedupe))


def _register_estimate(subparsers: Any) -> None:
    parser = _add_parser(
        subparsers,
        "estimate",
        help="estimate the training cost (tokens x epochs x price)",
        description="Estimate the training cost of a dataset: estimated tokens x epochs x the model's training "
        "price per 1,000 tokens (a dated estimate; override it with --price-per-1k-tokens).",
        epilog=_epilog(
            "tuneline estimate train.jsonl --model amazon.nova-micro-v1:0 --epochs 3",
            "tuneline estimate --tokens 2000000 --model meta.llama3-1-8b-instruct-v1:0 --price-per-1k-tokens 0.5",
        ),
    )
    parser.add_argument(
        "file", metavar="FILE", nargs="?", help="training JSONL file, or - for standard input (or give --tokens)"
    )
    _model_options(parser)
    parser.add_argument("--tokens", type=int, metavar="N", help="use this token count instead of reading a file")
    parser.add_argument("--epochs", type=int, metavar="N", help="epoch count (default: the model's default)")
    parser.add_argument(
        "--hyperparameter",
        action="append",
        default=[],
        metavar="NAME=VALUE",
        help="job hyperparameter, repeatable (e.g. epochCount=3)",
    )
    parser.add_argument("--price-per-1k-tokens", type=float, metavar="USD", help="override the training price")
    _format_option(parser)
    parser.set_defaults(handler=_guard(_estimate))


def _guard(handler: Callable[[argparse.Namespace], int]) -> Callable[[argparse.Namespace], int]:
    """Turn expected problems into a message on stderr and exit code 2 instead of a traceback."""

    def run(args: argparse.Namespace) -> int:
        try:
            return handler(args)
        except (UsageError, UnknownModelError, SplitError, ConvertError) as error:
            print(f"tuneline {args.command}: error: {error}", file=sys.stderr)
            return EXIT_USAGE
        except BrokenPipeError:
            raise  # output piped into `head`: main() stops quietly
        except OSError as error:
            # Checked up front where possible; this catches what changes underneath (disk full, removed file).
            where = f"{error.filename}: " if error.filename else ""
            print(f"tuneline {args.command}: error: {where}{error.strerror or error}", file=sys.stderr)
            return EXIT_USAGE

    return run


def _input_file(path: str | None, option: str = "FILE") -> Path:
    """An existing, readable file, or a UsageError that says what is wrong and what to give instead."""
    if not path:
        raise UsageError(f"a {option} is required")
    if path == STDIN:
        raise UsageError(f"{option} {STDIN} (standard input) is not supported here; save the data to a file")
    file = Path(path)
    if file.is_dir():
        inside = sorted(child.name for child in file.glob("*.jsonl"))[:5]
        example = ", ".join(str(file / name) for name in inside) if inside else f"{file / 'train.jsonl'}"
        raise UsageError(f"{path} is a directory; give the file inside it, e.g. {example}")
    if not file.exists():
        raise UsageError(f"{path}: no such file; check the path (relative paths start at {Path.cwd()})")
    if not file.is_file():
        raise UsageError(f"{path} is not a regular file; give a JSONL or CSV file")
    if not os.access(file, os.R_OK):
        raise UsageError(f"{path}: permission denied; make it readable (chmod u+r {path}) or copy it elsewhere")
    return file


@contextlib.contextmanager
def _open_input(path: str | None, option: str = "FILE") -> Iterator[BinaryIO]:
    """The named file, or standard input for '-', opened for binary reading."""
    if path == STDIN:
        yield sys.stdin.buffer
        return
    with open(_input_file(path, option), "rb") as stream:
        yield stream


@contextlib.contextmanager
def _input_with_progress(
    path: str, args: argparse.Namespace, *, passes: int = 1
) -> Iterator[BinaryIO | CountingReader]:
    """The input of fix, split or convert, drawing a progress bar on a terminal for big files (text output)."""
    with _open_input(path) as stream:
        size = _input_file(path).stat().st_size if path != STDIN else 0
        progress = progress_bar(size * passes, sys.stderr) if args.format == "text" and size else None
        yield CountingReader(stream, progress) if progress else stream


def _input_name(path: str) -> str:
    return STDIN_NAME if path == STDIN else path


def _output_file(requested: str | None, source: str, suffix: str, *, force: bool, option: str = "-o") -> Path:
    """Where to write: checked before any reading, so a bad output path costs nothing and writes nothing."""
    if requested is None:
        if source == STDIN:
            raise UsageError(f"reading from standard input needs an output file name; give {option} FILE")
        output = _sibling(Path(source), suffix)
    elif requested == STDIN:
        raise UsageError(f"{option} {STDIN} (standard output) is not supported; give a file name")
    else:
        output = Path(requested)
    if output.is_dir():
        raise UsageError(f"{output} is a directory; give a file name for {option}, e.g. {output / ('out' + suffix)}")
    parent = output.parent
    if not parent.is_dir():
        raise UsageError(
            f"cannot write {output}: folder {parent} does not exist; create it (mkdir -p {parent}) or choose "
            f"another {option}"
        )
    if source != STDIN and output.exists() and os.path.samefile(source, output):
        raise UsageError(f"{output} is the input file; choose another output (the input is never modified)")
    # A file named on the command line is replaced, as shell redirection would; a default name is not, so a
    # second run never silently overwrites an earlier result kept under that name.
    if requested is None and output.exists() and not force:
        raise UsageError(f"{output} already exists; pass --force to replace it, or name the output with {option} FILE")
    if not os.access(parent, os.W_OK):
        raise UsageError(f"cannot write {output}: permission denied on folder {parent}; choose another {option}")
    return output


@contextlib.contextmanager
def _atomic_output(output: Path) -> Iterator[BinaryIO]:
    """Write beside `output` and rename at the end: an error or Ctrl-C never leaves a half-written file."""
    handle, partial = tempfile.mkstemp(prefix=f".{output.name}.", suffix=".partial", dir=output.parent)
    try:
        with os.fdopen(handle, "wb") as stream:
            yield stream
        # mkstemp creates the file 0600; give it the mode open() would have (0666 minus the umask).
        umask = os.umask(0)
        os.umask(umask)
        os.chmod(partial, 0o666 & ~umask)
        os.replace(partial, output)
    except BaseException:
        with contextlib.suppress(OSError):
            os.unlink(partial)
        raise


def _rules(args: argparse.Namespace) -> ModelRules:
    rules = resolve_model(args.model)
    if args.customization_type not in rules.customization_types:
        raise UsageError(
            f"{rules.display_name} does not support {args.customization_type}; it supports "
            f"{', '.join(rules.customization_types)}"
        )
    return rules


def _validate(args: argparse.Namespace) -> int:
    resolve_model(args.model)  # unknown model: usage error before any reading
    if args.file == STDIN and args.validation == STDIN:
        raise UsageError("only one of FILE and --validation can be '-' (standard input)")
    inputs = [path for path in (args.file, args.validation) if path and path != STDIN]
    total = sum(_input_file(path).stat().st_size for path in inputs)
    progress = progress_bar(total, sys.stderr) if args.format == "text" and STDIN not in inputs else None
    with contextlib.ExitStack() as files:
        train_stream = files.enter_context(_open_input(args.file))
        validation_stream = (
            files.enter_context(_open_input(args.validation, "--validation")) if args.validation else None
        )
        report = validate_dataset(
            train_stream,
            model_id=args.model,
            customization_type=args.customization_type,
            validation=validation_stream,
            training_name=_input_name(args.file),
            validation_name=_input_name(str(args.validation)),
            teacher_model_id=args.teacher,
            max_findings_per_rule=args.max_findings,
            progress=progress,
            dataset_bucket=args.dataset_bucket,
        )
    if args.format == "json":
        print(json.dumps(report.to_dict()))
    else:
        sys.stdout.write(render_report(report))
    return EXIT_OK if report.valid else EXIT_INVALID


def _fix(args: argparse.Namespace) -> int:
    if args.file != STDIN:
        _input_file(args.file)
    output = _output_file(args.output, args.file, ".fixed.jsonl", force=args.force)
    dedupe = Deduplicator() if args.dedupe else None
    with _input_with_progress(args.file, args) as src, _atomic_output(output) as dst:
        if dedupe is None:
            summary = normalize_stream(src, dst)
        else:
            summary = FixSummary()
            for number, line in enumerate(normalized_lines(src, summary), 1):
                if dedupe.keep(line, number):
                    dst.write(line)
                else:
                    summary.lines_out -= 1
    removed = dedupe.summary.removed if dedupe else 0
    if args.format == "json":
        extra = {"duplicates_removed": removed} if dedupe else {}
        print(json.dumps({"output": str(output), **summary.to_dict(), **extra}))
    else:
        print(
            f"wrote {output}: {summary.lines_out} lines (of {summary.lines_in}); removed BOM {summary.bom_removed}, "
            f"CRLF fixed {summary.crlf_fixed}, blank lines removed {summary.blank_lines_removed}, control "
            f"character lines fixed {summary.control_character_lines_fixed}, still invalid "
            f"{summary.unfixable_lines}" + (f", duplicates removed {removed}" if dedupe else "")
        )
    return EXIT_OK


def _dedupe(args: argparse.Namespace) -> int:
    if args.file != STDIN:
        _input_file(args.file)
    output = _output_file(args.output, args.file, ".dedupe.jsonl", force=args.force)
    with _input_with_progress(args.file, args) as src, _atomic_output(output) as dst:
        summary = dedupe_stream(src, dst)
    if args.format == "json":
        print(json.dumps({"output": str(output), **summary.to_dict()}))
    else:
        print(
            f"wrote {output}: {summary.records_out} records (of {summary.records_in}); removed {summary.removed} "
            f"duplicate(s): {summary.exact} exact, {summary.normalized} differing only in whitespace or letter case"
        )
        if summary.removed_lines:
            print(f"removed line(s) {summary.removed_lines[:10]}{' ...' if summary.removed > 10 else ''}")
        if summary.oversized:
            print(f"dropped {summary.oversized} line(s) too long to read whole (Bedrock rejects them too)")
    return EXIT_OK


def _split(args: argparse.Namespace) -> int:
    if args.file != STDIN:
        _input_file(args.file)
    rules = _rules(args)
    train_out = _output_file(args.train_out, args.file, ".train.jsonl", force=args.force, option="--train-out")
    validation_out = _output_file(
        args.validation_out, args.file, ".validation.jsonl", force=args.force, option="--validation-out"
    )
    if train_out.resolve() == validation_out.resolve():
        raise UsageError(f"--train-out and --validation-out are both {train_out}; give two different files")
    # Two passes over the input: one to count the records, one to write them.
    with (
        _input_with_progress(args.file, args, passes=2) as src,
        _atomic_output(train_out) as train,
        _atomic_output(validation_out) as held,
    ):
        summary = split_stream(
            src, train, held, ratio=args.ratio, rules=rules, customization_type=args.customization_type
        )
    if args.format == "json":
        print(json.dumps({"training": str(train_out), "validation": str(validation_out), **summary.to_dict()}))
    else:
        print(
            f"{summary.training_records} training records -> {train_out}\n"
            f"{summary.validation_records} validation records -> {validation_out} "
            f"({summary.ratio_actual:.1%} of {summary.records})"
        )
        for note in summary.notes:
            print(f"note: {note}")
    return EXIT_OK


# Options of `convert` that apply to some sources only: dest -> (option, sources it applies to).
_SOURCE_OPTIONS = {
    "question_column": ("--question-column", {"csv"}),
    "answer_column": ("--answer-column", {"csv"}),
    "system_column": ("--system-column", {"csv"}),
    "delimiter": ("--delimiter", {"csv"}),
    "prompt_field": ("--prompt-field", {"jsonl"}),
    "context_field": ("--context-field", {"jsonl"}),
    "answer_field": ("--answer-field", {"jsonl"}),
    "system_field": ("--system-field", {"jsonl"}),
    "chunk_tokens": ("--chunk-tokens", {"text"}),
    "skip_unsupported": ("--skip-unsupported", {"chat"}),
    "system_prompt": ("--system", {"csv", "alpaca", "dolly", "jsonl", "chat"}),
}


class _NothingConverted(Exception):
    """No record could be converted, or the data was refused: exit 1, nothing written."""


def _convert_options(args: argparse.Namespace) -> dict[str, Any]:
    for dest, (option, sources) in _SOURCE_OPTIONS.items():
        value = getattr(args, dest)
        if value not in (None, False) and args.source not in sources:
            applies = ", ".join(f"--from {source}" for source in sorted(sources))
            raise UsageError(f"{option} applies to {applies}, not to --from {args.source}; drop it")
    options: dict[str, Any] = {
        "system_column": args.system_column,
        "system_prompt": args.system_prompt,
        "context_field": args.context_field,
        "system_field": args.system_field,
        "chunk_tokens": args.chunk_tokens,
        "skip_unsupported": args.skip_unsupported,
    }
    for dest in ("question_column", "answer_column", "prompt_field", "answer_field"):
        if getattr(args, dest) is not None:
            options[dest] = getattr(args, dest)
    if args.delimiter is not None:
        try:
            options["delimiter"] = parse_delimiter(args.delimiter)
        except ConvertError as error:
            raise UsageError(str(error)) from None
    return options


def _detect_source(args: argparse.Namespace) -> str | None:
    """For --from auto: set the source (and field names) from the first records; returns what was found."""
    if args.file == STDIN:
        raise UsageError("--from auto reads the file twice; give a file, not - (standard input)")
    with _input_file(args.file).open("rb") as stream:
        shape = detect_source(stream.read(ARRAY_HEAD_CHARS))
    if shape is None or shape.source is None:
        raise UsageError(
            f"cannot tell which shape {args.file} has from its first records; name it with --from "
            f"({', '.join(SOURCES)})"
        )
    args.source = shape.source
    # A table's question and answer columns are the shape's prompt and answer fields.
    names = (
        (("question_column", "prompt_field"), ("answer_column", "answer_field"))
        if shape.source == "csv"
        else (("prompt_field", "prompt_field"), ("answer_field", "answer_field"), ("context_field", "context_field"))
    )
    for dest, field_name in names:
        if getattr(args, dest) is None and getattr(shape, field_name) is not None:
            setattr(args, dest, getattr(shape, field_name))
    return f"{shape.label} (--from {shape.source})"


def _convert(args: argparse.Namespace) -> int:
    if args.file != STDIN:
        _input_file(args.file)
    detected = _detect_source(args) if args.source == "auto" else None
    options = _convert_options(args)
    rules = _rules(args)
    target = rules.format_for(args.customization_type) or "out"
    output = _output_file(args.output, args.file, f".{target}.jsonl", force=args.force)
    name = _input_name(args.file)
    try:
        with _input_with_progress(args.file, args) as src, _atomic_output(output) as dst:
            try:
                summary = convert_stream(
                    src,
                    dst,
                    source=args.source,
                    rules=rules,
                    customization_type=args.customization_type,
                    redact_pii=args.redact_pii,
                    dedupe=args.dedupe,
                    **options,
                )
            except NoRecordFits as misfit:
                message, command = _shape_hint(
                    f"{name}: {misfit}; nothing was written", name, args, rules, misfit.summary
                )
                raise _NothingConverted(message, misfit.summary, command) from None
            except ConvertRefused as refused:
                raise _NothingConverted(f"{name}: {refused}", refused.summary, None) from None
            if summary.records_in and not summary.records_out:
                message, command = _wrong_shape(name, args, rules, summary)
                raise _NothingConverted(message, summary, command)
            if not summary.records_out:
                raise _NothingConverted(_nothing_converted(name, args), summary, None)
    except _NothingConverted as error:
        message, summary, command = error.args
        if args.format == "json":
            print(json.dumps({"output": None, "error": message, "command": command, **summary.to_dict()}))
        print(f"tuneline convert: error: {message}", file=sys.stderr)
        if command:
            print(f"  {command}", file=sys.stderr)
        return EXIT_INVALID
    if args.format == "json":
        print(json.dumps({"output": str(output), "detected": detected, **summary.to_dict()}))
    else:
        if detected:
            print(f"read {name} as {detected}")
        print(f"wrote {output}: {summary.records_out} {summary.target_format} records (of {summary.records_in})")
        if summary.delimiter and summary.delimiter != ",":
            print(
                f"read the table with the {DELIMITER_NAMES.get(summary.delimiter, repr(summary.delimiter))} delimiter"
            )
        if summary.skipped:
            print(f"skipped {summary.skipped} record(s), e.g. line(s) {summary.skipped_lines[:10]}:")
            for reason, count in summary.skipped_reasons.most_common():
                print(f"  {count} {reason}")
        if summary.images_kept:
            print(f"kept {summary.images_kept} image(s) as S3 image blocks")
        for warning in summary.warnings:
            print(f"warning: {warning}")
        if summary.pii_found:
            action = "redacted" if args.redact_pii else "found (use --redact-pii to replace them)"
            found = ", ".join(f"{kind} {count}" for kind, count in sorted(summary.pii_found.items()))
            print(f"personal data {action}: {found}")
    return EXIT_OK


def _nothing_converted(name: str, args: argparse.Namespace) -> str:
    return f"{name} has no records for --from {args.source}; nothing was written"


def _wrong_shape(
    name: str, args: argparse.Namespace, rules: ModelRules, summary: ConvertSummary
) -> tuple[str, str | None]:
    """Why no record fitted --from, and the command that reads the shape the records have, if it is known."""
    reasons = ", ".join(f"{count} {reason}" for reason, count in summary.skipped_reasons.most_common())
    first = summary.skipped_lines[0] if summary.skipped_lines else "?"
    message = (
        f"none of the {summary.records_in} records of {name} has what --from {args.source} reads (e.g. line "
        f"{first}); skipped: {reasons}; nothing was written"
    )
    return _shape_hint(message, name, args, rules, summary)


def _shape_hint(
    message: str, name: str, args: argparse.Namespace, rules: ModelRules, summary: ConvertSummary
) -> tuple[str, str | None]:
    """`message` followed by what the records look like, and the command that converts that shape."""
    found = summary.sample.verdict(None)
    shape = found[0] if found is not None else None
    if shape is None or shape.source is None or (shape.source == "csv" and shape.prompt_field is None):
        options = {"csv": "the column options", "jsonl": "the field options"}.get(args.source, "the file")
        what = f"; the file looks like {shape.label}" if shape is not None else ""
        return f"{message}{what}; check --from ({', '.join(SOURCES)}) and {options}", None
    kind = args.customization_type
    if shape == NATIVE.get(rules.format_for(kind) or "") and not summary.sample.array:
        source_name = "-" if name == STDIN_NAME else shlex.quote(name)
        return (
            f"{message}; the records are already in the {rules.format_for(kind)} format: validate them",
            f"tuneline validate {source_name} --model {shlex.quote(args.model)}"
            + (f" --type {kind}" if kind != FINE_TUNING else ""),
        )
    if shape is TEXT_SHAPE and kind != CONTINUED_PRE_TRAINING:
        if CONTINUED_PRE_TRAINING not in rules.customization_types:
            return (
                f"{message}; the file looks like {shape.label}: plain text trains only with "
                f"{CONTINUED_PRE_TRAINING}, which {rules.display_name} does not offer",
                None,
            )
        kind = CONTINUED_PRE_TRAINING
    command = convert_command(shape, file_name=name, model_id=args.model, customization_type=kind, output=args.output)
    return f"{message}; the file looks like {shape.label}: convert it with", command


def _estimate(args: argparse.Namespace) -> int:
    rules = _rules(args)
    hyperparameters = _hyperparameters(args.hyperparameter)
    if args.epochs is not None:
        if not rules.epochs_hyperparameter:
            raise UsageError(f"{rules.display_name} has no epoch hyperparameter (it trains by steps); drop --epochs")
        given = hyperparameters.get(rules.epochs_hyperparameter)
        if given is not None and given != str(args.epochs):
            raise UsageError(
                f"--epochs {args.epochs} and --hyperparameter {rules.epochs_hyperparameter}={given} disagree; "
                "give the epoch count once"
            )
        hyperparameters[rules.epochs_hyperparameter] = str(args.epochs)
    for name, value in hyperparameters.items():
        spec = rules.hyperparameters.get(name)
        if spec is None:
            raise UsageError(
                f"{rules.display_name} has no hyperparameter {name!r}; {did_you_mean(name, rules.hyperparameters)}"
                f"allowed: {', '.join(rules.hyperparameters)}"
            )
        problem = spec.check(value)
        if problem:
            given_as = (
                "--epochs" if args.epochs is not None and name == rules.epochs_hyperparameter else "--hyperparameter"
            )
            raise UsageError(f"{given_as}: {problem}")
    if args.price_per_1k_tokens is not None and not (
        math.isfinite(args.price_per_1k_tokens) and args.price_per_1k_tokens >= 0
    ):
        raise UsageError(f"--price-per-1k-tokens must be 0 or more (USD), got {args.price_per_1k_tokens}")
    valid: bool | None = None
    if args.tokens is not None:
        if args.tokens < 0:
            raise UsageError("--tokens must be 0 or more")
        tokens = args.tokens
    else:
        with _open_input(args.file) as stream:
            report = validate_dataset(
                stream,
                model_id=args.model,
                customization_type=args.customization_type,
                training_name=_input_name(args.file),
                teacher_model_id=args.teacher,
                hyperparameters=hyperparameters,
            )
        tokens = training_tokens(report)
        valid = report.valid
    estimate = estimate_cost(rules, tokens, hyperparameters, args.price_per_1k_tokens)
    if args.format == "json":
        print(json.dumps({"model_id": rules.canonical_id, "dataset_valid": valid, **estimate.to_dict()}))
    else:
        print(
            f"~{estimate.tokens} tokens x {estimate.epochs} epoch(s) x ${estimate.price_per_1k_tokens_usd}/1k tokens "
            f"= ${estimate.usd:,.2f} for {rules.display_name}\nprice: {estimate.price_source}"
        )
        if valid is False:
            print("note: the dataset is not valid; run `tuneline validate` for the findings")
    return EXIT_OK


def _hyperparameters(pairs: Sequence[str]) -> dict[str, str]:
    values: dict[str, str] = {}
    for pair in pairs:
        name, sep, value = pair.partition("=")
        if not sep or not name.strip():
            raise UsageError(f"--hyperparameter expects NAME=VALUE, got {pair!r}")
        values[name.strip()] = value.strip()
    return values


def _sibling(source: Path, suffix: str) -> Path:
    stem = source.name[: -len(".jsonl")] if source.name.endswith(".jsonl") else source.stem
    return source.with_name(stem + suffix)
