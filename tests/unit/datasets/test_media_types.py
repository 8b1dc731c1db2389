"""Media signatures: each format Bedrock takes is recognised from its first bytes, and a wrong one is named."""

from __future__ import annotations

import pytest

from tuneline.datasets.media_types import HEAD_BYTES, format_of_key, mismatch, sniff

SIGNATURES = {
    "png": b"\x89PNG\r\n\x1a\n\x00\x00\x00\rIHDR",
    "jpeg": b"\xff\xd8\xff\xe1\x00\x18Exif\x00\x00",
    "gif": b"GIF89a\x01\x00\x01\x00",
    "webp": b"RIFF\x24\x00\x00\x00WEBPVP8 ",
    "mp4": b"\x00\x00\x00\x18ftypmp42\x00\x00\x00\x00",
    "mov": b"\x00\x00\x00\x14ftypqt  \x20\x05\x03\x00",
    "mkv": b"\x1a\x45\xdf\xa3\x9f\x42\x86\x81\x01matroska",
    "webm": b"\x1a\x45\xdf\xa3\x9f\x42\x86\x81\x01\x42\x82\x84webm",
}


@pytest.mark.parametrize("declared", sorted(SIGNATURES))
def test_every_format_bedrock_takes_is_recognised_and_no_other_signature_passes_for_it(declared: str) -> None:
    assert mismatch(declared, SIGNATURES[declared] + b"\0" * HEAD_BYTES) is None
    assert mismatch(declared.upper(), SIGNATURES[declared]) is None
    containers = {"mp4": "mov", "mov": "mp4", "mkv": "webm", "webm": "mkv"}
    for other, head in SIGNATURES.items():
        if other not in (declared, containers.get(declared)):
            assert mismatch(declared, head) is not None, other


def test_a_mismatch_says_what_the_object_holds() -> None:
    assert mismatch("png", SIGNATURES["jpeg"]) == "it is declared png but holds JPEG data"
    assert "holds no image or video" in str(mismatch("jpeg", b"PK\x03\x04model shard"))
    assert mismatch("jpg", b"") == "the object is empty, not a JPEG file"
    assert mismatch("bmp", b"BM") is None  # an unknown format is the validator's finding (media.format)
    assert sniff(b"PK\x03\x04") is None


def test_a_key_names_its_format_by_extension() -> None:
    assert format_of_key("media/a.b/Cat.JPG") == "jpg"
    assert format_of_key("media/a.b/cat") is None
