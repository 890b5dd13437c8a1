"""The reference portal's schema comes from the shared user_version helper, like the kiosk's."""

from __future__ import annotations

import sqlite3

import pytest

from kiosk.portal.store import MIGRATIONS, SCHEMA_VERSION, PortalStore
from kiosk.sqlitemigrate import SchemaTooNew


def test_a_new_portal_database_is_at_the_schema_version_and_reopens_with_its_data(tmp_path):
    path = tmp_path / "portal.sqlite3"
    first = PortalStore(path)
    first.add_organisation("org-1", "Org")
    first.add_beheerder("anna", "Anna", "pw", ["org-1"])
    first.close()
    conn = sqlite3.connect(path)
    assert conn.execute("PRAGMA user_version").fetchone()[0] == SCHEMA_VERSION == len(MIGRATIONS)
    mac_key = conn.execute("SELECT value FROM meta WHERE key = 'mac_key'").fetchone()[0]
    conn.close()
    again = PortalStore(path)  # no step runs again: the key and the accounts stay
    assert again.beheerder_count() == 1
    assert again.sign_in("anna", "pw", None) is not None
    again.close()
    conn = sqlite3.connect(path)
    assert conn.execute("SELECT value FROM meta WHERE key = 'mac_key'").fetchone()[0] == mac_key
    conn.close()


def test_an_in_memory_portal_is_migrated_too():
    store = PortalStore()
    assert store.beheerder_count() == 0
    store.close()


def test_a_portal_database_from_a_newer_version_is_refused(tmp_path):
    path = tmp_path / "portal.sqlite3"
    PortalStore(path).close()
    conn = sqlite3.connect(path)
    conn.execute(f"PRAGMA user_version = {SCHEMA_VERSION + 1}")
    conn.close()
    with pytest.raises(SchemaTooNew):
        PortalStore(path)
