"""The encrypted queue on a real SQLite file: open, migrate, enqueue, states, audit, purge."""

from __future__ import annotations

import sqlite3
import stat
import threading
import uuid
from datetime import timedelta
from pathlib import Path

import pytest

from kiosk.errors import StorageFailure
from kiosk.model import DeviceCredential, Enrollment
from kiosk.store import FileKeyProvider, OutboxState, QueueCounts, Store
from kiosk.store.audit import AuditEvent
from kiosk.store.migrations import SCHEMA_VERSION
from tests.unit.store.factories import T0, make_registration


@pytest.fixture
def keys(tmp_path):
    return FileKeyProvider(tmp_path / "store.key")


@pytest.fixture
def db_path(tmp_path):
    return tmp_path / "kiosk.sqlite3"


@pytest.fixture
def store(db_path, keys, clock):
    with Store.open(db_path, keys, clock=clock) as opened:
        yield opened


def raw(db_path):
    conn = sqlite3.connect(db_path)
    conn.row_factory = sqlite3.Row
    return conn


def test_open_sets_wal_schema_and_owner_only_file(store, db_path):
    conn = raw(db_path)
    assert conn.execute("PRAGMA journal_mode").fetchone()[0] == "wal"
    assert conn.execute("PRAGMA user_version").fetchone()[0] == SCHEMA_VERSION
    conn.close()
    assert stat.S_IMODE(db_path.stat().st_mode) == 0o600
    # The store's own connection carries the durability and privacy pragmas.
    pragmas = store.pragmas()
    assert pragmas["synchronous"] == 2  # FULL
    assert pragmas["secure_delete"] == 1
    assert pragmas["foreign_keys"] == 1


def test_enqueue_is_visible_to_another_connection_when_it_returns(store, db_path):
    registration = make_registration()
    store.enqueue(registration, "beheerder-1")
    # The UI's "saved" contract: committed, so an independent connection sees both rows.
    conn = raw(db_path)
    rid = str(registration.registration_id)
    row = conn.execute("SELECT * FROM registrations WHERE registration_id = ?", (rid,)).fetchone()
    outbox = conn.execute("SELECT * FROM outbox WHERE registration_id = ?", (rid,)).fetchone()
    conn.close()
    assert row["organisation_id"] == "org-1" and row["beheerder_id"] == "beheerder-1"
    assert outbox["state"] == "pending" and outbox["attempts"] == 0
    assert store.load_registration(registration.registration_id) == registration


def test_personal_fields_are_ciphertext_bound_to_their_cell(store, db_path):
    first = make_registration(surname="JANSEN", enrollment_code="CODE-1")
    second = make_registration(surname="DE VRIES")
    store.enqueue(first, "b")
    store.enqueue(second, "b")
    conn = raw(db_path)
    row = conn.execute(
        "SELECT * FROM registrations WHERE registration_id = ?", (str(first.registration_id),)
    ).fetchone()
    for column in (
        "given_names",
        "surname",
        "date_of_birth",
        "document_number",
        "expiry_date",
        "enrollment_code",
    ):
        assert isinstance(row[column], bytes)
        assert b"JANSEN" not in row[column] and b"L898902C3" not in row[column]
    # Two identical plaintexts seal differently (random nonces).
    other = conn.execute(
        "SELECT given_names FROM registrations WHERE registration_id = ?",
        (str(second.registration_id),),
    ).fetchone()
    assert other["given_names"] != row["given_names"]
    # Moving a ciphertext to another row makes it unreadable instead of showing the wrong name.
    conn.execute(
        "UPDATE registrations SET surname = ? WHERE registration_id = ?",
        (row["surname"], str(second.registration_id)),
    )
    conn.commit()
    conn.close()
    with pytest.raises(StorageFailure) as err:
        store.load_registration(second.registration_id)
    assert err.value.message_key == "store.error.decrypt"
    assert store.load_registration(first.registration_id).employee.surname == "JANSEN"


def test_enqueue_twice_is_idempotent_but_a_changed_body_is_refused(store):
    registration = make_registration()
    store.enqueue(registration, "b")
    store.enqueue(registration, "b")
    assert store.counts() == QueueCounts(pending=1)
    changed = make_registration(surname="OTHER", registration_id=registration.registration_id)
    with pytest.raises(StorageFailure) as err:
        store.enqueue(changed, "b")
    assert err.value.message_key == "store.error.duplicate"


def _race(enqueue_a, enqueue_b, registration) -> list[BaseException | None]:
    """Run two enqueues of ``registration`` at once on real threads; each one's outcome."""
    barrier = threading.Barrier(2)
    outcomes: list[BaseException | None] = [None, None]

    def run(i: int, enqueue) -> None:
        barrier.wait()
        try:
            enqueue(registration, "b")
        except BaseException as exc:
            outcomes[i] = exc

    threads = [
        threading.Thread(target=run, args=(0, enqueue_a)),
        threading.Thread(target=run, args=(1, enqueue_b)),
    ]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join(30)
    return outcomes


def test_two_threads_enqueueing_the_same_id_at_once_one_row_no_error(store):
    # Issue 10 item 7: one enqueue stores it, the other is the documented no-op.
    for _ in range(50):
        registration = make_registration()
        assert _race(store.enqueue, store.enqueue, registration) == [None, None]
    assert store.counts() == QueueCounts(pending=50)
    assert store.verify_audit_chain()
    accepted = [e for e in store.audit_entries() if e.event == AuditEvent.ACCEPTED]
    assert len(accepted) == 50  # one audit entry per registration, not per call


def test_two_connections_enqueueing_the_same_id_at_once_one_row_no_error(
    store, db_path, keys, clock
):
    # Two Store objects on the same file (two connections, SQLite's own locking).
    with Store.open(db_path, keys, clock=clock) as other:
        for _ in range(30):
            registration = make_registration()
            assert _race(store.enqueue, other.enqueue, registration) == [None, None]
            assert store.load_registration(registration.registration_id) == registration
    assert store.counts() == QueueCounts(pending=30)


def test_a_racing_different_body_under_the_same_id_is_still_refused(store):
    first = make_registration()
    changed = make_registration(surname="OTHER", registration_id=first.registration_id)
    barrier = threading.Barrier(2)
    errors: list[str] = []

    def run(registration) -> None:
        barrier.wait()
        try:
            store.enqueue(registration, "b")
        except StorageFailure as exc:
            errors.append(exc.message_key)

    threads = [threading.Thread(target=run, args=(r,)) for r in (first, changed)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join(30)
    assert errors == ["store.error.duplicate"]  # whichever came second
    assert store.counts() == QueueCounts(pending=1)


def test_missing_key_for_existing_data_is_refused_and_no_key_is_made(db_path, tmp_path, clock):
    with Store.open(db_path, FileKeyProvider(tmp_path / "a.key"), clock=clock) as store:
        store.enqueue(make_registration(), "b")
    lost = FileKeyProvider(tmp_path / "lost.key")
    with pytest.raises(StorageFailure) as err:
        Store.open(db_path, lost, clock=clock)
    assert err.value.message_key == "store.error.key_missing"
    assert not lost.path.exists()


def test_wrong_key_is_refused(db_path, tmp_path, clock):
    Store.open(db_path, FileKeyProvider(tmp_path / "a.key"), clock=clock).close()
    other = FileKeyProvider(tmp_path / "b.key")
    other.create()
    with pytest.raises(StorageFailure) as err:
        Store.open(db_path, other, clock=clock)
    assert err.value.message_key == "store.error.key_mismatch"


def test_newer_schema_is_refused(db_path, keys, clock):
    Store.open(db_path, keys, clock=clock).close()
    conn = sqlite3.connect(db_path)
    conn.execute(f"PRAGMA user_version = {SCHEMA_VERSION + 1}")
    conn.close()
    with pytest.raises(StorageFailure) as err:
        Store.open(db_path, keys, clock=clock)
    assert err.value.message_key == "store.error.newer_schema"


def test_outbox_lifecycle(store, clock):
    a, b, c = (make_registration() for _ in range(3))
    for registration in (a, b, c):
        store.enqueue(registration, "b")
        clock.advance(1)
    item, loaded = store.claim_next()
    assert loaded == a and item.state is OutboxState.IN_FLIGHT and item.attempts == 1
    store.mark_done(a.registration_id)
    item, loaded = store.claim_next()
    assert loaded == b
    store.mark_dead(b.registration_id, "portal.error.rejected", 422)
    item, loaded = store.claim_next()
    assert loaded == c
    store.mark_retry(c.registration_id, clock() + timedelta(seconds=30), "portal.error.busy", 503)
    assert store.claim_next() is None  # c not yet due; b is dead
    assert store.next_due_at() == clock() + timedelta(seconds=30)
    assert store.counts() == QueueCounts(pending=1, done=1, dead=1)
    dead = store.item(b.registration_id)
    assert dead.last_error == "portal.error.rejected" and dead.last_status == 422
    clock.advance(30)
    assert store.claim_next()[1] == c
    assert store.retry(b.registration_id, "beheerder-2") is True
    assert store.retry(b.registration_id) is False  # no longer dead
    assert store.item(b.registration_id).state is OutboxState.PENDING


def test_in_flight_goes_back_to_pending_at_next_open(db_path, keys, clock):
    store = Store.open(db_path, keys, clock=clock)
    registration = make_registration()
    store.enqueue(registration, "b")
    store.claim_next()
    # Simulate a crash: the connection disappears without any cleanup.
    store.abandon()
    with Store.open(db_path, keys, clock=clock) as reopened:
        item = reopened.item(registration.registration_id)
        assert item.state is OutboxState.PENDING and item.attempts == 1
        assert reopened.claim_next()[1] == registration


def test_garbage_file_is_refused_and_kept(db_path, keys, clock):
    db_path.write_bytes(b"this is not a database" * 100)
    with pytest.raises(StorageFailure) as err:
        Store.open(db_path, keys, clock=clock)
    assert err.value.message_key == "store.error.corrupt"
    kept = err.value.params["kept"]
    assert Path(kept).read_bytes() == b"this is not a database" * 100
    assert not db_path.exists()


def test_damaged_pages_are_refused_and_kept(db_path, keys, clock):
    with Store.open(db_path, keys, clock=clock) as store:
        for _ in range(40):
            store.enqueue(make_registration(), "b")
    data = bytearray(db_path.read_bytes())
    page = 4096
    assert len(data) > 6 * page
    data[3 * page : 5 * page] = b"\xa5" * (2 * page)  # overwrite two b-tree pages
    db_path.write_bytes(bytes(data))
    with pytest.raises(StorageFailure) as err:
        Store.open(db_path, keys, clock=clock)
    assert err.value.message_key == "store.error.corrupt"
    assert Path(err.value.params["kept"]).read_bytes() == bytes(data)


def test_full_database_raises_disk_full_and_keeps_what_was_saved(db_path, keys, clock):
    Store.open(db_path, keys, clock=clock).close()
    pages = sqlite3.connect(db_path).execute("PRAGMA page_count").fetchone()[0]
    saved = []
    with Store.open(db_path, keys, clock=clock, max_pages=pages + 3) as store:
        with pytest.raises(StorageFailure) as err:
            for _ in range(500):
                registration = make_registration(given_names="X" * 90, surname="Y" * 90)
                store.enqueue(registration, "b")
                saved.append(registration)
        assert err.value.message_key == "store.error.disk_full"
        assert saved  # some fitted before the cap
        assert store.counts() == QueueCounts(pending=len(saved))
    # Nothing half-written: every registration has its outbox row and vice versa.
    with Store.open(db_path, keys, clock=clock) as store:
        assert store.counts() == QueueCounts(pending=len(saved))
        for registration in saved:
            assert store.load_registration(registration.registration_id) == registration
        conn = raw(db_path)
        assert conn.execute("SELECT count(*) FROM registrations").fetchone()[0] == len(saved)
        conn.close()


def test_audit_chain_verifies_and_detects_tampering(store, db_path):
    registrations = [make_registration() for _ in range(3)]
    for registration in registrations:
        store.enqueue(registration, "beheerder-1")
    store.record_audit("wid.checked", "beheerder-1", registrations[0].registration_id, "chip")
    store.mark_done(registrations[0].registration_id)
    assert store.verify_audit_chain()
    entries = store.audit_entries()
    assert [e.event for e in entries][:3] == ["registration.accepted"] * 3
    assert entries[0].beheerder_id == "beheerder-1" and entries[0].method == "chip"

    conn = raw(db_path)
    conn.execute("UPDATE audit SET beheerder_id = 'someone-else' WHERE seq = 2")
    conn.commit()
    assert not store.verify_audit_chain()
    conn.execute("UPDATE audit SET beheerder_id = 'beheerder-1' WHERE seq = 2")
    conn.commit()
    assert store.verify_audit_chain()
    last = conn.execute("SELECT max(seq) FROM audit").fetchone()[0]
    conn.execute("DELETE FROM audit WHERE seq = ?", (last,))  # drop the newest entry
    conn.commit()
    conn.close()
    assert not store.verify_audit_chain()


def test_audit_log_holds_no_personal_data(store, db_path):
    store.enqueue(make_registration(surname="PIETERSEN", document_number="XR1234567"), "b-1")
    conn = raw(db_path)
    dump = "\n".join(str(tuple(row)) for row in conn.execute("SELECT * FROM audit"))
    conn.close()
    assert "PIETERSEN" not in dump and "XR1234567" not in dump


def test_purge_removes_only_acknowledged_items_past_retention(db_path, keys, clock):
    with Store.open(db_path, keys, clock=clock, retention_days=30) as store:
        done, pending, dead = (make_registration() for _ in range(3))
        for registration in (done, pending, dead):
            store.enqueue(registration, "b")
        store.mark_done(done.registration_id)
        store.mark_dead(dead.registration_id, "portal.error.rejected", 409)
        assert store.purge(clock() + timedelta(days=29)) == 0
        assert store.purge(clock() + timedelta(days=31)) == 1
        assert store.item(done.registration_id) is None
        with pytest.raises(StorageFailure):
            store.load_registration(done.registration_id)
        assert store.item(pending.registration_id).state is OutboxState.PENDING
        assert store.item(dead.registration_id).state is OutboxState.DEAD
        assert store.verify_audit_chain()
        wal = db_path.with_name(db_path.name + "-wal")
        assert not wal.exists() or wal.stat().st_size == 0


def test_device_credential_is_encrypted_and_lifts_a_pause(store, db_path):
    assert store.get_device_credential() is None
    store.pause("portal.error.auth", 401)
    assert store.paused().status == 401
    store.set_device_credential(DeviceCredential("kiosk-7", "secret-device-token"))
    assert store.paused() is None
    assert store.get_device_credential() == DeviceCredential("kiosk-7", "secret-device-token")
    assert store.device_token() == "secret-device-token"
    conn = raw(db_path)
    blob = conn.execute("SELECT device_token FROM device_credential").fetchone()[0]
    conn.close()
    assert b"secret-device-token" not in blob


def test_code_pool_take_is_single_use_and_skips_expiring_codes(store, clock):
    soon = Enrollment("C-SOON", "zorgid://enroll?c=C-SOON", T0 + timedelta(minutes=5))
    later = Enrollment("C-LATER", "zorgid://enroll?c=C-LATER", T0 + timedelta(days=3))
    latest = Enrollment("C-LATEST", "zorgid://enroll?c=C-LATEST", T0 + timedelta(days=7))
    store.pool_add([latest, soon, later])
    assert store.pool_count(T0 + timedelta(hours=1)) == 2
    assert store.pool_take(T0 + timedelta(hours=1)) == later
    assert store.pool_take(T0 + timedelta(hours=1)) == latest
    assert store.pool_take(T0 + timedelta(hours=1)) is None
    assert store.pool_discard_expired(T0 + timedelta(minutes=6)) == 1
    assert store.pool_count(T0) == 0


def test_masked_document_number(store):
    registration = make_registration(document_number="SPECI2014")
    store.enqueue(registration, "b")
    assert store.masked_document_number(registration.registration_id) == "******014"
    with pytest.raises(StorageFailure):
        store.masked_document_number(uuid.uuid4())


def test_an_unreadable_item_goes_dead_instead_of_blocking_the_queue(store, db_path, clock):
    damaged, fine = make_registration(), make_registration()
    store.enqueue(damaged, "b")
    clock.advance(1)
    store.enqueue(fine, "b")
    conn = raw(db_path)
    blob = bytearray(
        conn.execute(
            "SELECT surname FROM registrations WHERE registration_id = ?",
            (str(damaged.registration_id),),
        ).fetchone()[0]
    )
    blob[-1] ^= 0x01  # one flipped bit: the GCM tag no longer verifies
    conn.execute(
        "UPDATE registrations SET surname = ? WHERE registration_id = ?",
        (bytes(blob), str(damaged.registration_id)),
    )
    conn.commit()
    conn.close()
    _, registration = store.claim_next()
    assert registration == fine
    dead = store.item(damaged.registration_id)
    assert dead.state is OutboxState.DEAD and dead.last_error == "store.error.decrypt"
