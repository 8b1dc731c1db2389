"""Delimited text tables (CSV, TSV, semicolon or pipe separated): the delimiter of a header line, and whether the
first lines of a file are such a table.

`convert --from csv` reads tables with the sniffed delimiter; shape detection (`shapes.py`) uses `table_header`
to tell a table that was passed to `validate` from prose, so the report can name the conversion that fits.
"""

from __future__ import annotations

import csv
import re

# Delimiters a table may use; the one found most often in the header line wins.
DELIMITERS = (",", "\t", ";", "|")
DELIMITER_NAMES = {",": "comma", "\t": "tab", ";": "semicolon", "|": "pipe"}
# Share of the data rows that must have as many cells as the header for the lines to count as a table.
_SAME_WIDTH = 0.8
_MIN_DATA_ROWS = 2
_QUOTED = re.compile(r'"[^"]*"')


def sniff_delimiter(head: bytes) -> str:
    """The delimiter of a table from its header line: the candidate found most often outside quotes (comma
    when there is none)."""
    first = head.lstrip(b"\xef\xbb\xbf").split(b"\n", 1)[0].decode("utf-8", "replace")
    return header_delimiter(first) or ","


def header_delimiter(line: str) -> str | None:
    """The delimiter found most often outside quotes in one line, or None when it has none."""
    unquoted = _QUOTED.sub("", line)
    counts = {d: unquoted.count(d) for d in DELIMITERS}
    best = max(DELIMITERS, key=lambda d: counts[d])
    return best if counts[best] else None


def table_header(lines: list[str], *, complete: bool) -> tuple[str, list[str]] | None:
    """(delimiter, column names) when `lines` (the first lines of a file, with their line endings) are a table
    with a header: a delimiter in the first line, at least two named columns, and most data rows as wide as the
    header. `complete` says the lines are the whole file; otherwise the last row may be cut and is not judged."""
    if not lines:
        return None
    header = lines[0].lstrip("\ufeff")
    delimiter = header_delimiter(header)
    if delimiter is None:
        return None
    try:
        rows = list(csv.reader([header, *lines[1:]], delimiter=delimiter))
    except csv.Error:
        return None
    if not complete and len(rows) > 1:
        rows = rows[:-1]
    columns = [cell.strip() for cell in rows[0]]
    if len(columns) < 2 or not all(columns):
        return None
    data = [row for row in rows[1:] if any(cell.strip() for cell in row)]
    if len(data) < _MIN_DATA_ROWS:
        return None
    same = sum(1 for row in data if len(row) == len(columns))
    return (delimiter, columns) if same >= _SAME_WIDTH * len(data) else None
