"""Fixtures: the reference portal on a loopback port with a controllable clock."""

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
def portal(clock: Clock) -> Iterator[PortalServer]:
    with PortalServer(None, clock=clock, code_ttl=CODE_TTL, pool_ttl=POOL_TTL) as server:
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
def device_token(http: httpx.Client, beheerder_token: str) -> str:
    answer = http.post("/v1/kiosks", json={"name": "balie 1"}, headers=bearer(beheerder_token))
    assert answer.status_code == 201
    return str(answer.json()["device_token"])


def bearer(token: str) -> dict[str, str]:
    return {"Authorization": f"Bearer {token}"}


def registration(**changes: Any) -> Registration:
    """A valid registration at org-1 checked by the demo beheerder."""
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
