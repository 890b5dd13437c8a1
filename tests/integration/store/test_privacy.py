"""Issue 2 point 10: after real registrations, the SQLite files and the logs hold no raw MRZ,
no BSN-like optional data, no unmasked document number and no plaintext names.

Registrations come from parsed MRZs (one TD3 and one TD1 carrying a BSN in their optional
data, as Dutch documents did before August 2021) and go through the real store, the real
sync worker and the reference portal over loopback HTTP. Then the raw bytes are inspected.
"""

from __future__ import annotations

import io
import logging
import sqlite3
import uuid
from datetime import UTC, date, datetime

import pytest

from kiosk.log import configure_logging
from kiosk.model import CheckMethod, DocumentType, Employee, Registration, WidCheck
from kiosk.mrz import format_td1, format_td3, parse_mrz
from kiosk.portal.server import PortalServer
from kiosk.store import FileKeyProvider, QueueCounts, Store
from kiosk.sync.client import PortalClient
from kiosk.sync.worker import RegistrationDelivered, SyncWorker
from tests.unit.store.factories import enroll_demo_kiosk, for_portal, make_registration

BSN_TD3 = "123456782"
BSN_TD1 = "999990019"

PEOPLE = [
    # (format, surname, given names, document number, optional data / BSN)
    ("td3", "DE VRIES", "JOHANNA CORNELIA", "NXP3R1CC4", BSN_TD3),
    ("td1", "BAKKER", "PIETERNELLA", "IXR7K2LD8", BSN_TD1),
]


def registration_from_mrz(mrz_text: str, beheerder: str) -> Registration:
    parsed = parse_mrz(mrz_text, correct=False, today=date(2026, 11, 28))
    assert parsed.valid
    assert parsed.birth_date is not None and parsed.expiry_date is not None
    return Registration(
        organisation_id="org-1",
        employee=Employee(parsed.given_names, parsed.surname, parsed.birth_date),
        wid_check=WidCheck(
            document_type=parsed.document_type or DocumentType.PASSPORT,
            issuing_country=parsed.issuing_country,
            document_number=parsed.document_number,
            expiry_date=parsed.expiry_date,
            method=CheckMethod.MRZ_TYPED,
            chip=None,
            photo_compared=False,
            checked_at=datetime(2026, 11, 28, 10, 15, tzinfo=UTC),
            checked_by=beheerder,
        ),
    )


@pytest.fixture
def log_stream():
    stream = io.StringIO()
    handler = configure_logging(logging.DEBUG, stream)
    yield stream
    for name in ("kiosk", "ui"):
        logging.getLogger(name).removeHandler(handler)
        logging.getLogger(name).setLevel(logging.NOTSET)


def test_files_and_logs_hold_no_personal_data(tmp_path, log_stream):
    mrz_texts = []
    registrations = []
    for fmt, surname, given, number, bsn in PEOPLE:
        build = format_td3 if fmt == "td3" else format_td1
        extra = {"personal_number": bsn} if fmt == "td3" else {"optional_data": bsn}
        text = build(
            surname=surname,
            given_names=given,
            document_number=number,
            birth_date=date(1980, 2, 29),
            sex="F",
            expiry_date=date(2031, 6, 1),
            **extra,
        )
        assert bsn in text  # the source MRZ really carries the BSN
        mrz_texts.append(text)
        registrations.append(registration_from_mrz(text, "demo-beheerder"))
    registrations += [
        make_registration(
            surname=surname, given_names=given, document_number=number, checked_by="demo-beheerder"
        )
        for surname, given, number in (
            ("VAN DER BERG", "WILLEMIJN", "SPECI2021"),
            ("ÖZTÜRK", "ELİF", "XN4HT7K21"),
            ("JANSEN", "KEES", "NR0000001"),
        )
    ]

    with PortalServer(tmp_path / "portal.sqlite3") as portal:
        portal.seed_demo()
        credential = enroll_demo_kiosk(portal.url)
        registrations = [for_portal(r, credential.check_grant) for r in registrations]
        db_path = tmp_path / "kiosk.sqlite3"
        with (
            Store.open(db_path, FileKeyProvider(tmp_path / "store.key")) as store,
            PortalClient(portal.url) as client,
        ):
            store.set_device_credential(credential)
            for registration in registrations:
                store.enqueue(registration, "demo-beheerder")
                # "Saved" means committed: an independent connection sees it at once.
                other = sqlite3.connect(db_path)
                seen = other.execute(
                    "SELECT count(*) FROM outbox WHERE registration_id = ?",
                    (str(registration.registration_id),),
                ).fetchone()[0]
                other.close()
                assert seen == 1
            worker = SyncWorker(store, client, store.device_token, poll_interval_s=0)
            events = []
            worker.add_listener(events.append)
            report = worker.deliver_due()
            assert len(report.delivered) == len(registrations)
            assert store.counts() == QueueCounts(done=len(registrations))
            for registration in registrations:
                worker.watch(registration.registration_id)
            worker.poll_watches()
            delivered = [e for e in events if isinstance(e, RegistrationDelivered)]
            assert all(e.state.enrollment is not None for e in delivered)
            # Inspect the files while the store is open (WAL and SHM exist and are in use).
            blobs_open = _raw_files(db_path)
        blobs_closed = _raw_files(db_path)

    log_text = log_stream.getvalue()
    assert "registration delivered" in log_text  # the capture really captured the worker

    forbidden = _forbidden_values(registrations, mrz_texts)
    for where, blob in [*blobs_open, *blobs_closed, ("log", log_text.encode())]:
        for label, value in forbidden:
            assert value not in blob, f"{label} found in {where}"


def _raw_files(db_path):
    found = []
    for suffix in ("", "-wal", "-shm"):
        path = db_path.with_name(db_path.name + suffix)
        if path.exists():
            found.append((path.name, path.read_bytes()))
    assert found and found[0][1]  # at least the database itself, not empty
    return found


def _forbidden_values(registrations, mrz_texts):
    values = []
    for text in mrz_texts:
        for line in text.splitlines():
            values.append(("raw MRZ line", line.encode()))
            values.append(("MRZ line fragment", line[5:25].encode()))
    for bsn in (BSN_TD3, BSN_TD1):
        values.append(("BSN", bsn.encode()))
    for registration in registrations:
        employee, wid = registration.employee, registration.wid_check
        values.append(("document number", wid.document_number.encode()))
        for name in (employee.surname, employee.given_names, *employee.given_names.split()):
            if len(name) >= 4:
                values.append(("name", name.encode("utf-8")))
                values.append(("name (utf-16)", name.encode("utf-16-le")))
        values.append(("birth date", employee.date_of_birth.isoformat().encode()))
    assert all(v for _, v in values)
    return values


def test_forbidden_values_would_be_found_if_present():
    # The byte search is only worth something if it can fail: plant a value and find it.
    registration = make_registration(surname="PLANTED", document_number="PL4NT3D99")
    values = _forbidden_values([registration], [])
    blob = b"...PL4NT3D99..." + b"PLANTED"
    assert any(value in blob for _, value in values if _ == "document number")
    assert any(value in blob for label, value in values if label == "name")
    assert uuid.UUID(str(registration.registration_id))
