"""Never lose a registration (DESIGN.md section 6), proven with real processes, files,
disks and the reference portal over loopback HTTP."""

from __future__ import annotations

import contextlib
import os
import signal
import sqlite3
import subprocess
import sys
import time
import uuid
from pathlib import Path

import pytest

from kiosk.errors import StorageFailure
from kiosk.i18n import tr
from kiosk.model import RegistrationStatus
from kiosk.portal.server import PortalServer
from kiosk.store import FileKeyProvider, OutboxState, QueueCounts, Store
from kiosk.sync.api import PortalUnreachable
from kiosk.sync.backoff import Backoff
from kiosk.sync.client import PortalClient
from kiosk.sync.worker import SyncWorker
from tests.unit.store.factories import (
    FakeClock,
    enroll_demo_kiosk,
    for_portal,
    make_registration,
)

ROOT = Path(__file__).resolve().parents[2]
CHILD_TIMEOUT_S = 30


def spawn(*args: str) -> subprocess.Popen:
    env = dict(os.environ, PYTHONPATH=str(ROOT), PYTHONDONTWRITEBYTECODE="1")
    return subprocess.Popen(
        [sys.executable, "-m", "tests.durability.child", *args],
        cwd=ROOT,
        env=env,
        stdout=subprocess.PIPE,
        stderr=subprocess.DEVNULL,
        text=True,
    )


def kill9(child: subprocess.Popen) -> None:
    os.kill(child.pid, signal.SIGKILL)
    child.wait(10)
    assert child.returncode == -signal.SIGKILL
    if child.stdout:
        child.stdout.close()


@pytest.fixture
def portal(tmp_path):
    with PortalServer(tmp_path / "portal.sqlite3") as server:
        server.seed_demo()
        yield server


@pytest.fixture
def paths(tmp_path):
    return tmp_path / "kiosk.sqlite3", FileKeyProvider(tmp_path / "store.key")


@pytest.mark.slow
def test_kill9_mid_sync_loses_nothing_and_redelivers_the_in_flight_item(portal, paths, tmp_path):
    db, keys = paths
    credential = enroll_demo_kiosk(portal.url)
    registrations = [
        for_portal(make_registration(checked_by="demo-beheerder"), credential.check_grant)
        for _ in range(5)
    ]
    with Store.open(db, keys) as store:
        store.set_device_credential(credential)
        for registration in registrations:
            store.enqueue(registration, "demo-beheerder")

    marker = tmp_path / "stalled"
    child = spawn("sync", str(db), str(keys.path), portal.url, str(marker), "2")
    deadline = time.monotonic() + CHILD_TIMEOUT_S
    while not marker.exists():
        assert child.poll() is None, "child exited early"
        assert time.monotonic() < deadline, "child never reached the third PUT"
        time.sleep(0.02)
    kill9(child)
    in_flight = uuid.UUID(marker.read_text())

    with Store.open(db, keys) as store, PortalClient(portal.url) as client:
        # Every registration survived, byte for byte; the in-flight one is pending again.
        for registration in registrations:
            assert store.load_registration(registration.registration_id) == registration
        assert store.counts() == QueueCounts(pending=3, done=2)
        assert store.item(in_flight).state is OutboxState.PENDING
        report = SyncWorker(store, client, store.device_token).deliver_due()
        assert in_flight in report.delivered and len(report.delivered) == 3
        assert store.counts() == QueueCounts(done=5)
        # The portal has each exactly once (the replay was answered 200, not 409).
        for registration in registrations:
            state = client.get_registration(credential.device_token, registration.registration_id)
            assert state.status is RegistrationStatus.PENDING_ENROLLMENT


@pytest.mark.slow
def test_kill9_mid_enqueue_keeps_every_registration_reported_saved(paths):
    db, keys = paths
    child = spawn("enqueue", str(db), str(keys.path))
    saved = []
    assert child.stdout is not None
    while len(saved) < 40:
        line = child.stdout.readline()
        assert line, "child died"
        saved.append(uuid.UUID(line.strip()))
    os.kill(child.pid, signal.SIGKILL)  # somewhere inside a later enqueue
    child.wait(10)
    assert child.returncode == -signal.SIGKILL
    # Ids the child reported after we stopped reading are still in the pipe: saved too.
    saved += [uuid.UUID(line.strip()) for line in child.stdout.read().splitlines()]
    child.stdout.close()
    with Store.open(db, keys) as store:
        for rid in saved:
            store.load_registration(rid)
            assert store.item(rid).state is OutboxState.PENDING
        counts = store.counts()
        # At most the one being written when killed got in as well, and only whole.
        assert counts.pending in (len(saved), len(saved) + 1)
        conn = sqlite3.connect(db)  # a reader of the file itself, beside the store
        rows = conn.execute("SELECT count(*) FROM registrations").fetchone()[0]
        conn.close()
        assert rows == counts.pending
        assert store.verify_audit_chain()


def test_lost_network_keeps_it_pending_and_delivers_when_the_portal_returns(tmp_path):
    portal_db = tmp_path / "portal.sqlite3"
    first = PortalServer(portal_db).start()
    first.seed_demo()
    url = first.url
    port = int(url.rsplit(":", 1)[1])
    credential = enroll_demo_kiosk(url)
    first.stop()  # the network goes away

    clock = FakeClock()
    db, keys = tmp_path / "kiosk.sqlite3", FileKeyProvider(tmp_path / "store.key")
    with Store.open(db, keys, clock=clock) as store, PortalClient(url, timeout=2) as client:
        store.set_device_credential(credential)
        registration = for_portal(
            make_registration(checked_by="demo-beheerder"), credential.check_grant
        )
        store.enqueue(registration, "demo-beheerder")
        worker = SyncWorker(
            store, client, store.device_token, clock=clock, backoff=Backoff(base_s=2, cap_s=30)
        )
        report = worker.deliver_due()
        assert report.retry == [registration.registration_id] and not report.online
        item = store.item(registration.registration_id)
        assert item.state is OutboxState.PENDING
        assert item.last_error == PortalUnreachable.message_key

        second = PortalServer(portal_db, port=port).start()  # back, same port and database
        try:
            clock.advance(31)
            report = worker.deliver_due()
            assert report.delivered == [registration.registration_id] and report.online
            state = client.get_registration(credential.device_token, registration.registration_id)
            assert state.status is RegistrationStatus.PENDING_ENROLLMENT
        finally:
            second.stop()


def test_corrupted_database_is_refused_kept_and_explained(paths):
    db, keys = paths
    with Store.open(db, keys) as store:
        for _ in range(30):
            store.enqueue(make_registration(), "b")
    damaged = db.read_bytes()[: len(db.read_bytes()) // 2]  # a torn copy, e.g. a bad restore
    damaged = damaged[:100] + b"\x00" * 4096 + damaged[4196:]
    db.write_bytes(damaged)
    with pytest.raises(StorageFailure) as err:
        Store.open(db, keys)
    assert err.value.message_key == "store.error.corrupt"
    kept = Path(err.value.params["kept"])
    assert kept.read_bytes() == damaged  # preserved for recovery, never deleted
    assert str(kept) in tr(err.value.message_key, **err.value.params)
    assert keys.load() is not None  # the key is kept too: the copy stays decryptable
    # Reported, not silent: the next start begins with an empty queue and the same key.
    with Store.open(db, keys) as fresh:
        assert fresh.counts() == QueueCounts()


@contextlib.contextmanager
def tiny_disk(where: Path, size_kib: int):
    where.mkdir()
    mounted = subprocess.run(
        ["mount", "-t", "tmpfs", "-o", f"size={size_kib}k,mode=0700", "tmpfs", str(where)],
        capture_output=True,
        check=False,
    )
    if mounted.returncode != 0:
        pytest.skip("cannot mount a tmpfs here (needs root); the max_page_count test covers it")
    try:
        yield where
    finally:
        subprocess.run(["umount", "-l", str(where)], check=False)


def test_full_disk_raises_a_typed_error_and_keeps_saved_data(tmp_path):
    with tiny_disk(tmp_path / "disk", 512) as disk:
        db, keys = disk / "kiosk.sqlite3", FileKeyProvider(disk / "store.key")
        saved = []
        with Store.open(db, keys) as store:
            for _ in range(3):
                registration = make_registration()
                store.enqueue(registration, "b")
                saved.append(registration)
            filler = disk / "filler"
            with contextlib.suppress(OSError), open(filler, "wb", buffering=0) as fill:
                while True:
                    fill.write(b"\0" * 4096)
            with pytest.raises(StorageFailure) as err:
                for _ in range(500):
                    registration = make_registration(given_names="G" * 90, surname="S" * 90)
                    store.enqueue(registration, "b")
                    saved.append(registration)
            assert err.value.message_key == "store.error.disk_full"
            assert store.counts() == QueueCounts(pending=len(saved))
        filler.unlink()  # space freed: everything saved before is intact and writable again
        with Store.open(db, keys) as store:
            assert store.counts() == QueueCounts(pending=len(saved))
            for registration in saved:
                assert store.load_registration(registration.registration_id) == registration
            store.enqueue(make_registration(), "b")
            assert store.verify_audit_chain()
