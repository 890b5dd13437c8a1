"""Open handovers: saved registrations whose QR has not been scanned yet (issue 11).

A row per registration this kiosk saved, from the moment it is saved until the employee's
app enrolled with its code or the beheerder stopped it. It holds what the desk needs to show
the QR again after "Volgende medewerker", a sign-out or a restart: the name to call the
person back by (given name and surname initial, nothing more), when it was saved, and the
current enrollment code. Name and code are sealed like every personal field (AES-GCM, AAD
binds table, row id and column: :mod:`kiosk.store.crypto`); the row goes with its
registration when retention purges it (``ON DELETE CASCADE``). Never a BSN, a date of birth
or a document number.
"""

from __future__ import annotations

import uuid
from dataclasses import dataclass, field
from datetime import datetime
from typing import Any

from kiosk.model import Enrollment, RegistrationStatus
from kiosk.store.connection import StoreConnection
from kiosk.store.crypto import FieldCipher
from kiosk.store.times import Clock, parse_ts, ts

_TABLE = "handovers"


@dataclass(frozen=True, slots=True)
class HandoverRecord:
    """One open handover as stored (decrypted)."""

    registration_id: uuid.UUID
    organisation_id: str
    saved_at: datetime
    #: Given name and surname initial ("Willeke B."): enough to call the person back.
    call_name: str = field(repr=False)
    enrollment: Enrollment | None = field(default=None, repr=False)
    #: The code came from the offline pool (it activates when the registration arrives).
    pooled: bool = False
    #: The portal's last word on the enrollment (None: not heard yet).
    status: RegistrationStatus | None = None


class Handovers:
    """The ``handovers`` table."""

    def __init__(self, db: StoreConnection, cipher: FieldCipher, clock: Clock) -> None:
        self._db = db
        self._cipher = cipher
        self._clock = clock

    def _seal(self, rid: str, column: str, value: str | None) -> bytes | None:
        return self._cipher.seal(_TABLE, rid, column, value)

    def open(
        self,
        registration_id: uuid.UUID,
        organisation_id: str,
        call_name: str,
        enrollment: Enrollment | None,
        *,
        pooled: bool = False,
    ) -> None:
        """Start following a saved registration's handover (its registration row must
        exist); opening it again replaces the row."""
        rid = str(registration_id)
        with self._db.tx() as conn:
            conn.execute(
                "INSERT OR REPLACE INTO handovers (registration_id, organisation_id, saved_at,"
                " call_name, code, qr_payload, expires_at, pooled, status)"
                " VALUES (?, ?, ?, ?, ?, ?, ?, ?, NULL)",
                (
                    rid,
                    organisation_id,
                    ts(self._clock()),
                    self._seal(rid, "call_name", call_name),
                    self._seal(rid, "code", enrollment.code if enrollment else None),
                    self._seal(rid, "qr_payload", enrollment.qr_payload if enrollment else None),
                    ts(enrollment.expires_at) if enrollment else None,
                    int(pooled),
                ),
            )

    def set_enrollment(self, registration_id: uuid.UUID, enrollment: Enrollment) -> bool:
        """The portal gave (or renewed) the code; False when the handover is not open."""
        rid = str(registration_id)
        with self._db.tx() as conn:
            return bool(
                conn.execute(
                    "UPDATE handovers SET code = ?, qr_payload = ?, expires_at = ?, status = ?"
                    " WHERE registration_id = ?",
                    (
                        self._seal(rid, "code", enrollment.code),
                        self._seal(rid, "qr_payload", enrollment.qr_payload),
                        ts(enrollment.expires_at),
                        RegistrationStatus.PENDING_ENROLLMENT.value,
                        rid,
                    ),
                ).rowcount
            )

    def set_status(self, registration_id: uuid.UUID, status: RegistrationStatus) -> bool:
        """Record the portal's status; False when the handover is not open."""
        with self._db.tx() as conn:
            return bool(
                conn.execute(
                    "UPDATE handovers SET status = ? WHERE registration_id = ?",
                    (status.value, str(registration_id)),
                ).rowcount
            )

    def close(self, registration_id: uuid.UUID) -> bool:
        """Enrolled or stopped: forget the handover (name and code with it)."""
        with self._db.tx() as conn:
            return bool(
                conn.execute(
                    "DELETE FROM handovers WHERE registration_id = ?", (str(registration_id),)
                ).rowcount
            )

    def get(self, registration_id: uuid.UUID) -> HandoverRecord | None:
        """One open handover, or None."""
        rows = self._db.query(
            "SELECT * FROM handovers WHERE registration_id = ?", (str(registration_id),)
        )
        return self._record(rows[0]) if rows else None

    def all(self) -> list[HandoverRecord]:
        """Every open handover, oldest first."""
        rows = self._db.query("SELECT * FROM handovers ORDER BY saved_at, rowid")
        return [self._record(row) for row in rows]

    def _record(self, row: dict[str, Any]) -> HandoverRecord:
        rid = str(row["registration_id"])

        def opened(column: str) -> str | None:
            return self._cipher.open(_TABLE, rid, column, row[column])

        code, payload, expires = opened("code"), opened("qr_payload"), row["expires_at"]
        enrollment = (
            Enrollment(code=code, qr_payload=payload, expires_at=parse_ts(str(expires)))
            if code is not None and payload is not None and expires is not None
            else None
        )
        status = row["status"]
        return HandoverRecord(
            registration_id=uuid.UUID(rid),
            organisation_id=str(row["organisation_id"]),
            saved_at=parse_ts(str(row["saved_at"])),
            call_name=opened("call_name") or "",
            enrollment=enrollment,
            pooled=bool(row["pooled"]),
            status=RegistrationStatus(str(status)) if status is not None else None,
        )
