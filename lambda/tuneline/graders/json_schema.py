"""A small JSON Schema validator for the `jsonSchema` grader: the keywords answers are usually checked with.

The Lambda asset carries no third-party packages (docs/decisions/0003-one-runtime-package.md), so this covers
the common subset of draft 2020-12 and `check_schema` refuses, at synth time, a schema that uses any other
keyword rather than ignoring it. Tests compare it with the `jsonschema` library on the same schemas.
"""

from __future__ import annotations

import re
from typing import Any

SUPPORTED_KEYWORDS = frozenset(
    {
        "$schema", "title", "description", "type", "enum", "const", "properties", "required",
        "additionalProperties", "items", "minItems", "maxItems", "minLength", "maxLength", "minimum", "maximum",
        "exclusiveMinimum", "exclusiveMaximum", "pattern", "anyOf", "allOf",
    }
)  # fmt: skip
_TYPES = ("object", "array", "string", "number", "integer", "boolean", "null")


def check_schema(schema: Any, where: str = "the schema") -> str | None:
    """None if `schema` uses only supported keywords in their documented shapes, else what is wrong."""
    if isinstance(schema, bool):
        return None
    if not isinstance(schema, dict):
        return f"{where} must be an object"
    unknown = sorted(set(schema) - SUPPORTED_KEYWORDS)
    if unknown:
        return (
            f"{where} uses {', '.join(unknown)}, which the built-in grader does not check; supported: "
            f"{', '.join(sorted(SUPPORTED_KEYWORDS))} (or use a grader of your own with type lambdaArn)"
        )
    kinds = schema.get("type")
    for kind in kinds if isinstance(kinds, list) else [kinds] if kinds is not None else []:
        if kind not in _TYPES:
            return f"{where} has type {kind!r}; use one of {', '.join(_TYPES)}"
    if "pattern" in schema:
        try:
            re.compile(schema["pattern"])
        except (re.error, TypeError):
            return f"{where} has a pattern that is not a regular expression"
    children: list[tuple[str, Any]] = [
        (f"{where}.properties.{name}", sub) for name, sub in (schema.get("properties") or {}).items()
    ]
    for name in ("items", "additionalProperties"):
        if isinstance(schema.get(name), dict):
            children.append((f"{where}.{name}", schema[name]))
    for name in ("anyOf", "allOf"):
        children.extend((f"{where}.{name}[{i}]", sub) for i, sub in enumerate(schema.get(name) or []))
    for child_where, child in children:
        problem = check_schema(child, child_where)
        if problem:
            return problem
    return None


def validate(document: Any, schema: Any, where: str = "$") -> str | None:
    """None if `document` fits `schema`, else the first place it does not."""
    if schema is True:
        return None
    if schema is False:
        return f"{where} is not allowed"
    kinds = schema.get("type")
    if kinds is not None:
        allowed = kinds if isinstance(kinds, list) else [kinds]
        if not any(_is_type(document, kind) for kind in allowed):
            return f"{where} should be {' or '.join(allowed)}"
    if "const" in schema and not _equal(document, schema["const"]):
        return f"{where} should be {schema['const']!r}"
    if "enum" in schema and not any(_equal(document, option) for option in schema["enum"]):
        return f"{where} should be one of {schema['enum']!r}"
    problem = _check_object(document, schema, where) or _check_array(document, schema, where)
    problem = problem or _check_string(document, schema, where) or _check_number(document, schema, where)
    if problem:
        return problem
    for sub in schema.get("allOf", []):
        problem = validate(document, sub, where)
        if problem:
            return problem
    if "anyOf" in schema and all(validate(document, sub, where) for sub in schema["anyOf"]):
        return f"{where} fits none of anyOf"
    return None


def _check_object(document: Any, schema: dict[str, Any], where: str) -> str | None:
    if not isinstance(document, dict):
        return None
    for name in schema.get("required", []):
        if name not in document:
            return f"{where}.{name} is required"
    properties = schema.get("properties", {})
    extra = schema.get("additionalProperties", True)
    for name, value in document.items():
        if name in properties:
            problem = validate(value, properties[name], f"{where}.{name}")
        else:
            problem = validate(value, extra, f"{where}.{name}")
        if problem:
            return problem
    return None


def _check_array(document: Any, schema: dict[str, Any], where: str) -> str | None:
    if not isinstance(document, list):
        return None
    if "minItems" in schema and len(document) < schema["minItems"]:
        return f"{where} should have at least {schema['minItems']} items"
    if "maxItems" in schema and len(document) > schema["maxItems"]:
        return f"{where} should have at most {schema['maxItems']} items"
    if "items" in schema:
        for index, item in enumerate(document):
            problem = validate(item, schema["items"], f"{where}[{index}]")
            if problem:
                return problem
    return None


def _check_string(document: Any, schema: dict[str, Any], where: str) -> str | None:
    if not isinstance(document, str):
        return None
    if "minLength" in schema and len(document) < schema["minLength"]:
        return f"{where} should have at least {schema['minLength']} characters"
    if "maxLength" in schema and len(document) > schema["maxLength"]:
        return f"{where} should have at most {schema['maxLength']} characters"
    if "pattern" in schema and re.search(schema["pattern"], document) is None:
        return f"{where} should match {schema['pattern']!r}"
    return None


def _check_number(document: Any, schema: dict[str, Any], where: str) -> str | None:
    if not _is_type(document, "number"):
        return None
    if "minimum" in schema and document < schema["minimum"]:
        return f"{where} should be at least {schema['minimum']}"
    if "maximum" in schema and document > schema["maximum"]:
        return f"{where} should be at most {schema['maximum']}"
    if "exclusiveMinimum" in schema and document <= schema["exclusiveMinimum"]:
        return f"{where} should be more than {schema['exclusiveMinimum']}"
    if "exclusiveMaximum" in schema and document >= schema["exclusiveMaximum"]:
        return f"{where} should be less than {schema['exclusiveMaximum']}"
    return None


def _is_type(value: Any, kind: str) -> bool:
    if kind == "integer":
        return (isinstance(value, int) and not isinstance(value, bool)) or (
            isinstance(value, float) and value.is_integer()
        )
    if kind == "number":
        return isinstance(value, int | float) and not isinstance(value, bool)
    expected = {"object": dict, "array": list, "string": str, "boolean": bool, "null": type(None)}[kind]
    return isinstance(value, expected)


def _equal(left: Any, right: Any) -> bool:
    """JSON equality: 1 == 1.0, but true is not 1."""
    if isinstance(left, bool) or isinstance(right, bool):
        return type(left) is type(right) and left == right
    if isinstance(left, list) and isinstance(right, list):
        return len(left) == len(right) and all(_equal(a, b) for a, b in zip(left, right, strict=True))
    if isinstance(left, dict) and isinstance(right, dict):
        return left.keys() == right.keys() and all(_equal(left[k], right[k]) for k in left)
    return bool(left == right)
