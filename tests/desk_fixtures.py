"""Fixtures several test folders share: the reference portal on loopback with the demo
data, a portal client for it, and a kiosk store on a real file. tests/conftest.py loads this
module as a plugin; a folder or module with its own fixture of the same name keeps its own."""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest


@pytest.fixture
def portal(tmp_path: Path) -> Iterator[Any]:
    """The reference portal, seeded with the demo beheerder, serving on loopback."""
    from kiosk.portal import PortalServer

    server = PortalServer(tmp_path / "portal.sqlite3")
    server.seed_demo()
    server.start()
    yield server
    server.stop()


@pytest.fixture
def client(portal: Any) -> Iterator[Any]:
    """A portal client for :func:`portal`."""
    from kiosk.sync.client import PortalClient

    with PortalClient(portal.url) as c:
        yield c


@pytest.fixture
def store(tmp_path: Path) -> Iterator[Any]:
    """A kiosk store on a real SQLite file with a file key (tests only)."""
    from kiosk.store import FileKeyProvider, Store

    s = Store.open(tmp_path / "kiosk.sqlite3", FileKeyProvider(tmp_path / "kiosk.key"))
    yield s
    s.close()
