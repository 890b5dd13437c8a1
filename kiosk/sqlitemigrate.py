"""Schema migrations by ``PRAGMA user_version``: the one way every SQLite database here evolves.

Both the kiosk's queue (:mod:`kiosk.store`) and the reference portal (:mod:`kiosk.portal`)
describe their schema as an ordered list of steps, the way qutebrowser does: ``steps[n]``
takes a database from version ``n`` to ``n + 1``, and the version is the database header's
``PRAGMA user_version`` (0 for a new file). A step is SQL text (one or more statements) or a
function that receives the connection, for a step that needs Python (for example a random
key written into the new schema).

Each step runs in its own ``BEGIN IMMEDIATE`` transaction together with its
``user_version`` bump. SQLite writes ``user_version`` to the header page inside that
transaction, so schema and version commit together: a crash mid-migration leaves the old
schema and the old number, and the next open simply runs the step again. The version is
read inside the transaction, so two processes opening one file at once cannot both apply
a step. Never edit a released step; append a new one.

This module knows nothing about either store (it sits below both in the layer order); the
caller decides how to report :class:`SchemaTooNew` and how to classify ``sqlite3`` errors.
"""

from __future__ import annotations

import sqlite3
from collections.abc import Callable, Iterator, Sequence

Step = str | Callable[[sqlite3.Connection], None]
"""One migration: SQL text, or a function run inside the step's transaction (never commits)."""


class SchemaTooNew(Exception):
    """The database was made by a newer program (its version is beyond the known steps)."""

    def __init__(self, found: int, known: int) -> None:
        super().__init__(f"schema version {found}, this program knows up to {known}")
        self.found = found
        self.known = known


def user_version(conn: sqlite3.Connection) -> int:
    """The schema version recorded in the database header (0 for a new database)."""
    return int(conn.execute("PRAGMA user_version").fetchone()[0])


def statements(script: str) -> Iterator[str]:
    """Split SQL text into single statements.

    ``sqlite3.complete_statement`` decides where a statement ends, so a ``;`` inside a
    string literal or a trigger body does not split it (a plain ``split(";")`` would).
    """
    buffer = ""
    pieces = script.split(";")
    for index, piece in enumerate(pieces):
        buffer += piece if index == len(pieces) - 1 else piece + ";"
        if sqlite3.complete_statement(buffer):
            yield buffer.strip()
            buffer = ""
    if buffer.strip():
        # No final ";": hand it to SQLite as is, which reports it if it is incomplete.
        yield buffer.strip()


def migrate(
    conn: sqlite3.Connection,
    steps: Sequence[Step],
    *,
    on_step: Callable[[int], None] | None = None,
) -> int:
    """Bring ``conn`` up to version ``len(steps)``; returns the version it had before.

    ``conn`` must be in autocommit mode (``isolation_level=None``) so the transactions are
    exactly the ones issued here. ``on_step(version)`` is called after each step commits
    (for a log line). Raises :class:`SchemaTooNew` when the database is newer than
    ``steps``; ``sqlite3`` errors propagate unchanged for the caller to classify.
    """
    if conn.isolation_level is not None:
        raise ValueError("migrate() needs a connection with isolation_level=None")
    found: int | None = None
    while True:
        conn.execute("BEGIN IMMEDIATE")
        try:
            version = user_version(conn)
            if found is None:
                found = version
            if version > len(steps):
                raise SchemaTooNew(version, len(steps))
            if version == len(steps):
                conn.execute("COMMIT")
                return found
            step = steps[version]
            if isinstance(step, str):
                for statement in statements(step):
                    conn.execute(statement)
            else:
                step(conn)
            # Inside the same transaction: the bump commits with the step or not at all.
            conn.execute(f"PRAGMA user_version = {version + 1}")
            conn.execute("COMMIT")
        except BaseException:
            if conn.in_transaction:
                conn.execute("ROLLBACK")
            raise
        if on_step is not None:
            on_step(version + 1)
