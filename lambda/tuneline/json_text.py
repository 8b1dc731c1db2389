"""`json.loads` for files people write (manifests, markers, model configs), where nesting too deep is a JSON
error like any other.

Python's parser recurses once per nested array or object and raises RecursionError past the interpreter's
limit (a file of ten thousand "["s does it). That is not a crash of the step: it is a file that is not the JSON
it should be, reported with its name like any other syntax error.
"""

from __future__ import annotations

import json
from typing import Any

NESTED_TOO_DEEPLY = "nested too deeply (arrays or objects inside each other beyond any real document)"


def loads(text: str, **options: Any) -> Any:
    """`json.loads(text, **options)`; nesting too deep raises json.JSONDecodeError at the first character."""
    try:
        return json.loads(text, **options)
    except RecursionError:
        raise json.JSONDecodeError(NESTED_TOO_DEEPLY, text, 0) from None
