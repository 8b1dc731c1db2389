"""The `tuneline` command: the same dataset and model checks the pipeline runs, on your machine.

Each subcommand lives in the module that owns its logic and registers itself here through a
`register(subparsers)` function, so this file only wires them together.
"""

from __future__ import annotations

import argparse
import os
import sys
from collections.abc import Sequence

from tuneline.datasets import cli as datasets_cli
from tuneline.deployed import cli as deployed_cli
from tuneline.evaluation import cli as evaluation_cli
from tuneline.exit_codes import EXIT_INTERRUPTED, EXIT_OK
from tuneline.imports import cli as imports_cli


def build_parser() -> argparse.ArgumentParser:
    parser = argparse.ArgumentParser(
        prog="tuneline",
        description=(
            "Check and prepare datasets and model folders for Amazon Bedrock model customization "
            "and Custom Model Import, before you pay for a job; compare a trained model with its base."
        ),
        formatter_class=argparse.RawDescriptionHelpFormatter,
        epilog=(
            "examples:\n"
            "  tuneline validate train.jsonl --model amazon.nova-micro-v1:0:128k\n"
            "  tuneline estimate train.jsonl --model amazon.nova-micro-v1:0:128k --epochs 3\n"
            "  tuneline validate-model ./my-model/\n"
            "  tuneline evaluate --responses base=base.jsonl --responses custom=custom.jsonl\n"
            "  tuneline status\n"
            "  tuneline report JOB --open\n\n"
            "Run 'tuneline COMMAND --help' for a command's options, examples and the base model ids."
        ),
    )
    subparsers = parser.add_subparsers(dest="command", metavar="COMMAND")
    subparsers.required = True
    datasets_cli.register(subparsers)
    imports_cli.register(subparsers)
    evaluation_cli.register(subparsers)
    deployed_cli.register(subparsers)
    return parser


def main(argv: Sequence[str] | None = None) -> int:
    parser = build_parser()
    args = parser.parse_args(argv)
    try:
        return int(args.handler(args))
    except BrokenPipeError:
        # Output piped into `head` and the like: stop quietly, as Unix tools do.
        os.dup2(os.open(os.devnull, os.O_WRONLY), sys.stdout.fileno())
        return EXIT_OK
    except KeyboardInterrupt:
        # Ctrl-C: no traceback; outputs are written to a temporary name first, so nothing half-written is left.
        if sys.stderr.isatty():
            print(file=sys.stderr)  # end a progress bar's line
        return EXIT_INTERRUPTED


if __name__ == "__main__":
    sys.exit(main())
