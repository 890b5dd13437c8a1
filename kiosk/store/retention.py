"""Retention: acknowledged registrations leave the kiosk once their time is up (DESIGN.md 6, 7).

Only items the portal acknowledged (``done``) are ever purged; pending and dead items stay
until delivered or handled by a person. ``secure_delete`` (set at open) overwrites the freed
pages and the WAL is then checkpointed and truncated, so no old page image of the
ciphertext lingers in it either.
"""

from __future__ import annotations

import logging
from datetime import datetime, timedelta

from kiosk.store.audit import AuditChain, AuditEvent
from kiosk.store.connection import StoreConnection
from kiosk.store.times import Clock, ts

log = logging.getLogger(__name__)


class Retention:
    """Purges delivered registrations older than ``days``."""

    def __init__(self, db: StoreConnection, clock: Clock, audit: AuditChain, days: int) -> None:
        self._db = db
        self._clock = clock
        self._audit = audit
        self.days = days

    def purge(self, now: datetime | None = None) -> int:
        """Delete acknowledged registrations older than :attr:`days`; returns how many."""
        now = now or self._clock()
        cutoff = ts(now - timedelta(days=self.days))
        with self._db.tx() as conn:
            ids = [
                row[0]
                for row in conn.execute(
                    "SELECT registration_id FROM outbox WHERE state = 'done' AND done_at <= ?",
                    (cutoff,),
                )
            ]
            for rid in ids:
                # The outbox row goes with it (ON DELETE CASCADE).
                conn.execute("DELETE FROM registrations WHERE registration_id = ?", (rid,))
                self._audit.append(conn, AuditEvent.PURGED, None, rid, None)
        self._db.execute("PRAGMA wal_checkpoint(TRUNCATE)")
        if ids:
            log.info("registrations purged", extra={"count": len(ids)})
        return len(ids)
