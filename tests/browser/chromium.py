"""Headless Chromium (Debian's `chromium` package) driven from the command line, without a driver or CDP client.

`measure(page)` appends a small probe script to a copy of the page and loads it in an iframe of a phone's width
(headless Chromium's window is at least 500 px wide, so the iframe is the phone); the probe posts what it
measured (chart paths and their point counts, overflow, the visible numbers, load time) to the outer page,
which Chromium prints with `--dump-dom`. `screenshot(page)` saves a PNG of the same frame.
"""

from __future__ import annotations

import json
import os
import re
import shutil
import subprocess
import tempfile
import time
from dataclasses import dataclass
from pathlib import Path
from typing import Any

PHONE_WIDTH = 375
# Generous: only a hung browser reaches it (the machine may be busy with other test processes).
TIMEOUT_SECONDS = 120
_RESULT = re.compile(r'<pre id="browser-probe">(.*?)</pre>', re.S)

# Runs after load: every chart path with the points its `d` joins, whether anything is wider than the
# viewport, and the text of elements that are actually laid out inside it.
PROBE = """
<script>
window.addEventListener('load', function () {
  var out = {width: window.innerWidth, scrollWidth: document.documentElement.scrollWidth,
             loadMs: performance.now(), paths: [], wide: [], visibleText: []};
  document.querySelectorAll('path.series').forEach(function (p) {
    var d = p.getAttribute('d') || '';
    var box = p.getBoundingClientRect();
    out.paths.push({series: p.getAttribute('data-series'), declared: +p.getAttribute('data-points'),
                    drawn: (d.match(/[ML]/g) || []).length, width: box.width, length: p.getTotalLength()});
  });
  document.querySelectorAll('main *').forEach(function (e) {
    var box = e.getBoundingClientRect();
    if (box.right > window.innerWidth + 0.5 && !e.closest('.scroll')) { out.wide.push(e.tagName + ' ' + e.className); }
  });
  document.querySelectorAll('.figure b, td, text, code, strong, li').forEach(function (e) {
    var box = e.getBoundingClientRect(), style = getComputedStyle(e);
    if (box.width > 0 && box.height > 0 && style.visibility !== 'hidden' && box.left >= 0 &&
        box.left < window.innerWidth) { out.visibleText.push(e.textContent.trim()); }
  });
  parent.postMessage(JSON.stringify(out), '*');
});
</script>
"""
HARNESS = """<!DOCTYPE html><html><body style="margin:0;background:#888">
<iframe src="{src}" style="width:{width}px;height:{height}px;border:0;display:block;background:#fff"></iframe>
<script>window.addEventListener('message', function (e) {{
  var pre = document.createElement('pre'); pre.id = 'browser-probe'; pre.textContent = e.data;
  document.body.appendChild(pre); }});</script></body></html>
"""


def find_chromium() -> str | None:
    for name in ("chromium", "chromium-browser", "google-chrome"):
        path = shutil.which(name)
        if path:
            return path
    return None


@dataclass(frozen=True)
class Measurement:
    paths: list[dict[str, Any]]
    wide: list[str]
    visible_text: list[str]
    width: int
    scroll_width: int
    load_ms: float
    wall_seconds: float


def _run(browser: str, *args: str) -> subprocess.CompletedProcess[str]:
    with tempfile.TemporaryDirectory(prefix="tuneline-chromium-") as profile:
        command = [
            browser,
            "--headless",
            "--no-sandbox",  # root in CI containers has no user namespace for the sandbox
            "--disable-gpu",
            "--no-first-run",
            "--hide-scrollbars",
            f"--user-data-dir={profile}",
            *args,
        ]
        return subprocess.run(
            command, capture_output=True, text=True, timeout=TIMEOUT_SECONDS, env={**os.environ, "LANG": "C.UTF-8"}
        )


def _framed(page: Path, *, width: int, height: int, probe: bool) -> Path:
    shown = page
    if probe:
        shown = page.with_name(f"{page.stem}.probe.html")
        shown.write_text(page.read_text(encoding="utf-8").replace("</body>", PROBE + "</body>"), encoding="utf-8")
    harness = page.with_name(f"{shown.stem}.frame.html")
    harness.write_text(HARNESS.format(src=shown.name, width=width, height=height), encoding="utf-8")
    return harness


def measure(browser: str, page: Path, *, width: int = PHONE_WIDTH) -> Measurement:
    harness = _framed(page, width=width, height=900, probe=True)
    started = time.perf_counter()
    result = _run(browser, "--window-size=600,1000", "--virtual-time-budget=5000", "--dump-dom", harness.as_uri())
    wall = time.perf_counter() - started
    found = _RESULT.search(result.stdout)
    if not found:
        raise AssertionError(f"the probe did not run in {page.name}; chromium said: {result.stderr[-2000:]}")
    data = json.loads(found.group(1).replace("&lt;", "<").replace("&gt;", ">").replace("&amp;", "&"))
    return Measurement(
        paths=data["paths"],
        wide=data["wide"],
        visible_text=data["visibleText"],
        width=data["width"],
        scroll_width=data["scrollWidth"],
        load_ms=data["loadMs"],
        wall_seconds=wall,
    )


def screenshot(browser: str, page: Path, target: Path, *, width: int = PHONE_WIDTH, height: int = 2400) -> None:
    target.parent.mkdir(parents=True, exist_ok=True)
    harness = _framed(page, width=width, height=height, probe=False)
    # The window's minimum is 500 px: the grey strip right of the phone-wide frame is the outer page.
    _run(browser, f"--window-size=500,{height}", f"--screenshot={target}", harness.as_uri())
