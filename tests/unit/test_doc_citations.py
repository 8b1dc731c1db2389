"""Every document a comment cites is in the repository, and every cited section of docs/bedrock.md exists."""

from __future__ import annotations

import re
from pathlib import Path

ROOT = Path(__file__).resolve().parents[2]
SOURCE_FOLDERS = ("lambda", "stacks", "local", "tests", "bench")
BEDROCK_CITATION = re.compile(r"docs/bedrock\.md((?:,? §\d+(?:\.\d+)?)+)")
DOCUMENT_CITATION = re.compile(r"\bdocs/[\w./-]+\.md\b")
SECTION = re.compile(r"§(\d+(?:\.\d+)?)")


def _sources() -> list[Path]:
    files = [path for folder in SOURCE_FOLDERS for path in (ROOT / folder).rglob("*.py")]
    return sorted(path for path in [*files, ROOT / "app.py"] if ".venv" not in path.parts)


def _bedrock_sections() -> set[str]:
    text = (ROOT / "docs" / "bedrock.md").read_text(encoding="utf-8")
    return set(re.findall(r"^#{2,3} §(\d+(?:\.\d+)?) ", text, flags=re.MULTILINE))


def test_cited_documents_exist_in_the_repository() -> None:
    missing = [
        f"{path.relative_to(ROOT)}: {cited}"
        for path in _sources()
        for cited in DOCUMENT_CITATION.findall(path.read_text(encoding="utf-8"))
        if not (ROOT / cited).is_file()
    ]
    assert missing == []


def test_cited_bedrock_sections_exist() -> None:
    sections = _bedrock_sections()
    missing = [
        f"{path.relative_to(ROOT)}: §{number}"
        for path in _sources()
        for citation in BEDROCK_CITATION.findall(path.read_text(encoding="utf-8"))
        for number in SECTION.findall(citation)
        if number not in sections
    ]
    assert missing == []


def test_no_comment_cites_a_document_outside_the_repository() -> None:
    outside = re.compile(r"(?<![\w/])(?:BEDROCK|DESIGN|STYLE)\.md")
    offenders = [str(path.relative_to(ROOT)) for path in _sources() if outside.search(path.read_text(encoding="utf-8"))]
    assert offenders == []
