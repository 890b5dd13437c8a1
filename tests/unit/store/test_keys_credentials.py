"""The store key from systemd credentials ($CREDENTIALS_DIRECTORY/zorgid-store-key), issue 13."""

from __future__ import annotations

import base64
import os
from pathlib import Path

from kiosk.store.keys import CREDENTIAL_NAME, FileKeyProvider, default_key_provider


def _credential(folder: Path, key: bytes) -> Path:
    folder.mkdir()
    path = folder / CREDENTIAL_NAME
    path.write_bytes(base64.b64encode(key) + b"\n")
    os.chmod(path, 0o400)  # what systemd makes of it
    return path


def test_the_credential_is_the_key_without_an_older_key_file(tmp_path: Path) -> None:
    key = bytes(range(32))
    path = _credential(tmp_path / "creds", key)
    data = tmp_path / "data"
    provider = default_key_provider(data, environ={"CREDENTIALS_DIRECTORY": str(path.parent)})
    assert provider.load() == key
    assert not (data / "store.key").exists()  # nothing written beside the database


def test_an_older_key_file_keeps_its_key_under_auto(tmp_path: Path) -> None:
    # install.sh moves an older key file into the credential; until then the file holds
    # the key the database was sealed with, and it must not be replaced by another.
    key = bytes(range(32))
    path = _credential(tmp_path / "creds", key)
    data = tmp_path / "data"
    FileKeyProvider(data / "store.key").create()
    provider = default_key_provider(data, environ={"CREDENTIALS_DIRECTORY": str(path.parent)})
    assert provider.describe() == f"file:{data / 'store.key'}"


def test_without_the_credential_the_key_file_is_used(tmp_path: Path) -> None:
    (tmp_path / "creds").mkdir()  # a service with other credentials, none for the store
    data = tmp_path / "data"
    environ = {"CREDENTIALS_DIRECTORY": str(tmp_path / "creds")}
    provider = default_key_provider(data, use_keyring=False, environ=environ)
    assert provider.describe() == f"file:{data / 'store.key'}"
    assert default_key_provider(data, use_keyring=False, environ={}).describe() == (
        f"file:{data / 'store.key'}"
    )
