"""The offline enrollment-code pool (DESIGN.md section 5, "Offline").

While the portal is reachable the kiosk keeps ``size`` single-use, unbound codes reserved
with its device token, sealed in the store. When the portal is down, :meth:`CodePool.take`
hands one out: the UI binds it to the registration
(``registration.with_enrollment_code(enrollment.code)``) before enqueuing it and shows its QR
at once. The app gets 425 until the queued registration reaches the portal, then the code
activates. A code is removed from the pool when taken, so it is never handed out twice.
"""

from __future__ import annotations

import logging
from collections.abc import Callable
from datetime import datetime, timedelta

from kiosk.model import Enrollment
from kiosk.store import Store, utc_now
from kiosk.sync.api import PortalApi

log = logging.getLogger(__name__)


class CodePool:
    """Keeps reserved enrollment codes for offline registrations."""

    def __init__(
        self,
        store: Store,
        portal: PortalApi,
        device_token_provider: Callable[[], str | None],
        *,
        size: int = 5,
        clock: Callable[[], datetime] = utc_now,
        min_validity: timedelta = timedelta(hours=1),
    ) -> None:
        self._store = store
        self._portal = portal
        self._token = device_token_provider
        self.size = size
        self._clock = clock
        # A code about to expire is useless on a QR the employee may scan later.
        self.min_validity = min_validity

    def available(self) -> int:
        """Codes that stay valid for at least ``min_validity``."""
        return self._store.pool_count(self._clock() + self.min_validity)

    def needs_refill(self) -> bool:
        """True when fewer than ``size`` usable codes are pooled."""
        return self.size > 0 and self.available() < self.size

    def refill(self) -> int:
        """Top the pool up to ``size`` with ``reserve_codes``; returns how many were added.

        Portal errors propagate (the sync worker classifies them); expired codes are dropped
        first. Without a device token nothing happens.
        """
        now = self._clock()
        self._store.pool_discard_expired(now)
        missing = self.size - self.available()
        if missing <= 0:
            return 0
        token = self._token()
        if token is None:
            return 0
        codes = self._portal.reserve_codes(token, missing)
        usable = [code for code in codes if code.expires_at > now + self.min_validity]
        self._store.pool_add(usable)
        log.info("offline code pool refilled", extra={"added": len(usable)})
        return len(usable)

    def take(self) -> Enrollment | None:
        """Remove and return a pooled code for an offline registration (``None``: empty)."""
        enrollment = self._store.pool_take(self._clock() + self.min_validity)
        if enrollment is None:
            log.warning("offline code pool is empty")
        return enrollment
