"""The sync worker thread against the reference portal over loopback HTTP."""

from __future__ import annotations

import base64
import threading
from datetime import UTC, datetime

import pytest
from cryptography.hazmat.primitives import serialization
from cryptography.hazmat.primitives.asymmetric import ec

from kiosk.model import RegistrationStatus
from kiosk.portal.server import PortalServer
from kiosk.store import FileKeyProvider, QueueCounts, Store
from kiosk.sync.api import PortalAuthError, PortalBusy
from kiosk.sync.client import PortalClient
from kiosk.sync.pool import CodePool
from kiosk.sync.worker import (
    EnrollmentStatusChanged,
    QueueChanged,
    RegistrationDelivered,
    SyncWorker,
)
from tests.unit.store.factories import FakeClock, enroll_demo_kiosk, for_portal, make_registration

WAIT_S = 15


def device_key() -> str:
    """The phone's public key, as the ZORG-ID app sends it (base64 DER, EC P-256)."""
    key = ec.generate_private_key(ec.SECP256R1()).public_key()
    der = key.public_bytes(
        serialization.Encoding.DER, serialization.PublicFormat.SubjectPublicKeyInfo
    )
    return base64.b64encode(der).decode()


@pytest.fixture
def setup(tmp_path):
    with PortalServer(tmp_path / "portal.sqlite3") as portal:
        portal.seed_demo()
        credential = enroll_demo_kiosk(portal.url)
        with (
            Store.open(tmp_path / "kiosk.sqlite3", FileKeyProvider(tmp_path / "k")) as store,
            PortalClient(portal.url) as client,
        ):
            store.set_device_credential(credential)
            yield portal, store, client, credential.check_grant


def test_worker_thread_delivers_and_follows_the_enrollment_to_completion(setup):
    _, store, client, grant = setup
    worker = SyncWorker(store, client, store.device_token, poll_interval_s=0.05)
    delivered: list[RegistrationDelivered] = []
    statuses: list[RegistrationStatus] = []
    queue: list[QueueChanged] = []
    got_qr, enrolled = threading.Event(), threading.Event()

    def listener(event):
        if isinstance(event, RegistrationDelivered):
            delivered.append(event)
            got_qr.set()
        elif isinstance(event, EnrollmentStatusChanged):
            statuses.append(event.state.status)
            if event.state.status is RegistrationStatus.ENROLLED:
                enrolled.set()
        elif isinstance(event, QueueChanged):
            queue.append(event)

    worker.add_listener(listener)
    worker.start()
    try:
        registration = for_portal(
            make_registration(checked_by="demo-beheerder", surname="VISSER"), grant
        )
        store.enqueue(registration, "demo-beheerder")
        worker.wake()
        assert got_qr.wait(WAIT_S)
        worker.watch(registration.registration_id)
        enrollment = delivered[0].state.enrollment
        assert enrollment is not None
        # The employee scans the QR with the app (simulated over HTTP).
        assert "VISSER" in client.app_enroll(enrollment.qr_payload, device_key())
        assert enrolled.wait(WAIT_S)
    finally:
        assert worker.stop(10)
    assert statuses[-1] is RegistrationStatus.ENROLLED
    assert worker.watching() == set()
    assert queue[-1].online and queue[-1].pending == 0
    assert store.counts() == QueueCounts(done=1)


def test_offline_pool_code_activates_when_the_queued_registration_arrives(setup):
    _, store, client, grant = setup
    pool = CodePool(store, client, store.device_token, size=2)
    worker = SyncWorker(store, client, store.device_token, pool=pool)
    assert worker.sync_once().codes_added == 2

    # Offline at the desk: bind a pooled code, queue the registration, show the QR at once.
    enrollment = pool.take()
    assert enrollment is not None
    registration = for_portal(
        make_registration(checked_by="demo-beheerder", surname="MULDER"), grant
    )
    registration = registration.with_enrollment_code(enrollment.code)
    store.enqueue(registration, "demo-beheerder")
    assert store.load_registration(registration.registration_id).enrollment_code == enrollment.code
    with pytest.raises(PortalBusy) as early:
        client.app_enroll(enrollment.qr_payload, device_key())
    assert early.value.status == 425  # the portal has not received the registration yet

    report = worker.sync_once()
    assert report.delivered == [registration.registration_id]
    assert report.codes_added == 1  # topped up again
    assert "MULDER" in client.app_enroll(enrollment.qr_payload, device_key())


def test_worker_rotates_the_device_token_before_it_expires(tmp_path):
    clock = FakeClock(datetime.now(UTC))
    with PortalServer(tmp_path / "portal.sqlite3", clock=clock) as portal:
        portal.seed_demo()
        credential = enroll_demo_kiosk(portal.url)
        assert credential.expires_at is not None
        with (
            Store.open(tmp_path / "kiosk.sqlite3", FileKeyProvider(tmp_path / "k")) as store,
            PortalClient(portal.url) as client,
        ):
            store.set_device_credential(credential)
            worker = SyncWorker(store, client, store.device_token, clock=clock)
            assert worker.rotate_credential_if_due() is False  # 30 days left: not yet
            clock.advance(24 * 24 * 3600)  # 6 days left: inside the 7-day window
            worker.step()
            rotated = store.get_device_credential()
            assert rotated is not None and rotated.kiosk_id == credential.kiosk_id
            assert rotated.device_token != credential.device_token
            assert rotated.expires_at is not None and rotated.expires_at > credential.expires_at
            clock.advance(3600)  # the old token's grace is over; the stored one works
            with pytest.raises(PortalAuthError):
                client.reserve_codes(credential.device_token, 1)
            assert client.reserve_codes(rotated.device_token, 1)
            assert store.paused() is None
