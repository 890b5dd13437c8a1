"""The outbox: each registration's way to the portal (DESIGN.md section 6).

An item moves ``pending -> in_flight -> done`` or ``-> dead``. An item left ``in_flight`` by
a crash goes back to ``pending`` at the next open (at-least-once delivery; the portal's PUT
is idempotent). Rows hold bookkeeping only, nothing personal, so the queue can be managed
and shown without the key being used.
"""

from __future__ import annotations

import logging
import sqlite3
import uuid
from collections.abc import Callable
from dataclasses import dataclass
from datetime import datetime
from enum import StrEnum
from typing import Any

from kiosk.errors import StorageFailure
from kiosk.model import Registration
from kiosk.store.audit import AuditChain, AuditEvent
from kiosk.store.connection import StoreConnection
from kiosk.store.times import Clock, parse_ts, ts

log = logging.getLogger(__name__)


class OutboxState(StrEnum):
    """Where an item is on its way to the portal."""

    PENDING = "pending"
    IN_FLIGHT = "in_flight"
    DONE = "done"
    DEAD = "dead"


@dataclass(frozen=True, slots=True)
class OutboxItem:
    """An outbox row: bookkeeping only, nothing personal."""

    registration_id: uuid.UUID
    state: OutboxState
    attempts: int
    next_attempt_at: datetime
    last_error: str | None
    last_status: int | None
    organisation_id: str
    beheerder_id: str
    created_at: datetime
    updated_at: datetime
    done_at: datetime | None

    def to_json(self) -> dict[str, Any]:
        """Plain JSON form (CLI ``--json``)."""
        return {
            "registration_id": str(self.registration_id),
            "state": self.state.value,
            "attempts": self.attempts,
            "next_attempt_at": ts(self.next_attempt_at),
            "last_error": self.last_error,
            "last_status": self.last_status,
            "organisation_id": self.organisation_id,
            "beheerder_id": self.beheerder_id,
            "created_at": ts(self.created_at),
            "updated_at": ts(self.updated_at),
            "done_at": ts(self.done_at) if self.done_at else None,
        }


@dataclass(frozen=True, slots=True)
class QueueCounts:
    """How many outbox items are in each state."""

    pending: int = 0
    in_flight: int = 0
    done: int = 0
    dead: int = 0


_ITEM_SQL = (
    "SELECT o.*, r.organisation_id, r.beheerder_id, r.created_at FROM outbox o "
    "JOIN registrations r USING (registration_id)"
)


def add_pending(conn: sqlite3.Connection, registration_id: uuid.UUID, now: datetime) -> None:
    """Give a new registration its ``pending`` row, inside the caller's transaction."""
    conn.execute(
        "INSERT INTO outbox (registration_id, state, attempts, next_attempt_at, updated_at)"
        " VALUES (?, 'pending', 0, ?, ?)",
        (str(registration_id), ts(now), ts(now)),
    )


def _item(row: dict[str, Any]) -> OutboxItem:
    return OutboxItem(
        registration_id=uuid.UUID(row["registration_id"]),
        state=OutboxState(row["state"]),
        attempts=int(row["attempts"]),
        next_attempt_at=parse_ts(row["next_attempt_at"]),
        last_error=row["last_error"],
        last_status=row["last_status"],
        organisation_id=row["organisation_id"],
        beheerder_id=row["beheerder_id"],
        created_at=parse_ts(row["created_at"]),
        updated_at=parse_ts(row["updated_at"]),
        done_at=parse_ts(row["done_at"]) if row["done_at"] else None,
    )


class Outbox:
    """States, claims and counts of the ``outbox`` table.

    ``load`` decrypts a registration (:meth:`kiosk.store.registrations.Registrations.load`);
    :meth:`claim_next` hands the claimed item over together with its data.
    """

    def __init__(
        self,
        db: StoreConnection,
        clock: Clock,
        audit: AuditChain,
        load: Callable[[uuid.UUID], Registration],
    ) -> None:
        self._db = db
        self._clock = clock
        self._audit = audit
        self._load = load

    def recover_in_flight(self) -> None:
        """Return items a crash left ``in_flight`` to ``pending``, due now (at open)."""
        now = ts(self._clock())
        with self._db.tx() as conn:
            count = conn.execute(
                "UPDATE outbox SET state = 'pending', next_attempt_at = ?, updated_at = ? "
                "WHERE state = 'in_flight'",
                (now, now),
            ).rowcount
        if count:
            log.warning("in-flight items returned to pending after restart", extra={"count": count})

    def item(self, registration_id: uuid.UUID) -> OutboxItem | None:
        """The outbox item of one registration, or ``None``."""
        rows = self._db.query(_ITEM_SQL + " WHERE registration_id = ?", (str(registration_id),))
        return _item(rows[0]) if rows else None

    def items(self, *states: OutboxState) -> list[OutboxItem]:
        """Outbox items, oldest first, optionally only in the given states."""
        sql = _ITEM_SQL
        params: tuple[Any, ...] = ()
        if states:
            sql += f" WHERE o.state IN ({', '.join('?' for _ in states)})"
            params = tuple(s.value for s in states)
        return [_item(row) for row in self._db.query(sql + " ORDER BY r.created_at", params)]

    def counts(self) -> QueueCounts:
        """Number of items per state."""
        rows = self._db.query("SELECT state, count(*) AS n FROM outbox GROUP BY state")
        found = {row["state"]: int(row["n"]) for row in rows}
        return QueueCounts(**{state.value: found.get(state.value, 0) for state in OutboxState})

    def next_due_at(self) -> datetime | None:
        """When the earliest pending item may next be tried (``None``: nothing pending)."""
        rows = self._db.query(
            "SELECT min(next_attempt_at) AS due FROM outbox WHERE state = 'pending'"
        )
        due = rows[0]["due"] if rows else None
        return parse_ts(due) if due else None

    def claim_next(self, now: datetime | None = None) -> tuple[OutboxItem, Registration] | None:
        """Move the oldest due pending item to ``in_flight`` and return it with its data.

        An item whose ciphertext no longer opens (damaged or tampered cell) is made dead
        with ``store.error.decrypt`` and skipped, so it cannot block the rest of the queue.
        """
        now = now or self._clock()
        while True:
            with self._db.tx() as conn:
                row = conn.execute(
                    "SELECT registration_id FROM outbox WHERE state = 'pending' "
                    "AND next_attempt_at <= ? ORDER BY next_attempt_at, rowid LIMIT 1",
                    (ts(now),),
                ).fetchone()
                if row is None:
                    return None
                conn.execute(
                    "UPDATE outbox SET state = 'in_flight', attempts = attempts + 1, "
                    "updated_at = ? WHERE registration_id = ?",
                    (ts(now), row[0]),
                )
            rid = uuid.UUID(row[0])
            try:
                registration = self._load(rid)
            except StorageFailure as exc:
                if exc.message_key != "store.error.decrypt":
                    raise
                log.error("queued registration unreadable", extra={"registration_id": row[0]})
                self.mark_dead(rid, exc.message_key, None)
                continue
            item = self.item(rid)
            assert item is not None
            return item, registration

    def expedite(self, now: datetime) -> int:
        """Make every pending item that waits for a later attempt due at ``now`` (the portal
        is back, or a person asked to retry); returns how many."""
        with self._db.tx() as conn:
            return int(
                conn.execute(
                    "UPDATE outbox SET next_attempt_at = ? "
                    "WHERE state = 'pending' AND next_attempt_at > ?",
                    (ts(now), ts(now)),
                ).rowcount
            )

    def _set(self, registration_id: uuid.UUID, sql: str, params: tuple[Any, ...]) -> None:
        with self._db.tx() as conn:
            count = conn.execute(
                f"UPDATE outbox SET {sql}, updated_at = ? WHERE registration_id = ?",  # noqa: S608
                (*params, ts(self._clock()), str(registration_id)),
            ).rowcount
            if count != 1:
                raise StorageFailure("store.error.not_found")

    def mark_done(self, registration_id: uuid.UUID) -> None:
        """The portal acknowledged the registration (201 or 200)."""
        now = self._clock()
        with self._db.tx() as conn:
            conn.execute(
                "UPDATE outbox SET state = 'done', done_at = ?, updated_at = ?, last_error = NULL,"
                " last_status = NULL WHERE registration_id = ?",
                (ts(now), ts(now), str(registration_id)),
            )
            self._audit.append(conn, AuditEvent.DELIVERED, None, str(registration_id), None)

    def mark_retry(
        self,
        registration_id: uuid.UUID,
        next_attempt_at: datetime,
        error_key: str,
        status: int | None = None,
    ) -> None:
        """A transient failure: back to ``pending``, not before ``next_attempt_at``."""
        self._set(
            registration_id,
            "state = 'pending', next_attempt_at = ?, last_error = ?, last_status = ?",
            (ts(next_attempt_at), error_key, status),
        )

    def release(self, registration_id: uuid.UUID) -> None:
        """Return an in-flight item to ``pending`` without counting the attempt (queue paused)."""
        self._set(registration_id, "state = 'pending', attempts = max(attempts - 1, 0)", ())

    def mark_dead(self, registration_id: uuid.UUID, error_key: str, status: int | None) -> None:
        """A permanent answer: keep the item, stop retrying until a person says so."""
        with self._db.tx() as conn:
            conn.execute(
                "UPDATE outbox SET state = 'dead', last_error = ?, last_status = ?, updated_at = ?"
                " WHERE registration_id = ?",
                (error_key, status, ts(self._clock()), str(registration_id)),
            )
            self._audit.append(conn, AuditEvent.DEAD, None, str(registration_id), None)

    def retry(self, registration_id: uuid.UUID, beheerder_id: str | None = None) -> bool:
        """A person retries a dead item: it becomes ``pending`` and due now.

        Returns False when the item is not dead (nothing to do).
        """
        now = ts(self._clock())
        with self._db.tx() as conn:
            count = conn.execute(
                "UPDATE outbox SET state = 'pending', next_attempt_at = ?, updated_at = ? "
                "WHERE registration_id = ? AND state = 'dead'",
                (now, now, str(registration_id)),
            ).rowcount
            if count:
                self._audit.append(
                    conn, AuditEvent.RETRIED, beheerder_id, str(registration_id), None
                )
        return bool(count)
