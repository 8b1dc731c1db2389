"""Small readers for values AWS hands over: S3 URIs, and fields that arrive in camelCase or PascalCase."""

from __future__ import annotations

import re
from collections.abc import Mapping
from typing import Any


def split_s3_uri(uri: str) -> tuple[str, str]:
    """`s3://bucket/a/b` -> ("bucket", "a/b")."""
    without_scheme = uri.removeprefix("s3://")
    bucket, _, prefix = without_scheme.partition("/")
    return bucket, prefix


def lookup(data: Mapping[str, Any] | None, name: str) -> Any:
    """A field by its camelCase name, also found in PascalCase (AWS SDK integrations and `.sync` results in
    Step Functions)."""
    if not data:
        return None
    if name in data:
        return data[name]
    pascal = name[:1].upper() + name[1:]
    return data.get(pascal)


# A Catch into a failure alert writes the error at `$.caught.<state key>`: the key is the failing state's name,
# so the alert names the state from the error itself instead of guessing it from what the state lacks. Result
# paths take plain field names: a space becomes "_" and any other character but ASCII letters and digits
# "__<hex code>__", which reads back exactly (tests/infra/test_retry_and_catch.py checks every catch).
CAUGHT_ERRORS_FIELD = "caught"
_ENCODED_CHARACTER = re.compile(r"__([0-9a-f]{2,6})__")


def caught_error_key(state_name: str) -> str:
    return "".join(
        char if char.isascii() and char.isalnum() else "_" if char == " " else f"__{ord(char):x}__"
        for char in state_name
    )


def caught_error_path(state_name: str) -> str:
    """The Catch ResultPath that records an error of `state_name` under its name."""
    return f"$.{CAUGHT_ERRORS_FIELD}.{caught_error_key(state_name)}"


def state_name_of_key(key: str) -> str:
    parts = _ENCODED_CHARACTER.split(key)
    # split() alternates plain text and captured hex codes.
    return "".join(chr(int(part, 16)) if index % 2 else part.replace("_", " ") for index, part in enumerate(parts))


def caught_error(state: Mapping[str, Any]) -> tuple[str | None, Mapping[str, Any]]:
    """(the state that failed, its {Error, Cause}) from a workflow state that reached a failure alert.

    An error a state wrote at `$.error` itself (a Pass that turns a job status into an error) has no state
    name: None.
    """
    caught = state.get(CAUGHT_ERRORS_FIELD)
    if isinstance(caught, Mapping) and caught:
        key, error = list(caught.items())[-1]
        return state_name_of_key(str(key)), error if isinstance(error, Mapping) else {}
    error = state.get("error")
    return None, error if isinstance(error, Mapping) else {}
