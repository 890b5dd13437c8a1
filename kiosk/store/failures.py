"""Which SQLite errors are the world failing and which are bugs (qutebrowser's split).

An environment failure (disk full, an I/O error, the file locked by another process past the
busy timeout, a read-only file or folder, a file that cannot be opened, a damaged file)
becomes a :class:`~kiosk.errors.StorageFailure` with a message key the desk can show and a
person can act on. Everything else (``sqlite3.ProgrammingError`` and ``InterfaceError``,
"no such table/column", syntax errors, a violated constraint) means the kiosk's own SQL or
schema is wrong: it propagates unchanged, so it is reported as the bug it is instead of
being shown to the desk as "the disk cannot be written".

The decision uses SQLite's own result code (``sqlite3.Error.sqlite_errorcode``, Python
3.11+), reduced to its primary code: extended codes such as ``SQLITE_IOERR_WRITE`` (778)
keep the primary code in their low 8 bits (https://sqlite.org/rescode.html).
"""

from __future__ import annotations

import contextlib
import errno
import logging
import sqlite3
from collections.abc import Iterator

from kiosk.errors import StorageFailure

log = logging.getLogger(__name__)

SQLITE_PERM = 3
SQLITE_BUSY = sqlite3.SQLITE_BUSY  # 5: another connection holds the lock past busy_timeout
SQLITE_LOCKED = 6
SQLITE_NOMEM = 7
SQLITE_READONLY = sqlite3.SQLITE_READONLY  # 8
SQLITE_IOERR = sqlite3.SQLITE_IOERR  # 10
SQLITE_CORRUPT = 11
SQLITE_FULL = sqlite3.SQLITE_FULL  # 13: also a reached PRAGMA max_page_count
SQLITE_CANTOPEN = sqlite3.SQLITE_CANTOPEN  # 14
SQLITE_PROTOCOL = 15
SQLITE_SCHEMA = 17
SQLITE_NOLFS = 22
SQLITE_NOTADB = 26

DAMAGED = frozenset({SQLITE_CORRUPT, SQLITE_NOTADB})
"""Primary codes meaning the file is not (or no longer) a sound database."""

ENVIRONMENT = frozenset(
    {
        SQLITE_PERM,
        SQLITE_BUSY,
        SQLITE_LOCKED,
        SQLITE_NOMEM,
        SQLITE_READONLY,
        SQLITE_IOERR,
        SQLITE_FULL,
        SQLITE_CANTOPEN,
        SQLITE_PROTOCOL,
        SQLITE_SCHEMA,
        SQLITE_NOLFS,
    }
    | DAMAGED
)
"""Primary codes for failures of the world around the kiosk; any other code is a bug."""

_DISK_FULL_ERRNOS = frozenset({errno.ENOSPC, errno.EDQUOT})


def primary_code(exc: BaseException) -> int | None:
    """SQLite's primary result code of ``exc``, or ``None`` when SQLite did not raise it."""
    code = getattr(exc, "sqlite_errorcode", None)
    return code & 0xFF if isinstance(code, int) else None


def os_failure(exc: OSError) -> StorageFailure:
    """The storage failure of an operating-system error (making the folder or the file)."""
    if exc.errno in _DISK_FULL_ERRNOS:
        return StorageFailure("store.error.disk_full")
    return StorageFailure("store.error.io")


def classify(exc: BaseException) -> StorageFailure | None:
    """The storage failure ``exc`` stands for, or ``None`` when it is a bug to propagate."""
    if isinstance(exc, OSError):
        return os_failure(exc)
    if not isinstance(exc, sqlite3.Error):
        return None
    if isinstance(exc, sqlite3.ProgrammingError | sqlite3.InterfaceError):
        # Raised by the sqlite3 module for misuse (closed connection, wrong bindings).
        return None
    code = primary_code(exc)
    if code is None or code not in ENVIRONMENT:
        return None
    log.warning("storage failure", extra={"sqlite_error": getattr(exc, "sqlite_errorname", "")})
    if code == SQLITE_FULL:
        return StorageFailure("store.error.disk_full")
    if code in DAMAGED:
        return StorageFailure("store.error.corrupt", kept="")
    return StorageFailure("store.error.io")


@contextlib.contextmanager
def guard() -> Iterator[None]:
    """Turn environment failures inside the block into :class:`StorageFailure`.

    A bug (see :func:`classify`) leaves the block unchanged; the original error stays
    reachable as ``__cause__`` of the storage failure for the log.
    """
    try:
        yield
    except (sqlite3.Error, OSError) as exc:
        failure = classify(exc)
        if failure is None:
            raise
        raise failure from exc
