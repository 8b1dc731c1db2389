"""Text output for people: summary, findings grouped by rule, progress bar only on a terminal."""

from __future__ import annotations

import io

from tuneline.datasets.render import PROGRESS_MIN_BYTES, progress_bar, render_report

from .builders import converse, run


class Terminal(io.StringIO):
    def isatty(self) -> bool:
        return True


def test_render_groups_findings_and_counts_the_ones_left_out() -> None:
    # Broken JSON records (lines of prose would be reported as plain text first).
    report = run([b'{"nope'] * 12 + [converse("q", "a")] * 2, max_findings_per_rule=8)
    text = render_report(report, per_rule=3)
    assert text.startswith("INVALID: 13 error(s), 1 warning(s) for Amazon Nova Micro FINE_TUNING\n")
    assert "  [jsonl.invalid-json] x12\n" in text
    assert "    train.jsonl line 3: not valid JSON" in text
    assert "train.jsonl line 4:" not in text
    assert "    ... and 9 more\n" in text
    assert "[record.duplicate] x1" in text


def test_progress_bar_only_for_big_inputs_on_a_terminal() -> None:
    assert progress_bar(PROGRESS_MIN_BYTES, io.StringIO()) is None
    assert progress_bar(PROGRESS_MIN_BYTES - 1, Terminal()) is None
    terminal = Terminal()
    update = progress_bar(PROGRESS_MIN_BYTES, terminal)
    assert update is not None
    update(PROGRESS_MIN_BYTES)
    assert "100.0%" in terminal.getvalue() and terminal.getvalue().endswith("\n")
