"""Where the store's 256-bit key lives: the OS keyring when there is one, else a 0600 file.

The key never sits next to the data in the database. Losing it makes the queued
registrations unreadable, so a provider never invents a new key for an existing database:
:meth:`KeyProvider.load` returns ``None`` when there is no key and only
:meth:`KeyProvider.create` makes one, which :class:`kiosk.store.Store` calls only for a
brand-new database (DESIGN.md section 6).
"""

from __future__ import annotations

import base64
import binascii
import contextlib
import os
import secrets
import stat
from collections.abc import Mapping
from pathlib import Path
from typing import Any, Protocol

from kiosk.errors import StorageFailure

KEY_BYTES = 32  # AES-256-GCM

#: Name of the store key among a systemd service's credentials (``LoadCredentialEncrypted=``
#: in packaging/linux/zorgid-kiosk.service); systemd hands them over in
#: ``$CREDENTIALS_DIRECTORY``, a private read-only folder, each file 0400 for the service user.
CREDENTIAL_NAME = "store.key"


class KeyProvider(Protocol):
    """Loads or creates the store key."""

    def load(self) -> bytes | None:
        """Return the key, or ``None`` when none has been made yet."""
        ...

    def create(self) -> bytes:
        """Make, persist and return a new key; fails if one already exists."""
        ...

    def describe(self) -> str:
        """A short, non-secret description of where the key lives (for doctor/CLI)."""
        ...


class FileKeyProvider:
    """A key file readable only by its owner (mode 0600), created exclusively.

    ``os.open(O_CREAT | O_EXCL, 0o600)`` makes the file with its final permissions in one
    step, so there is no moment at which another user could read it, and two kiosk
    processes starting together cannot both write a (different) key.
    """

    def __init__(self, path: Path) -> None:
        self.path = Path(path)

    def describe(self) -> str:
        """Return ``file:<path>``."""
        return f"file:{self.path}"

    def load(self) -> bytes | None:
        """Read the key; ``None`` when the file does not exist."""
        try:
            raw = self.path.read_bytes()
        except FileNotFoundError:
            return None
        except OSError as exc:
            raise StorageFailure("store.error.key_unreadable") from exc
        if os.name == "posix" and stat.S_IMODE(self.path.stat().st_mode) & 0o077:
            # Someone loosened the permissions: the key may have leaked. Refuse rather
            # than keep encrypting with it silently.
            raise StorageFailure("store.error.key_permissions")
        try:
            key = base64.b64decode(raw.strip(), validate=True)
        except (binascii.Error, ValueError) as exc:
            raise StorageFailure("store.error.key_unreadable") from exc
        if len(key) != KEY_BYTES:
            raise StorageFailure("store.error.key_unreadable")
        return key

    def create(self) -> bytes:
        """Write a fresh random key to a new 0600 file and return it."""
        key = secrets.token_bytes(KEY_BYTES)
        self.path.parent.mkdir(parents=True, exist_ok=True)
        try:
            fd = os.open(self.path, os.O_WRONLY | os.O_CREAT | os.O_EXCL, 0o600)
        except FileExistsError as exc:
            raise StorageFailure("store.error.key_exists") from exc
        except OSError as exc:
            raise StorageFailure("store.error.key_unreadable") from exc
        try:
            os.write(fd, base64.b64encode(key) + b"\n")
            os.fsync(fd)
        finally:
            os.close(fd)
        _fsync_dir(self.path.parent)
        return key


class KeyringKeyProvider:
    """The key in the OS keyring (Secret Service, macOS Keychain, Windows Credential Locker).

    ``keyring`` is optional: :func:`default_key_provider` uses this provider only when the
    package is importable and a real (not the fail/null) backend is active. ``backend`` can
    be any object with keyring's ``get_password``/``set_password`` (injected in tests).
    """

    SERVICE = "zorgid-kiosk"

    def __init__(self, backend: Any, username: str = "store-key") -> None:
        self._backend = backend
        self._username = username

    def describe(self) -> str:
        """Return ``keyring:<backend class>``."""
        return f"keyring:{type(self._backend).__name__}"

    def load(self) -> bytes | None:
        """Return the key from the keyring, ``None`` when there is none."""
        try:
            text = self._backend.get_password(self.SERVICE, self._username)
        except Exception as exc:  # keyring backends raise their own error types
            raise StorageFailure("store.error.key_unreadable") from exc
        if text is None:
            return None
        try:
            key = base64.b64decode(str(text), validate=True)
        except (binascii.Error, ValueError) as exc:
            raise StorageFailure("store.error.key_unreadable") from exc
        if len(key) != KEY_BYTES:
            raise StorageFailure("store.error.key_unreadable")
        return key

    def create(self) -> bytes:
        """Store a fresh random key in the keyring and return it."""
        if self.load() is not None:
            raise StorageFailure("store.error.key_exists")
        key = secrets.token_bytes(KEY_BYTES)
        try:
            self._backend.set_password(self.SERVICE, self._username, base64.b64encode(key).decode())
        except Exception as exc:
            raise StorageFailure("store.error.key_unreadable") from exc
        return key


def _real_keyring_backend() -> Any | None:
    try:
        import keyring
    except ImportError:
        return None
    try:
        backend = keyring.get_keyring()
    except Exception:
        return None
    # keyring rates backends by ``priority``: the fail and null backends (no keyring on this
    # machine) rate 0 or less, and a chainer without members rates 0 too.
    try:
        priority = float(backend.priority)
    except Exception:
        return None
    return backend if priority > 0 else None


def default_key_provider(
    data_dir: Path, *, use_keyring: bool = True, environ: Mapping[str, str] | None = None
) -> KeyProvider:
    """Return the systemd credential when the service was given one, else the keyring
    provider when a real keyring exists, else a 0600 key file.

    The credential (``$CREDENTIALS_DIRECTORY/store.key``, same format as the key file) is
    made by packaging/linux/install.sh and kept encrypted by systemd, TPM-bound where there
    is a TPM. Otherwise an existing key file always wins, so a kiosk whose key was made as a
    file keeps it even after a keyring becomes available.
    """
    environ = os.environ if environ is None else environ
    credentials = environ.get("CREDENTIALS_DIRECTORY")
    if credentials and (Path(credentials) / CREDENTIAL_NAME).is_file():
        return FileKeyProvider(Path(credentials) / CREDENTIAL_NAME)
    file_provider = FileKeyProvider(Path(data_dir) / "store.key")
    if file_provider.path.exists() or not use_keyring:
        return file_provider
    backend = _real_keyring_backend()
    if backend is None:
        return file_provider
    return KeyringKeyProvider(backend)


def _fsync_dir(folder: Path) -> None:
    # A new directory entry is durable only once the directory itself is synced (POSIX).
    if os.name != "posix":
        return
    with contextlib.suppress(OSError):
        fd = os.open(folder, os.O_RDONLY)
        try:
            os.fsync(fd)
        finally:
            os.close(fd)
