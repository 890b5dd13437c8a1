"""A throwaway PostgreSQL cluster for the tests, started by the tests themselves.

No PostgreSQL service is needed: :class:`Cluster` runs Debian's
``/usr/lib/postgresql/<major>/bin/initdb`` and ``pg_ctl`` (apt package ``postgresql``,
installed by ``./dev``) on a fresh directory under ``/tmp``, listening only on a unix socket
in that directory, with fsync off (it is thrown away). ``initdb`` refuses to run as root,
so as root the server runs as the ``postgres`` system user when it exists, else as
``nobody``, by ``runuser``.

Loaded as a pytest plugin (tests/conftest.py): the session fixture :func:`pg_cluster`
starts one cluster the first time a test asks for PostgreSQL and stops it at the end;
the portal's migrations run once on a session database, and :func:`pg_portal_url` hands
it to each test emptied (every table but the schema version and the MAC key truncated,
leftover connections ended): the state of a freshly migrated database, in a few
milliseconds where ``CREATE DATABASE ... TEMPLATE`` took half a second here. Without
PostgreSQL these tests skip on a workstation and fail in CI (``CI`` set), so CI never
passes without them.
"""

from __future__ import annotations

import glob
import itertools
import os
import pwd
import shutil
import subprocess
import tempfile
from collections.abc import Iterator
from pathlib import Path

import pytest

SUPERUSER = "portal"
PORTAL_DB = "portal_test"


def pg_bindir() -> Path | None:
    """The newest ``/usr/lib/postgresql/*/bin`` with ``initdb``, or None."""

    def major(path: str) -> int:
        name = Path(path).parent.parent.name
        return int(name) if name.isdigit() else 0

    found = sorted(glob.glob("/usr/lib/postgresql/*/bin/initdb"), key=major)
    if found:
        return Path(found[-1]).parent
    initdb = shutil.which("initdb")
    return Path(initdb).parent if initdb else None


def _server_user() -> str | None:
    """Who runs the server: None for the current user, else an unprivileged account."""
    if os.geteuid() != 0:
        return None
    for name in ("postgres", "nobody"):
        try:
            pwd.getpwnam(name)
        except KeyError:
            continue
        return name
    raise RuntimeError("running as root and no unprivileged user (postgres, nobody) exists")


class Cluster:
    """One PostgreSQL server on a unix socket in a temporary directory."""

    def __init__(self, bindir: Path) -> None:
        self.bindir = bindir
        self.user = _server_user()
        # Not under pytest's tmp_path: that is root-only (0700) and the server may not be root.
        self.base = Path(tempfile.mkdtemp(prefix="kiosk-pg-"))
        self.data = self.base / "data"
        self.socket_dir = self.base
        self._ids = itertools.count()
        if self.user is not None:
            entry = pwd.getpwnam(self.user)
            os.chown(self.base, entry.pw_uid, entry.pw_gid)
        os.chmod(self.base, 0o755)  # the socket must be reachable by the tests

    def _run(self, *args: str) -> None:
        command = [str(self.bindir / args[0]), *args[1:]]
        if self.user is not None:
            command = ["runuser", "-u", self.user, "--", *command]
        subprocess.run(
            command, check=True, capture_output=True, text=True, cwd=self.base, timeout=120
        )

    def start(self, *, durable: bool = False) -> None:
        """initdb (trust on the socket only) and start the server; waits until it is up.

        Tests run with fsync off (the cluster is thrown away); ``durable`` keeps PostgreSQL's
        defaults, for a benchmark that compares with SQLite's synced commits."""
        # UTF-8 whatever the machine's locale (a C locale would give SQL_ASCII).
        initdb = ["-D", str(self.data), "-U", SUPERUSER, "-A", "trust", "--no-sync"]
        self._run("initdb", *initdb, "-E", "UTF8", "--locale=C.UTF-8")
        options = f"-k {self.socket_dir} -c listen_addresses='' -c max_connections=300"
        if not durable:
            options += " -c fsync=off -c synchronous_commit=off -c full_page_writes=off"
        log = str(self.base / "log")
        self._run("pg_ctl", "-D", str(self.data), "-l", log, "-o", options, "-w", "start")

    def url(self, dbname: str) -> str:
        """The libpq URL of a database of this cluster (over the unix socket)."""
        return f"postgresql://{SUPERUSER}@/{dbname}?host={self.socket_dir}"

    def sql(self, statement: str) -> None:
        """Run one statement in autocommit on the ``postgres`` database."""
        import psycopg

        with psycopg.connect(self.url("postgres"), autocommit=True) as conn:
            conn.execute(statement)  # type: ignore[call-overload]

    def fresh_database(self) -> str:
        """A new empty database; returns its name."""
        name = f"t{os.getpid()}_{next(self._ids)}"
        self.sql(f"CREATE DATABASE {name}")
        return name

    def empty(self, name: str) -> None:
        """Back to just migrated: end other connections, truncate all but the schema."""
        import psycopg

        with psycopg.connect(self.url(name), autocommit=True) as conn:
            conn.execute(
                "SELECT pg_terminate_backend(pid) FROM pg_stat_activity"
                " WHERE datname = current_database() AND pid <> pg_backend_pid()"
            )
            tables = [
                row[0]
                for row in conn.execute(
                    "SELECT tablename FROM pg_tables WHERE schemaname = 'public'"
                    " AND tablename NOT IN ('schema_version', 'meta')"
                )
            ]
            conn.execute(f"TRUNCATE {', '.join(tables)}")  # type: ignore[call-overload]

    def drop(self, name: str) -> None:
        """Drop a database, even if a connection is left."""
        self.sql(f"DROP DATABASE IF EXISTS {name} WITH (FORCE)")

    def stop(self) -> None:
        """Stop the server and remove its directory."""
        try:
            self._run("pg_ctl", "-D", str(self.data), "-m", "immediate", "-w", "stop")
        finally:
            shutil.rmtree(self.base, ignore_errors=True)


def _unavailable(reason: str) -> None:
    if os.environ.get("CI", "").lower() not in ("", "0", "false", "no"):
        pytest.fail(f"PostgreSQL is required in CI: {reason}")
    pytest.skip(f"PostgreSQL not available: {reason}")


@pytest.fixture(scope="session")
def pg_cluster() -> Iterator[Cluster]:
    """One throwaway PostgreSQL cluster for the session, with a migrated portal database."""
    bindir = pg_bindir()
    if bindir is None:
        _unavailable("no initdb (apt install postgresql)")
    assert bindir is not None
    cluster = Cluster(bindir)
    try:
        cluster.start()
    except (OSError, subprocess.SubprocessError, RuntimeError) as err:
        detail = getattr(err, "stderr", "") or ""
        shutil.rmtree(cluster.base, ignore_errors=True)
        _unavailable(f"{err} {detail}".strip())
    try:
        from kiosk.portal.store import PortalStore

        cluster.sql(f"CREATE DATABASE {PORTAL_DB}")
        PortalStore(cluster.url(PORTAL_DB)).close()  # the migrations, once
        yield cluster
    finally:
        cluster.stop()


@pytest.fixture
def pg_portal_url(pg_cluster: Cluster) -> str:
    """The session's migrated portal database, emptied for this test."""
    pg_cluster.empty(PORTAL_DB)
    return pg_cluster.url(PORTAL_DB)


@pytest.fixture
def pg_empty_url(pg_cluster: Cluster) -> Iterator[str]:
    """A fresh database with no schema at all (for migration tests)."""
    name = pg_cluster.fresh_database()
    yield pg_cluster.url(name)
    pg_cluster.drop(name)


BACKENDS = ("sqlite", "postgresql")


def pytest_configure(config: pytest.Config) -> None:
    config.addinivalue_line(
        "markers", "backends: run the test on both portal backends (SQLite and PostgreSQL)"
    )


def pytest_generate_tests(metafunc: pytest.Metafunc) -> None:
    """A test marked ``backends`` that uses :func:`portal_db` runs once per backend."""
    if "portal_db" in metafunc.fixturenames and metafunc.definition.get_closest_marker("backends"):
        metafunc.parametrize("portal_db", BACKENDS, indirect=True)


@pytest.fixture
def portal_db(request: pytest.FixtureRequest) -> str | None:
    """Where the portal under test keeps its state: ``None`` (SQLite in memory) or a fresh
    PostgreSQL database; both for a test marked ``backends``, else SQLite only."""
    backend = getattr(request, "param", "sqlite")
    if backend == "sqlite":
        return None
    return str(request.getfixturevalue("pg_portal_url"))
