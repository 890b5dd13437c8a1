"""Small in-memory ports and sample data for flow tests (no Qt, no network)."""

from __future__ import annotations

import uuid
from datetime import UTC, date, datetime, timedelta

from kiosk.flow.evidence import WidEvidence
from kiosk.model import CheckMethod, DocumentType, Enrollment, Registration
from kiosk.sync.api import Organisation, Session

NOW = datetime(2026, 11, 28, 10, 0, tzinfo=UTC)
ORG1 = Organisation("org-1", "Zorggroep Noord")
ORG2 = Organisation("org-2", "Huisartsen Zuid")


def session(*orgs: Organisation) -> Session:
    return Session("token-b", NOW + timedelta(hours=1), "beh-1", "Demo Beheerder", tuple(orgs))


def evidence(**changes) -> WidEvidence:
    values = {
        "method": CheckMethod.MRZ_TYPED,
        "document_type": DocumentType.PASSPORT,
        "issuing_country": "NLD",
        "document_number": "SPECI2021",
        "surname": "DE BRUIJN",
        "given_names": "WILLEKE LISELOTTE",
        "birth_date": date(1965, 3, 10),
        "expiry_date": date(2031, 8, 1),
    }
    values.update(changes)
    return WidEvidence(**values)


def enrollment(minutes: int = 10) -> Enrollment:
    return Enrollment("ABC123", "zorgid://enroll?c=ABC123", NOW + timedelta(minutes=minutes))


class MemoryQueue:
    """Commits to a list; can be told to fail like a full disk."""

    def __init__(self) -> None:
        self.items: list[tuple[Registration, str]] = []
        self.fail_with: Exception | None = None

    def enqueue(self, registration: Registration, beheerder_id: str) -> None:
        if self.fail_with is not None:
            raise self.fail_with
        self.items.append((registration, beheerder_id))


class MemoryPortal:
    def __init__(self, sess: Session) -> None:
        self.session = sess
        self.renewed: list[uuid.UUID] = []
        self.cancelled: list[uuid.UUID] = []

    def sign_in(self, username: str, password: str, totp: str | None = None) -> Session:
        from kiosk.sync.api import PortalAuthError

        if (username, password) != ("demo", "demo"):
            raise PortalAuthError(401)
        return self.session

    def renew_enrollment(self, token: str, registration_id: uuid.UUID) -> Enrollment:
        self.renewed.append(registration_id)
        return enrollment(20)

    def cancel_enrollment(self, token: str, registration_id: uuid.UUID) -> None:
        self.cancelled.append(registration_id)
