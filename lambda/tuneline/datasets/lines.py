"""Split a binary stream into numbered lines, in bounded memory.

Works on anything with `.read(n)`: an open local file, a botocore StreamingBody (S3 `get_object` Body) or a
BytesIO, so the CLI and the pipeline run the same code.

* `iter_lines` yields byte lines; a line longer than `max_line_bytes` is not kept in memory: its first bytes
  are returned with `oversized=True` and the rest is skipped up to the next newline.
* `open_text_lines` over a `ByteSource` is the validator's faster path: decoded text lines straight from the
  C line reader, with every raw block shown to an observer on the way.
"""

from __future__ import annotations

import io
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


class Writable(Protocol):
    """A local file, a BytesIO or the pipeline's multipart writer into S3."""

    def write(self, data: bytes, /) -> int: ...


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


class LineStream:
    """Lines (each with its b"\\n") read back as a `Readable` byte stream: a transformed copy of a file can be
    validated, uploaded or split straight from the transformation, with no disk and one line in memory."""

    def __init__(self, lines: Iterator[bytes]) -> None:
        self._lines = lines
        self._pending = b""

    def read(self, size: int = -1, /) -> bytes:
        wanted = CHUNK_BYTES if size is None or size < 0 else size
        parts = [self._pending]
        held = len(self._pending)
        while held < wanted:
            line = next(self._lines, None)
            if line is None:
                break
            parts.append(line)
            held += len(line)
        data = b"".join(parts)
        self._pending = data[wanted:]
        return data[:wanted]


# Blocks of the text reader: big enough that per-block work is negligible, small enough to stay in the CPU
# cache between the read, the decode and the byte-level scan.
TEXT_BLOCK_BYTES = 64 * 1024


class ByteSource(io.BufferedIOBase):
    """A `Readable` as a buffered binary stream for `io.TextIOWrapper`, counting the bytes it hands out.

    Every block read is passed to `observe(block, offset)` first, so a byte-level scan (the personal-data
    gate) sees the file exactly once, in big blocks, next to the line reader. Blocks are handed on as they
    come (no copy into a buffer). Closing it leaves the wrapped stream open: the caller owns that.
    """

    def __init__(
        self,
        stream: Readable,
        *,
        observe: Callable[[bytes, int], None] | None = None,
        progress: Callable[[int], None] | None = None,
    ) -> None:
        super().__init__()
        self.stream = stream
        self.observe = observe
        self.progress = progress
        self.total = 0

    @property
    def name(self) -> str:
        return "<dataset stream>"

    def readable(self) -> bool:
        return True

    def read1(self, size: int | None = -1, /) -> bytes:
        block = self.stream.read(TEXT_BLOCK_BYTES if size is None or size < 0 else size)
        if block:
            if self.observe is not None:
                self.observe(block, self.total)
            self.total += len(block)
            if self.progress is not None:
                self.progress(self.total)
        return block

    def read(self, size: int | None = -1, /) -> bytes:
        wanted = -1 if size is None or size < 0 else size
        parts = []
        while wanted:
            block = self.read1(TEXT_BLOCK_BYTES if wanted < 0 else wanted)
            if not block:
                break
            parts.append(block)
            if wanted > 0:
                wanted -= len(block)
        return b"".join(parts)


def open_text_lines(source: ByteSource, *, block_bytes: int = TEXT_BLOCK_BYTES) -> io.TextIOWrapper[ByteSource]:
    """A text reader over `source` whose `readline(limit)` returns one line with its "\\n".

    Bytes that are not UTF-8 become lone surrogates (surrogateescape), so one bad byte never stops the read
    and `text.encode("utf-8", "surrogateescape")` gives back the exact bytes. Only "\\n" ends a line: a "\\r"
    stays in the text, as in `iter_lines`.
    """
    reader = io.TextIOWrapper(source, encoding="utf-8", errors="surrogateescape", newline="\n")
    # TextIOWrapper asks for 8 KB at a time by default; whole blocks make reading lines markedly cheaper.
    reader._CHUNK_SIZE = block_bytes  # type: ignore[attr-defined]
    return reader
