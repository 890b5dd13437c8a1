"""Shared fixtures for every test layer."""

from __future__ import annotations

import os
from pathlib import Path

import keyring
import keyring.backend
import pytest

#: The reference portal, its client and a kiosk store, shared by tests/ui and tests/unit/flow
#: (a closer conftest or module that defines its own fixture of the same name wins); a
#: throwaway PostgreSQL cluster for the portal's second backend (tests/pg.py).
pytest_plugins = ("tests.desk_fixtures", "tests.pg")

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


class MemoryKeyring(keyring.backend.KeyringBackend):
    """A real keyring backend that keeps secrets in memory (registered with set_keyring).

    No Secret Service daemon runs on this machine or in CI, so keyring's own choice is its
    fail backend; the store's default key place (``storage.key_store = auto``) needs a
    keyring, and each test gets a fresh, empty one.
    """

    priority = 1  # type: ignore[assignment]

    def __init__(self) -> None:
        super().__init__()
        self.secrets: dict[tuple[str, str], str] = {}

    def get_password(self, service, username):
        return self.secrets.get((service, username))

    def set_password(self, service, username, password):
        self.secrets[(service, username)] = password

    def delete_password(self, service, username):
        self.secrets.pop((service, username), None)


@pytest.fixture(autouse=True)
def memory_keyring():
    """Every test runs with a fresh in-memory OS keyring; the previous backend is restored."""
    before = keyring.get_keyring()
    backend = MemoryKeyring()
    keyring.set_keyring(backend)
    yield backend
    keyring.set_keyring(before)
