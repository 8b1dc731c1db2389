"""The report pages and the leaderboard in a real browser at a phone's width: charts drawn with every point,
the numbers people look for laid out on screen, nothing wider than the screen. Screenshots go to
tests/artifacts/ (not committed); page weight and load time are printed with -s."""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path

import pytest

from tests.browser.chromium import PHONE_WIDTH, Measurement, find_chromium, measure, screenshot
from tests.unit.reports.samples import NAMES, sample
from tuneline.reports.html import number
from tuneline.reports.job_page import render_job_report
from tuneline.reports.leaderboard import empty_board, leaderboard_row, merge_row, render_leaderboard

ARTIFACTS = Path(__file__).resolve().parents[1] / "artifacts"
BROWSER = find_chromium()
pytestmark = pytest.mark.skipif(
    BROWSER is None,
    reason="no Chromium on PATH: install Debian's package (apt-get install -y chromium; `make test` does it as "
    "root) to run the browser tests",
)


@pytest.fixture(scope="module")
def pages(tmp_path_factory: pytest.TempPathFactory) -> Iterator[dict[str, Path]]:
    folder = tmp_path_factory.mktemp("pages")
    written = {}
    board = empty_board()
    for name in NAMES:
        record = sample(name)
        board = merge_row(board, leaderboard_row(record))
        written[name] = folder / f"{name}.html"
        written[name].write_text(render_job_report(record), encoding="utf-8")
    written["leaderboard"] = folder / "leaderboard.html"
    written["leaderboard"].write_text(render_leaderboard(board), encoding="utf-8")
    yield written


@pytest.fixture(scope="module")
def measured(pages: dict[str, Path]) -> dict[str, Measurement]:
    """Each page loaded once (a browser start costs seconds on a busy machine), measured by every test."""
    assert BROWSER is not None
    return {name: measure(BROWSER, page) for name, page in pages.items()}


@pytest.mark.parametrize("name", [*NAMES, "leaderboard"])
def test_the_page_fits_a_phone_and_is_saved_as_a_screenshot(
    pages: dict[str, Path], measured: dict[str, Measurement], name: str
) -> None:
    assert BROWSER is not None
    page = measured[name]
    assert page.width == PHONE_WIDTH
    assert page.scroll_width <= PHONE_WIDTH, f"{name} scrolls sideways: {page.wide}"
    assert page.wide == []
    screenshot(BROWSER, pages[name], ARTIFACTS / f"{name}.png")
    assert (ARTIFACTS / f"{name}.png").stat().st_size > 0
    size = pages[name].stat().st_size
    print(f"\n{name}: {size:,} bytes, loaded in {page.load_ms:.0f} ms (browser run {page.wall_seconds:.1f} s)")


@pytest.mark.parametrize("name", ["succeeded", "evaluated"])
def test_every_metric_row_is_a_point_of_a_drawn_curve(measured: dict[str, Measurement], name: str) -> None:
    record = sample(name)
    drawn = {path["series"]: path for path in measured[name].paths}
    expected = {
        "training loss": len(record["series"]["training"]),
        "validation loss": len(record["series"]["validation"]),
        "training perplexity": len(record["series"]["training"]),
        "validation perplexity": len(record["series"]["validation"]),
    }
    assert {series: path["drawn"] for series, path in drawn.items()} == expected
    for series, path in drawn.items():
        assert path["declared"] == path["drawn"]
        assert path["length"] > 0
        if series.startswith("training"):  # the training curve spans the whole run, so the whole chart
            assert path["width"] > PHONE_WIDTH / 2, "a curve squeezed into a corner"


def test_the_numbers_of_a_good_run_are_on_screen(measured: dict[str, Measurement]) -> None:
    metrics = sample("evaluated")["summary"]["metrics"]
    visible = measured["evaluated"].visible_text
    losses = (number(metrics["finalTrainingLoss"]), number(metrics["finalValidationLoss"]))
    for shown in ("60", *losses, "+0.11", "0.52", "0.34", "142 wins, 31 ties, 27 losses"):
        assert any(shown in text for text in visible), f"{shown} is not visible"
    assert "0.56" in visible  # a category bar's label


def test_the_rejection_and_the_failure_show_what_to_fix(measured: dict[str, Measurement]) -> None:
    rejected = measured["rejected"]
    assert rejected.paths == []  # nothing trained, nothing charted
    assert {"jsonl.invalid-json", "message.first-role"} <= set(rejected.visible_text)
    failed = measured["failed"]
    assert "States.TaskFailed" in failed.visible_text
    assert any("Run failed at" in text for text in failed.visible_text)


def test_the_leaderboard_shows_every_run(measured: dict[str, Measurement]) -> None:
    # The table scrolls inside its box at this width: the first column (job names) is on screen.
    visible = measured["leaderboard"].visible_text
    for name in NAMES:
        assert any(sample(name)["jobName"] in text for text in visible), name
