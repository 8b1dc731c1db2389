"""The building blocks every page shares: escaping, number formats, tables and the page shell.

One stylesheet for the job page and the leaderboard, written for a phone first: the page never scrolls
sideways (wide tables scroll inside their own box, long ARNs and URIs wrap anywhere).
"""

from __future__ import annotations

import html
import math
from collections.abc import Iterable, Sequence
from typing import Any

STYLE = """
*{box-sizing:border-box}
body{margin:0;font:15px/1.45 system-ui,-apple-system,"Segoe UI",Roboto,sans-serif;color:#1b1f24;background:#f6f7f9}
main{max-width:980px;margin:0 auto;padding:12px}
h1{font-size:1.35em;margin:.3em 0;overflow-wrap:anywhere}
h2{font-size:1.1em;margin:0 0 .5em}
section{background:#fff;border:1px solid #dde1e6;border-radius:8px;padding:12px;margin:12px 0}
.verdict{border-left:6px solid #888}
.ok{border-left-color:#1a7f37}.bad{border-left-color:#cf222e}.warn{border-left-color:#bf8700}
.badge{display:inline-block;padding:1px 8px;border-radius:10px;font-size:.85em;font-weight:600;color:#fff;
background:#57606a}
.badge.ok{background:#1a7f37}.badge.bad{background:#cf222e}.badge.warn{background:#9a6700}
.figures{display:grid;grid-template-columns:repeat(auto-fit,minmax(140px,1fr));gap:8px}
.figure{background:#f6f8fa;border-radius:6px;padding:8px}
.figure b{display:block;font-size:1.25em}
.figure span{font-size:.8em;color:#57606a}
.scroll{overflow-x:auto;max-width:100%}
table{border-collapse:collapse;width:100%;font-size:.9em}
th,td{text-align:left;padding:4px 6px;border-bottom:1px solid #eaeef2;vertical-align:top}
td.n,th.n{text-align:right;font-variant-numeric:tabular-nums;white-space:nowrap}
.wrap,.wrap code,.pairs td{overflow-wrap:anywhere;word-break:break-word}
table.pairs{table-layout:fixed}
.pairs th{width:38%;font-weight:600}
pre{white-space:pre-wrap;overflow-wrap:anywhere;background:#f6f8fa;padding:8px;border-radius:6px;font-size:.85em}
svg{width:100%;height:auto;display:block}
.muted{color:#57606a}
ul{padding-left:1.2em;margin:.3em 0}
tr.best td{background:#dafbe1;font-weight:600}
.filters{display:flex;flex-wrap:wrap;gap:6px;margin:0 0 8px}
.filters a{padding:2px 8px;border:1px solid #d0d7de;border-radius:12px;text-decoration:none;color:#0969da}
th a{color:inherit}
"""

MISSING = "\N{EN DASH}"  # a value the run never produced


def esc(value: Any) -> str:
    return html.escape("" if value is None else str(value), quote=True)


def number(value: Any, digits: int = 4) -> str:
    """A measured value with `digits` significant figures, or a dash when there is none."""
    if isinstance(value, bool) or not isinstance(value, int | float) or not math.isfinite(value):
        return MISSING
    if isinstance(value, int):
        return f"{value:,}"
    return f"{value:,.{digits}g}" if abs(value) >= 1 else f"{value:.{digits}g}"


def money(value: Any) -> str:
    if isinstance(value, bool) or not isinstance(value, int | float):
        return MISSING
    return f"${value:,.2f}"


def duration(seconds: Any) -> str:
    if not isinstance(seconds, int | float) or seconds < 0:
        return MISSING
    if seconds < 60:
        return f"{seconds:.1f} s"
    minutes, rest = divmod(round(seconds), 60)
    if minutes < 60:
        return f"{minutes} min {rest} s"
    hours, minutes = divmod(minutes, 60)
    return f"{hours} h {minutes} min"


def table(headers: Sequence[str], rows: Iterable[Sequence[str]], *, numeric: Sequence[int] = ()) -> str:
    """A table whose cells are already HTML; columns listed in `numeric` are right-aligned."""
    head = "".join(f"<th{' class=n' if i in numeric else ''}>{esc(h)}</th>" for i, h in enumerate(headers))
    body = "".join(
        "<tr>" + "".join(f"<td{' class=n' if i in numeric else ''}>{cell}</td>" for i, cell in enumerate(row)) + "</tr>"
        for row in rows
    )
    return f'<div class="scroll"><table><thead><tr>{head}</tr></thead><tbody>{body}</tbody></table></div>'


def pairs(items: Iterable[tuple[str, str]]) -> str:
    """A two-column table of labels and (HTML) values, rows without a value left out."""
    rows = [(f"<th>{esc(label)}</th>", value) for label, value in items if value and value != MISSING]
    body = "".join(f"<tr>{label}<td class=wrap>{value}</td></tr>" for label, value in rows)
    return f'<div class="scroll"><table class="pairs"><tbody>{body}</tbody></table></div>' if rows else ""


def section(title: str, body: str, *, section_id: str, css: str = "") -> str:
    if not body:
        return ""
    klass = f' class="{css}"' if css else ""
    return f'<section id="{esc(section_id)}"{klass}><h2>{esc(title)}</h2>{body}</section>'


def page(title: str, body: str) -> str:
    return (
        "<!DOCTYPE html>\n"
        '<html lang="en"><head><meta charset="utf-8">'
        '<meta name="viewport" content="width=device-width,initial-scale=1">'
        f"<title>{esc(title)}</title><style>{STYLE}</style></head>"
        f"<body><main>{body}</main></body></html>\n"
    )
