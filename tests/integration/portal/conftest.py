"""Fixtures: the reference portal on a loopback port with a controllable clock.

A registration sent with a device token must carry the check grant of ``checked_by`` on
that kiosk (kiosk.portal.authz). The fixtures that enroll a kiosk (``kiosk``, hence
``device_token``) make that kiosk's grant the default ``check_grant`` of
:func:`registration` for the test (:func:`use_grant`), so a contract test reads as before;
the attack tests pass grants (or none) explicitly.
"""

from __future__ import annotations

import base64
import uuid
from collections.abc import Iterator
from datetime import UTC, date, datetime, timedelta
from typing import Any

import httpx
import pytest
from cryptography.hazmat.primitives import serialization
from cryptography.hazmat.primitives.asymmetric import ec

from kiosk.model import CheckMethod, DocumentType, Employee, Registration, WidCheck
from kiosk.portal import PortalServer
from kiosk.portal.server import DEMO_BEHEERDER_ID
from kiosk.sync.client import PortalClient

START = datetime(2026, 11, 28, 10, 0, 0, tzinfo=UTC)
_DEFAULT_GRANT: list[str | None] = [None]


def use_grant(grant: str | None) -> None:
    """Make ``grant`` the default ``check_grant`` of :func:`registration` (this test)."""
    _DEFAULT_GRANT[0] = grant


@pytest.fixture(autouse=True)
def _reset_grant() -> Iterator[None]:
    use_grant(None)
    yield
    use_grant(None)


CODE_TTL = timedelta(minutes=10)
POOL_TTL = timedelta(days=3)


class Clock:
    """A settable UTC clock shared by the portal under test and the test itself."""

    def __init__(self, now: datetime = START) -> None:
        self.now = now

    def __call__(self) -> datetime:
        return self.now

    def advance(self, delta: timedelta) -> None:
        self.now += delta


@pytest.fixture
def clock() -> Clock:
    return Clock()


@pytest.fixture
def portal(clock: Clock, portal_db: str | None) -> Iterator[PortalServer]:
    """The portal on SQLite in memory, or (a test marked ``backends``) on each backend."""
    with PortalServer(portal_db, clock=clock, code_ttl=CODE_TTL, pool_ttl=POOL_TTL) as server:
        server.seed_demo()
        yield server


@pytest.fixture
def http(portal: PortalServer) -> Iterator[httpx.Client]:
    with httpx.Client(base_url=portal.url, timeout=10) as client:
        yield client


@pytest.fixture
def client(portal: PortalServer, clock: Clock) -> Iterator[PortalClient]:
    with PortalClient(portal.url, timeout=10, clock=clock) as api:
        yield api


@pytest.fixture
def beheerder_token(http: httpx.Client) -> str:
    answer = http.post("/v1/auth/token", json={"username": "demo", "password": "demo"})
    assert answer.status_code == 200
    return str(answer.json()["access_token"])


@pytest.fixture
def kiosk(http: httpx.Client, beheerder_token: str) -> dict[str, Any]:
    """A kiosk enrolled by the demo beheerder (both organisations): the 201 answer."""
    answer = http.post("/v1/kiosks", json={"name": "balie 1"}, headers=bearer(beheerder_token))
    assert answer.status_code == 201
    data: dict[str, Any] = answer.json()
    use_grant(data["check_grant"])
    return data


@pytest.fixture
def device_token(kiosk: dict[str, Any]) -> str:
    return str(kiosk["device_token"])


@pytest.fixture
def check_grant(kiosk: dict[str, Any]) -> str:
    """The demo beheerder's check grant on ``kiosk`` (from its enrolment)."""
    return str(kiosk["check_grant"])


def bearer(token: str) -> dict[str, str]:
    return {"Authorization": f"Bearer {token}"}


def registration(*, check_grant: str | None = None, **changes: Any) -> Registration:
    """A valid registration at org-1 checked by the demo beheerder (with ``check_grant``,
    default: the grant of the kiosk this test enrolled, see :func:`use_grant`)."""
    grant = check_grant if check_grant is not None else _DEFAULT_GRANT[0]
    values: dict[str, Any] = {
        "organisation_id": "org-1",
        "employee": Employee("Anna Maria", "Eriksson", date(1974, 8, 12)),
        "wid_check": WidCheck(
            document_type=DocumentType.PASSPORT,
            issuing_country="NLD",
            document_number="L898902C3",
            expiry_date=date(2032, 4, 15),
            method=CheckMethod.MRZ_TYPED,
            chip=None,
            photo_compared=True,
            checked_at=START - timedelta(minutes=2),
            checked_by=DEMO_BEHEERDER_ID,
            check_grant=grant,
        ),
    }
    values.update(changes)
    return Registration(**values)


def body(reg: Registration | None = None) -> dict[str, Any]:
    return (reg or registration()).to_contract()


def device_key() -> str:
    """A fresh P-256 public key as the app sends it: base64 of DER SubjectPublicKeyInfo."""
    key = ec.generate_private_key(ec.SECP256R1()).public_key()
    der = key.public_bytes(
        serialization.Encoding.DER, serialization.PublicFormat.SubjectPublicKeyInfo
    )
    return base64.b64encode(der).decode("ascii")


def new_id() -> str:
    return str(uuid.uuid4())
