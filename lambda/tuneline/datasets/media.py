"""The images and videos a dataset's records point at, and the same records pointed at other copies.

Multimodal records name their media by S3 URI: converse content blocks (`image`/`video` ->
`source.s3Location.uri`) and Titan image records (`image-ref`). The pipeline stages copies of those objects
beside the staged dataset and rewrites the URIs, so a job reads only what was staged for it.
"""

from __future__ import annotations

import json
from collections.abc import Callable, Iterator
from typing import Any

from tuneline.datasets.lines import Readable, iter_lines

# Only lines that contain this can name media; every other line passes through untouched and unparsed.
_URI_MARK = b"s3://"
_MEDIA_KINDS = ("image", "video")


def media_uris(record: Any) -> list[str]:
    """Every media URI `record` names, in order (repeats included)."""
    found: list[str] = []

    def note(uri: str) -> str:
        found.append(uri)
        return uri

    _visit(record, note)
    return found


def with_media_uris(record: Any, replace: Callable[[str], str]) -> bool:
    """Point each media URI of `record` at `replace(uri)`, in place; True when the record names media."""
    return _visit(record, replace)


def media_in_lines(src: Readable) -> Iterator[tuple[int, list[str]]]:
    """(1-based line, its media URIs) for each line that names media; lines that do not parse are skipped
    (the validator reports those)."""
    for number, (raw, oversized) in enumerate(iter_lines(src), start=1):
        if oversized or _URI_MARK not in raw:
            continue
        record = _parse(raw)
        uris = media_uris(record) if record is not None else []
        if uris:
            yield number, uris


def lines_with_media_replaced(src: Readable, replace: Callable[[str], str]) -> Iterator[bytes]:
    """The lines of `src`, each ending in b"\\n", with every media URI pointed at `replace(uri)`.

    A line that names media is written again as compact JSON (same content, new URIs); any other line is
    copied byte for byte.
    """
    for raw, oversized in iter_lines(src):
        if oversized or _URI_MARK not in raw:
            yield raw + b"\n"
            continue
        record = _parse(raw)
        if record is None or not with_media_uris(record, replace):
            yield raw + b"\n"
            continue
        yield json.dumps(record, ensure_ascii=False, separators=(",", ":")).encode("utf-8") + b"\n"


def _parse(raw: bytes) -> Any:
    try:
        return json.loads(raw)
    except ValueError:
        return None


def _visit(record: Any, replace: Callable[[str], str]) -> bool:
    if type(record) is not dict:
        return False
    named = False
    if type(record.get("image-ref")) is str:
        record["image-ref"] = replace(record["image-ref"])
        named = True
    messages = record.get("messages")
    for message in messages if type(messages) is list else ():
        content = message.get("content") if type(message) is dict else None
        for block in content if type(content) is list else ():
            for kind in _MEDIA_KINDS:
                media = block.get(kind) if type(block) is dict else None
                source = media.get("source") if type(media) is dict else None
                location = source.get("s3Location") if type(source) is dict else None
                if type(location) is dict and type(location.get("uri")) is str:
                    location["uri"] = replace(location["uri"])
                    named = True
    return named
