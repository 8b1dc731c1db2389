"""The timeline of a run from its Step Functions execution history: each state entered, when, and how long it took."""

from __future__ import annotations

import datetime as dt
from collections.abc import Iterable, Mapping
from typing import Any

_ENTERED, _EXITED = "StateEntered", "StateExited"


def timeline(events: Iterable[Mapping[str, Any]]) -> list[dict[str, Any]]:
    """[{state, enteredAt, seconds}] in the order states were entered; `seconds` is None for a state still running.

    A state entered again (a retry loop, a polling loop) gets a row per visit; each exit closes the latest open
    visit of that state.
    """
    rows: list[dict[str, Any]] = []
    open_visits: dict[str, list[tuple[int, dt.datetime]]] = {}
    for event in events:
        kind = str(event.get("type") or "")
        details = _details(event, "stateEnteredEventDetails" if kind.endswith(_ENTERED) else "stateExitedEventDetails")
        when = _time(event.get("timestamp"))
        name = details.get("name")
        if not name or when is None:
            continue
        if kind.endswith(_ENTERED):
            open_visits.setdefault(str(name), []).append((len(rows), when))
            rows.append({"state": str(name), "enteredAt": _iso(when), "seconds": None})
        elif kind.endswith(_EXITED) and open_visits.get(str(name)):
            index, entered = open_visits[str(name)].pop()
            rows[index]["seconds"] = round((when - entered).total_seconds(), 3)
    return rows


def _details(event: Mapping[str, Any], key: str) -> Mapping[str, Any]:
    value = event.get(key)
    return value if isinstance(value, Mapping) else {}


def _time(value: Any) -> dt.datetime | None:
    if isinstance(value, dt.datetime):
        return value if value.tzinfo else value.replace(tzinfo=dt.UTC)
    if isinstance(value, int | float):
        return dt.datetime.fromtimestamp(value, dt.UTC)
    if isinstance(value, str):
        try:
            parsed = dt.datetime.fromisoformat(value.replace("Z", "+00:00"))
        except ValueError:
            return None
        return parsed if parsed.tzinfo else parsed.replace(tzinfo=dt.UTC)
    return None


def _iso(value: dt.datetime) -> str:
    return value.astimezone(dt.UTC).isoformat(timespec="seconds").replace("+00:00", "Z")
