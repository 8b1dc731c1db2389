"""Files the CLI writes get the permissions any program's `open()` would give them: 0666 minus the umask.
(They are written beside the target and renamed at the end, and the temporary file starts out 0600.)"""

from __future__ import annotations

import os
import shutil
import stat
from collections.abc import Iterator
from pathlib import Path

import pytest

from tuneline.cli import main

DATA = Path(__file__).resolve().parents[1] / "data" / "datasets"


@pytest.fixture
def umask() -> Iterator[None]:
    previous = os.umask(0o022)
    os.umask(previous)
    yield
    os.umask(previous)


def mode(path: Path) -> int:
    return stat.S_IMODE(path.stat().st_mode)


@pytest.mark.parametrize("mask", [0o022, 0o002, 0o077, 0o027])
def test_fix_output_mode_follows_the_umask(tmp_path: Path, umask: None, mask: int) -> None:
    source = tmp_path / "broken.jsonl"
    shutil.copy(DATA / "converse_broken.jsonl", source)
    os.umask(mask)
    assert main(["fix", str(source), "-o", str(tmp_path / "out.jsonl"), "--format", "json"]) == 0
    assert mode(tmp_path / "out.jsonl") == 0o666 & ~mask
    assert not list(tmp_path.glob(".*partial"))


def test_split_outputs_both_follow_the_umask(tmp_path: Path, umask: None) -> None:
    source = tmp_path / "pc.jsonl"
    shutil.copy(DATA / "prompt_completion_train.jsonl", source)
    os.umask(0o002)
    code = main(["split", str(source), "--model", "amazon.titan-text-express-v1", "--ratio", "0.2", "--format", "json"])
    assert code == 0
    written = sorted(path for path in tmp_path.iterdir() if path != source)
    assert len(written) == 2
    assert [mode(path) for path in written] == [0o664, 0o664]
