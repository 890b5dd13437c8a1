"""An honest in-process portal for worker tests: real idempotency, tokens and codes.

It implements :class:`kiosk.sync.api.PortalApi` with the behaviour contract v1 describes
(201/200 replay, 409 on a changed body, 401 for an unknown token, single-use codes) and lets
a test script failures (``fail_next``) to drive the worker through every branch.
"""

from __future__ import annotations

import threading
import uuid
from datetime import datetime, timedelta

from kiosk.model import DeviceCredential, Enrollment, Registration, RegistrationStatus
from kiosk.sync.api import (
    PortalAuthError,
    PortalRejected,
    RegistrationState,
    Session,
)


class FakePortal:
    def __init__(self, clock, device_tokens=("device-token",)):
        self._clock = clock
        self.device_tokens = set(device_tokens)
        self.registrations: dict[uuid.UUID, dict] = {}
        self.status: dict[uuid.UUID, RegistrationStatus] = {}
        self.enrollments: dict[uuid.UUID, Enrollment] = {}
        self.calls: list[tuple[str, object]] = []
        self.scripted: list[Exception] = []
        self.reject: dict[uuid.UUID, Exception] = {}
        self.put_hook = None
        self.healthy = True
        self._codes = 0
        self._lock = threading.Lock()
        self.heartbeats: list[object] = []

    # scripting ------------------------------------------------------------------------
    def fail_next(self, *errors: Exception) -> None:
        self.scripted.extend(errors)

    def _check(self, name, token, arg=None):
        with self._lock:
            self.calls.append((name, arg))
            if self.scripted:
                raise self.scripted.pop(0)
        if token not in self.device_tokens:
            raise PortalAuthError(401)

    def _enrollment(self) -> Enrollment:
        self._codes += 1
        code = f"CODE-{self._codes:04d}"
        return Enrollment(code, f"zorgid://enroll?code={code}", self._clock() + timedelta(days=3))

    # PortalApi --------------------------------------------------------------------------
    def send_heartbeat(self, token, heartbeat) -> None:
        self._check("heartbeat", token, heartbeat)
        self.heartbeats.append(heartbeat)

    def health(self) -> bool:
        with self._lock:
            self.calls.append(("health", None))
        return self.healthy

    def sign_in(self, username: str, password: str, totp: str | None = None) -> Session:
        raise PortalRejected(404, "not used in these tests")

    def enroll_kiosk(self, token: str, name: str) -> DeviceCredential:
        raise PortalRejected(404, "not used in these tests")

    def put_registration(self, token: str, registration: Registration) -> RegistrationState:
        self._check("put", token, registration.registration_id)
        if self.put_hook is not None:
            self.put_hook(registration)
        rid = registration.registration_id
        if rid in self.reject:
            raise self.reject[rid]
        body = registration.to_contract()
        with self._lock:
            if rid in self.registrations:
                if self.registrations[rid] != body:
                    raise PortalRejected(409, "conflict")
            else:
                self.registrations[rid] = body
                self.status[rid] = RegistrationStatus.PENDING_ENROLLMENT
                self.enrollments[rid] = self._enrollment()
        return self._state(rid)

    def _state(self, rid: uuid.UUID) -> RegistrationState:
        return RegistrationState(rid, self.status[rid], self.enrollments.get(rid))

    def get_registration(self, token: str, registration_id: uuid.UUID) -> RegistrationState:
        self._check("get", token, registration_id)
        if registration_id not in self.registrations:
            raise PortalRejected(404, "unknown")
        return self._state(registration_id)

    def renew_enrollment(self, token: str, registration_id: uuid.UUID) -> Enrollment:
        self._check("renew", token, registration_id)
        self.enrollments[registration_id] = self._enrollment()
        return self.enrollments[registration_id]

    def cancel_enrollment(self, token: str, registration_id: uuid.UUID) -> None:
        self._check("cancel", token, registration_id)
        self.status[registration_id] = RegistrationStatus.CANCELLED

    def reserve_codes(self, token: str, count: int) -> list[Enrollment]:
        self._check("reserve", token, count)
        return [self._enrollment() for _ in range(count)]

    # the app side -----------------------------------------------------------------------
    def enroll(self, registration_id: uuid.UUID, at: datetime | None = None) -> None:
        self.status[registration_id] = RegistrationStatus.ENROLLED
