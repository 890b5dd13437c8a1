"""Shared fixtures for every test layer."""

from __future__ import annotations

import os
from pathlib import Path

import pytest

# UI tests run offscreen without Xvfb (DESIGN.md section 10); set before Qt is imported.
os.environ.setdefault("QT_QPA_PLATFORM", "offscreen")

ROOT = Path(__file__).resolve().parent.parent
ARTIFACTS = ROOT / "artifacts"


@pytest.fixture(scope="session")
def artifacts_dir() -> Path:
    """Directory for screenshots and other artifacts a person should look at."""
    ARTIFACTS.mkdir(exist_ok=True)
    return ARTIFACTS


@pytest.fixture(autouse=True)
def _dutch_by_default():
    """Every test starts in the default UI language and leaves it there."""
    from kiosk import i18n

    i18n.set_language(i18n.DEFAULT_LANGUAGE)
    yield
    i18n.set_language(i18n.DEFAULT_LANGUAGE)
