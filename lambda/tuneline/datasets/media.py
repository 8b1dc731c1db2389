"""The images and videos a dataset's records point at, and the same records pointed at other copies.

Multimodal records name their media by S3 URI: converse content blocks (`image`/`video` ->
`source.s3Location.uri`) and Titan image records (`image-ref`). The pipeline stages copies of those objects
beside the staged dataset and rewrites the URIs, so a job reads only what was staged for it.
"""

from __future__ import annotations

import json
from collections.abc import Callable, Iterator
from dataclasses import dataclass
from typing import Any

from tuneline.datasets.lines import Readable, iter_lines
from tuneline.datasets.media_types import format_of_key

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


@dataclass(frozen=True)
class MediaRef:
    """One media object a record names: its URI, image or video, and the format the record declares (the
    block's `format`, or the file extension of an `image-ref`)."""

    uri: str
    kind: str
    declared_format: str | None


def media_refs(record: Any) -> list[MediaRef]:
    """Every media object `record` names, in order (repeats included)."""
    return [MediaRef(holder[name], kind, declared) for holder, name, kind, declared in _locations(record)]


def media_in_lines(src: Readable) -> Iterator[tuple[int, list[MediaRef]]]:
    """(1-based line, the media it names) for each line that names media; lines that do not parse are skipped
    (the validator reports those)."""
    for number, (raw, oversized) in enumerate(iter_lines(src), start=1):
        if oversized or _URI_MARK not in raw:
            continue
        record = _parse(raw)
        refs = media_refs(record) if record is not None else []
        if refs:
            yield number, refs


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
    named = False
    for holder, field_name, _, _ in _locations(record):
        holder[field_name] = replace(holder[field_name])
        named = True
    return named


def _locations(record: Any) -> Iterator[tuple[dict[str, Any], str, str, str | None]]:
    """(the dict holding a media URI, the URI's field name, image or video, the declared format) for each media
    reference whose URI is a string."""
    if type(record) is not dict:
        return
    if type(record.get("image-ref")) is str:
        yield record, "image-ref", "image", format_of_key(record["image-ref"])
    messages = record.get("messages")
    for message in messages if type(messages) is list else ():
        content = message.get("content") if type(message) is dict else None
        for block in content if type(content) is list else ():
            for kind in _MEDIA_KINDS:
                media = block.get(kind) if type(block) is dict else None
                source = media.get("source") if type(media) is dict else None
                location = source.get("s3Location") if type(source) is dict else None
                if type(location) is dict and type(location.get("uri")) is str:
                    declared = media.get("format")  # type: ignore[union-attr]
                    yield location, "uri", kind, declared if type(declared) is str else None
