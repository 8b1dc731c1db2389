"""Line splitting over chunked streams, in bounded memory."""

from __future__ import annotations

import io

from hypothesis import given
from hypothesis import strategies as st

from tuneline.datasets.lines import ByteSource, iter_lines, open_text_lines


def split(data: bytes, chunk: int, max_line: int = 1 << 20) -> list[tuple[bytes, bool]]:
    return list(iter_lines(io.BytesIO(data), chunk_bytes=chunk, max_line_bytes=max_line))


def test_lines_across_chunk_boundaries() -> None:
    data = b"alpha\nbeta\n\ngamma"
    for chunk in (1, 2, 3, 5, 100):
        assert split(data, chunk) == [(b"alpha", False), (b"beta", False), (b"", False), (b"gamma", False)]


def test_trailing_newline_adds_no_line_but_an_extra_one_does() -> None:
    assert [line for line, _ in split(b"a\n", 4)] == [b"a"]
    assert [line for line, _ in split(b"a\n\n", 4)] == [b"a", b""]
    assert split(b"", 4) == []


def test_oversized_line_keeps_only_its_head_and_the_count_of_lines() -> None:
    data = b"ok\n" + b"x" * 1000 + b"\nafter\n" + b"y" * 50
    result = split(data, 7, max_line=100)
    assert [big for _, big in result] == [False, True, False, False]
    assert [line for line, big in result if not big] == [b"ok", b"after", b"y" * 50]
    head = result[1][0]
    assert head.startswith(b"xxx") and 100 <= len(head) <= 200


def test_progress_reports_total_bytes() -> None:
    seen: list[int] = []
    list(iter_lines(io.BytesIO(b"abc\ndef\n"), chunk_bytes=3, progress=seen.append))
    assert seen == [3, 6, 8]


@given(st.binary(max_size=300), st.integers(min_value=1, max_value=40))
def test_splitting_is_lossless(data: bytes, chunk: int) -> None:
    lines = [line for line, _ in split(data, chunk)]
    rebuilt = b"\n".join(lines)
    assert rebuilt == (data[:-1] if data.endswith(b"\n") else data)


class Trickle:
    """A stream that hands out at most `step` bytes per read, like a slow network body."""

    def __init__(self, data: bytes, step: int) -> None:
        self.data = data
        self.step = step

    def read(self, size: int = -1) -> bytes:
        size = self.step if size < 0 else min(size, self.step)
        block, self.data = self.data[:size], self.data[size:]
        return block


def text_lines(data: bytes, step: int) -> list[str]:
    reader = open_text_lines(ByteSource(Trickle(data, step)))
    return list(iter(lambda: reader.readline(1 << 20), ""))


@given(st.binary(max_size=300), st.integers(min_value=1, max_value=40))
def test_text_lines_give_back_every_byte_whatever_the_reads(data: bytes, step: int) -> None:
    lines = text_lines(data, step)
    assert b"".join(line.encode("utf-8", "surrogateescape") for line in lines) == data
    assert all(line.endswith("\n") for line in lines[:-1])
    assert [line.rstrip("\n").encode("utf-8", "surrogateescape") for line in lines] == [
        line for line, _ in split(data, 7)
    ]


def test_a_character_cut_between_reads_is_decoded_whole() -> None:
    assert text_lines("é€😀\nb".encode(), 1) == ["é€😀\n", "b"]


def test_byte_source_shows_every_block_with_its_offset_and_counts_bytes() -> None:
    blocks: list[tuple[bytes, int]] = []
    progress: list[int] = []
    source = ByteSource(
        Trickle(b"abcdefgh", 3), observe=lambda block, at: blocks.append((block, at)), progress=progress.append
    )
    assert source.read() == b"abcdefgh"
    assert blocks == [(b"abc", 0), (b"def", 3), (b"gh", 6)]
    assert progress == [3, 6, 8] and source.total == 8
    assert ByteSource(Trickle(b"abcdefgh", 3)).read(5) == b"abcde"
