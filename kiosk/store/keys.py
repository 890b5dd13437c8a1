"""Where the store's 256-bit key lives: the OS keyring, a systemd credential, or a key file.

The key never sits next to the data by default (DESIGN.md section 6): ``storage.key_store``
(:func:`default_key_provider`) chooses

- ``keyring``: the OS keyring through the ``keyring`` package (Secret Service on Linux,
  Credential Manager/DPAPI on Windows, Keychain on macOS), one entry per data folder;
- ``systemd``: the credential ``zorgid-store-key`` that systemd hands the kiosk session in
  ``$CREDENTIALS_DIRECTORY`` (``LoadCredentialEncrypted=``, sealed to the machine's TPM or
  host key by ``systemd-creds encrypt``), read-only;
- ``file``: a 0600 ``store.key`` beside the database, only when configured so (``kiosk
  doctor`` warns about it: whoever copies the folder has data and key together);
- ``auto`` (the default): the systemd credential when the session has one, else a usable
  keyring, else refuse with ``store.error.no_key_store``. No keyring daemon (keyring's
  fail or null backend) is detected and never silently replaced by a file.

Losing the key makes the queued registrations unreadable, so a provider never invents a
new key for an existing database: :meth:`KeyProvider.load` returns ``None`` when there is
no key and only :meth:`KeyProvider.create` makes one, which :class:`kiosk.store.Store` calls
only for a brand-new database.
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
CREDENTIAL_NAME = "zorgid-store-key"


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


def _read(path: Path) -> bytes | None:
    """The bytes of a key file or credential; None when it does not exist."""
    try:
        return path.read_bytes()
    except FileNotFoundError:
        return None
    except OSError as exc:
        raise StorageFailure("store.error.key_unreadable") from exc


def decode_key(raw: bytes) -> bytes:
    """A store key as written to a key file or credential: base64 of 32 bytes (a newline
    may follow). Anything else is ``store.error.key_unreadable``."""
    try:
        key = base64.b64decode(raw.strip(), validate=True)
    except (binascii.Error, ValueError) as exc:
        raise StorageFailure("store.error.key_unreadable") from exc
    if len(key) != KEY_BYTES:
        raise StorageFailure("store.error.key_unreadable")
    return key


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
        raw = _read(self.path)
        if raw is None:
            return None
        if os.name == "posix" and stat.S_IMODE(self.path.stat().st_mode) & 0o077:
            # Someone loosened the permissions: the key may have leaked. Refuse rather
            # than keep encrypting with it silently.
            raise StorageFailure("store.error.key_permissions")
        return decode_key(raw)

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
        # ``username`` names the entry; default_key_provider uses one per data folder.
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


class SystemdCredentialKeyProvider:
    """The key as a systemd credential (``$CREDENTIALS_DIRECTORY/zorgid-store-key``).

    systemd decrypts the credential into a private, read-only, non-swappable directory for
    the kiosk's service only; the file holds the 32 key bytes, raw or base64. The kiosk never
    writes it: :meth:`create` fails with ``store.error.key_systemd`` (the administrator
    provisions the key with ``systemd-creds encrypt``, docs/operators.md).
    """

    CREDENTIAL = CREDENTIAL_NAME

    def __init__(self, directory: Path) -> None:
        self.path = Path(directory) / self.CREDENTIAL

    def describe(self) -> str:
        """Return ``systemd:<path>``."""
        return f"systemd:{self.path}"

    def load(self) -> bytes | None:
        """Read the credential; ``None`` when the session has none."""
        raw = _read(self.path)
        if raw is None:
            return None
        if len(raw) == KEY_BYTES:
            return raw
        return decode_key(raw)

    def create(self) -> bytes:
        """Refuse: a systemd credential is provisioned by the administrator."""
        raise StorageFailure("store.error.key_systemd", where=str(self.path))


def usable_keyring_backend() -> Any | None:
    """The active ``keyring`` backend when it can hold secrets, else None.

    keyring rates backends by ``priority``: its fail and null backends (no Secret Service
    daemon, as on a headless machine or in CI) rate 0 or less, and a chainer without usable
    members rates 0 too. A backend set with ``keyring.set_keyring`` is what this returns.
    """
    try:
        import keyring
    except ImportError:
        return None
    try:
        backend = keyring.get_keyring()
    except Exception:
        return None
    try:
        priority = float(backend.priority)
    except Exception:
        return None
    name = type(backend).__module__
    if priority <= 0 or name.endswith((".fail", ".null")):
        return None
    return backend


KEY_STORES = ("auto", "keyring", "systemd", "file")
"""The values of ``storage.key_store``."""

KEY_FILENAME = "store.key"


def default_key_provider(
    data_dir: Path,
    key_store: str = "auto",
    *,
    environ: Mapping[str, str] | None = None,
    use_keyring: bool = True,
) -> KeyProvider:
    """Return the provider ``key_store`` (``storage.key_store``) names; see the module doc.

    Raises :class:`~kiosk.errors.StorageFailure` when the chosen place is not available:
    ``store.error.keyring_unavailable``, ``store.error.key_systemd`` or, for ``auto`` with
    neither, ``store.error.no_key_store``. A key file that an older kiosk made in the data
    folder is still used under ``auto`` (the key must not be lost; doctor warns).
    """
    if not use_keyring:
        key_store = "file"  # the older spelling of an explicit key file
    if key_store not in KEY_STORES:
        raise ValueError(f"unknown key store {key_store!r}")
    environ = os.environ if environ is None else environ
    data_dir = Path(data_dir)
    file_provider = FileKeyProvider(data_dir / KEY_FILENAME)
    if key_store == "file":
        return file_provider
    credentials = environ.get("CREDENTIALS_DIRECTORY")
    systemd = SystemdCredentialKeyProvider(Path(credentials)) if credentials else None
    if key_store == "systemd":
        if systemd is None:
            raise StorageFailure(
                "store.error.key_systemd", where="$CREDENTIALS_DIRECTORY/zorgid-store-key"
            )
        return systemd
    if key_store == "auto":
        if file_provider.path.exists():
            return file_provider
        if systemd is not None and systemd.path.exists():
            return systemd
    backend = usable_keyring_backend()
    if backend is None:
        if key_store == "keyring":
            raise StorageFailure("store.error.keyring_unavailable")
        raise StorageFailure("store.error.no_key_store")
    # One entry per data folder, so two kiosk profiles on one account keep their own key.
    return KeyringKeyProvider(backend, f"store-key:{data_dir.resolve()}")


def is_plain_key_file(provider: KeyProvider) -> bool:
    """True when the key is a plain file (what ``kiosk doctor`` warns about)."""
    return isinstance(provider, FileKeyProvider)


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
