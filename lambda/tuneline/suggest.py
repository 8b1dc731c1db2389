"""Suggestions ("did you mean ...?") for names a person typed: settings keys, model ids, columns."""

from __future__ import annotations

import difflib
from collections.abc import Iterable

# High enough that unrelated names stay quiet, low enough for a swapped, missing or extra letter.
_CUTOFF = 0.75


def close_match(name: str, choices: Iterable[str]) -> str | None:
    """The choice `name` most likely meant (case and '_'/'-' ignored), or None when nothing is close."""
    by_fold: dict[str, str] = {}
    for choice in choices:
        by_fold.setdefault(_fold(choice), choice)
    folded = _fold(name)
    if folded in by_fold:
        return by_fold[folded]
    close = difflib.get_close_matches(folded, list(by_fold), n=1, cutoff=_CUTOFF)
    return by_fold[close[0]] if close else None


def did_you_mean(name: str, choices: Iterable[str]) -> str:
    """'did you mean 'x'? ' (with a trailing space, to prefix a sentence) or ''."""
    match = close_match(name, choices)
    return f"did you mean {match!r}? " if match else ""


def _fold(name: str) -> str:
    return name.casefold().replace("_", "").replace("-", "")
