"""Where the store key lives (issue 10 item 6): keyring via keyring's own API, systemd, file."""

from __future__ import annotations

import base64
import os
import stat

import keyring
import keyring.backends.fail
import pytest

from kiosk.errors import StorageFailure
from kiosk.store import (
    DB_FILENAME,
    FileKeyProvider,
    KeyringKeyProvider,
    SystemdCredentialKeyProvider,
    default_key_provider,
    open_default,
)


def test_auto_uses_the_registered_keyring_and_keeps_the_key_out_of_the_folder(
    tmp_path, memory_keyring
):
    provider = default_key_provider(tmp_path, environ={})
    assert isinstance(provider, KeyringKeyProvider)
    with open_default(tmp_path) as store:
        assert store is not None
    assert not (tmp_path / "store.key").exists()
    assert [name for name, _ in memory_keyring.secrets] == ["zorgid-kiosk"]
    # One entry per data folder.
    other = default_key_provider(tmp_path / "other", environ={})
    assert other.load() is None


def test_no_usable_keyring_refuses_unless_a_file_is_chosen(tmp_path):
    keyring.set_keyring(keyring.backends.fail.Keyring())  # what this machine really has
    with pytest.raises(StorageFailure) as auto:
        default_key_provider(tmp_path, "auto", environ={})
    assert auto.value.message_key == "store.error.no_key_store"
    assert "storage.key_store = file" in auto.value.translated()
    with pytest.raises(StorageFailure) as chosen:
        default_key_provider(tmp_path, "keyring", environ={})
    assert chosen.value.message_key == "store.error.keyring_unavailable"
    assert isinstance(default_key_provider(tmp_path, "file", environ={}), FileKeyProvider)


def test_systemd_credential_is_read_and_never_written(tmp_path):
    creds = tmp_path / "creds"
    creds.mkdir()
    environ = {"CREDENTIALS_DIRECTORY": str(creds)}
    provider = default_key_provider(tmp_path / "data", "systemd", environ=environ)
    assert isinstance(provider, SystemdCredentialKeyProvider)
    assert provider.load() is None
    with pytest.raises(StorageFailure) as refused:
        provider.create()
    assert refused.value.message_key == "store.error.key_systemd"
    key = os.urandom(32)
    (creds / "zorgid-store-key").write_bytes(base64.b64encode(key) + b"\n")
    assert provider.load() == key
    # auto prefers the session's credential over the keyring.
    auto = default_key_provider(tmp_path / "data", environ=environ)
    assert isinstance(auto, SystemdCredentialKeyProvider)
    with pytest.raises(StorageFailure):
        default_key_provider(tmp_path, "systemd", environ={})


@pytest.mark.skipif(os.name != "posix", reason="POSIX permissions")
def test_database_wal_and_key_file_are_owner_only(tmp_path):
    with open_default(tmp_path, key_store="file") as store:
        assert store is not None
        made = [p for p in tmp_path.iterdir() if p.name.startswith(DB_FILENAME)]
        made.append(tmp_path / "store.key")
        assert any(p.name.endswith("-wal") for p in made)
        for path in made:
            assert stat.S_IMODE(path.stat().st_mode) == 0o600, path.name


@pytest.mark.skipif(os.name != "posix", reason="POSIX permissions")
def test_portal_database_is_owner_only(tmp_path):
    from kiosk.portal.store import PortalStore

    store = PortalStore(tmp_path / "portal.db")
    store.add_organisation("o", "O")
    for path in tmp_path.iterdir():
        assert stat.S_IMODE(path.stat().st_mode) == 0o600, path.name
    store.close()
