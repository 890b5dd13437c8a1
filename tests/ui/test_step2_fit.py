"""Step 2 fits the real window at 1366x768 (and 1920x1080), for every method, without scrolling.

Runs :mod:`tests.ui.fit_probe` on an X server (Xvfb started here, xcb platform): the
offscreen platform claimed a fit the real window did not have (DESIGN.md section 10).
"""

from __future__ import annotations

import json
import os
import shutil
import subprocess
import sys
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parents[2]


@pytest.fixture(scope="module")
def xvfb():
    """An Xvfb with a 1366x768 and a 1920x1080 screen on a display it picks itself."""
    if shutil.which("Xvfb") is None:
        pytest.skip("Xvfb is not installed")
    read, write = os.pipe()
    server = subprocess.Popen(
        [
            "Xvfb",
            "-displayfd",
            str(write),
            "-nolisten",
            "tcp",
            "-screen",
            "0",
            "1366x768x24",
            "-screen",
            "1",
            "1920x1080x24",
        ],
        pass_fds=(write,),
        stderr=subprocess.DEVNULL,
    )
    os.close(write)
    with os.fdopen(read) as pipe:
        display = pipe.readline().strip()
    yield f":{display}"
    server.terminate()
    server.wait(timeout=10)


@pytest.mark.parametrize("lang", ["nl", "en"])
def test_step2_needs_no_scrolling_for_any_method(xvfb, artifacts_dir, lang):
    env = {
        **os.environ,
        "QT_QPA_PLATFORM": "xcb",
        "DISPLAY": xvfb,
        "PYTHONPATH": str(ROOT),
    }
    done = subprocess.run(
        [sys.executable, "-m", "tests.ui.fit_probe", str(artifacts_dir), lang],
        cwd=ROOT,
        env=env,
        capture_output=True,
        text=True,
        timeout=180,
        check=True,
    )
    cases = [json.loads(line) for line in done.stdout.splitlines() if line.startswith("{")]
    seen = {(c["mode"], tuple(c["window"]), c["method"]) for c in cases}
    methods = ("chip", "mrz_camera", "mrz_reader", "mrz_typed")
    for mode, size in (("fullscreen", (1366, 768)), ("demo", (1366, 768))):
        assert {(mode, size, m) for m in methods} <= seen, (mode, size)
    assert {("fullscreen", (1920, 1080), m) for m in methods} <= seen
    for case in cases:
        assert case["bars"] == [], case  # no scroll bar anywhere
        assert case["outside"] == [], case  # every required widget fully on screen
        assert case["hidden"] == [], case
