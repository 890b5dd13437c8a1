"""Key providers: 0600 file made exclusively, never overwritten; keyring with a real backend."""

from __future__ import annotations

import base64
import os
import stat

import pytest

from kiosk.errors import StorageFailure
from kiosk.store.keys import FileKeyProvider, KeyringKeyProvider, default_key_provider


def test_file_key_is_created_owner_only_and_reloads(tmp_path):
    provider = FileKeyProvider(tmp_path / "sub" / "store.key")
    assert provider.load() is None
    key = provider.create()
    assert len(key) == 32
    assert stat.S_IMODE(provider.path.stat().st_mode) == 0o600
    assert FileKeyProvider(provider.path).load() == key


def test_file_key_is_never_overwritten(tmp_path):
    provider = FileKeyProvider(tmp_path / "store.key")
    key = provider.create()
    with pytest.raises(StorageFailure) as err:
        provider.create()
    assert err.value.message_key == "store.error.key_exists"
    assert provider.load() == key


def test_loosened_permissions_are_refused(tmp_path):
    provider = FileKeyProvider(tmp_path / "store.key")
    provider.create()
    os.chmod(provider.path, 0o644)
    with pytest.raises(StorageFailure) as err:
        provider.load()
    assert err.value.message_key == "store.error.key_permissions"


@pytest.mark.parametrize("content", [b"not base64!!", base64.b64encode(b"short")])
def test_malformed_key_file_is_refused(tmp_path, content):
    path = tmp_path / "store.key"
    fd = os.open(path, os.O_WRONLY | os.O_CREAT, 0o600)
    os.write(fd, content)
    os.close(fd)
    with pytest.raises(StorageFailure) as err:
        FileKeyProvider(path).load()
    assert err.value.message_key == "store.error.key_unreadable"


class DictKeyring:
    """An in-memory keyring backend with keyring's get/set_password interface."""

    priority = 1

    def __init__(self):
        self.secrets: dict[tuple[str, str], str] = {}

    def get_password(self, service, username):
        return self.secrets.get((service, username))

    def set_password(self, service, username, password):
        self.secrets[(service, username)] = password


def test_keyring_provider_round_trip_and_no_overwrite():
    backend = DictKeyring()
    provider = KeyringKeyProvider(backend)
    assert provider.load() is None
    key = provider.create()
    assert KeyringKeyProvider(backend).load() == key
    with pytest.raises(StorageFailure):
        provider.create()
    assert provider.describe().startswith("keyring:")


def test_default_provider_prefers_existing_key_file(tmp_path):
    FileKeyProvider(tmp_path / "store.key").create()
    provider = default_key_provider(tmp_path)
    assert isinstance(provider, FileKeyProvider)
    assert (
        default_key_provider(tmp_path / "new", use_keyring=False).describe().endswith("store.key")
    )
