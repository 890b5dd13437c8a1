"""The store's one SQLite connection: opening, pragmas, quarantine, transactions, closing.

Opening creates the file owner-only, runs ``PRAGMA quick_check`` and moves a damaged file
aside (never deletes it), then sets the pragmas the queue's promises rest on (DESIGN.md
sections 6 and 7): WAL with ``synchronous=FULL`` (a commit that returned is on disk),
``foreign_keys`` and ``secure_delete`` (freed pages are overwritten). Every statement runs
under one re-entrant lock and through :func:`kiosk.store.failures.guard`, so the UI thread
and the sync worker thread can share the connection and only environment failures become
:class:`~kiosk.errors.StorageFailure`.
"""

from __future__ import annotations

import contextlib
import logging
import os
import sqlite3
import threading
from collections.abc import Iterator, Sequence
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

import sqlite_utils

from kiosk.errors import StorageFailure
from kiosk.sqlitemigrate import SchemaTooNew, Step, migrate, user_version
from kiosk.store.failures import DAMAGED, classify, guard, os_failure, primary_code

log = logging.getLogger(__name__)

BUSY_TIMEOUT_MS = 5000

PRAGMAS = ("journal_mode", "synchronous", "foreign_keys", "secure_delete", "busy_timeout")
"""The settings :meth:`StoreConnection.pragmas` reports."""


class StoreConnection:
    """One guarded, lock-protected SQLite connection. Create with :meth:`open`."""

    def __init__(self, path: Path, conn: sqlite3.Connection) -> None:
        self.path = path
        self._conn = conn
        self._db = sqlite_utils.Database(conn)
        self._lock = threading.RLock()
        self._closed = False

    @classmethod
    def open(
        cls,
        path: Path,
        *,
        max_pages: int | None = None,
        busy_timeout_ms: int = BUSY_TIMEOUT_MS,
    ) -> StoreConnection:
        """Open (creating if needed) the database file at ``path`` with the store's pragmas.

        Raises ``store.error.corrupt`` (moved aside; ``params["kept"]`` names where),
        ``store.error.disk_full`` or ``store.error.io``. ``max_pages`` caps the file size
        (``PRAGMA max_page_count``) for a small disk quota and for full-disk tests;
        ``busy_timeout_ms`` is how long a statement waits for another connection's lock
        before it fails as ``store.error.io``.
        """
        try:
            path.parent.mkdir(parents=True, exist_ok=True)
            if not path.exists():
                # Create the file owner-only before SQLite touches it; SQLite gives its
                # -wal and -shm files the database file's permissions.
                with contextlib.suppress(FileExistsError):
                    os.close(os.open(path, os.O_WRONLY | os.O_CREAT | os.O_EXCL, 0o600))
        except OSError as exc:
            raise os_failure(exc) from exc
        connection = cls(path, _connect_checked(path, busy_timeout_ms))
        if max_pages is not None:
            try:
                connection.execute(f"PRAGMA max_page_count = {int(max_pages)}")
            except BaseException:
                connection.abandon()
                raise
        return connection

    # ------------------------------------------------------------------ statements

    @contextlib.contextmanager
    def tx(self) -> Iterator[sqlite3.Connection]:
        """One ``BEGIN IMMEDIATE`` transaction; rolled back on any error, committed otherwise."""
        with self._lock, guard():
            self._check_open()
            self._conn.execute("BEGIN IMMEDIATE")
            try:
                yield self._conn
                self._conn.execute("COMMIT")
            except BaseException:
                if self._conn.in_transaction:
                    self._conn.execute("ROLLBACK")
                raise

    def query(self, sql: str, params: tuple[Any, ...] = ()) -> list[dict[str, Any]]:
        """Rows of a read as dicts (outside any explicit transaction)."""
        with self._lock, guard():
            self._check_open()
            return list(self._db.query(sql, params))

    def execute(self, sql: str) -> list[tuple[Any, ...]]:
        """Run one statement outside a transaction (a pragma or a checkpoint); its rows."""
        with self._lock, guard():
            self._check_open()
            return list(self._conn.execute(sql).fetchall())

    def migrate(self, steps: Sequence[Step]) -> int:
        """Apply the missing schema steps (:mod:`kiosk.sqlitemigrate`); the version before.

        A database newer than ``steps`` raises ``store.error.newer_schema``.
        """
        with self._lock, guard():
            self._check_open()
            try:
                return migrate(self._conn, steps, on_step=_log_migrated)
            except SchemaTooNew as exc:
                raise StorageFailure("store.error.newer_schema", version=exc.found) from exc

    def user_version(self) -> int:
        """The schema version in the file's header."""
        with self._lock, guard():
            self._check_open()
            return user_version(self._conn)

    def pragmas(self) -> dict[str, Any]:
        """The connection's durability and privacy settings, as SQLite reports them.

        For ``kiosk doctor`` and tests: ``journal_mode`` is ``"wal"``, ``synchronous`` 2
        (FULL), ``foreign_keys`` and ``secure_delete`` 1, ``busy_timeout`` in milliseconds.
        """
        return {name: self.execute(f"PRAGMA {name}")[0][0] for name in PRAGMAS}

    def _check_open(self) -> None:
        if self._closed:
            raise StorageFailure("store.error.closed")

    # ------------------------------------------------------------------ closing

    def close(self) -> None:
        """Checkpoint and truncate the WAL, then close. Closing twice is harmless."""
        with self._lock:
            if self._closed:
                return
            self._closed = True
            # Best effort: another reader may keep the checkpoint from finishing; the data
            # is safe in the WAL either way.
            with contextlib.suppress(sqlite3.Error):
                self._conn.execute("PRAGMA wal_checkpoint(TRUNCATE)")
            self._conn.close()

    def abandon(self) -> None:
        """Drop the connection with no orderly shutdown, the nearest a test gets to kill -9.

        No checkpoint is asked for and nothing further is written: committed transactions
        are durable already (``synchronous=FULL``), and an item left ``in_flight`` stays so
        for the next open to recover. (SQLite itself may still fold the WAL back when its
        last connection closes; the durability tests kill a real process for that case.)
        """
        with self._lock:
            if self._closed:
                return
            self._closed = True
            self._conn.close()


def _log_migrated(version: int) -> None:
    log.info("store migrated", extra={"schema_version": version})


def _connect_checked(path: Path, busy_timeout_ms: int) -> sqlite3.Connection:
    """Connect, run ``quick_check`` and set the pragmas; quarantine a damaged file."""
    conn: sqlite3.Connection | None = None
    problem: str | None = None
    try:
        # isolation_level=None: we issue BEGIN/COMMIT ourselves so a transaction covers
        # exactly what we say (Python's implicit transactions would not).
        conn = sqlite3.connect(
            path, isolation_level=None, check_same_thread=False, timeout=busy_timeout_ms / 1000
        )
        conn.execute(f"PRAGMA busy_timeout = {int(busy_timeout_ms)}")
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
        if primary_code(exc) in DAMAGED or "not a database" in str(exc):
            problem = "not_a_database"
        else:
            if conn is not None:
                conn.close()
            failure = classify(exc)
            if failure is None:
                raise
            raise failure from exc
    except BaseException:
        if conn is not None:
            conn.close()
        raise
    if problem is None and conn is not None:
        return conn
    if conn is not None:
        conn.close()
    kept = quarantine(path)
    log.error("store corrupt; moved aside", extra={"check": problem, "kept": str(kept)})
    raise StorageFailure("store.error.corrupt", kept=str(kept))


def quarantine(path: Path) -> Path:
    """Move a corrupt database (and its WAL/SHM) aside; never delete it. The new name."""
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
