"""The open-handover rows: sealed at rest, purged with their registration."""

from __future__ import annotations

import sqlite3
from datetime import timedelta

from kiosk.model import Enrollment, RegistrationStatus
from kiosk.store import FileKeyProvider, Store
from tests.unit.store.factories import FakeClock, make_registration


def code(clock, name="CODE-1", days=3):
    return Enrollment(name, f"zorgid://enroll?code={name}", clock() + timedelta(days=days))


def test_a_handover_survives_a_restart_sealed_and_closes(tmp_path):
    clock = FakeClock()
    path, keys = tmp_path / "kiosk.sqlite3", FileKeyProvider(tmp_path / "k")
    registration = make_registration(given_names="ANNA MARIA", surname="ERIKSSON")
    rid = registration.registration_id
    with Store.open(path, keys, clock=clock) as store:
        store.enqueue(registration, "beheerder-1")
        store.handover_open(rid, "org-1", "Anna E.", code(clock), pooled=True)
    raw = sqlite3.connect(path)
    cells = b"".join(
        bytes(c)
        for c in raw.execute("SELECT call_name, code, qr_payload FROM handovers").fetchone()
    )
    raw.close()
    assert b"Anna" not in cells and b"CODE-1" not in cells  # sealed at rest
    with Store.open(path, keys, clock=clock) as store:
        (record,) = store.handovers()
        assert record.call_name == "Anna E." and record.pooled and record.status is None
        assert record.enrollment == code(clock) and record.organisation_id == "org-1"
        assert store.handover_set_enrollment(rid, code(clock, "CODE-2"))
        assert store.handover_set_status(rid, RegistrationStatus.EXPIRED)
        record = store.handover(rid)
        assert record.enrollment.code == "CODE-2" and record.status is RegistrationStatus.EXPIRED
        assert store.handover_close(rid) and store.handovers() == []
        assert not store.handover_close(rid)


def test_the_handover_is_purged_with_its_registration(tmp_path):
    clock = FakeClock()
    with Store.open(tmp_path / "db", FileKeyProvider(tmp_path / "k"), clock=clock) as store:
        registration = make_registration()
        store.enqueue(registration, "beheerder-1")
        store.handover_open(registration.registration_id, "org-1", "Anna E.", None)
        store.mark_done(registration.registration_id)
        clock.advance(31 * 86400)
        assert store.purge() == 1
        assert store.handovers() == []
