"""The version: ``kiosk --version``, the build commit, and the doctor's version line."""

from __future__ import annotations

import re
import subprocess
import tomllib
from pathlib import Path

import pytest

import kiosk
from kiosk import __version__, build_commit, version_string
from kiosk.cli.main import main
from kiosk.doctor import Status, check_version
from kiosk.i18n import catalog

ROOT = Path(__file__).resolve().parents[2]


def test_version_matches_pyproject() -> None:
    project = tomllib.loads((ROOT / "pyproject.toml").read_text(encoding="utf-8"))["project"]
    assert __version__ == project["version"]


def test_kiosk_version_prints_version_and_commit(capsys: pytest.CaptureFixture[str]) -> None:
    with pytest.raises(SystemExit) as exit_info:
        main(["--version"])
    assert exit_info.value.code == 0
    out = capsys.readouterr().out
    assert out == f"kiosk {version_string()}\n"
    assert re.fullmatch(r"kiosk \d+\.\d+\.\d+( \(commit [0-9a-f]{7,40}(-dirty)?\))?\n", out)


def test_a_checkout_names_its_git_commit() -> None:
    # No kiosk/_build.py in a checkout (./dev bundle writes it only while PyInstaller runs):
    # the commit comes from git, so a developer's --version is as precise as a bundle's.
    if (ROOT / "kiosk" / "_build.py").exists() or not (ROOT / ".git").exists():
        pytest.skip("not a plain git checkout")
    head = subprocess.run(
        ["git", "-C", str(ROOT), "rev-parse", "--short=12", "HEAD"],
        capture_output=True,
        text=True,
        check=True,
    ).stdout.strip()
    assert build_commit() == head
    assert version_string() == f"{__version__} (commit {head})"


def test_no_git_no_commit(tmp_path: Path) -> None:
    # An installed wheel or a copied tree has neither _build.py nor .git: just the version.
    assert kiosk._git_commit(tmp_path) is None


def test_doctor_has_a_version_line_in_both_languages() -> None:
    check = check_version()
    assert check.name == "version"
    assert check.status is Status.OK
    assert check.to_json()["message"] == f"{version_string()}."
    for language in ("nl", "en"):
        assert "doctor.name.version" in catalog(language)
        assert "ui.status.version" in catalog(language)
