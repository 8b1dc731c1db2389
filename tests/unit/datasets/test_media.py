"""Media URIs in records: found where each format puts them, and pointed elsewhere without touching the rest."""

from __future__ import annotations

import io
import json
from typing import Any

from tuneline.datasets.lines import LineStream
from tuneline.datasets.media import (
    MediaRef,
    lines_with_media_replaced,
    media_in_lines,
    media_refs,
    media_uris,
    with_media_uris,
)


def picture_question(*uris: str, video: str | None = None) -> dict[str, Any]:
    content: list[dict[str, Any]] = [{"text": "What is shown?"}]
    content += [{"image": {"format": "png", "source": {"s3Location": {"uri": uri}}}} for uri in uris]
    if video:
        content.append({"video": {"format": "mp4", "source": {"s3Location": {"uri": video, "bucketOwner": "1"}}}})
    return {
        "schemaVersion": "bedrock-conversation-2024",
        "messages": [{"role": "user", "content": content}, {"role": "assistant", "content": [{"text": "A cat."}]}],
    }


def test_converse_images_and_videos_and_titan_image_refs_are_found_in_order() -> None:
    record = picture_question("s3://b/a.png", "s3://b/a.png", video="s3://b/v.mp4")
    assert media_uris(record) == ["s3://b/a.png", "s3://b/a.png", "s3://b/v.mp4"]
    assert media_uris({"image-ref": "s3://b/cat.jpg", "caption": "a cat"}) == ["s3://b/cat.jpg"]


def test_text_records_and_odd_shapes_name_no_media() -> None:
    odd: list[Any] = [
        {"prompt": "s3://b/not-media.png", "completion": "x"},
        {"messages": [{"role": "user", "content": "s3://b/x.png"}]},
        {"messages": [{"content": [{"image": {"source": {"s3Location": {"uri": 7}}}}]}]},
        {"messages": "none"},
        ["s3://b/x.png"],
        None,
    ]
    for record in odd:
        assert media_uris(record) == []
        assert with_media_uris(record, lambda uri: "changed") is False


def test_with_media_uris_rewrites_every_uri_and_keeps_the_other_fields() -> None:
    record = picture_question("s3://b/a.png", video="s3://b/v.mp4")
    assert with_media_uris(record, lambda uri: uri.replace("s3://b/", "s3://b/staged/j/media/")) is True
    assert media_uris(record) == ["s3://b/staged/j/media/a.png", "s3://b/staged/j/media/v.mp4"]
    video = record["messages"][0]["content"][2]["video"]
    assert video["source"]["s3Location"]["bucketOwner"] == "1" and video["format"] == "mp4"


def test_media_in_lines_gives_line_numbers_and_skips_text_and_broken_lines() -> None:
    data = b"\n".join(
        [
            json.dumps({"prompt": "hi", "completion": "there"}).encode(),
            json.dumps(picture_question("s3://b/1.png")).encode(),
            b'{"broken": "s3://b/x.png"',
            json.dumps(picture_question("s3://b/2.png", "s3://b/3.png")).encode(),
        ]
    )
    found = [(line, [(ref.uri, ref.kind) for ref in refs]) for line, refs in media_in_lines(io.BytesIO(data))]
    assert found == [(2, [("s3://b/1.png", "image")]), (4, [("s3://b/2.png", "image"), ("s3://b/3.png", "image")])]


def test_media_refs_carry_the_declared_format_or_the_extension() -> None:
    record = {
        "messages": [
            {
                "role": "user",
                "content": [
                    {"image": {"format": "jpeg", "source": {"s3Location": {"uri": "s3://b/media/a.png"}}}},
                    {"video": {"source": {"s3Location": {"uri": "s3://b/media/v.mp4"}}}},
                ],
            }
        ]
    }
    assert media_refs(record) == [
        MediaRef("s3://b/media/a.png", "image", "jpeg"),
        MediaRef("s3://b/media/v.mp4", "video", None),
    ]
    assert media_refs({"image-ref": "s3://b/media/Cat.JPG", "caption": "a cat"}) == [
        MediaRef("s3://b/media/Cat.JPG", "image", "jpg")
    ]


def test_replaced_lines_change_only_the_uris_and_copy_other_lines_byte_for_byte() -> None:
    text_line = b'{"schemaVersion": "bedrock-conversation-2024",  "messages": []}\r'
    broken = b'{"image-ref": "s3://b/x.png"'
    media_record = picture_question("s3://b/cat.png")
    data = b"\n".join([text_line, json.dumps(media_record).encode(), broken])

    out = b"".join(lines_with_media_replaced(io.BytesIO(data), lambda uri: uri + ".copy"))

    lines = out.split(b"\n")
    assert lines[0] == text_line and lines[2] == broken and out.endswith(b"\n")
    rewritten = json.loads(lines[1])
    assert media_uris(rewritten) == ["s3://b/cat.png.copy"]
    assert with_media_uris(rewritten, lambda uri: uri.removesuffix(".copy"))
    assert rewritten == media_record


def test_non_ascii_text_survives_the_rewrite_unescaped() -> None:
    record = picture_question("s3://b/x.png")
    record["messages"][1]["content"][0]["text"] = "Eine Katze 🐈"
    out = b"".join(lines_with_media_replaced(io.BytesIO(json.dumps(record).encode()), lambda uri: uri))
    assert "Eine Katze 🐈".encode() in out


def test_line_stream_reads_lines_back_in_any_chunk_size() -> None:
    lines = [b"one\n", b"two two\n", b"three three three\n"]
    for size in (1, 3, 100):
        stream = LineStream(iter(lines))
        chunks = []
        while chunk := stream.read(size):
            chunks.append(chunk)
        assert b"".join(chunks) == b"".join(lines)
