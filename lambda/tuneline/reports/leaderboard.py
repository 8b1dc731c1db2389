"""The leaderboard, `reports/leaderboard.json` and `reports/leaderboard.html`: one row per job, every profile.

`leaderboard_row` turns a run record into a row, `merge_row` puts it into the board (a job that ends again
replaces its row), `best_per_profile` picks the row to highlight and `render_leaderboard` draws the page. The
page sorts by any column and filters by profile with a few lines of inline script; without script it still
shows every row, grouped by profile with the best first.
"""

from __future__ import annotations

import json
from collections.abc import Mapping, Sequence
from typing import Any

from tuneline.reports import record as rec
from tuneline.reports.html import MISSING, esc, money, number, page

BOARD_VERSION = 1
REPORT_PAGE_NAME = "report.html"


def leaderboard_row(record: Mapping[str, Any]) -> dict[str, Any]:
    plan = rec.part(record, "plan")
    metrics = rec.metrics(record)
    comparison, gate = rec.comparison(record), rec.gate(record)
    job = str(record["jobName"])
    return {
        "jobName": job,
        "profile": record.get("profile") or plan.get("profile"),
        "baseModel": plan.get("baseModelIdentifier"),
        "customizationType": plan.get("customizationType"),
        "hyperParameters": rec.hyperparameters(record),
        "records": rec.part(record, "validation").get("records")
        or rec.part(rec.part(record, "validationReport"), "stats").get("records"),
        "finalTrainingLoss": metrics.get("finalTrainingLoss"),
        "finalValidationLoss": metrics.get("finalValidationLoss"),
        "evaluationMetric": comparison.get("metric"),
        "evaluationScore": comparison.get("candidateMean"),
        "evaluationDelta": comparison.get("delta"),
        "gatePassed": gate.get("passed") if gate else None,
        "estimatedCostUsd": rec.part(record, "estimate").get("estimatedCostUsd"),
        "status": record.get("outcome"),
        "endedAt": record.get("endedAt"),
        "report": f"{job}/{REPORT_PAGE_NAME}",
        "customModelArn": rec.custom_model_arn(record),
    }


def empty_board() -> dict[str, Any]:
    return {"version": BOARD_VERSION, "revision": 0, "rows": []}


def parse_board(text: str | bytes | None) -> dict[str, Any]:
    """The stored board, or an empty one when there is none yet or it cannot be read (it is rebuilt row by row)."""
    if not text:
        return empty_board()
    try:
        board = json.loads(text)
    except ValueError:
        return empty_board()
    if not isinstance(board, dict) or not isinstance(board.get("rows"), list):
        return empty_board()
    revision = board.get("revision")
    return {
        "version": BOARD_VERSION,
        "revision": revision if isinstance(revision, int) and not isinstance(revision, bool) else 0,
        "rows": [row for row in board["rows"] if isinstance(row, dict) and row.get("jobName")],
    }


def merge_row(board: Mapping[str, Any], row: Mapping[str, Any]) -> dict[str, Any]:
    """A new board with `row` in place of the job's earlier row (or added), newest first, one revision on."""
    rows = [r for r in board.get("rows") or [] if r.get("jobName") != row["jobName"]]
    rows.append(dict(row))
    rows.sort(key=lambda r: str(r.get("endedAt") or ""), reverse=True)
    return {"version": BOARD_VERSION, "revision": int(board.get("revision") or 0) + 1, "rows": rows}


def best_per_profile(rows: Sequence[Mapping[str, Any]]) -> dict[str, str]:
    """Profile -> job name of its best succeeded run.

    With evaluation scores, the highest score wins (scores only compare within one metric, so the profile's most
    used metric is ranked); otherwise the lowest final validation loss, then the lowest final training loss.
    """
    best: dict[str, str] = {}
    profiles = {str(r.get("profile")) for r in rows}
    for profile in sorted(profiles):
        done = [r for r in rows if str(r.get("profile")) == profile and r.get("status") == rec.SUCCEEDED]
        scored = [r for r in done if _is_number(r.get("evaluationScore"))]
        if scored:
            metrics = [str(r.get("evaluationMetric")) for r in scored]
            metric = max(set(metrics), key=metrics.count)
            same = [r for r in scored if str(r.get("evaluationMetric")) == metric]
            best[profile] = str(max(same, key=lambda r: float(r["evaluationScore"]))["jobName"])
            continue
        for key in ("finalValidationLoss", "finalTrainingLoss"):
            measured = [r for r in done if _is_number(r.get(key))]
            if measured:
                best[profile] = str(min(measured, key=lambda r: float(r[key]))["jobName"])
                break
    return best


def board_json(board: Mapping[str, Any]) -> str:
    return json.dumps(board, indent=1) + "\n"


COLUMNS = (
    "job",
    "profile",
    "base model",
    "type",
    "hyperparameters",
    "records",
    "training loss",
    "validation loss",
    "evaluation",
    "verdict",
    "est. cost",
    "status",
    "ended",
)
NUMERIC_COLUMNS = {5, 6, 7, 8, 10}

# Sorting by a header click and filtering by profile; numbers sort by their data-v value.
_SCRIPT = """
(function(){var t=document.getElementById('board'),b=t.tBodies[0],f=document.getElementById('profile');
function v(c){var x=c.getAttribute('data-v');return x===null?c.textContent:parseFloat(x)}
Array.prototype.forEach.call(t.tHead.rows[0].cells,function(h,i){h.style.cursor='pointer';h.onclick=function(){
var d=h.getAttribute('data-d')==='a'?'d':'a';h.setAttribute('data-d',d);var r=Array.prototype.slice.call(b.rows);
r.sort(function(p,q){var x=v(p.cells[i]),y=v(q.cells[i]);return (x<y?-1:x>y?1:0)*(d==='a'?1:-1)});
r.forEach(function(e){b.appendChild(e)})}});
f.onchange=function(){Array.prototype.forEach.call(b.rows,function(r){
r.style.display=!f.value||r.getAttribute('data-profile')===f.value?'':'none'})}})();
"""


def render_leaderboard(board: Mapping[str, Any]) -> str:
    rows = [r for r in board.get("rows") or [] if isinstance(r, Mapping)]
    best = best_per_profile(rows)
    profiles = sorted({str(r.get("profile")) for r in rows})
    ordered = sorted(rows, key=lambda r: (str(r.get("profile")), best.get(str(r.get("profile"))) != r.get("jobName")))
    head = "".join(f"<th{' class=n' if i in NUMERIC_COLUMNS else ''}>{esc(c)}</th>" for i, c in enumerate(COLUMNS))
    body = "".join(_row_html(r, best) for r in ordered)
    options = '<option value="">all profiles</option>' + "".join(
        f'<option value="{esc(p)}">{esc(p)}</option>' for p in profiles
    )
    content = (
        f"<section><h1>Tuneline leaderboard</h1><p class=muted>{len(rows)} run{'s' if len(rows) != 1 else ''} "
        f"in {len(profiles)} profile{'s' if len(profiles) != 1 else ''}; the best run of each profile is "
        "highlighted (highest evaluation score, else lowest validation loss, else lowest training loss). "
        "Click a column to sort.</p>"
        f'<p><label>Profile <select id="profile">{options}</select></label></p>'
        f'<div class="scroll"><table id="board"><thead><tr>{head}</tr></thead><tbody>{body}</tbody></table></div>'
        f"</section><script>{_SCRIPT}</script>"
    )
    return page("Tuneline leaderboard", content)


def _row_html(row: Mapping[str, Any], best: Mapping[str, str]) -> str:
    is_best = best.get(str(row.get("profile"))) == row.get("jobName")
    score = row.get("evaluationScore")
    evaluation = MISSING
    if _is_number(score):
        evaluation = f"{number(score)} {esc(row.get('evaluationMetric'))}"
        if _is_number(row.get("evaluationDelta")):
            evaluation += f" ({'+' if float(row['evaluationDelta']) > 0 else ''}{number(row['evaluationDelta'])})"
    gate = row.get("gatePassed")
    verdict = MISSING if gate is None else ("beats base" if gate else "gate not passed")
    hyper = ", ".join(f"{k}={v}" for k, v in sorted((row.get("hyperParameters") or {}).items()))
    cells = [
        f'<a href="{esc(row.get("report"))}"><code>{esc(row.get("jobName"))}</code></a>',
        esc(row.get("profile")),
        f"<code>{esc(row.get('baseModel'))}</code>",
        esc(row.get("customizationType")),
        f"<span class=wrap>{esc(hyper)}</span>",
        number(row.get("records")),
        number(row.get("finalTrainingLoss")),
        number(row.get("finalValidationLoss")),
        evaluation,
        esc(verdict),
        money(row.get("estimatedCostUsd")),
        esc(row.get("status")) + (" ★ best" if is_best else ""),
        esc(str(row.get("endedAt") or "")[:16].replace("T", " ")),
    ]
    sort_values = {
        5: "records",
        6: "finalTrainingLoss",
        7: "finalValidationLoss",
        8: "evaluationScore",
        10: "estimatedCostUsd",
    }
    tds = []
    for index, cell in enumerate(cells):
        attrs = " class=n" if index in NUMERIC_COLUMNS else ""
        key = sort_values.get(index)
        if key and _is_number(row.get(key)):
            attrs += f' data-v="{float(row[key])}"'
        tds.append(f"<td{attrs}>{cell}</td>")
    klass = ' class="best"' if is_best else ""
    return f'<tr{klass} data-profile="{esc(row.get("profile"))}">{"".join(tds)}</tr>'


def _is_number(value: Any) -> bool:
    return isinstance(value, int | float) and not isinstance(value, bool)
