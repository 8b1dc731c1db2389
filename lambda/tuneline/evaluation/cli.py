"""`tuneline evaluate`: score stored responses of one or more models and compare two of them.

Each `--responses NAME=FILE` is one model's answers in Bedrock's bring-your-own-inference format; records are
matched by line order. With two models the command prints the paired comparison and the gate's decision.
Exit codes: 0 the gate passes (or there is no gate: one model, or more than two), 1 the gate fails, 2 usage
error (bad option, unreadable file, a record that breaks the format, files that do not pair up).
"""

from __future__ import annotations

import argparse
import json
import math
import sys
import textwrap
from collections.abc import Callable, Sequence
from pathlib import Path
from typing import Any

from tuneline.datasets.cli import HelpFormatter, UsageError, positive_int
from tuneline.datasets.render import progress_bar
from tuneline.evaluation.comparison import DEFAULT_RESAMPLES, DEFAULT_SEED
from tuneline.evaluation.engine import SUMMARY_METRICS, NoPairedScores, evaluate, score_items, scored_characters
from tuneline.evaluation.gate import BELOW_MIN_IMPROVEMENT, NOT_BETTER, NOT_SIGNIFICANT
from tuneline.evaluation.metrics import GATE_METRICS
from tuneline.evaluation.records import ModelResponse, Scored, pair_by_order, read_model_responses
from tuneline.exit_codes import EXIT_INVALID, EXIT_OK, EXIT_USAGE
from tuneline.findings import Finding
from tuneline.suggest import did_you_mean

COMMAND = "evaluate"
DEFAULT_GATE_METRIC = "rougeL"

_DESCRIPTION = (
    "Score the stored responses of one or more models against the reference answers, and compare two of "
    "them. Each FILE is JSON Lines in Bedrock's bring-your-own-inference format: prompt, referenceResponse, "
    "optional category, and modelResponses with one {response, modelIdentifier}. Every file must hold the "
    "same prompts in the same order (records are matched by line order). Metrics: exactMatch and tokenF1 "
    "(SQuAD v1.1), rougeL (ROUGE-L F-measure as Google's rouge-score computes it), jsonValid (share of "
    "responses that are JSON, where the reference is) and lengthRatio (response length / reference length), "
    "overall and per category. With two models: wins, ties and losses on the gate metric, and the mean "
    "difference with a 95% paired bootstrap interval (fixed seed, so the same files give the same numbers)."
)

_EPILOG = """examples:
  tuneline evaluate --responses base=base.jsonl --responses custom=custom.jsonl
  tuneline evaluate --responses base=base.jsonl --responses custom=custom.jsonl \\
      --gate-metric tokenF1 --min-improvement 0.05 --require-significance --format json
  tuneline evaluate --responses custom=custom.jsonl          # one model: scores only, no gate

a record of FILE (one line):
  {"prompt": "What is 2+2?", "referenceResponse": "4", "category": "math",
   "modelResponses": [{"response": "4", "modelIdentifier": "custom"}]}

the gate (two models): passes when the candidate's mean difference on the gate metric is above 0 and at
least --min-improvement, and, with --require-significance, when the 95% interval's lower bound is above 0.
The baseline is --baseline, or the first --responses; the other model is the candidate.

exit codes: 0 the gate passes, or there is no gate (one model, or more than two); 1 the gate fails;
2 usage error (bad option, missing or unreadable file, a record that breaks the format, files that do not
pair up), 130 interrupted. On a usage error the message goes to stderr and stdout stays empty, also with
--format json."""


def register(subparsers: Any) -> None:
    parser = subparsers.add_parser(
        COMMAND,
        help="score two models' responses and say whether the candidate beats the baseline",
        description=textwrap.fill(_DESCRIPTION, 100),
        epilog=_EPILOG,
        formatter_class=HelpFormatter,
    )
    parser.add_argument(
        "--responses",
        action="append",
        required=True,
        metavar="NAME=FILE",
        help="one model's responses: a name for the model and its JSONL file; repeat for each model",
    )
    parser.add_argument("--baseline", metavar="NAME", help="the model to compare against (default: the first)")
    parser.add_argument(
        "--gate-metric",
        choices=GATE_METRICS,
        type=_metric_name,
        help=f"metric compared and gated on, any letter case (default: {DEFAULT_GATE_METRIC}; jsonValid only when "
        "references are JSON)",
    )
    parser.add_argument(
        "--min-improvement",
        type=_non_negative_float,
        metavar="X",
        help="smallest mean difference on the gate metric that passes the gate (default: 0, any gain)",
    )
    parser.add_argument(
        "--require-significance",
        action="store_true",
        help="pass only when the 95%% interval's lower bound is above 0",
    )
    parser.add_argument("--seed", type=int, default=DEFAULT_SEED, metavar="N", help="bootstrap seed")
    parser.add_argument(
        "--resamples", type=positive_int, default=DEFAULT_RESAMPLES, metavar="N", help="bootstrap resamples"
    )
    parser.add_argument(
        "--format",
        choices=("text", "json"),
        default="text",
        type=str.lower,
        help="output format; json prints one object: models, comparison, gate",
    )
    parser.set_defaults(handler=run)


def run(args: argparse.Namespace) -> int:
    try:
        result = _evaluate(args)
    except UsageError as error:
        print(f"tuneline {COMMAND}: error: {error}", file=sys.stderr)
        return EXIT_USAGE
    if args.format == "json":
        print(json.dumps(result, ensure_ascii=False))
    else:
        sys.stdout.write(format_text(result))
    gate = result.get("gate")
    return EXIT_INVALID if gate is not None and not gate["passed"] else EXIT_OK


def _evaluate(args: argparse.Namespace) -> dict[str, Any]:
    files = _named_files(args.responses)
    if args.baseline is not None and args.baseline not in files:
        raise UsageError(
            f"--baseline {args.baseline!r} is not a --responses name; {did_you_mean(args.baseline, files)}"
            f"the names are {', '.join(files)}"
        )
    gate_options = [
        option
        for option, given in (
            ("--baseline", args.baseline is not None),
            ("--gate-metric", args.gate_metric is not None),
            ("--min-improvement", args.min_improvement is not None),
            ("--require-significance", args.require_significance),
        )
        if given
    ]
    if gate_options and len(files) != 2:
        raise UsageError(
            f"{', '.join(gate_options)}: comparison and gate need exactly two --responses, got {len(files)}"
        )
    loaded = {name: (str(path), _read(path)) for name, path in files.items()}
    _check_pairing(loaded)
    total = sum(scored_characters(r.item, r.response) for _, records in loaded.values() for r in records)
    bar = progress_bar(total, sys.stderr) if args.format == "text" else None
    scored: dict[str, list[Scored]] = {}
    offset = 0
    for name, (_, records) in loaded.items():
        progress = _shifted(bar, offset) if bar else None
        scored[name] = score_items([r.item for r in records], [r.response for r in records], progress=progress)
        offset += sum(scored_characters(r.item, r.response) for r in records)
    try:
        return evaluate(
            scored,
            baseline=args.baseline,
            gate_metric=args.gate_metric or DEFAULT_GATE_METRIC,
            min_improvement=args.min_improvement or 0.0,
            require_significance=args.require_significance,
            seed=args.seed,
            resamples=args.resamples,
        )
    except NoPairedScores as error:
        raise UsageError(f"--gate-metric {args.gate_metric or DEFAULT_GATE_METRIC}: {error}") from None


def _named_files(pairs: Sequence[str]) -> dict[str, Path]:
    files: dict[str, Path] = {}
    for pair in pairs:
        name, separator, path = pair.partition("=")
        name = name.strip()
        if not separator or not name or not path:
            raise UsageError(f"--responses {pair!r}: give NAME=FILE, e.g. --responses custom=custom.jsonl")
        if name in files:
            raise UsageError(f"--responses: the name {name!r} is given twice; give each model its own name")
        files[name] = _input_file(path)
    return files


def _input_file(path: str) -> Path:
    file = Path(path)
    if file.is_dir():
        raise UsageError(f"{path} is a directory; give the JSONL file inside it")
    if not file.is_file():
        raise UsageError(f"{path}: no such file; check the path (relative paths start at {Path.cwd()})")
    return file


def _read(path: Path) -> list[ModelResponse]:
    try:
        with open(path, "rb") as stream:
            records, findings = read_model_responses(stream, file=str(path))
    except OSError as error:
        raise UsageError(f"{path}: {error.strerror or error}") from None
    if findings:
        raise UsageError(_findings_text(findings))
    return records


def _check_pairing(loaded: dict[str, tuple[str, list[ModelResponse]]]) -> None:
    findings = pair_by_order(loaded)
    if findings:
        raise UsageError(_findings_text(findings))


def _findings_text(findings: Sequence[Finding]) -> str:
    lines = [f"{len(findings)} problem(s) in the responses:"]
    lines += [f"  {finding.describe()}" for finding in findings]
    return "\n".join(lines)


def _shifted(bar: Callable[[int], None], offset: int) -> Callable[[int], None]:
    return lambda done: bar(offset + done)


def _metric_name(text: str) -> str:
    # The metric names are camelCase JSON keys; people type them in any case.
    return next((name for name in GATE_METRICS if name.lower() == text.lower()), text)


def _non_negative_float(text: str) -> float:
    try:
        value = float(text)
    except ValueError:
        raise argparse.ArgumentTypeError(f"expected a number of 0 or more, got {text!r}") from None
    if not math.isfinite(value) or value < 0:
        raise argparse.ArgumentTypeError(f"expected a number of 0 or more, got {text!r}")
    return value


# ---- text output ----------------------------------------------------------------------------------------

_GATE_REASONS = {
    NOT_BETTER: "the candidate's mean is not above the baseline's",
    BELOW_MIN_IMPROVEMENT: "the difference is smaller than --min-improvement",
    NOT_SIGNIFICANT: "the 95% interval includes 0 (--require-significance)",
}


def format_text(result: dict[str, Any]) -> str:
    """A table of every model's means, the categories on the gate metric, then the comparison and the gate."""
    models: dict[str, dict[str, Any]] = result["models"]
    metrics = [m for m in SUMMARY_METRICS if any(m in summary for summary in models.values())]
    count = next(iter(models.values()))["count"]
    lines = [f"{count} prompts, {len(models)} model(s)", ""]
    lines += _table(["model", *metrics], [[name, *(_cell(s.get(m)) for m in metrics)] for name, s in models.items()])
    comparison = result.get("comparison")
    metric = comparison["metric"] if comparison else DEFAULT_GATE_METRIC
    categories = sorted({category for summary in models.values() for category in summary["byCategory"]})
    if categories:
        lines += ["", f"by category ({metric}):"]
        rows = [
            [category, *(_cell(summary["byCategory"].get(category, {}).get(metric)) for summary in models.values())]
            for category in categories
        ]
        lines += _table(["category", *models], rows)
    if comparison:
        low, high = comparison["ci95"]
        lines += [
            "",
            f"{comparison['candidate']} vs {comparison['baseline']} on {metric}: "
            f"{comparison['baselineMean']:.3f} -> {comparison['candidateMean']:.3f}, difference "
            f"{comparison['delta']:+.3f}, 95% interval [{low:+.3f}, {high:+.3f}]",
            f"  {comparison['wins']} wins / {comparison['ties']} ties / {comparison['losses']} losses "
            f"(a tie is an equal score)",
        ]
    gate = result.get("gate")
    if gate:
        if gate["passed"]:
            lines.append(f"GATE PASSED: minimum improvement {gate['minImprovement']:g}")
        else:
            reason = _GATE_REASONS.get(gate.get("reason", ""), "")
            lines.append(f"GATE FAILED: {reason}; minimum improvement {gate['minImprovement']:g}")
    elif len(models) > 2:
        lines += ["", "no comparison: give exactly two --responses to compare and gate"]
    return "\n".join(lines) + "\n"


def _cell(value: Any) -> str:
    return "-" if value is None else f"{value:.3f}" if isinstance(value, float) else str(value)


def _table(header: list[str], rows: list[list[str]]) -> list[str]:
    widths = [max(len(str(row[i])) for row in [header, *rows]) for i in range(len(header))]
    return [
        "  ".join(
            str(cell).ljust(width) if i == 0 else str(cell).rjust(width)
            for i, (cell, width) in enumerate(zip(row, widths, strict=True))
        ).rstrip()
        for row in [header, *rows]
    ]
