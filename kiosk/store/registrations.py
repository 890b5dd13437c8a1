"""Queued registrations, their personal fields sealed per cell (DESIGN.md sections 6 and 7).

Personal fields (names, date of birth, document number and expiry, enrollment code) and the
portal's check grant are
sealed with AES-GCM by :class:`kiosk.store.crypto.FieldCipher`, whose associated data binds
each ciphertext to table, row id and column; a ciphertext copied to another row or column
does not open. What the queue needs to manage itself (ids, organisation, who checked, the
method, times) stays in clear.
"""

from __future__ import annotations

import json
import logging
import uuid
from datetime import date, datetime
from typing import Any

from kiosk.errors import StorageFailure
from kiosk.log import mask_document_number
from kiosk.model import CheckMethod, ChipEvidence, DocumentType, Employee, Registration, WidCheck
from kiosk.store.audit import AuditChain, AuditEvent
from kiosk.store.connection import StoreConnection
from kiosk.store.crypto import FieldCipher
from kiosk.store.outbox import add_pending
from kiosk.store.times import Clock, parse_ts, ts

log = logging.getLogger(__name__)

_TABLE = "registrations"


class Registrations:
    """Writes and reads the ``registrations`` table; a new one enters the outbox with it."""

    def __init__(
        self,
        db: StoreConnection,
        cipher: FieldCipher,
        clock: Clock,
        audit: AuditChain,
    ) -> None:
        self._db = db
        self._cipher = cipher
        self._clock = clock
        self._audit = audit

    def enqueue(self, registration: Registration, beheerder_id: str) -> None:
        """Store ``registration`` and its outbox row in one transaction.

        Returns only after the commit (``synchronous=FULL``: on disk), so the caller may
        tell the person it is saved. Enqueuing the same registration again is a no-op;
        the same id with different data raises ``store.error.duplicate``.
        """
        rid = str(registration.registration_id)
        now = self._clock()
        row = self._sealed_row(registration, beheerder_id, now)
        columns = ", ".join(row)
        marks = ", ".join("?" for _ in row)
        method = registration.wid_check.method.value
        # The existence check and the insert are one statement inside one BEGIN IMMEDIATE
        # transaction: two threads (or two processes) enqueueing the same id at once are
        # serialised by SQLite's write lock, so the second sees the first's row and becomes
        # the documented no-op instead of a UNIQUE-constraint StorageFailure.
        with self._db.tx() as conn:
            inserted = conn.execute(
                f"INSERT INTO registrations ({columns}) VALUES ({marks})"  # noqa: S608 - fixed names
                " ON CONFLICT (registration_id) DO NOTHING",
                tuple(row.values()),
            ).rowcount
            if inserted:
                add_pending(conn, registration.registration_id, now)
                self._audit.append(conn, AuditEvent.ACCEPTED, beheerder_id, rid, method)
        if not inserted:
            if self.load(registration.registration_id) != registration:
                raise StorageFailure("store.error.duplicate")
            return
        log.info("registration queued", extra={"registration_id": rid})

    def _sealed_row(
        self, registration: Registration, beheerder_id: str, now: datetime
    ) -> dict[str, Any]:
        rid = str(registration.registration_id)
        wid = registration.wid_check
        employee = registration.employee

        def seal(column: str, value: str | None) -> bytes | None:
            return self._cipher.seal(_TABLE, rid, column, value)

        return {
            "registration_id": rid,
            "organisation_id": registration.organisation_id,
            "beheerder_id": beheerder_id,
            "created_at": ts(now),
            "document_type": wid.document_type.value,
            "issuing_country": wid.issuing_country,
            "method": wid.method.value,
            "chip": json.dumps(wid.chip.to_contract()) if wid.chip else None,
            "photo_compared": int(wid.photo_compared),
            "checked_at": ts(wid.checked_at),
            "checked_by": wid.checked_by,
            "given_names": seal("given_names", employee.given_names),
            "surname": seal("surname", employee.surname),
            "date_of_birth": seal("date_of_birth", employee.date_of_birth.isoformat()),
            "document_number": seal("document_number", wid.document_number),
            "expiry_date": seal("expiry_date", wid.expiry_date.isoformat()),
            "enrollment_code": seal("enrollment_code", registration.enrollment_code),
            # A credential (the beheerder's sign-in on this kiosk): sealed like the rest.
            "check_grant": seal("check_grant", wid.check_grant),
        }

    def load(self, registration_id: uuid.UUID) -> Registration:
        """Decrypt and return a queued registration (raises ``store.error.not_found``)."""
        rid = str(registration_id)
        rows = self._db.query("SELECT * FROM registrations WHERE registration_id = ?", (rid,))
        if not rows:
            raise StorageFailure("store.error.not_found")
        row = rows[0]

        def opened(column: str) -> str:
            value = self._cipher.open(_TABLE, rid, column, row[column])
            if value is None:
                raise StorageFailure("store.error.decrypt")
            return value

        chip = json.loads(row["chip"]) if row["chip"] else None
        return Registration(
            organisation_id=row["organisation_id"],
            employee=Employee(
                given_names=opened("given_names"),
                surname=opened("surname"),
                date_of_birth=date.fromisoformat(opened("date_of_birth")),
            ),
            wid_check=WidCheck(
                document_type=DocumentType(row["document_type"]),
                issuing_country=row["issuing_country"],
                document_number=opened("document_number"),
                expiry_date=date.fromisoformat(opened("expiry_date")),
                method=CheckMethod(row["method"]),
                chip=ChipEvidence.from_contract(chip) if chip else None,
                photo_compared=bool(row["photo_compared"]),
                checked_at=parse_ts(row["checked_at"]),
                checked_by=row["checked_by"],
                check_grant=self._cipher.open(_TABLE, rid, "check_grant", row["check_grant"]),
            ),
            enrollment_code=self._cipher.open(
                _TABLE, rid, "enrollment_code", row["enrollment_code"]
            ),
            registration_id=uuid.UUID(rid),
        )

    def masked_document_number(self, registration_id: uuid.UUID) -> str:
        """The document number masked to its last three characters, for a person to match."""
        rid = str(registration_id)
        rows = self._db.query(
            "SELECT document_number FROM registrations WHERE registration_id = ?", (rid,)
        )
        if not rows:
            raise StorageFailure("store.error.not_found")
        return mask_document_number(
            self._cipher.open(_TABLE, rid, "document_number", rows[0]["document_number"])
        )
