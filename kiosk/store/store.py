"""The durable, encrypted registration queue (DESIGN.md sections 6 and 7).

One SQLite file in WAL mode with ``synchronous=FULL``: a registration and its outbox row are
written in one transaction and :meth:`Store.enqueue` returns only after the commit is on
disk, which is what lets the UI say "saved". The outbox moves
``pending -> in_flight -> done`` or ``-> dead``; an item left ``in_flight`` by a crash goes
back to ``pending`` at the next open (at-least-once delivery; the portal's PUT is idempotent).

Personal fields are sealed per cell with AES-GCM (:mod:`kiosk.store.crypto`); the queue's
own bookkeeping stays in clear so it can be managed without the key being used. Done items
are deleted after ``retention_days`` with ``secure_delete`` on and the WAL truncated, so the
plaintext-free ciphertext does not linger either. An HMAC hash chain records who checked
what and when, without names or document numbers.

All methods are thread-safe (one connection guarded by a lock): the UI thread enqueues while
the sync worker thread delivers.
"""

from __future__ import annotations

import contextlib
import errno
import json
import logging
import os
import sqlite3
import threading
import uuid
from collections.abc import Callable, Iterator
from dataclasses import dataclass
from datetime import UTC, date, datetime, timedelta
from enum import StrEnum
from pathlib import Path
from typing import Any

import sqlite_utils

from kiosk.errors import StorageFailure
from kiosk.log import mask_document_number
from kiosk.model import (
    CheckMethod,
    ChipEvidence,
    DeviceCredential,
    DocumentType,
    Employee,
    Enrollment,
    Registration,
    WidCheck,
)
from kiosk.store.crypto import FieldCipher
from kiosk.store.keys import KeyProvider
from kiosk.store.migrations import MIGRATIONS, SCHEMA_VERSION

log = logging.getLogger(__name__)

Clock = Callable[[], datetime]

SQLITE_FULL = 13
SQLITE_IOERR = 10
SQLITE_CORRUPT = 11
SQLITE_NOTADB = 26
BUSY_TIMEOUT_MS = 5000
_KEY_CHECK = "zorgid-kiosk store key check"
_GENESIS = bytes(32)
_TIME_FORMAT = "%Y-%m-%dT%H:%M:%S.%fZ"


def utc_now() -> datetime:
    """The default clock: the current time in UTC."""
    return datetime.now(UTC)


def _ts(moment: datetime) -> str:
    # Fixed-width UTC text sorts like the instants it encodes, so SQL can compare it.
    return moment.astimezone(UTC).strftime(_TIME_FORMAT)


def _parse_ts(text: str) -> datetime:
    return datetime.strptime(text, _TIME_FORMAT).replace(tzinfo=UTC)


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
            "next_attempt_at": _ts(self.next_attempt_at),
            "last_error": self.last_error,
            "last_status": self.last_status,
            "organisation_id": self.organisation_id,
            "beheerder_id": self.beheerder_id,
            "created_at": _ts(self.created_at),
            "updated_at": _ts(self.updated_at),
            "done_at": _ts(self.done_at) if self.done_at else None,
        }


@dataclass(frozen=True, slots=True)
class QueueCounts:
    """How many outbox items are in each state."""

    pending: int = 0
    in_flight: int = 0
    done: int = 0
    dead: int = 0


@dataclass(frozen=True, slots=True)
class PauseInfo:
    """Why the whole queue is paused (the portal refused the kiosk's credential)."""

    reason_key: str
    status: int | None
    since: datetime


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


_AUDIT_FIELDS = ("seq", "at", "event", "beheerder_id", "registration_id", "method")


class Store:
    """The kiosk's local database. Create with :meth:`open`; close with :meth:`close`."""

    def __init__(
        self,
        path: Path,
        conn: sqlite3.Connection,
        cipher: FieldCipher,
        clock: Clock,
        retention_days: int,
    ) -> None:
        self.path = path
        self._conn = conn
        self._db = sqlite_utils.Database(conn)
        self._cipher = cipher
        self._clock = clock
        self.retention_days = retention_days
        self._lock = threading.RLock()
        self._closed = False

    # ------------------------------------------------------------------ opening

    @classmethod
    def open(
        cls,
        path: Path,
        key_provider: KeyProvider,
        *,
        clock: Clock = utc_now,
        retention_days: int = 30,
        max_pages: int | None = None,
    ) -> Store:
        """Open (creating or migrating) the store at ``path``.

        Raises :class:`StorageFailure` with a message key the UI can show:
        ``store.error.corrupt`` (the file failed ``PRAGMA quick_check``; it has been moved
        aside, never deleted, and ``params["kept"]`` names where), ``store.error.key_missing``
        (a database with data but no key: the key is never regenerated for old data),
        ``store.error.key_mismatch``, ``store.error.newer_schema``, ``store.error.disk_full``
        or ``store.error.io``. ``max_pages`` caps the file size (``PRAGMA max_page_count``)
        for deployments with a small disk quota and for full-disk tests.
        """
        path = Path(path)
        try:
            path.parent.mkdir(parents=True, exist_ok=True)
            if not path.exists():
                # Create the file owner-only before SQLite touches it; SQLite gives its
                # -wal and -shm files the database file's permissions.
                with contextlib.suppress(FileExistsError):
                    os.close(os.open(path, os.O_WRONLY | os.O_CREAT | os.O_EXCL, 0o600))
        except OSError as exc:
            raise _storage_error(exc) from exc

        conn = cls._connect_checked(path)
        try:
            with _guard():
                version = conn.execute("PRAGMA user_version").fetchone()[0]
                tables = conn.execute("SELECT count(*) FROM sqlite_master WHERE type='table'")
                has_tables = bool(tables.fetchone()[0])
            if version > SCHEMA_VERSION:
                raise StorageFailure("store.error.newer_schema", version=version)
            key = key_provider.load()
            if key is None:
                if version > 0 or has_tables:
                    raise StorageFailure("store.error.key_missing", where=key_provider.describe())
                key = key_provider.create()
            cipher = FieldCipher(key)
            store = cls(path, conn, cipher, clock, retention_days)
            if max_pages is not None:
                with _guard():
                    conn.execute(f"PRAGMA max_page_count = {int(max_pages)}")
            store._migrate(version)
            store._check_key()
            store._recover_in_flight()
            return store
        except BaseException:
            conn.close()
            raise

    @classmethod
    def _connect_checked(cls, path: Path) -> sqlite3.Connection:
        conn: sqlite3.Connection | None = None
        problem: str | None = None
        try:
            # isolation_level=None: we issue BEGIN/COMMIT ourselves so a transaction covers
            # exactly what we say (Python's implicit transactions would not).
            conn = sqlite3.connect(
                path, isolation_level=None, check_same_thread=False, timeout=BUSY_TIMEOUT_MS / 1000
            )
            conn.execute(f"PRAGMA busy_timeout = {BUSY_TIMEOUT_MS}")
            rows = conn.execute("PRAGMA quick_check").fetchall()
            if rows != [("ok",)]:
                problem = "quick_check"
            else:
                mode = conn.execute("PRAGMA journal_mode = WAL").fetchone()[0]
                if str(mode).lower() != "wal":
                    raise StorageFailure("store.error.io")
                conn.execute("PRAGMA synchronous = FULL")
                conn.execute("PRAGMA foreign_keys = ON")
                conn.execute("PRAGMA secure_delete = ON")
        except sqlite3.DatabaseError as exc:
            code = getattr(exc, "sqlite_errorcode", None)
            if code in (SQLITE_NOTADB, SQLITE_CORRUPT) or "not a database" in str(exc):
                problem = "not_a_database"
            else:
                if conn is not None:
                    conn.close()
                raise _storage_error(exc) from exc
        if problem is None and conn is not None:
            return conn
        if conn is not None:
            conn.close()
        kept = cls._quarantine(path)
        log.error("store corrupt; moved aside", extra={"check": problem, "kept": str(kept)})
        raise StorageFailure("store.error.corrupt", kept=str(kept))

    @staticmethod
    def _quarantine(path: Path) -> Path:
        """Move a corrupt database (and its WAL/SHM) aside; never delete it."""
        stamp = datetime.now(UTC).strftime("%Y%m%dT%H%M%S%f")
        target = path.with_name(f"{path.name}.corrupt-{stamp}")
        try:
            for suffix in ("", "-wal", "-shm"):
                source = Path(f"{path}{suffix}")
                if source.exists():
                    source.rename(Path(f"{target}{suffix}"))
        except OSError as exc:
            raise StorageFailure("store.error.corrupt", kept=str(path)) from exc
        return target

    def _migrate(self, version: int) -> None:
        for target in range(version, SCHEMA_VERSION):
            with self._tx() as conn:
                for statement in MIGRATIONS[target].split(";"):
                    if statement.strip():
                        conn.execute(statement)
                # PRAGMA user_version is written to the header page inside this
                # transaction, so schema and version commit together.
                conn.execute(f"PRAGMA user_version = {target + 1}")
            log.info("store migrated", extra={"schema_version": target + 1})

    def _check_key(self) -> None:
        with self._lock, _guard():
            row = self._conn.execute("SELECT value FROM meta WHERE key = 'key_check'").fetchone()
        if row is None:
            sealed = self._cipher.seal("meta", "key_check", "value", _KEY_CHECK)
            with self._tx() as conn:
                conn.execute("INSERT INTO meta (key, value) VALUES ('key_check', ?)", (sealed,))
            return
        try:
            ok = self._cipher.open("meta", "key_check", "value", row[0]) == _KEY_CHECK
        except StorageFailure:
            ok = False
        if not ok:
            raise StorageFailure("store.error.key_mismatch")

    def _recover_in_flight(self) -> None:
        now = _ts(self._clock())
        with self._tx() as conn:
            count = conn.execute(
                "UPDATE outbox SET state = 'pending', next_attempt_at = ?, updated_at = ? "
                "WHERE state = 'in_flight'",
                (now, now),
            ).rowcount
        if count:
            log.warning("in-flight items returned to pending after restart", extra={"count": count})

    def close(self) -> None:
        """Checkpoint the WAL and close the connection."""
        with self._lock:
            if self._closed:
                return
            self._closed = True
            with contextlib.suppress(sqlite3.Error):
                self._conn.execute("PRAGMA wal_checkpoint(TRUNCATE)")
            self._conn.close()

    def now(self) -> datetime:
        """The current time by the store's (injectable) clock."""
        return self._clock()

    def __enter__(self) -> Store:
        return self

    def __exit__(self, *exc: object) -> None:
        self.close()

    @contextlib.contextmanager
    def _tx(self) -> Iterator[sqlite3.Connection]:
        """One ``BEGIN IMMEDIATE`` transaction; rolled back on any error, committed otherwise."""
        with self._lock, _guard():
            if self._closed:
                raise StorageFailure("store.error.closed")
            self._conn.execute("BEGIN IMMEDIATE")
            try:
                yield self._conn
                self._conn.execute("COMMIT")
            except BaseException:
                if self._conn.in_transaction:
                    self._conn.execute("ROLLBACK")
                raise

    def _query(self, sql: str, params: tuple[Any, ...] = ()) -> list[dict[str, Any]]:
        with self._lock, _guard():
            if self._closed:
                raise StorageFailure("store.error.closed")
            return list(self._db.query(sql, params))

    # ------------------------------------------------------------------ registrations

    def enqueue(self, registration: Registration, beheerder_id: str) -> None:
        """Store ``registration`` and its outbox row in one transaction.

        Returns only after the commit (``synchronous=FULL``: on disk), so the caller may
        tell the person it is saved. Enqueuing the same registration again is a no-op;
        the same id with different data raises ``store.error.duplicate``.
        """
        rid = str(registration.registration_id)
        existing = self._query("SELECT 1 FROM registrations WHERE registration_id = ?", (rid,))
        if existing:
            if self.load_registration(registration.registration_id) != registration:
                raise StorageFailure("store.error.duplicate")
            return
        now = self._clock()
        wid = registration.wid_check
        employee = registration.employee

        def seal(column: str, value: str | None) -> bytes | None:
            return self._cipher.seal("registrations", rid, column, value)

        row = {
            "registration_id": rid,
            "organisation_id": registration.organisation_id,
            "beheerder_id": beheerder_id,
            "created_at": _ts(now),
            "document_type": wid.document_type.value,
            "issuing_country": wid.issuing_country,
            "method": wid.method.value,
            "chip": json.dumps(wid.chip.to_contract()) if wid.chip else None,
            "photo_compared": int(wid.photo_compared),
            "checked_at": _ts(wid.checked_at),
            "checked_by": wid.checked_by,
            "given_names": seal("given_names", employee.given_names),
            "surname": seal("surname", employee.surname),
            "date_of_birth": seal("date_of_birth", employee.date_of_birth.isoformat()),
            "document_number": seal("document_number", wid.document_number),
            "expiry_date": seal("expiry_date", wid.expiry_date.isoformat()),
            "enrollment_code": seal("enrollment_code", registration.enrollment_code),
        }
        columns = ", ".join(row)
        marks = ", ".join("?" for _ in row)
        with self._tx() as conn:
            conn.execute(
                f"INSERT INTO registrations ({columns}) VALUES ({marks})",  # noqa: S608 - fixed names
                tuple(row.values()),
            )
            conn.execute(
                "INSERT INTO outbox (registration_id, state, attempts, next_attempt_at, updated_at)"
                " VALUES (?, 'pending', 0, ?, ?)",
                (rid, _ts(now), _ts(now)),
            )
            self._audit(conn, AuditEvent.ACCEPTED, beheerder_id, rid, wid.method.value)
        log.info("registration queued", extra={"registration_id": rid})

    def load_registration(self, registration_id: uuid.UUID) -> Registration:
        """Decrypt and return a queued registration (raises ``store.error.not_found``)."""
        rid = str(registration_id)
        rows = self._query("SELECT * FROM registrations WHERE registration_id = ?", (rid,))
        if not rows:
            raise StorageFailure("store.error.not_found")
        row = rows[0]

        def opened(column: str) -> str:
            value = self._cipher.open("registrations", rid, column, row[column])
            if value is None:
                raise StorageFailure("store.error.decrypt")
            return value

        chip = json.loads(row["chip"]) if row["chip"] else None
        return Registration(
            organisation_id=row["organisation_id"],
            employee=Employee(
                given_names=opened("given_names"),
                surname=opened("surname"),
                date_of_birth=date.fromisoformat(opened("date_of_birth")),
            ),
            wid_check=WidCheck(
                document_type=DocumentType(row["document_type"]),
                issuing_country=row["issuing_country"],
                document_number=opened("document_number"),
                expiry_date=date.fromisoformat(opened("expiry_date")),
                method=CheckMethod(row["method"]),
                chip=ChipEvidence.from_contract(chip) if chip else None,
                photo_compared=bool(row["photo_compared"]),
                checked_at=_parse_ts(row["checked_at"]),
                checked_by=row["checked_by"],
            ),
            enrollment_code=self._cipher.open(
                "registrations", rid, "enrollment_code", row["enrollment_code"]
            ),
            registration_id=uuid.UUID(rid),
        )

    def masked_document_number(self, registration_id: uuid.UUID) -> str:
        """The document number masked to its last three characters, for a person to match."""
        rid = str(registration_id)
        rows = self._query(
            "SELECT document_number FROM registrations WHERE registration_id = ?", (rid,)
        )
        if not rows:
            raise StorageFailure("store.error.not_found")
        return mask_document_number(
            self._cipher.open("registrations", rid, "document_number", rows[0]["document_number"])
        )

    # ------------------------------------------------------------------ outbox

    _ITEM_SQL = (
        "SELECT o.*, r.organisation_id, r.beheerder_id, r.created_at FROM outbox o "
        "JOIN registrations r USING (registration_id)"
    )

    @staticmethod
    def _item(row: dict[str, Any]) -> OutboxItem:
        return OutboxItem(
            registration_id=uuid.UUID(row["registration_id"]),
            state=OutboxState(row["state"]),
            attempts=int(row["attempts"]),
            next_attempt_at=_parse_ts(row["next_attempt_at"]),
            last_error=row["last_error"],
            last_status=row["last_status"],
            organisation_id=row["organisation_id"],
            beheerder_id=row["beheerder_id"],
            created_at=_parse_ts(row["created_at"]),
            updated_at=_parse_ts(row["updated_at"]),
            done_at=_parse_ts(row["done_at"]) if row["done_at"] else None,
        )

    def item(self, registration_id: uuid.UUID) -> OutboxItem | None:
        """The outbox item of one registration, or ``None``."""
        rows = self._query(
            self._ITEM_SQL + " WHERE registration_id = ?", (str(registration_id),)
        )
        return self._item(rows[0]) if rows else None

    def items(self, *states: OutboxState) -> list[OutboxItem]:
        """Outbox items, oldest first, optionally only in the given states."""
        sql = self._ITEM_SQL
        params: tuple[Any, ...] = ()
        if states:
            sql += f" WHERE o.state IN ({', '.join('?' for _ in states)})"
            params = tuple(s.value for s in states)
        return [self._item(row) for row in self._query(sql + " ORDER BY r.created_at", params)]

    def counts(self) -> QueueCounts:
        """Number of items per state."""
        rows = self._query("SELECT state, count(*) AS n FROM outbox GROUP BY state")
        found = {row["state"]: int(row["n"]) for row in rows}
        return QueueCounts(**{state.value: found.get(state.value, 0) for state in OutboxState})

    def next_due_at(self) -> datetime | None:
        """When the earliest pending item may next be tried (``None``: nothing pending)."""
        rows = self._query(
            "SELECT min(next_attempt_at) AS due FROM outbox WHERE state = 'pending'"
        )
        due = rows[0]["due"] if rows else None
        return _parse_ts(due) if due else None

    def claim_next(self, now: datetime | None = None) -> tuple[OutboxItem, Registration] | None:
        """Move the oldest due pending item to ``in_flight`` and return it with its data.

        An item whose ciphertext no longer opens (damaged or tampered cell) is made dead
        with ``store.error.decrypt`` and skipped, so it cannot block the rest of the queue.
        """
        now = now or self._clock()
        while True:
            with self._tx() as conn:
                row = conn.execute(
                    "SELECT registration_id FROM outbox WHERE state = 'pending' "
                    "AND next_attempt_at <= ? ORDER BY next_attempt_at, rowid LIMIT 1",
                    (_ts(now),),
                ).fetchone()
                if row is None:
                    return None
                conn.execute(
                    "UPDATE outbox SET state = 'in_flight', attempts = attempts + 1, "
                    "updated_at = ? WHERE registration_id = ?",
                    (_ts(now), row[0]),
                )
            rid = uuid.UUID(row[0])
            try:
                registration = self.load_registration(rid)
            except StorageFailure as exc:
                if exc.message_key != "store.error.decrypt":
                    raise
                log.error("queued registration unreadable", extra={"registration_id": row[0]})
                self.mark_dead(rid, exc.message_key, None)
                continue
            item = self.item(rid)
            assert item is not None
            return item, registration

    def _set(self, registration_id: uuid.UUID, sql: str, params: tuple[Any, ...]) -> None:
        with self._tx() as conn:
            count = conn.execute(
                f"UPDATE outbox SET {sql}, updated_at = ? WHERE registration_id = ?",  # noqa: S608
                (*params, _ts(self._clock()), str(registration_id)),
            ).rowcount
            if count != 1:
                raise StorageFailure("store.error.not_found")

    def mark_done(self, registration_id: uuid.UUID) -> None:
        """The portal acknowledged the registration (201 or 200)."""
        now = self._clock()
        with self._tx() as conn:
            conn.execute(
                "UPDATE outbox SET state = 'done', done_at = ?, updated_at = ?, last_error = NULL,"
                " last_status = NULL WHERE registration_id = ?",
                (_ts(now), _ts(now), str(registration_id)),
            )
            self._audit(conn, AuditEvent.DELIVERED, None, str(registration_id), None)

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
            (_ts(next_attempt_at), error_key, status),
        )

    def release(self, registration_id: uuid.UUID) -> None:
        """Return an in-flight item to ``pending`` without counting the attempt (queue paused)."""
        self._set(
            registration_id,
            "state = 'pending', attempts = max(attempts - 1, 0)",
            (),
        )

    def mark_dead(self, registration_id: uuid.UUID, error_key: str, status: int | None) -> None:
        """A permanent answer: keep the item, stop retrying until a person says so."""
        with self._tx() as conn:
            conn.execute(
                "UPDATE outbox SET state = 'dead', last_error = ?, last_status = ?, updated_at = ?"
                " WHERE registration_id = ?",
                (error_key, status, _ts(self._clock()), str(registration_id)),
            )
            self._audit(conn, AuditEvent.DEAD, None, str(registration_id), None)

    def retry(self, registration_id: uuid.UUID, beheerder_id: str | None = None) -> bool:
        """A person retries a dead item: it becomes ``pending`` and due now.

        Returns False when the item is not dead (nothing to do).
        """
        now = _ts(self._clock())
        with self._tx() as conn:
            count = conn.execute(
                "UPDATE outbox SET state = 'pending', next_attempt_at = ?, updated_at = ? "
                "WHERE registration_id = ? AND state = 'dead'",
                (now, now, str(registration_id)),
            ).rowcount
            if count:
                self._audit(conn, AuditEvent.RETRIED, beheerder_id, str(registration_id), None)
        return bool(count)

    # ------------------------------------------------------------------ pause

    def paused(self) -> PauseInfo | None:
        """Why the queue is paused, or ``None`` when it runs."""
        rows = self._query("SELECT value FROM meta WHERE key = 'paused'")
        if not rows or rows[0]["value"] is None:
            return None
        data = json.loads(rows[0]["value"])
        return PauseInfo(data["reason_key"], data["status"], _parse_ts(data["since"]))

    def pause(self, reason_key: str, status: int | None) -> None:
        """Pause the whole queue (401/403: the kiosk's credential is not accepted)."""
        value = json.dumps(
            {"reason_key": reason_key, "status": status, "since": _ts(self._clock())}
        )
        with self._tx() as conn:
            conn.execute("INSERT OR REPLACE INTO meta (key, value) VALUES ('paused', ?)", (value,))

    def resume(self) -> None:
        """Lift a pause (the credential was fixed)."""
        with self._tx() as conn:
            conn.execute("DELETE FROM meta WHERE key = 'paused'")

    # ------------------------------------------------------------------ device credential

    def set_device_credential(self, credential: DeviceCredential) -> None:
        """Store the kiosk's device credential (token encrypted) and lift any pause."""
        sealed = self._cipher.seal(
            "device_credential", "1", "device_token", credential.device_token
        )
        with self._tx() as conn:
            conn.execute(
                "INSERT OR REPLACE INTO device_credential (id, kiosk_id, device_token, stored_at)"
                " VALUES (1, ?, ?, ?)",
                (credential.kiosk_id, sealed, _ts(self._clock())),
            )
            conn.execute("DELETE FROM meta WHERE key = 'paused'")
            self._audit(conn, AuditEvent.CREDENTIAL_SET, None, None, None)

    def get_device_credential(self) -> DeviceCredential | None:
        """The kiosk's device credential, or ``None`` before the kiosk was enrolled."""
        rows = self._query("SELECT kiosk_id, device_token FROM device_credential WHERE id = 1")
        if not rows:
            return None
        token = self._cipher.open("device_credential", "1", "device_token", rows[0]["device_token"])
        assert token is not None
        return DeviceCredential(kiosk_id=rows[0]["kiosk_id"], device_token=token)

    def device_token(self) -> str | None:
        """The device token alone (a ``device_token_provider`` for the sync worker)."""
        credential = self.get_device_credential()
        return credential.device_token if credential else None

    # ------------------------------------------------------------------ offline code pool

    def pool_add(self, enrollments: list[Enrollment]) -> None:
        """Keep reserved, unbound enrollment codes (sealed) for offline registrations."""
        now = _ts(self._clock())
        with self._tx() as conn:
            for enrollment in enrollments:
                code_id = uuid.uuid4().hex
                conn.execute(
                    "INSERT INTO code_pool (code_id, code, qr_payload, expires_at, reserved_at)"
                    " VALUES (?, ?, ?, ?, ?)",
                    (
                        code_id,
                        self._cipher.seal("code_pool", code_id, "code", enrollment.code),
                        self._cipher.seal(
                            "code_pool", code_id, "qr_payload", enrollment.qr_payload
                        ),
                        _ts(enrollment.expires_at),
                        now,
                    ),
                )

    def pool_count(self, valid_until: datetime) -> int:
        """How many pooled codes stay valid at least until ``valid_until``."""
        rows = self._query(
            "SELECT count(*) AS n FROM code_pool WHERE expires_at > ?", (_ts(valid_until),)
        )
        return int(rows[0]["n"])

    def pool_take(self, valid_until: datetime) -> Enrollment | None:
        """Remove and return the pooled code expiring soonest after ``valid_until``."""
        with self._tx() as conn:
            row = conn.execute(
                "SELECT code_id, code, qr_payload, expires_at FROM code_pool "
                "WHERE expires_at > ? ORDER BY expires_at LIMIT 1",
                (_ts(valid_until),),
            ).fetchone()
            if row is None:
                return None
            conn.execute("DELETE FROM code_pool WHERE code_id = ?", (row[0],))
        code = self._cipher.open("code_pool", row[0], "code", row[1])
        payload = self._cipher.open("code_pool", row[0], "qr_payload", row[2])
        assert code is not None and payload is not None
        return Enrollment(code=code, qr_payload=payload, expires_at=_parse_ts(row[3]))

    def pool_discard_expired(self, now: datetime | None = None) -> int:
        """Delete pooled codes that have expired; returns how many."""
        with self._tx() as conn:
            return int(
                conn.execute(
                    "DELETE FROM code_pool WHERE expires_at <= ?", (_ts(now or self._clock()),)
                ).rowcount
            )

    # ------------------------------------------------------------------ retention

    def purge(self, now: datetime | None = None) -> int:
        """Delete acknowledged registrations older than ``retention_days``; returns how many.

        ``secure_delete`` overwrites the freed pages; the WAL is then checkpointed and
        truncated so no old page images survive in it either.
        """
        now = now or self._clock()
        cutoff = _ts(now - timedelta(days=self.retention_days))
        with self._tx() as conn:
            ids = [
                row[0]
                for row in conn.execute(
                    "SELECT registration_id FROM outbox WHERE state = 'done' AND done_at <= ?",
                    (cutoff,),
                )
            ]
            for rid in ids:
                conn.execute("DELETE FROM registrations WHERE registration_id = ?", (rid,))
                self._audit(conn, AuditEvent.PURGED, None, rid, None)
        with self._lock, _guard():
            self._conn.execute("PRAGMA wal_checkpoint(TRUNCATE)")
        if ids:
            log.info("registrations purged", extra={"count": len(ids)})
        return len(ids)

    # ------------------------------------------------------------------ audit chain

    @staticmethod
    def _audit_record(fields: tuple[Any, ...]) -> bytes:
        """Canonical bytes of (seq, at, event, beheerder_id, registration_id, method)."""
        return json.dumps(list(fields), separators=(",", ":")).encode()

    def _audit(
        self,
        conn: sqlite3.Connection,
        event: str,
        beheerder_id: str | None,
        registration_id: str | None,
        method: str | None,
    ) -> None:
        last = conn.execute("SELECT seq, mac FROM audit ORDER BY seq DESC LIMIT 1").fetchone()
        seq, previous = (last[0] + 1, bytes(last[1])) if last else (1, _GENESIS)
        at = _ts(self._clock())
        record = self._audit_record((seq, at, event, beheerder_id, registration_id, method))
        mac = self._cipher.audit_mac(previous, record)
        conn.execute(
            "INSERT INTO audit (seq, at, event, beheerder_id, registration_id, method, mac)"
            " VALUES (?, ?, ?, ?, ?, ?, ?)",
            (seq, at, event, beheerder_id, registration_id, method, mac),
        )
        conn.execute(
            "INSERT OR REPLACE INTO meta (key, value) VALUES ('audit_head', ?)",
            (json.dumps({"seq": seq, "mac": mac.hex()}),),
        )

    def record_audit(
        self,
        event: str,
        beheerder_id: str | None,
        registration_id: uuid.UUID | None = None,
        method: str | None = None,
    ) -> None:
        """Append an event (e.g. a WID check by a beheerder) to the audit chain.

        Only identifiers and the method: never a name or a document number.
        """
        with self._tx() as conn:
            self._audit(
                conn, event, beheerder_id, str(registration_id) if registration_id else None, method
            )

    def audit_entries(self) -> list[AuditEntry]:
        """The audit log, oldest first."""
        return [
            AuditEntry(
                seq=row["seq"],
                at=_parse_ts(row["at"]),
                event=row["event"],
                beheerder_id=row["beheerder_id"],
                registration_id=row["registration_id"],
                method=row["method"],
            )
            for row in self._query("SELECT * FROM audit ORDER BY seq")
        ]

    def verify_audit_chain(self) -> bool:
        """Recompute every link; False when any entry was altered, removed or inserted.

        The head (last sequence number and MAC) is kept in ``meta`` so removing the newest
        entries is noticed too; an attacker who also rewinds the head to an older link can
        only be caught by an external copy of the head, which an operator may export.
        """
        rows = self._query("SELECT * FROM audit ORDER BY seq")
        previous = _GENESIS
        for expected_seq, row in enumerate(rows, start=1):
            if row["seq"] != expected_seq:
                return False
            record = self._audit_record(tuple(row[k] for k in _AUDIT_FIELDS))
            mac = self._cipher.audit_mac(previous, record)
            if mac != bytes(row["mac"]):
                return False
            previous = mac
        head_rows = self._query("SELECT value FROM meta WHERE key = 'audit_head'")
        if not head_rows:
            return not rows
        head = json.loads(head_rows[0]["value"])
        return bool(rows) and head["seq"] == len(rows) and head["mac"] == previous.hex()


def _storage_error(exc: BaseException) -> StorageFailure:
    """Map a sqlite3/OS error to a typed, translatable storage failure."""
    if isinstance(exc, OSError) and exc.errno == errno.ENOSPC:
        return StorageFailure("store.error.disk_full")
    code = getattr(exc, "sqlite_errorcode", None)
    if code is not None and code & 0xFF == SQLITE_FULL:
        return StorageFailure("store.error.disk_full")
    if "database or disk is full" in str(exc):
        return StorageFailure("store.error.disk_full")
    if code is not None and code & 0xFF in (SQLITE_CORRUPT, SQLITE_NOTADB):
        return StorageFailure("store.error.corrupt", kept="")
    return StorageFailure("store.error.io")


@contextlib.contextmanager
def _guard() -> Iterator[None]:
    try:
        yield
    except (sqlite3.Error, OSError) as exc:
        raise _storage_error(exc) from exc
