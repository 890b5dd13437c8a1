"""Where the kiosk finds its shipped resources."""

from __future__ import annotations

from pathlib import Path

_HERE = Path(__file__).resolve().parent


def resources_dir() -> Path:
    """Return the ``resources/`` directory.

    From a source checkout (or an editable install) that is the top-level ``resources/``;
    a wheel carries it as ``kiosk/_resources`` (see ``pyproject.toml``) and a PyInstaller
    bundle as ``resources/`` next to the ``kiosk`` package.
    """
    for candidate in (_HERE.parent / "resources", _HERE / "_resources"):
        if candidate.is_dir():
            return candidate
    raise FileNotFoundError("resources directory not found next to the kiosk package")


def resource(*parts: str) -> Path:
    """Return the path of a file below ``resources/``."""
    return resources_dir().joinpath(*parts)
