"""The audit log: an HMAC hash chain of who checked what and when (DESIGN.md section 6).

Each entry's MAC covers the previous entry's MAC and the entry's canonical bytes, under a
key derived from the store key (:class:`kiosk.store.crypto.FieldCipher`), so altering,
removing or inserting an entry breaks the chain. Entries hold identifiers and the check
method only: never a name or a document number.
"""

from __future__ import annotations

import json
import sqlite3
import uuid
from dataclasses import dataclass
from datetime import datetime
from enum import StrEnum
from typing import Any

from kiosk.store.connection import StoreConnection
from kiosk.store.crypto import FieldCipher
from kiosk.store.times import Clock, parse_ts, ts

_GENESIS = bytes(32)
_FIELDS = ("seq", "at", "event", "beheerder_id", "registration_id", "method")


@dataclass(frozen=True, slots=True)
class AuditEntry:
    """One link of the audit chain."""

    seq: int
    at: datetime
    event: str
    beheerder_id: str | None
    registration_id: str | None
    method: str | None


class AuditEvent(StrEnum):
    """What the audit log records."""

    ACCEPTED = "registration.accepted"
    DELIVERED = "registration.delivered"
    DEAD = "registration.dead"
    RETRIED = "registration.retried"
    PURGED = "registration.purged"
    CREDENTIAL_SET = "kiosk.credential_set"


def _record(fields: tuple[Any, ...]) -> bytes:
    """Canonical bytes of (seq, at, event, beheerder_id, registration_id, method)."""
    return json.dumps(list(fields), separators=(",", ":")).encode()


class AuditChain:
    """Appends to and verifies the ``audit`` table."""

    def __init__(self, db: StoreConnection, cipher: FieldCipher, clock: Clock) -> None:
        self._db = db
        self._cipher = cipher
        self._clock = clock

    def append(
        self,
        conn: sqlite3.Connection,
        event: str,
        beheerder_id: str | None,
        registration_id: str | None,
        method: str | None,
    ) -> None:
        """Add a link inside the caller's transaction, so it commits with what it records."""
        last = conn.execute("SELECT seq, mac FROM audit ORDER BY seq DESC LIMIT 1").fetchone()
        seq, previous = (last[0] + 1, bytes(last[1])) if last else (1, _GENESIS)
        at = ts(self._clock())
        mac = self._cipher.audit_mac(
            previous, _record((seq, at, event, beheerder_id, registration_id, method))
        )
        conn.execute(
            "INSERT INTO audit (seq, at, event, beheerder_id, registration_id, method, mac)"
            " VALUES (?, ?, ?, ?, ?, ?, ?)",
            (seq, at, event, beheerder_id, registration_id, method, mac),
        )
        conn.execute(
            "INSERT OR REPLACE INTO meta (key, value) VALUES ('audit_head', ?)",
            (json.dumps({"seq": seq, "mac": mac.hex()}),),
        )

    def record(
        self,
        event: str,
        beheerder_id: str | None,
        registration_id: uuid.UUID | None = None,
        method: str | None = None,
    ) -> None:
        """Append an event in its own transaction."""
        with self._db.tx() as conn:
            self.append(
                conn, event, beheerder_id, str(registration_id) if registration_id else None, method
            )

    def entries(self) -> list[AuditEntry]:
        """The audit log, oldest first."""
        return [
            AuditEntry(
                seq=row["seq"],
                at=parse_ts(row["at"]),
                event=row["event"],
                beheerder_id=row["beheerder_id"],
                registration_id=row["registration_id"],
                method=row["method"],
            )
            for row in self._db.query("SELECT * FROM audit ORDER BY seq")
        ]

    def verify(self) -> bool:
        """Recompute every link; False when any entry was altered, removed or inserted.

        The head (last sequence number and MAC) is kept in ``meta`` so removing the newest
        entries is noticed too; an attacker who also rewinds the head to an older link can
        only be caught by an external copy of the head, which an operator may export.
        """
        rows = self._db.query("SELECT * FROM audit ORDER BY seq")
        previous = _GENESIS
        for expected_seq, row in enumerate(rows, start=1):
            if row["seq"] != expected_seq:
                return False
            mac = self._cipher.audit_mac(previous, _record(tuple(row[k] for k in _FIELDS)))
            if mac != bytes(row["mac"]):
                return False
            previous = mac
        head_rows = self._db.query("SELECT value FROM meta WHERE key = 'audit_head'")
        if not head_rows:
            return not rows
        head = json.loads(head_rows[0]["value"])
        return bool(rows) and head["seq"] == len(rows) and head["mac"] == previous.hex()
