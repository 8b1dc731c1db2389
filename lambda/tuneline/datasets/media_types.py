"""What an image or video really is, from its first bytes: checked before a media object is staged.

A record says `"format": "png"` (or names `cat.png`), but the object may be a JPEG, an HTML error page saved
with a .png name, or a model shard. Bedrock reads the object when the job runs and fails it hours later; the
formats it takes are in docs/bedrock.md §2.1 and §2.2. The signatures are the files' own magic numbers:

* PNG `89 50 4E 47 0D 0A 1A 0A`, JPEG `FF D8 FF`, GIF `GIF87a`/`GIF89a`, WebP `RIFF....WEBP`;
* MP4 and MOV are ISO base media files: a box type (`ftyp`, or for older QuickTime files `moov`, `mdat`,
  `wide`, `free`, `skip`, `pnot`) at byte 4; either name is accepted for either, as players do;
* MKV and WebM are EBML files (`1A 45 DF A3`); either name is accepted for either.
"""

from __future__ import annotations

# Bytes read from the start of each object: every signature above lies in the first 12.
HEAD_BYTES = 64
_ISO_BOXES = (b"ftyp", b"moov", b"mdat", b"wide", b"free", b"skip", b"pnot")
# Declared format (as records and file names spell it) -> the kind of file its bytes must be.
_KIND_OF_FORMAT = {
    "png": "png",
    "jpeg": "jpeg",
    "jpg": "jpeg",
    "gif": "gif",
    "webp": "webp",
    "mp4": "iso-media",
    "mov": "iso-media",
    "mkv": "ebml",
    "webm": "ebml",
}
_KIND_LABELS = {
    "png": "PNG",
    "jpeg": "JPEG",
    "gif": "GIF",
    "webp": "WebP",
    "iso-media": "MP4/MOV",
    "ebml": "MKV/WebM",
}


def sniff(head: bytes) -> str | None:
    """The kind of media file `head` starts (a key of the labels above), or None for anything else."""
    if head.startswith(b"\x89PNG\r\n\x1a\n"):
        return "png"
    if head.startswith(b"\xff\xd8\xff"):
        return "jpeg"
    if head.startswith((b"GIF87a", b"GIF89a")):
        return "gif"
    if head.startswith(b"RIFF") and head[8:12] == b"WEBP":
        return "webp"
    if head[4:8] in _ISO_BOXES:
        return "iso-media"
    if head.startswith(b"\x1a\x45\xdf\xa3"):
        return "ebml"
    return None


def mismatch(declared: str | None, head: bytes) -> str | None:
    """Why an object whose first bytes are `head` is not the `declared` format (png, jpeg, mp4, ...), or None.
    An unknown declared format is the validator's business (media.format); it is not judged here."""
    wanted = _KIND_OF_FORMAT.get((declared or "").lower())
    if wanted is None:
        return None
    found = sniff(head)
    if found == wanted:
        return None
    if not head:
        return f"the object is empty, not a {_KIND_LABELS[wanted]} file"
    what = f"{_KIND_LABELS[found]} data" if found else f"no image or video (it starts {head[:8]!r})"
    return f"it is declared {declared} but holds {what}"


def format_of_key(key: str) -> str | None:
    """The format a key's extension names (cat.JPG -> jpg), or None without an extension."""
    name = key.rsplit("/", 1)[-1]
    return name.rsplit(".", 1)[-1].lower() if "." in name else None
