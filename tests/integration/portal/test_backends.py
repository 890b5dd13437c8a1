"""The portal's rules hold on both backends under races the database must decide.

Threads through HTTP (one server process), and several *processes* on one SQLite file or
one PostgreSQL database (how the ASGI portal runs its workers): parallel redemption of one
enrollment code, parallel binding of one pool code, parallel identical and conflicting
PUTs of one registration id. Then the migrations: several workers starting at once on
an empty PostgreSQL database migrate it once, and a SQLite portal database made by the
previous code (schema 4, tests/data/portal/) opens and works with this one.
"""

from __future__ import annotations

import json
import multiprocessing
import shutil
import sqlite3
import threading
from concurrent.futures import ProcessPoolExecutor, ThreadPoolExecutor
from pathlib import Path
from typing import Any

import httpx
import pytest

from kiosk.portal import PortalServer
from kiosk.portal.db import PostgresDb
from kiosk.portal.store import QR_PREFIX, SCHEMA_VERSION, ApiFailure, PortalStore

from .conftest import START, bearer, body, device_key, new_id, registration

DATA = Path(__file__).resolve().parents[2] / "data" / "portal"


@pytest.mark.backends
def test_parallel_redemptions_of_one_code_enroll_exactly_one_phone(
    portal: PortalServer, http: httpx.Client, device_token: str
) -> None:
    data = http.put(f"/v1/registrations/{new_id()}", json=body(), headers=bearer(device_token))
    payload = data.json()["enrollment"]["qr_payload"]

    def redeem(_: int) -> int:
        with httpx.Client(base_url=portal.url, timeout=20) as c:
            answer = c.post(
                "/v1/app/enroll", json={"qr_payload": payload, "device_public_key": device_key()}
            )
            return answer.status_code

    with ThreadPoolExecutor(8) as pool:
        statuses = sorted(pool.map(redeem, range(8)))
    assert statuses == [200] + [410] * 7


@pytest.mark.backends
def test_parallel_bindings_of_one_pool_code_bind_it_once(
    portal: PortalServer, http: httpx.Client, device_token: str
) -> None:
    answer = http.post("/v1/enrollment-codes", json={"count": 1}, headers=bearer(device_token))
    assert answer.status_code == 201
    code = answer.json()["codes"][0]["code"]

    def put(_: int) -> int:
        data = body()
        data["enrollment_code"] = code
        with httpx.Client(base_url=portal.url, timeout=20) as c:
            return c.put(
                f"/v1/registrations/{new_id()}", json=data, headers=bearer(device_token)
            ).status_code

    with ThreadPoolExecutor(8) as pool:
        statuses = sorted(pool.map(put, range(8)))
    assert statuses == [201] + [409] * 7


# -- several processes on one database ---------------------------------------------------


def _clock() -> Any:
    return START


def _worker(target: str, token: str, job: str, arg: str, start: Any) -> str:
    """One worker process: its own PortalStore on the shared database, one request."""
    store = PortalStore(target, clock=_clock)
    try:
        start.wait(30)
        principal = store.principal(token)
        assert principal is not None
        if job == "enroll":
            store.app_enroll(arg, device_key())
            return "ok"
        data = json.loads(arg)
        created, _ = store.put_registration(principal, data.pop("_id"), data)
        return "201" if created else "200"
    except ApiFailure as failure:
        return str(failure.status)
    finally:
        store.close()


@pytest.fixture
def shared_target(portal_db: str | None, tmp_path: Path) -> str:
    """One database several processes open: a SQLite file, or the test's PostgreSQL one."""
    return portal_db if portal_db is not None else str(tmp_path / "portal.sqlite3")


class Workers:
    """A few spawned worker processes (no forked copy of pytest's threads) that start each
    batch of jobs at the same moment."""

    def __init__(self, count: int) -> None:
        context = multiprocessing.get_context("spawn")
        self._manager = context.Manager()
        self._pool = ProcessPoolExecutor(count, mp_context=context)

    def race(self, target: str, token: str, jobs: list[tuple[str, str]]) -> list[str]:
        start = self._manager.Event()
        futures = [self._pool.submit(_worker, target, token, job, arg, start) for job, arg in jobs]
        threading.Timer(1.0, start.set).start()  # all open their store, then all go at once
        return sorted(f.result(timeout=120) for f in futures)

    def close(self) -> None:
        self._pool.shutdown()
        self._manager.shutdown()


@pytest.mark.backends
def test_worker_processes_on_one_database_keep_puts_idempotent_and_codes_single_use(
    shared_target: str,
) -> None:
    store = PortalStore(shared_target, clock=_clock)
    store.add_organisation("org-1", "Org")
    store.add_beheerder("demo", "Demo", "demo", ["org-1"], beheerder_id="demo-beheerder")
    signed = store.sign_in("demo", "demo", None)
    assert signed is not None
    beheerder = store.principal(signed.access_token)
    assert beheerder is not None
    enrolled = store.enroll_kiosk(beheerder, "balie")
    token = enrolled.device_token
    store.close()

    reg = body(registration(check_grant=enrolled.check_grant))
    same = json.dumps({**reg, "_id": (reg_id := new_id())})
    other = json.dumps({**body(registration(check_grant=enrolled.check_grant)), "_id": reg_id})
    other_body = json.loads(other)
    other_body["employee"]["surname"] = "Andersson"
    workers = Workers(4)
    try:
        jobs = [("put", same)] * 3 + [("put", json.dumps(other_body))]
        statuses = workers.race(shared_target, token, jobs)
        enroll_jobs = [("enroll", _one_more_code(shared_target, token, enrolled.check_grant))] * 4
        redeemed = workers.race(shared_target, token, enroll_jobs)
    finally:
        workers.close()
    assert statuses.count("201") == 1
    assert statuses.count("200") + statuses.count("409") == 3
    # The conflicting body is refused whether it came first (then the others 409) or not.
    assert statuses.count("409") in (1, 3)

    assert redeemed == ["410"] * 3 + ["ok"]


def _one_more_code(target: str, token: str, grant: str | None) -> str:
    """A new registration's QR payload (for the redemption race)."""
    store = PortalStore(target, clock=_clock)
    try:
        device = store.principal(token)
        assert device is not None
        _, state = store.put_registration(device, new_id(), body(registration(check_grant=grant)))
        return str(state["enrollment"]["qr_payload"])
    finally:
        store.close()


# -- migrations ----------------------------------------------------------------------------


def test_workers_starting_at_once_migrate_an_empty_postgresql_database_once(
    pg_empty_url: str,
) -> None:
    # Threads, each with its own connection pool: to PostgreSQL as separate as processes.
    url = pg_empty_url
    barrier = threading.Barrier(4)

    def start(_: int) -> None:
        barrier.wait()
        PortalStore(url).close()

    with ThreadPoolExecutor(4) as pool:
        list(pool.map(start, range(4)))
    db = PostgresDb(url)
    try:
        assert db.run(lambda c: c.scalar("SELECT version FROM schema_version")) == SCHEMA_VERSION
        assert db.run(lambda c: c.scalar("SELECT count(*) FROM meta")) == 1
        assert db.run(lambda c: c.scalar("SELECT count(*) FROM schema_version")) == 1
    finally:
        db.close()


def _columns_sqlite(path: Path) -> dict[str, list[str]]:
    conn = sqlite3.connect(path)
    try:
        tables = [
            row[0]
            for row in conn.execute(
                "SELECT name FROM sqlite_master WHERE type = 'table' ORDER BY name"
            )
        ]
        return {t: [row[1] for row in conn.execute(f"PRAGMA table_info({t})")] for t in tables}
    finally:
        conn.close()


def test_both_backends_have_the_same_tables_and_columns(pg_portal_url: str, tmp_path: Path) -> None:
    PortalStore(tmp_path / "portal.sqlite3").close()
    expected = _columns_sqlite(tmp_path / "portal.sqlite3")
    db = PostgresDb(pg_portal_url)
    try:
        rows = db.run(
            lambda c: c.execute(
                "SELECT table_name, column_name FROM information_schema.columns"
                " WHERE table_schema = 'public' AND table_name <> 'schema_version'"
                " ORDER BY table_name, ordinal_position"
            ).fetchall()
        )
    finally:
        db.close()
    found: dict[str, list[str]] = {}
    for table, column in rows:
        found.setdefault(table, []).append(column)
    assert found == expected


def test_a_sqlite_portal_database_of_schema_4_keeps_working(tmp_path: Path) -> None:
    """tests/data/portal/portal-v4.sqlite3 was made by make_v4.py with the code before the
    database seam (sqlite-utils tables, schema 4)."""
    path = tmp_path / "portal.sqlite3"
    shutil.copyfile(DATA / "portal-v4.sqlite3", path)
    facts = json.loads((DATA / "portal-v4.json").read_text())
    store = PortalStore(path, clock=_clock)
    try:
        assert store.beheerder_count() == 1
        assert store.sign_in("demo", "demo", None) is not None
        device = store.principal(facts["device_token"])
        assert device is not None and device.kiosk_id == facts["kiosk_id"]
        # The old registration replays (200), a new one is stored, a pool code binds.
        old = store.get_registration(device, facts["registration_id"])
        assert old["status"] == "pending_enrollment"
        grant = facts["check_grant"]
        created, _ = store.put_registration(device, new_id(), body(registration(check_grant=grant)))
        assert created
        pooled = body(registration(check_grant=grant))
        pooled["enrollment_code"] = facts["pool_codes"][0]
        assert store.put_registration(device, new_id(), pooled)[0]
        assert store.app_enroll(facts["qr_payload"], device_key()) == "Anna Maria Eriksson"
        with pytest.raises(ApiFailure) as gone:
            store.app_enroll(facts["qr_payload"], device_key())
        assert gone.value.status == 410
        [kiosk] = store.kiosks()
        assert kiosk["organisations"] == ["org-1", "org-2"]
        signed = store.sign_in("demo", "demo", None)
        assert signed is not None
        beheerder = store.principal(signed.access_token)
        assert beheerder is not None
        [seen] = store.fleet(beheerder)
        assert seen["heartbeat"]["queue_depth"] == 1
    finally:
        store.close()
    conn = sqlite3.connect(path)
    assert conn.execute("PRAGMA user_version").fetchone()[0] == SCHEMA_VERSION
    conn.close()
    assert QR_PREFIX in facts["qr_payload"]
