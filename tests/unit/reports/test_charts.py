"""The SVG charts: one path per series with one point per value, scaled into the frame, thinned when long."""

from __future__ import annotations

import itertools
import re

import pytest

from tuneline.reports.charts import HEIGHT, MAX_POINTS, WIDTH, Series, bar_chart, line_chart, nice_ticks, thin


def _paths(svg: str) -> list[tuple[str, list[tuple[float, float]]]]:
    found = []
    for name, d in re.findall(r'<path class="series" data-series="([^"]*)" data-points="\d+" d="([^"]*)"', svg):
        found.append((name, [(float(x), float(y)) for x, y in re.findall(r"[ML]([\d.]+) ([\d.]+)", d)]))
    return found


def test_each_series_is_one_path_through_every_point_inside_the_frame() -> None:
    svg = line_chart(
        [Series("training loss", [(1, 3.0), (2, 2.0), (3, 1.5)]), Series("validation loss", [(3, 1.8)])],
        title="Loss",
        x_label="step",
        y_label="loss",
    )
    paths = _paths(svg)
    assert [name for name, _ in paths] == ["training loss", "validation loss"]
    assert [len(points) for _, points in paths] == [3, 1]
    for _, points in paths:
        assert all(0 <= x <= WIDTH and 0 <= y <= HEIGHT for x, y in points)
    training = paths[0][1]
    # Later steps further right; a falling loss goes down the chart (SVG's y grows downwards).
    assert training[0][0] < training[1][0] < training[2][0]
    assert training[0][1] < training[1][1] < training[2][1]


def test_missing_values_are_left_out_and_no_data_draws_no_chart() -> None:
    svg = line_chart([Series("loss", [(1, float("nan")), (2, 1.0)])], title="Loss", x_label="step", y_label="loss")
    assert [len(points) for _, points in _paths(svg)] == [1]
    assert line_chart([Series("loss", [])], title="Loss", x_label="step", y_label="loss") == ""


def test_long_series_are_thinned_evenly_keeping_both_ends() -> None:
    points = [(float(i), float(i)) for i in range(5000)]
    thinned = thin(points)
    assert len(thinned) == MAX_POINTS
    assert thinned[0] == points[0] and thinned[-1] == points[-1]
    svg = line_chart([Series("loss", points)], title="Loss", x_label="step", y_label="loss")
    assert f'data-points="{MAX_POINTS}"' in svg


@pytest.mark.parametrize(("low", "high"), [(0.31, 2.9), (0, 1), (5, 5), (-3, 12000)])
def test_ticks_are_round_and_cover_the_range(low: float, high: float) -> None:
    ticks = nice_ticks(low, high)
    assert ticks[0] <= low and ticks[-1] >= high
    steps = {round(b - a, 9) for a, b in itertools.pairwise(ticks)}
    assert len(steps) == 1


def test_bars_scale_to_their_values_and_names_escape() -> None:
    svg = bar_chart(
        ["billing", "<script>"],
        [Series("base", [(0, 0.25), (1, 0.5)]), Series("custom", [(0, 0.5), (1, 1.0)])],
        title="ROUGE-L",
        value_label="rougeL",
    )
    widths = [
        float(w) for w in re.findall(r'class="bar" data-series="[^"]*" x="[\d.]+" y="[\d.]+" width="([\d.]+)"', svg)
    ]
    assert len(widths) == 4
    assert widths[1] == pytest.approx(2 * widths[0], rel=0.01) and widths[3] == pytest.approx(2 * widths[2], rel=0.01)
    assert "<script>" not in svg and "&lt;script&gt;" in svg
