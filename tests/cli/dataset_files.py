"""Dataset files as users have them: a BOM, CRLF line ends, or one pretty-printed JSON array."""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any


def write(path: Path, records: list[Any], *, bom: bool = True, crlf: bool = True, array: bool = False) -> Path:
    newline = "\r\n" if crlf else "\n"
    if array:
        text = json.dumps(records, ensure_ascii=False, indent=2)
    else:
        text = newline.join(json.dumps(r, ensure_ascii=False) for r in records) + newline
    path.write_bytes((b"\xef\xbb\xbf" if bom else b"") + text.encode())
    return path
