"""Test data for the store and sync tests: registrations and a controllable clock."""

from __future__ import annotations

import dataclasses
import threading
import uuid
from datetime import UTC, date, datetime, timedelta

from kiosk.model import (
    CheckMethod,
    ChipAccess,
    ChipEvidence,
    CloneCheck,
    DocumentType,
    Employee,
    PassiveAuth,
    Registration,
    WidCheck,
)

T0 = datetime(2026, 11, 28, 10, 0, tzinfo=UTC)


class FakeClock:
    """A clock tests move by hand (thread-safe)."""

    def __init__(self, start: datetime = T0) -> None:
        self._now = start
        self._lock = threading.Lock()

    def __call__(self) -> datetime:
        with self._lock:
            return self._now

    def advance(self, seconds: float) -> None:
        with self._lock:
            self._now += timedelta(seconds=seconds)


def make_registration(
    *,
    given_names: str = "ANNA MARIA",
    surname: str = "ERIKSSON",
    date_of_birth: date = date(1974, 8, 12),
    document_number: str = "L898902C3",
    expiry_date: date = date(2032, 4, 15),
    organisation_id: str = "org-1",
    method: CheckMethod = CheckMethod.CHIP,
    chip: bool = True,
    enrollment_code: str | None = None,
    registration_id: uuid.UUID | None = None,
    checked_by: str = "beheerder-1",
) -> Registration:
    return Registration(
        organisation_id=organisation_id,
        employee=Employee(given_names, surname, date_of_birth),
        wid_check=WidCheck(
            document_type=DocumentType.PASSPORT,
            issuing_country="NLD",
            document_number=document_number,
            expiry_date=expiry_date,
            method=method,
            chip=(
                ChipEvidence(ChipAccess.PACE, PassiveAuth.VALID, CloneCheck.VALID) if chip else None
            ),
            photo_compared=chip,
            checked_at=datetime(2026, 11, 28, 10, 15, tzinfo=UTC),
            checked_by=checked_by,
        ),
        enrollment_code=enrollment_code,
        registration_id=registration_id or uuid.uuid4(),
    )


def for_portal(registration: Registration, check_grant: str | None) -> Registration:
    """``registration`` as a real portal (real clock) accepts it from a device token: checked
    just now, photo compared, carrying the checker's grant on the kiosk (kiosk.portal.authz)."""
    wid = dataclasses.replace(
        registration.wid_check,
        checked_at=datetime.now(UTC) - timedelta(minutes=1),
        photo_compared=True,
        check_grant=check_grant,
    )
    return dataclasses.replace(registration, wid_check=wid)


def demo_grant(portal_url: str, kiosk_id: str) -> str:
    """The demo beheerder signs in on kiosk ``kiosk_id``: the session's check grant."""
    from kiosk.sync.client import PortalClient

    with PortalClient(portal_url) as client:
        grant = client.sign_in("demo", "demo", kiosk_id=kiosk_id).check_grant
    assert grant is not None
    return grant


def enroll_demo_kiosk(portal_url: str):
    """Sign in as the demo beheerder and enroll a kiosk: its DeviceCredential (whose
    ``check_grant`` is the demo beheerder's grant on it)."""
    from kiosk.sync.client import PortalClient

    with PortalClient(portal_url) as client:
        session = client.sign_in("demo", "demo")
        return client.enroll_kiosk(session.access_token, "balie-test")
