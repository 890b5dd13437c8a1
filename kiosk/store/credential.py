"""The kiosk's device credential and the queue pause that waits for it (DESIGN.md section 6).

The sync worker authenticates as the kiosk with a device token issued at enrollment. When
the portal refuses it (401/403) the whole queue pauses; storing a new credential lifts the
pause in the same transaction. The token is sealed like any personal field.
"""

from __future__ import annotations

import json
from dataclasses import dataclass
from datetime import datetime

from kiosk.model import DeviceCredential
from kiosk.store.audit import AuditChain, AuditEvent
from kiosk.store.connection import StoreConnection
from kiosk.store.crypto import FieldCipher
from kiosk.store.times import Clock, parse_ts, ts


@dataclass(frozen=True, slots=True)
class PauseInfo:
    """Why the whole queue is paused (the portal refused the kiosk's credential)."""

    reason_key: str
    status: int | None
    since: datetime


class Credentials:
    """The ``device_credential`` table and the ``paused`` entry of ``meta``."""

    def __init__(
        self, db: StoreConnection, cipher: FieldCipher, clock: Clock, audit: AuditChain
    ) -> None:
        self._db = db
        self._cipher = cipher
        self._clock = clock
        self._audit = audit

    def paused(self) -> PauseInfo | None:
        """Why the queue is paused, or ``None`` when it runs."""
        rows = self._db.query("SELECT value FROM meta WHERE key = 'paused'")
        if not rows or rows[0]["value"] is None:
            return None
        data = json.loads(rows[0]["value"])
        return PauseInfo(data["reason_key"], data["status"], parse_ts(data["since"]))

    def pause(self, reason_key: str, status: int | None) -> None:
        """Pause the whole queue (401/403: the kiosk's credential is not accepted)."""
        value = json.dumps({"reason_key": reason_key, "status": status, "since": ts(self._clock())})
        with self._db.tx() as conn:
            conn.execute("INSERT OR REPLACE INTO meta (key, value) VALUES ('paused', ?)", (value,))

    def resume(self) -> None:
        """Lift a pause (the credential was fixed)."""
        with self._db.tx() as conn:
            conn.execute("DELETE FROM meta WHERE key = 'paused'")

    def set(self, credential: DeviceCredential) -> None:
        """Store the kiosk's device credential (token encrypted) and lift any pause."""
        sealed = self._cipher.seal(
            "device_credential", "1", "device_token", credential.device_token
        )
        with self._db.tx() as conn:
            conn.execute(
                "INSERT OR REPLACE INTO device_credential"
                " (id, kiosk_id, device_token, stored_at, expires_at) VALUES (1, ?, ?, ?, ?)",
                (
                    credential.kiosk_id,
                    sealed,
                    ts(self._clock()),
                    ts(credential.expires_at) if credential.expires_at else None,
                ),
            )
            conn.execute("DELETE FROM meta WHERE key = 'paused'")
            self._audit.append(conn, AuditEvent.CREDENTIAL_SET, None, None, None)

    def get(self) -> DeviceCredential | None:
        """The kiosk's device credential, or ``None`` before the kiosk was enrolled."""
        rows = self._db.query(
            "SELECT kiosk_id, device_token, expires_at FROM device_credential WHERE id = 1"
        )
        if not rows:
            return None
        token = self._cipher.open("device_credential", "1", "device_token", rows[0]["device_token"])
        assert token is not None
        expires = rows[0]["expires_at"]
        return DeviceCredential(
            kiosk_id=rows[0]["kiosk_id"],
            device_token=token,
            expires_at=parse_ts(expires) if expires else None,
        )
