"""Inline SVG charts: a line chart (loss and perplexity per step) and grouped bars (scores per category).

Every series is one `<path>` whose `data-points` attribute says how many points it joins, so a reader (and a
browser test) can tell a chart drawn from its data from an empty frame. Coordinates live in a fixed viewBox
and the SVG scales to its container, which keeps the chart inside a phone's width.
"""

from __future__ import annotations

import math
from collections.abc import Sequence
from dataclasses import dataclass
from typing import TypeVar

from tuneline.reports.html import esc, number

# A phone shows the chart about 340 px wide: this viewBox and font size keep labels near 11 px there.
WIDTH, HEIGHT = 480, 280
LEFT, RIGHT, TOP, BOTTOM = 56, 12, 40, 44
FONT_SIZE = 15
CHAR_WIDTH = 0.55 * FONT_SIZE  # an average glyph, for laying out the legend
# Category names of the bar chart: longer ones are cut (the table above has them whole).
LABEL_WIDTH, LABEL_CHARS = 150, 17
# A chart of more points than this shows the curve, not the points; series are thinned to it evenly.
MAX_POINTS = 600
# Up to this many points, each point also gets a marker (validation is often a handful of epochs).
MARKER_LIMIT = 40
T = TypeVar("T")
COLORS = ("#0969da", "#cf222e", "#1a7f37", "#8250df", "#bf8700")


@dataclass(frozen=True)
class Series:
    name: str
    points: Sequence[tuple[float, float]]


def thin(points: Sequence[T], limit: int = MAX_POINTS) -> list[T]:
    """At most `limit` points, evenly spaced, keeping the first and the last."""
    if len(points) <= limit:
        return list(points)
    step = (len(points) - 1) / (limit - 1)
    return [points[round(i * step)] for i in range(limit)]


def nice_ticks(low: float, high: float, count: int = 5) -> list[float]:
    """Round tick values covering [low, high] (1, 2 or 5 times a power of ten apart)."""
    if not (math.isfinite(low) and math.isfinite(high)):
        return [0.0]
    if high <= low:
        high = low + (abs(low) or 1.0)
    raw = (high - low) / max(1, count - 1)
    magnitude = 10 ** math.floor(math.log10(raw))
    step = next(m * magnitude for m in (1, 2, 5, 10) if m * magnitude >= raw)
    first = math.floor(low / step) * step
    ticks = [round(first, 12)]
    # Until a tick reaches the top value (floating-point steps may fall a hair short: allow for that).
    while ticks[-1] < high - step * 1e-9 and len(ticks) < 4 * count:
        ticks.append(round(first + len(ticks) * step, 12))
    return ticks


def line_chart(series: Sequence[Series], *, title: str, x_label: str, y_label: str) -> str:
    """An SVG line chart; series without points are left out, and no series at all gives an empty string."""
    drawn = [Series(s.name, thin([p for p in s.points if _finite(p)])) for s in series]
    drawn = [s for s in drawn if s.points]
    if not drawn:
        return ""
    xs = [x for s in drawn for x, _ in s.points]
    ys = [y for s in drawn for _, y in s.points]
    x_ticks, y_ticks = nice_ticks(min(xs), max(xs)), nice_ticks(min(ys), max(ys))
    x0, x1, y0, y1 = x_ticks[0], x_ticks[-1], y_ticks[0], y_ticks[-1]

    def sx(x: float) -> float:
        return LEFT + (x - x0) / ((x1 - x0) or 1) * (WIDTH - LEFT - RIGHT)

    def sy(y: float) -> float:
        return HEIGHT - BOTTOM - (y - y0) / ((y1 - y0) or 1) * (HEIGHT - TOP - BOTTOM)

    parts = [_frame(title)]
    for y in y_ticks:
        parts.append(
            f'<line x1="{LEFT}" x2="{WIDTH - RIGHT}" y1="{sy(y):.1f}" y2="{sy(y):.1f}" stroke="#eaeef2"/>'
            f'<text x="{LEFT - 6}" y="{sy(y) + 4:.1f}" text-anchor="end">{esc(number(y, 3))}</text>'
        )
    for x in x_ticks:
        parts.append(
            f'<text x="{sx(x):.1f}" y="{HEIGHT - BOTTOM + 16}" text-anchor="middle">{esc(number(x, 4))}</text>'
        )
    parts.append(
        f'<text x="{(LEFT + WIDTH - RIGHT) / 2}" y="{HEIGHT - 6}" text-anchor="middle">{esc(x_label)}</text>'
        f'<text transform="translate(14 {(TOP + HEIGHT - BOTTOM) / 2}) rotate(-90)" text-anchor="middle">'
        f"{esc(y_label)}</text>"
    )
    for index, item in enumerate(drawn):
        color = COLORS[index % len(COLORS)]
        d = " ".join(f"{'M' if i == 0 else 'L'}{sx(x):.1f} {sy(y):.1f}" for i, (x, y) in enumerate(item.points))
        parts.append(
            f'<path class="series" data-series="{esc(item.name)}" data-points="{len(item.points)}" d="{d}" '
            f'fill="none" stroke="{color}" stroke-width="2"/>'
        )
        if len(item.points) <= MARKER_LIMIT:
            parts.extend(f'<circle cx="{sx(x):.1f}" cy="{sy(y):.1f}" r="3" fill="{color}"/>' for x, y in item.points)
    parts.append(_legend([s.name for s in drawn]))
    return _svg(title, "".join(parts), HEIGHT)


def bar_chart(
    categories: Sequence[str], groups: Sequence[Series], *, title: str, value_label: str, maximum: float = 1.0
) -> str:
    """Horizontal grouped bars, one row per category and one bar per group (each group's points are
    (category index, value)). Horizontal, so long category names stay readable on a phone."""
    if not categories or not groups:
        return ""
    bar, gap = 18, 10
    row = bar * len(groups) + gap
    height = TOP + row * len(categories) + BOTTOM
    left, right = LABEL_WIDTH, WIDTH - RIGHT - 48
    top = max(maximum, max((v for g in groups for _, v in g.points if math.isfinite(v)), default=0.0)) or 1.0

    parts = [_frame(title)]
    for index, category in enumerate(categories):
        y = TOP + index * row
        name = category if len(category) <= LABEL_CHARS else f"{category[: LABEL_CHARS - 1]}…"
        parts.append(f'<text x="{left - 6}" y="{y + row / 2:.1f}" text-anchor="end">{esc(name)}</text>')
    for g_index, group in enumerate(groups):
        color = COLORS[g_index % len(COLORS)]
        for c_index, value in group.points:
            if not math.isfinite(value):
                continue
            y = TOP + int(c_index) * row + g_index * bar
            width = max(0.0, value) / top * (right - left)
            parts.append(
                f'<rect class="bar" data-series="{esc(group.name)}" x="{left}" y="{y}" width="{width:.1f}" '
                f'height="{bar - 2}" fill="{color}"/>'
                f'<text x="{left + width + 4:.1f}" y="{y + bar - 5}">{esc(number(value, 3))}</text>'
            )
    parts.append(
        f'<text x="{(left + right) / 2}" y="{height - 14}" text-anchor="middle">{esc(value_label)}</text>'
        + _legend([g.name for g in groups])
    )
    return _svg(title, "".join(parts), height)


def _finite(point: tuple[float, float]) -> bool:
    return all(isinstance(v, int | float) and math.isfinite(v) for v in point)


def _frame(title: str) -> str:
    return f'<text x="{LEFT}" y="18" font-weight="600">{esc(title)}</text>'


def _legend(names: Sequence[str], *, y: int = 34) -> str:
    """Swatches and names left to right on their own row, under the title (or under the bars)."""
    items = []
    x = LEFT
    for index, name in enumerate(names):
        color = COLORS[index % len(COLORS)]
        items.append(
            f'<rect x="{x}" y="{y - 10}" width="10" height="10" fill="{color}"/>'
            f'<text x="{x + 14}" y="{y}">{esc(name)}</text>'
        )
        x += 28 + int(CHAR_WIDTH * len(name))
    return "".join(items)


def _svg(title: str, inner: str, height: int) -> str:
    return (
        f'<svg viewBox="0 0 {WIDTH} {height}" role="img" aria-label="{esc(title)}" '
        f'font-size="{FONT_SIZE}" font-family="system-ui,sans-serif" fill="#1b1f24">{inner}</svg>'
    )
