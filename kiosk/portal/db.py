"""The reference portal's database seam: SQLite (the embedded default) or PostgreSQL.

:class:`kiosk.portal.store.PortalStore` and its helpers (:mod:`kiosk.portal.authz`,
:mod:`kiosk.portal.limits`, :mod:`kiosk.portal.fleet`) write their SQL once, with ``?``
placeholders and portable statements (``INSERT ... ON CONFLICT``, ``CASE`` instead of
SQLite's two-argument ``min``), and run it through :meth:`PortalDb.run`: one function, one
transaction, on a :class:`Conn`. :func:`open_db` chooses the backend from the target: a
``postgresql://`` URL (libpq syntax, e.g. ``postgresql://user@/portal?host=/run/pg``) or a
SQLite file (``None``/``":memory:"`` for a private in-memory database).

Why each backend is correct when several worker processes share it (docs/portal-db.md):

* **SQLite**: every write transaction is ``BEGIN IMMEDIATE``: it takes the file's write lock
  before its first read, so write transactions on one file run one after the other, across
  threads and processes, each seeing everything committed before it. A writer that finds
  the lock taken waits up to :data:`SQLITE_BUSY_TIMEOUT_S` (SQLite's busy handler); WAL lets
  readers go on meanwhile. One process keeps one connection (a connection cannot hold two
  transactions at once), so its threads take turns on it.
* **PostgreSQL**: a write transaction runs at ``SERIALIZABLE`` (:data:`Mode` ``"serial"``,
  the default) and is retried from the start when PostgreSQL reports a serialization
  failure or a deadlock (SQLSTATE 40001, 40P01). Serializable snapshot isolation
  guarantees the outcome of some one-at-a-time order: exactly what ``BEGIN IMMEDIATE``
  gives on SQLite, so the store's rules (an attempt counted before the password check, a
  TOTP step used once, revocation) hold unchanged without a per-method locking analysis,
  and a new method cannot forget a ``FOR UPDATE``. Such a body must be safe to run again
  (it is a function of the connection; random tokens are simply drawn anew). The hot paths
  of a fleet (PUT, app enroll, heartbeat) run at ``READ COMMITTED`` instead (``"locked"``):
  they lock what they decide about and guard their writes by condition and row count, so
  they never conflict with unrelated transactions. Reads that write nothing run at
  ``REPEATABLE READ`` (one snapshot, never a retry). The unique and primary-key
  constraints stay the last word on both backends.

Migrations (:meth:`PortalDb.migrate`): on SQLite ``PRAGMA user_version`` through
:mod:`kiosk.sqlitemigrate`; on PostgreSQL a ``schema_version`` table, each step in its own
transaction under a transaction-level advisory lock, so worker processes starting at once
migrate once. A step is portable SQL text or a :class:`Migration` with one form per dialect.
"""

from __future__ import annotations

import logging
import random
import sqlite3
import threading
import time
from collections import Counter
from collections.abc import Callable, Iterator, Sequence
from contextlib import contextmanager, suppress
from dataclasses import dataclass
from pathlib import Path
from typing import Any, Literal, Protocol, TypeVar

from kiosk.sqlitemigrate import SchemaTooNew, migrate, statements

T = TypeVar("T")

log = logging.getLogger(__name__)

Mode = Literal["serial", "locked", "read"]
"""How :meth:`PortalDb.run` isolates a transaction (PostgreSQL; SQLite runs every write
serially anyway):

* ``"serial"`` (the default): ``SERIALIZABLE``, retried on conflict. For any body.
* ``"locked"``: ``READ COMMITTED`` for a hot path whose body takes what it needs itself:
  :meth:`Conn.lock` on the thing it decides about *before* reading it, and writes guarded
  by their own condition and checked by row count (``UPDATE ... WHERE state = 'active'``)
  or by a constraint (``ON CONFLICT``). Each statement then sees the latest committed
  state; no snapshot is held that a parallel transaction could invalidate, so nothing is
  retried.
* ``"read"``: ``REPEATABLE READ`` for a body that writes nothing: one snapshot, no retry.
"""

SQLITE_BUSY_TIMEOUT_S = 30.0
"""How long a SQLite writer waits for another process's write transaction to end."""
PG_POOL_MAX = 16
"""Connections one process keeps to PostgreSQL at most (one per concurrent request)."""
PG_RETRIES = 60
"""Attempts of one serializable transaction before its conflict is raised."""
PG_MIGRATION_LOCK = 0x5A0121D
"""The advisory lock key (any fixed bigint) under which PostgreSQL migrations run."""


def is_postgres_url(target: object) -> bool:
    """True for a ``postgresql://`` (or ``postgres://``) connection URL."""
    return isinstance(target, str) and target.startswith(("postgresql://", "postgres://"))


def redacted(target: str) -> str:
    """``target`` fit for a log line or a message: a URL's password replaced by ``***``."""
    if not is_postgres_url(target):
        return target
    from urllib.parse import urlsplit, urlunsplit

    parts = urlsplit(target)
    if parts.password is None:
        return target
    netloc = parts.netloc.replace(f":{parts.password}@", ":***@", 1)
    return urlunsplit(parts._replace(netloc=netloc))


class Cursor(Protocol):
    """What a statement returns (the DB-API subset the portal uses)."""

    @property
    def description(self) -> Any: ...

    @property
    def rowcount(self) -> int: ...

    def fetchone(self) -> Any: ...

    def fetchall(self) -> list[Any]: ...


class Conn:
    """One transaction's connection: ``execute`` with ``?`` placeholders on either backend."""

    def __init__(self, raw: Any, dialect: str) -> None:
        self.raw = raw
        self.dialect = dialect

    def execute(self, sql: str, params: Sequence[Any] = ()) -> Cursor:
        """Run one statement; ``?`` marks a parameter (translated for psycopg)."""
        if self.dialect == "postgresql":
            # psycopg's placeholder is %s, so a literal % must be doubled; no statement of
            # the portal has a ? or % inside a string literal.
            sql = sql.replace("%", "%%").replace("?", "%s")
        cursor: Cursor = self.raw.execute(sql, list(params))
        return cursor

    def rows(self, sql: str, params: Sequence[Any] = ()) -> list[dict[str, Any]]:
        """Every row as a dict by column name."""
        cursor = self.execute(sql, params)
        names = [d[0] for d in cursor.description]
        return [dict(zip(names, row, strict=True)) for row in cursor.fetchall()]

    def one(self, sql: str, params: Sequence[Any] = ()) -> dict[str, Any] | None:
        """The first row as a dict, or None."""
        cursor = self.execute(sql, params)
        row = cursor.fetchone()
        if row is None:
            return None
        return dict(zip([d[0] for d in cursor.description], row, strict=True))

    def lock(self, key: str) -> None:
        """Hold a lock on ``key`` until this transaction ends (a ``"locked"`` body's way of
        deciding about one thing at a time). PostgreSQL: a transaction-level advisory lock
        on the key's 64-bit hash; SQLite: nothing to do, ``BEGIN IMMEDIATE`` already holds
        the write lock of the whole file."""
        if self.dialect == "postgresql":
            self.execute("SELECT pg_advisory_xact_lock(hashtextextended(?, 0))", [key])

    def scalar(self, sql: str, params: Sequence[Any] = ()) -> Any:
        """The first column of the first row (None when there is no row)."""
        row = self.execute(sql, params).fetchone()
        return None if row is None else row[0]


@dataclass(frozen=True, slots=True)
class Migration:
    """One schema step written per dialect, where SQLite and PostgreSQL truly differ.

    ``sqlite`` is a :mod:`kiosk.sqlitemigrate` step (text, or a function of the raw
    ``sqlite3`` connection); ``postgresql`` is text or a function of a :class:`Conn`."""

    sqlite: str | Callable[[sqlite3.Connection], None]
    postgresql: str | Callable[[Conn], None]


MigrationStep = str | Migration
"""A portal schema step: portable SQL text, or a :class:`Migration`."""


class PortalDb(Protocol):
    """Where the portal's state lives (:func:`open_db`)."""

    dialect: str
    """``"sqlite"`` or ``"postgresql"``."""

    def run(self, body: Callable[[Conn], T], *, mode: Mode = "serial") -> T:
        """Run ``body`` as one transaction and return its result; an exception rolls back.

        ``mode`` (:data:`Mode`): ``"read"`` for a body that only reads, ``"locked"`` for a
        body that locks and guards its own writes. On PostgreSQL a ``"serial"`` body may
        run more than once (a serialization retry), so it must not act outside the
        database."""
        ...

    def migrate(self, steps: Sequence[MigrationStep]) -> int:
        """Bring the schema to ``len(steps)``; returns the version found. Raises
        :class:`kiosk.sqlitemigrate.SchemaTooNew` for a database made by a newer program."""
        ...

    def close(self) -> None:
        """Release the connection(s)."""
        ...


class SqliteDb:
    """The embedded backend: one SQLite file (WAL) or a private in-memory database."""

    dialect = "sqlite"

    def __init__(self, path: str | Path | None = None) -> None:
        self.path = ":memory:" if path is None or str(path) == ":memory:" else str(path)
        # isolation_level=None: the transactions are exactly the BEGIN/COMMIT issued here.
        self._conn = sqlite3.connect(
            self.path,
            check_same_thread=False,
            isolation_level=None,
            timeout=SQLITE_BUSY_TIMEOUT_S,
        )
        # One connection cannot run two transactions at once: the threads of this process
        # take turns on it. Other processes are kept apart by SQLite's file lock.
        self._lock = threading.RLock()
        if self.path != ":memory:":
            self._conn.execute("PRAGMA journal_mode=WAL")
        self._conn.execute("PRAGMA foreign_keys=ON")

    @property
    def connection(self) -> sqlite3.Connection:
        """The raw connection (for the SQLite-only tools and tests)."""
        return self._conn

    def run(self, body: Callable[[Conn], T], *, mode: Mode = "serial") -> T:
        """``BEGIN IMMEDIATE`` (or a deferred read) around ``body``: every write is serial."""
        with self._lock:
            self._conn.execute("BEGIN" if mode == "read" else "BEGIN IMMEDIATE")
            try:
                result = body(Conn(self._conn, self.dialect))
            except BaseException:
                if self._conn.in_transaction:
                    self._conn.execute("ROLLBACK")
                raise
            self._conn.execute("COMMIT")
            return result

    def migrate(self, steps: Sequence[MigrationStep]) -> int:
        """``PRAGMA user_version`` steps (:func:`kiosk.sqlitemigrate.migrate`)."""
        sqlite_steps = [step.sqlite if isinstance(step, Migration) else step for step in steps]
        with self._lock:
            return migrate(self._conn, sqlite_steps)

    def close(self) -> None:
        """Close the connection."""
        with self._lock:
            self._conn.close()


class PostgresDb:
    """PostgreSQL through a psycopg 3 connection pool (serializable writes, retried)."""

    dialect = "postgresql"

    def __init__(self, url: str, *, max_size: int = PG_POOL_MAX, timeout_s: float = 30.0) -> None:
        import psycopg
        from psycopg_pool import ConnectionPool

        self.url = url
        self._psycopg = psycopg
        self._retryable: tuple[type[Exception], ...] = (
            psycopg.errors.SerializationFailure,
            psycopg.errors.DeadlockDetected,
        )
        self.retries: Counter[str] = Counter()
        """Serialization retries so far, by transaction body (diagnostics, benchmarks)."""
        self.pool: ConnectionPool[Any] = ConnectionPool(
            url, min_size=1, max_size=max_size, timeout=timeout_s, open=False
        )
        self.pool.open(wait=True, timeout=timeout_s)

    @contextmanager
    def _connection(self, level: Any) -> Iterator[Any]:
        # The pool commits when the block ends normally and rolls back on an exception.
        with self.pool.connection() as raw:
            raw.isolation_level = level
            yield raw

    def run(self, body: Callable[[Conn], T], *, mode: Mode = "serial") -> T:
        """``body`` in one transaction at the level of ``mode`` (:data:`Mode`); a
        serialization failure or deadlock runs it again."""
        levels = self._psycopg.IsolationLevel
        level = {
            "serial": levels.SERIALIZABLE,
            "locked": levels.READ_COMMITTED,
            "read": levels.REPEATABLE_READ,
        }[mode]
        for attempt in range(PG_RETRIES):
            try:
                with self._connection(level) as raw:
                    return body(Conn(raw, self.dialect))
            except self._retryable as err:
                name = getattr(body, "__qualname__", "?")
                self.retries[name] += 1
                log.debug("retrying %s after %s", name, type(err).__name__)
                if attempt == PG_RETRIES - 1:
                    raise
                # Jittered backoff: the transactions that collided should not collide again.
                time.sleep(random.uniform(0, min(0.05, 0.001 * 2**attempt)))
        raise AssertionError("unreachable")

    def migrate(self, steps: Sequence[MigrationStep]) -> int:
        """``schema_version`` steps, each in its own transaction under an advisory lock."""
        found: int | None = None
        while True:
            with self._connection(self._psycopg.IsolationLevel.READ_COMMITTED) as raw:
                # Taken first, so at READ COMMITTED the version read below is the latest: a
                # process waiting here sees the steps the one before it applied.
                raw.execute("SELECT pg_advisory_xact_lock(%s)", [PG_MIGRATION_LOCK])
                raw.execute("CREATE TABLE IF NOT EXISTS schema_version (version INTEGER NOT NULL)")
                row = raw.execute("SELECT version FROM schema_version").fetchone()
                if row is None:
                    raw.execute("INSERT INTO schema_version (version) VALUES (0)")
                version = 0 if row is None else int(row[0])
                if found is None:
                    found = version
                if version > len(steps):
                    raise SchemaTooNew(version, len(steps))
                if version == len(steps):
                    return found
                step = steps[version]
                code = step.postgresql if isinstance(step, Migration) else step
                if isinstance(code, str):
                    for statement in statements(code):
                        raw.execute(statement)
                else:
                    code(Conn(raw, self.dialect))
                raw.execute("UPDATE schema_version SET version = %s", [version + 1])

    def close(self) -> None:
        """Close the pool."""
        with suppress(Exception):
            self.pool.close()


def open_db(target: str | Path | None) -> PortalDb:
    """The backend for ``target``: a ``postgresql://`` URL, a SQLite path, or in-memory."""
    if is_postgres_url(target):
        return PostgresDb(str(target))
    return SqliteDb(target)
