"""Just enough IAM policy evaluation to ask a resource policy's Deny statements what they refuse.

moto does not enforce bucket or queue policies, so the template tests evaluate the rendered statements
themselves: references are rendered the way `tests.infra.synth.render` prints them (`ATT_<id>_Arn`), and the
request context is a dict of condition keys. Only what the template uses is implemented; anything else fails
loudly rather than evaluating wrongly.
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping
from fnmatch import fnmatchcase
from typing import Any

from tests.infra.synth import render

_OPERATORS = {"StringEquals", "StringNotEquals", "StringLike", "ArnEquals", "ArnNotEquals", "ArnLike", "ArnNotLike"}


def as_list(value: Any) -> list[Any]:
    return value if isinstance(value, list) else [value]


def denies(
    statements: Iterable[Mapping[str, Any]], *, action: str, resource: str, context: Mapping[str, str]
) -> list[str]:
    """The Sids (or indexes) of the Deny statements that refuse `action` on `resource` in `context`."""
    refusing = []
    for index, statement in enumerate(statements):
        if statement["Effect"] != "Deny":
            continue
        actions = as_list(statement["Action"])
        if not any(fnmatchcase(action, pattern) for pattern in actions):
            continue
        if not any(fnmatchcase(resource, render(pattern)) for pattern in as_list(statement["Resource"])):
            continue
        if all(
            condition_holds(operator, key, expected, context)
            for operator, keys in statement.get("Condition", {}).items()
            for key, expected in keys.items()
        ):
            refusing.append(str(statement.get("Sid", index)))
    return refusing


def condition_holds(operator: str, key: str, expected: Any, context: Mapping[str, str]) -> bool:
    values = [render(value) for value in as_list(expected)]
    present = key in context
    if operator == "Null":
        return (not present) == (values == ["true"])
    if operator == "Bool":
        return present and context[key] in values
    base = operator.removesuffix("IfExists")
    if base not in _OPERATORS:
        raise NotImplementedError(f"condition operator {operator}")
    negated = "Not" in base
    if not present:
        # A missing key: IfExists makes the condition true; otherwise only a negated operator is true.
        return operator.endswith("IfExists") or negated
    like = base.endswith("Like")
    matched = any(fnmatchcase(context[key], v) if like else context[key] == v for v in values)
    return not matched if negated else matched
