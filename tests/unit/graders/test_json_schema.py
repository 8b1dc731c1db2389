"""The built-in JSON Schema subset agrees with the `jsonschema` library on the keywords it supports, and refuses
schemas with other keywords instead of ignoring them."""

from __future__ import annotations

from typing import Any

import jsonschema
import pytest
from hypothesis import given
from hypothesis import strategies as st

from tuneline.graders.json_schema import check_schema, validate

SCHEMAS: list[dict[str, Any]] = [
    {"type": "object", "required": ["a"], "properties": {"a": {"type": "integer", "minimum": 0, "maximum": 10}}},
    {"type": "object", "additionalProperties": False, "properties": {"a": {"type": "string", "minLength": 2}}},
    {"type": "array", "items": {"type": ["number", "null"]}, "minItems": 1, "maxItems": 3},
    {"enum": [1, "one", None, True]},
    {"const": {"x": [1, 2]}},
    {"type": "string", "pattern": "^[a-z]+$", "maxLength": 5},
    {"anyOf": [{"type": "string"}, {"type": "number", "exclusiveMinimum": 0}]},
    {"allOf": [{"type": "number"}, {"exclusiveMaximum": 3}]},
    {"type": "object", "additionalProperties": {"type": "boolean"}},
]
JSON = st.recursive(
    st.none() | st.booleans() | st.integers(-20, 20) | st.floats(-20, 20, allow_nan=False) | st.text(max_size=6),
    lambda children: st.lists(children, max_size=4) | st.dictionaries(st.sampled_from("abx"), children, max_size=3),
    max_leaves=8,
)


@pytest.mark.parametrize("schema", SCHEMAS)
@given(document=JSON)
def test_agrees_with_the_jsonschema_library(schema: dict[str, Any], document: Any) -> None:
    expected = jsonschema.Draft202012Validator(schema).is_valid(document)
    assert (validate(document, schema) is None) == expected


def test_every_example_schema_is_accepted_and_other_keywords_are_refused() -> None:
    assert all(check_schema(schema) is None for schema in SCHEMAS)
    problem = check_schema({"type": "object", "properties": {"a": {"oneOf": [{"type": "string"}]}}})
    assert problem is not None and "oneOf" in problem and "properties.a" in problem
    assert "type 'text'" in (check_schema({"type": "text"}) or "")
