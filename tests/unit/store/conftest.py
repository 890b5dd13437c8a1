"""Fixtures shared by the store and sync-worker tests: a fake clock and an enrolled store."""

from __future__ import annotations

import pytest

from kiosk.model import DeviceCredential
from kiosk.store import FileKeyProvider, Store
from tests.unit.store.factories import FakeClock

TOKEN = "device-token"
"""The device token of the enrolled store (the fake portal accepts it)."""


@pytest.fixture
def clock():
    return FakeClock()


@pytest.fixture
def enrolled_store(tmp_path, clock):
    """A real store file with kiosk-1's device credential, on the fake clock."""
    with Store.open(tmp_path / "kiosk.sqlite3", FileKeyProvider(tmp_path / "k"), clock=clock) as s:
        s.set_device_credential(DeviceCredential("kiosk-1", TOKEN))
        yield s
