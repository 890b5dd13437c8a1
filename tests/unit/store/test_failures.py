"""Environment failures become StorageFailure; bugs in our SQL or schema are not disguised.

Each class is produced for real on SQLite files where SQLite can be made to fail that way
(a capped page count for a full disk, a ``mode=ro`` URI, a second connection holding the
lock, a missing folder, a garbage file); only codes that cannot be provoked portably (an
I/O error, the module's InterfaceError) use a constructed exception.
"""

from __future__ import annotations

import errno
import sqlite3

import pytest

from kiosk.errors import StorageFailure
from kiosk.store import FileKeyProvider, Store
from kiosk.store.connection import StoreConnection
from kiosk.store.failures import classify, guard
from tests.unit.store.factories import FakeClock


@pytest.fixture
def db(tmp_path):
    path = tmp_path / "db.sqlite3"
    conn = sqlite3.connect(path, isolation_level=None)
    conn.execute("CREATE TABLE t (id INTEGER PRIMARY KEY, data BLOB)")
    conn.execute("INSERT INTO t (id, data) VALUES (1, x'00')")
    conn.close()
    return path


def failure_of(action) -> StorageFailure:
    with pytest.raises(StorageFailure) as err, guard():
        action()
    return err.value


def test_a_full_disk_is_disk_full(db):
    conn = sqlite3.connect(db, isolation_level=None)
    pages = conn.execute("PRAGMA page_count").fetchone()[0]
    conn.execute(f"PRAGMA max_page_count = {pages}")  # what a full disk looks like to SQLite
    failure = failure_of(lambda: conn.execute("INSERT INTO t (data) VALUES (?)", (bytes(65536),)))
    conn.close()
    assert failure.message_key == "store.error.disk_full"
    assert failure.__cause__.sqlite_errorname == "SQLITE_FULL"


def test_a_read_only_database_is_an_io_failure(db):
    conn = sqlite3.connect(f"file:{db}?mode=ro", uri=True, isolation_level=None)
    failure = failure_of(lambda: conn.execute("INSERT INTO t (data) VALUES (x'01')"))
    conn.close()
    assert failure.message_key == "store.error.io"
    assert failure.__cause__.sqlite_errorname == "SQLITE_READONLY"


def test_a_database_locked_by_another_connection_is_an_io_failure(db):
    holder = sqlite3.connect(db, isolation_level=None)
    holder.execute("BEGIN EXCLUSIVE")
    waiter = sqlite3.connect(db, isolation_level=None, timeout=0)
    try:
        failure = failure_of(lambda: waiter.execute("INSERT INTO t (data) VALUES (x'01')"))
    finally:
        holder.execute("ROLLBACK")
        holder.close()
        waiter.close()
    assert failure.message_key == "store.error.io"
    assert failure.__cause__.sqlite_errorname.startswith("SQLITE_BUSY")


def test_a_database_that_cannot_be_opened_is_an_io_failure(tmp_path):
    missing = tmp_path / "no such folder" / "db.sqlite3"
    failure = failure_of(lambda: sqlite3.connect(f"file:{missing}?mode=rw", uri=True))
    assert failure.message_key == "store.error.io"
    assert failure.__cause__.sqlite_errorname == "SQLITE_CANTOPEN"


def test_a_file_that_is_not_a_database_is_corrupt(tmp_path):
    path = tmp_path / "garbage.sqlite3"
    path.write_bytes(b"not a database at all" * 200)
    conn = sqlite3.connect(path)
    failure = failure_of(lambda: conn.execute("SELECT * FROM sqlite_master").fetchall())
    conn.close()
    assert failure.message_key == "store.error.corrupt"
    assert failure.__cause__.sqlite_errorname == "SQLITE_NOTADB"


def test_an_extended_io_error_code_is_an_io_failure():
    # SQLITE_IOERR_WRITE (778 = 10 | 3 << 8): the primary code is in the low byte.
    exc = sqlite3.OperationalError("disk I/O error")
    exc.sqlite_errorcode = 778
    exc.sqlite_errorname = "SQLITE_IOERR_WRITE"
    failure = classify(exc)
    assert failure is not None and failure.message_key == "store.error.io"


@pytest.mark.parametrize(
    ("number", "key"),
    [
        (errno.ENOSPC, "store.error.disk_full"),
        (errno.EDQUOT, "store.error.disk_full"),
        (errno.EACCES, "store.error.io"),
    ],
)
def test_operating_system_errors_are_environment_failures(number, key):
    assert failure_key(OSError(number, "simulated")) == key


def failure_key(exc: BaseException) -> str | None:
    failure = classify(exc)
    return failure.message_key if failure else None


@pytest.mark.parametrize(
    "sql",
    [
        "SELECT * FROM no_such_table",
        "SELECT no_such_column FROM t",
        "SELEC * FROM t",
        "INSERT INTO t (id, data) VALUES (1, x'02')",  # primary key taken: a bug of ours
        "INSERT INTO t (data) VALUES (?)",  # a binding too few
    ],
)
def test_schema_and_programming_errors_propagate_unchanged(db, sql):
    conn = sqlite3.connect(db, isolation_level=None)
    with pytest.raises(sqlite3.Error) as err, guard():
        conn.execute(sql)
    conn.close()
    assert not isinstance(err.value, StorageFailure)
    assert classify(err.value) is None


def test_misusing_the_module_propagates_unchanged(db):
    conn = sqlite3.connect(db)
    conn.close()
    with pytest.raises(sqlite3.ProgrammingError), guard():
        conn.execute("SELECT 1")  # a closed connection
    assert classify(sqlite3.InterfaceError("bad parameter")) is None


def test_other_exceptions_pass_through_the_guard():
    with pytest.raises(KeyError), guard():
        raise KeyError("not storage at all")


# ---------------------------------------------------------------------- through the Store


@pytest.fixture
def keys(tmp_path):
    return FileKeyProvider(tmp_path / "store.key")


def test_a_schema_error_in_the_store_is_a_bug_not_a_storage_failure(tmp_path, keys):
    path = tmp_path / "kiosk.sqlite3"
    with Store.open(path, keys, clock=FakeClock()) as store:
        raw = sqlite3.connect(path)
        raw.execute("DROP TABLE code_pool")  # a schema the code does not expect
        raw.commit()
        raw.close()
        with pytest.raises(sqlite3.OperationalError, match="no such table"):
            store.pool_count(store.now())


def test_a_store_path_that_is_a_folder_cannot_be_opened(tmp_path, keys):
    folder = tmp_path / "kiosk.sqlite3"
    folder.mkdir()
    with pytest.raises(StorageFailure) as err:
        Store.open(folder, keys, clock=FakeClock())
    assert err.value.message_key == "store.error.io"
    assert err.value.__cause__.sqlite_errorname == "SQLITE_CANTOPEN"


def test_a_store_folder_that_cannot_be_made_is_an_io_failure(tmp_path, keys):
    blocker = tmp_path / "not-a-folder"
    blocker.write_text("a file where the data folder should be")
    with pytest.raises(StorageFailure) as err:
        Store.open(blocker / "kiosk.sqlite3", keys, clock=FakeClock())
    assert err.value.message_key == "store.error.io"
    assert isinstance(err.value.__cause__, OSError)


def test_a_store_locked_by_another_process_fails_as_storage_after_the_busy_timeout(tmp_path):
    path = tmp_path / "kiosk.sqlite3"
    db = StoreConnection.open(path, busy_timeout_ms=100)  # the store waits 5 s; a test need not
    holder = sqlite3.connect(path, isolation_level=None)
    holder.execute("BEGIN EXCLUSIVE")
    try:
        with pytest.raises(StorageFailure) as err, db.tx():
            pass  # BEGIN IMMEDIATE waits busy_timeout for the lock, then gives up
    finally:
        holder.execute("ROLLBACK")
        holder.close()
    assert err.value.message_key == "store.error.io"
    assert err.value.__cause__.sqlite_errorname.startswith("SQLITE_BUSY")
    with db.tx() as conn:  # the lock is gone: the connection works again
        conn.execute("CREATE TABLE t (x)")
    db.close()
