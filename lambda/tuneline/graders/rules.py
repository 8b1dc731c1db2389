"""Rule-based graders (RLVR, docs/bedrock.md §13): each scores one answer against the record's reference
answer from 0.0 to 1.0 and says why.

A scorer raises `GradingError` when the answer cannot be graded at all (not JSON where JSON is asked for, no
number found); the contract turns that into a score of 0 with the reason logged, so one bad answer never fails
the training job.
"""

from __future__ import annotations

import json
import math
import re
from collections.abc import Callable, Mapping
from dataclasses import dataclass
from typing import Any

from tuneline.graders.json_schema import validate

# The last number in a text: optional sign, thousands separators, decimals, exponent.
_NUMBER = re.compile(r"[-+]?(?:\d{1,3}(?:,\d{3})+|\d+)(?:\.\d+)?(?:[eE][-+]?\d+)?|[-+]?\.\d+")
_PATH_PART = re.compile(r"([^.\[\]]+)|\[(\d+)\]")
# A JSON answer wrapped in a Markdown code fence, as models often write it.
_FENCE = re.compile(r"```(?:json)?\s*(.*?)```", re.DOTALL)


class GradingError(ValueError):
    """The answer (or the record) cannot be graded; the score is 0 and this is the reason."""


@dataclass(frozen=True)
class Score:
    value: float
    reason: str


def score_answer(kind: str, options: Mapping[str, Any], answer: str, reference: Any) -> Score:
    """Score `answer` with the rule grader `kind` (one of `spec.RULE_GRADERS`)."""
    return _SCORERS[kind](options, answer, reference)


def _exact(options: Mapping[str, Any], answer: str, reference: Any) -> Score:
    expected = reference_text(reference, options.get("referenceField"))
    same = _normalize(answer, options) == _normalize(expected, options)
    return Score(1.0 if same else 0.0, "matches the reference" if same else "differs from the reference")


def _regex(options: Mapping[str, Any], answer: str, reference: Any) -> Score:
    flags = 0 if options.get("caseSensitive", False) else re.IGNORECASE
    matches = list(re.finditer(options["pattern"], answer, flags))
    if not matches:
        raise GradingError(f"the answer has no match for {options['pattern']!r}")
    last = matches[-1]
    found = last.group(1) if last.re.groups else last.group(0)
    expected = reference_text(reference, options.get("referenceField"))
    same = _normalize(found or "", options) == _normalize(expected, options)
    return Score(1.0 if same else 0.0, f"extracted {found!r}, reference {expected!r}")


def _numeric(options: Mapping[str, Any], answer: str, reference: Any) -> Score:
    expected = _number(reference_text(reference, options.get("referenceField")), "the reference answer")
    pattern = options.get("pattern")
    if pattern:
        matches = list(re.finditer(pattern, answer))
        if not matches:
            raise GradingError(f"the answer has no match for {pattern!r}")
        last = matches[-1]
        text = last.group(1) if last.re.groups else last.group(0)
    else:
        numbers = _NUMBER.findall(answer)
        if not numbers:
            raise GradingError("the answer has no number")
        text = numbers[-1]
    found = _number(text, "the answer")
    tolerance = float(options.get("tolerance", 0.0))
    if options.get("relative", False):
        tolerance *= abs(expected)
    close = math.isclose(found, expected, rel_tol=0.0, abs_tol=tolerance) or found == expected
    return Score(1.0 if close else 0.0, f"answer {found:g}, reference {expected:g}, tolerance {tolerance:g}")


def _json_field(options: Mapping[str, Any], answer: str, reference: Any) -> Score:
    path = parse_path(options["path"])
    document = parse_json_answer(answer)
    found = value_at(document, path)
    if found is _MISSING:
        raise GradingError(f"the answer's JSON has no {options['path']!r}")
    if "expected" in options:
        expected = options["expected"]
    else:
        # The reference holds the same path when it is an object like the answer, else it is the value itself.
        at = value_at(reference, path) if isinstance(reference, dict | list) else _MISSING
        expected = reference if at is _MISSING else at
    same = _same_value(found, expected)
    return Score(1.0 if same else 0.0, f"{options['path']} is {found!r}, expected {expected!r}")


def _json_schema(options: Mapping[str, Any], answer: str, reference: Any) -> Score:
    document = parse_json_answer(answer)
    problem = validate(document, options["schema"])
    return Score(0.0, f"the JSON does not fit the schema: {problem}") if problem else Score(1.0, "fits the schema")


_SCORERS: dict[str, Callable[[Mapping[str, Any], str, Any], Score]] = {
    "exact": _exact,
    "regex": _regex,
    "numeric": _numeric,
    "jsonField": _json_field,
    "jsonSchema": _json_schema,
}


def reference_text(reference: Any, field: str | None) -> str:
    """The reference answer as text: a string as is; from an object, `field`, or its one value."""
    if isinstance(reference, str):
        return reference
    if isinstance(reference, dict):
        if field is not None:
            if field not in reference:
                raise GradingError(f"the reference answer has no field {field!r}")
            return _as_text(reference[field])
        if len(reference) == 1:
            return _as_text(next(iter(reference.values())))
        raise GradingError(
            f"the reference answer has fields {', '.join(sorted(reference))}: set referenceField to choose one"
        )
    if isinstance(reference, int | float) and not isinstance(reference, bool):
        return _as_text(reference)
    raise GradingError("the record has no reference answer")


def parse_json_answer(answer: str) -> Any:
    """The JSON value an answer holds: the whole text, or the first fenced code block."""
    text = answer.strip()
    fenced = _FENCE.search(text)
    for candidate in (text, fenced.group(1).strip() if fenced else None):
        if candidate:
            try:
                return json.loads(candidate)
            except ValueError:
                continue
    raise GradingError("the answer is not JSON")


_MISSING = object()


def parse_path(path: str) -> tuple[str | int, ...]:
    """`a.b[0].c` -> ("a", "b", 0, "c"). Raises ValueError for an empty or malformed path."""
    if not isinstance(path, str) or not path.strip():
        raise ValueError("must be a path like answer.value or items[0].name")
    parts: list[str | int] = []
    position = 0
    text = path.strip()
    while position < len(text):
        if text[position] == "." and parts:
            position += 1
        match = _PATH_PART.match(text, position)
        if match is None:
            raise ValueError(f"{path!r} is not a path like answer.value or items[0].name")
        parts.append(match.group(1) if match.group(1) is not None else int(match.group(2)))
        position = match.end()
    return tuple(parts)


def value_at(document: Any, path: tuple[str | int, ...]) -> Any:
    current = document
    for part in path:
        in_list = isinstance(part, int) and isinstance(current, list) and part < len(current)
        in_object = isinstance(part, str) and isinstance(current, dict) and part in current
        if not (in_list or in_object):
            return _MISSING
        current = current[part]
    return current


def _same_value(found: Any, expected: Any) -> bool:
    """JSON equality (1 == 1.0, but true is not 1); text compared with its spacing collapsed."""
    if isinstance(found, bool) or isinstance(expected, bool):
        return type(found) is type(expected) and found == expected
    if isinstance(found, int | float) and isinstance(expected, int | float):
        return float(found) == float(expected)
    if isinstance(found, str) and isinstance(expected, str):
        return " ".join(found.split()) == " ".join(expected.split())
    return bool(found == expected)


def _normalize(text: str, options: Mapping[str, Any]) -> str:
    collapsed = " ".join(text.split())
    return collapsed if options.get("caseSensitive", False) else collapsed.casefold()


def _number(text: str, what: str) -> float:
    try:
        value = float(text.replace(",", "").replace("$", "").strip())
    except ValueError:
        raise GradingError(f"{what} {text!r} is not a number") from None
    if not math.isfinite(value):
        raise GradingError(f"{what} {text!r} is not a finite number")
    return value


def _as_text(value: Any) -> str:
    return value if isinstance(value, str) else json.dumps(value)
