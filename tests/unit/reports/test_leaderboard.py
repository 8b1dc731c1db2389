"""The leaderboard: one row per job, a job's later run replaces its row, the best run per profile."""

from __future__ import annotations

import re

from tests.unit.reports.samples import NAMES, sample
from tuneline.reports.leaderboard import (
    best_per_profile,
    empty_board,
    leaderboard_row,
    merge_row,
    parse_board,
    render_leaderboard,
)


def _board() -> dict:
    board = empty_board()
    for name in NAMES:
        board = merge_row(board, leaderboard_row(sample(name)))
    return board


def test_a_row_carries_what_people_compare() -> None:
    record = sample("evaluated")
    row = leaderboard_row(record)
    assert row["profile"] == "support-bot" and row["baseModel"] == "amazon.nova-micro-v1:0:128k"
    assert row["records"] == 60 and row["hyperParameters"]["epochCount"] == "2"
    assert row["finalValidationLoss"] == record["summary"]["metrics"]["finalValidationLoss"]
    assert (row["evaluationMetric"], row["evaluationScore"], row["gatePassed"]) == ("rougeL", 0.52, True)
    assert row["report"] == f"{record['jobName']}/report.html"


def test_merging_replaces_a_jobs_row_and_counts_revisions() -> None:
    board = _board()
    assert len(board["rows"]) == 4 and board["revision"] == 4
    again = dict(leaderboard_row(sample("failed")), status="succeeded")
    merged = merge_row(board, again)
    assert len(merged["rows"]) == 4 and merged["revision"] == 5
    assert [r["status"] for r in merged["rows"] if r["jobName"] == again["jobName"]] == ["succeeded"]


def test_the_best_run_of_a_profile_is_the_highest_evaluation_score_else_the_lowest_loss() -> None:
    board = _board()
    assert best_per_profile(board["rows"]) == {"support-bot": sample("evaluated")["jobName"]}
    unevaluated = [r for r in board["rows"] if r["evaluationScore"] is None]
    better = dict(unevaluated[0], jobName="tuneline-better", finalValidationLoss=0.1, status="succeeded")
    assert best_per_profile([*unevaluated, better]) == {"support-bot": "tuneline-better"}
    # Failed and rejected runs are never best, however low their numbers.
    assert best_per_profile([dict(better, status="failed")]) == {}


def test_an_unreadable_stored_board_starts_over_instead_of_failing() -> None:
    assert parse_board(b"{not json") == empty_board()
    assert parse_board(b'{"rows": [{"jobName": "a"}, 3, {}], "revision": 7}') == {
        "version": 1,
        "revision": 7,
        "rows": [{"jobName": "a"}],
    }


def test_the_page_highlights_the_best_row_and_filters_by_profile() -> None:
    board = _board()
    board = merge_row(board, dict(leaderboard_row(sample("succeeded")), jobName="tuneline-other", profile="llama"))
    page = render_leaderboard(board)
    rows = re.findall(r"<tr( class=\"best\")? data-profile=\"([^\"]+)\">", page)
    assert len(rows) == 5
    assert [profile for best, profile in rows if best] == ["llama", "support-bot"]
    assert '<option value="llama">' in page and '<option value="support-bot">' in page
    assert f'href="{sample("evaluated")["jobName"]}/report.html"' in page
    assert not re.search(r"<script[^>]+src=", page)
