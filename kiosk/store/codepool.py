"""The offline pool of reserved enrollment codes (DESIGN.md section 6).

While the portal is reachable the kiosk reserves unbound codes; offline, a registration
takes one so the employee still leaves with a QR. Codes are sealed like personal fields:
a pooled code could enroll a phone once its registration reaches the portal.
"""

from __future__ import annotations

import uuid
from datetime import datetime

from kiosk.model import Enrollment
from kiosk.store.connection import StoreConnection
from kiosk.store.crypto import FieldCipher
from kiosk.store.times import Clock, parse_ts, ts


class CodePool:
    """The ``code_pool`` table."""

    def __init__(self, db: StoreConnection, cipher: FieldCipher, clock: Clock) -> None:
        self._db = db
        self._cipher = cipher
        self._clock = clock

    def add(self, enrollments: list[Enrollment]) -> None:
        """Keep reserved, unbound enrollment codes (sealed) for offline registrations."""
        now = ts(self._clock())
        with self._db.tx() as conn:
            for enrollment in enrollments:
                code_id = uuid.uuid4().hex
                conn.execute(
                    "INSERT INTO code_pool (code_id, code, qr_payload, expires_at, reserved_at)"
                    " VALUES (?, ?, ?, ?, ?)",
                    (
                        code_id,
                        self._cipher.seal("code_pool", code_id, "code", enrollment.code),
                        self._cipher.seal(
                            "code_pool", code_id, "qr_payload", enrollment.qr_payload
                        ),
                        ts(enrollment.expires_at),
                        now,
                    ),
                )

    def count(self, valid_until: datetime) -> int:
        """How many pooled codes stay valid at least until ``valid_until``."""
        rows = self._db.query(
            "SELECT count(*) AS n FROM code_pool WHERE expires_at > ?", (ts(valid_until),)
        )
        return int(rows[0]["n"])

    def take(self, valid_until: datetime) -> Enrollment | None:
        """Remove and return the pooled code expiring soonest after ``valid_until``."""
        with self._db.tx() as conn:
            row = conn.execute(
                "SELECT code_id, code, qr_payload, expires_at FROM code_pool "
                "WHERE expires_at > ? ORDER BY expires_at LIMIT 1",
                (ts(valid_until),),
            ).fetchone()
            if row is None:
                return None
            conn.execute("DELETE FROM code_pool WHERE code_id = ?", (row[0],))
        code = self._cipher.open("code_pool", row[0], "code", row[1])
        payload = self._cipher.open("code_pool", row[0], "qr_payload", row[2])
        assert code is not None and payload is not None
        return Enrollment(code=code, qr_payload=payload, expires_at=parse_ts(row[3]))

    def discard_expired(self, now: datetime | None = None) -> int:
        """Delete pooled codes that have expired; returns how many."""
        with self._db.tx() as conn:
            return int(
                conn.execute(
                    "DELETE FROM code_pool WHERE expires_at <= ?", (ts(now or self._clock()),)
                ).rowcount
            )
