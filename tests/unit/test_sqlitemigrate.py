"""The shared user_version migration helper, on real SQLite files."""

from __future__ import annotations

import sqlite3

import pytest

from kiosk.sqlitemigrate import SchemaTooNew, migrate, statements, user_version


@pytest.fixture
def conn(tmp_path):
    connection = sqlite3.connect(tmp_path / "db.sqlite3", isolation_level=None)
    yield connection
    connection.close()


def tables(conn):
    rows = conn.execute("SELECT name FROM sqlite_master WHERE type = 'table' ORDER BY name")
    return [row[0] for row in rows]


def add_setting(conn):
    conn.execute("INSERT INTO settings (name) VALUES ('made by a function step')")


STEPS = (
    "CREATE TABLE a (x TEXT); CREATE TABLE settings (name TEXT)",
    add_setting,
    "CREATE TABLE b (y TEXT DEFAULT 'semi;colon');",
)


def test_a_new_database_gets_every_step_and_the_version(conn):
    seen = []
    assert migrate(conn, STEPS, on_step=seen.append) == 0
    assert user_version(conn) == 3 and seen == [1, 2, 3]
    assert tables(conn) == ["a", "b", "settings"]
    assert conn.execute("SELECT name FROM settings").fetchall() == [("made by a function step",)]
    assert not conn.in_transaction


def test_only_the_missing_steps_run(conn):
    migrate(conn, STEPS[:1])
    assert migrate(conn, STEPS) == 1
    assert user_version(conn) == 3
    assert migrate(conn, STEPS) == 3  # up to date: nothing runs
    assert conn.execute("SELECT count(*) FROM settings").fetchone()[0] == 1


def test_a_failing_step_leaves_the_schema_and_version_of_the_step_before(conn):
    broken = (*STEPS[:2], "CREATE TABLE c (z TEXT); CREATE TABLE a (x TEXT)")  # a exists
    with pytest.raises(sqlite3.OperationalError, match="already exists"):
        migrate(conn, broken)
    assert user_version(conn) == 2
    assert "c" not in tables(conn)  # the step's first statement was rolled back with it
    assert not conn.in_transaction
    assert migrate(conn, STEPS) == 2 and user_version(conn) == 3


def test_a_newer_database_is_refused_untouched(conn):
    migrate(conn, STEPS)
    with pytest.raises(SchemaTooNew) as err:
        migrate(conn, STEPS[:2])
    assert (err.value.found, err.value.known) == (3, 2)
    assert user_version(conn) == 3 and not conn.in_transaction


def test_the_connection_must_leave_transactions_to_the_helper(tmp_path):
    implicit = sqlite3.connect(tmp_path / "db.sqlite3")  # Python's implicit transactions
    with pytest.raises(ValueError, match="isolation_level"):
        migrate(implicit, STEPS)
    implicit.close()


def test_statements_split_where_sqlite_says_a_statement_ends():
    script = """
        CREATE TABLE t (v TEXT DEFAULT 'a;b');
        CREATE TRIGGER g AFTER INSERT ON t BEGIN UPDATE t SET v = 'x;y'; END;
        INSERT INTO t DEFAULT VALUES
    """
    assert list(statements(script)) == [
        "CREATE TABLE t (v TEXT DEFAULT 'a;b');",
        "CREATE TRIGGER g AFTER INSERT ON t BEGIN UPDATE t SET v = 'x;y'; END;",
        "INSERT INTO t DEFAULT VALUES",
    ]
    assert list(statements("  \n ")) == []
