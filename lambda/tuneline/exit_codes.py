"""Exit codes of the `tuneline` command, one set for every subcommand (its `--help` pages list them)."""

from __future__ import annotations

EXIT_OK = 0
# The dataset or model folder breaks a rule: the findings say which and where.
EXIT_INVALID = 1
# The command line cannot be carried out: unknown model, missing or unreadable file, bad option.
EXIT_USAGE = 2
# 128 + SIGINT, what shells report for a command stopped with Ctrl-C.
EXIT_INTERRUPTED = 130
