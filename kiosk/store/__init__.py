"""Local encrypted storage: the registration queue, device credential, code pool, audit chain.

See :class:`kiosk.store.store.Store` for the guarantees (DESIGN.md section 6) and for the
module that holds each part behind it.
"""

from __future__ import annotations

from pathlib import Path

from kiosk.store.audit import AuditEntry, AuditEvent
from kiosk.store.credential import PauseInfo
from kiosk.store.handovers import HandoverRecord
from kiosk.store.keys import (
    FileKeyProvider,
    KeyProvider,
    KeyringKeyProvider,
    SystemdCredentialKeyProvider,
    default_key_provider,
)
from kiosk.store.outbox import OutboxItem, OutboxState, QueueCounts
from kiosk.store.store import Store
from kiosk.store.times import utc_now

DB_FILENAME = "kiosk.sqlite3"


def open_default(data_dir: Path, *, retention_days: int = 30, key_store: str = "auto") -> Store:
    """Open the store in ``data_dir`` with the key where ``key_store`` says
    (``storage.key_store``: systemd credential, OS keyring, or an explicit key file)."""
    return Store.open(
        Path(data_dir) / DB_FILENAME,
        default_key_provider(Path(data_dir), key_store),
        retention_days=retention_days,
    )


__all__ = [
    "DB_FILENAME",
    "AuditEntry",
    "AuditEvent",
    "FileKeyProvider",
    "HandoverRecord",
    "KeyProvider",
    "KeyringKeyProvider",
    "OutboxItem",
    "OutboxState",
    "PauseInfo",
    "QueueCounts",
    "Store",
    "SystemdCredentialKeyProvider",
    "default_key_provider",
    "open_default",
    "utc_now",
]
