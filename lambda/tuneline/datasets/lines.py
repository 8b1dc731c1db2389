"""Split a binary stream into numbered lines, in bounded memory.

Works on anything with `.read(n)`: an open local file, a botocore StreamingBody (S3 `get_object` Body) or a
BytesIO, so the CLI and the pipeline run the same code. A line longer than `max_line_bytes` is not kept in
memory: its first bytes are returned with `oversized=True` and the rest is skipped up to the next newline.
"""

from __future__ import annotations

from collections.abc import Callable, Iterator
from typing import Protocol

CHUNK_BYTES = 1024 * 1024
# No Bedrock format allows a record anywhere near this size (the largest limit is 32k tokens of text);
# beyond it we stop buffering so a file without newlines cannot exhaust memory.
MAX_LINE_BYTES = 8 * 1024 * 1024
# How much of an oversized line is kept, enough to show the start of the record in a message.
OVERSIZED_HEAD_BYTES = 200


class Readable(Protocol):
    def read(self, size: int = ..., /) -> bytes: ...


def iter_lines(
    stream: Readable,
    *,
    chunk_bytes: int = CHUNK_BYTES,
    max_line_bytes: int = MAX_LINE_BYTES,
    progress: Callable[[int], None] | None = None,
) -> Iterator[tuple[bytes, bool]]:
    """Yield `(line, oversized)` for every line, without its b"\\n"; a final line without newline too.

    A file that ends with a newline yields no extra empty line, so line N of the file is the Nth item.
    """
    pending = b""
    skipping = False  # inside an oversized line whose head was already yielded
    total = 0
    while True:
        chunk = stream.read(chunk_bytes)
        if not chunk:
            break
        total += len(chunk)
        if progress is not None:
            progress(total)
        parts = chunk.split(b"\n")
        last = parts.pop()
        if parts:
            first = parts[0]
            if skipping:
                skipping = False
                parts = parts[1:]
            elif pending:
                joined = pending + first
                if len(joined) > max_line_bytes:
                    yield joined[:OVERSIZED_HEAD_BYTES], True
                    parts = parts[1:]
                else:
                    parts[0] = joined
            for line in parts:
                if len(line) > max_line_bytes:
                    yield line[:OVERSIZED_HEAD_BYTES], True
                else:
                    yield line, False
            pending = last
        elif not skipping:
            pending += last
        if not skipping and len(pending) > max_line_bytes:
            yield pending[:OVERSIZED_HEAD_BYTES], True
            pending = b""
            skipping = True
    if pending and not skipping:
        yield pending, False
