"""The portal as the kiosk sees it: result types, errors and the :class:`PortalApi` port.

:class:`kiosk.sync.client.PortalClient` implements the port over HTTP (contract v1,
DESIGN.md section 5). The sync worker and the UI depend only on this module, so tests can
swap the transport (``httpx.MockTransport`` or the real reference portal on loopback)
without patching anything.

Errors, by what the caller should do (DESIGN.md section 6)::

    PortalError (ProtocolError)     the portal answered outside the contract: a bug somewhere
    PortalUnreachable (Environment) connect error, timeout, reset: retry with backoff
    PortalBusy (Environment)        408, 425, 429, 5xx: retry with backoff, honour retry_after
    PortalAuthError (Input)         401/403: pause until the credential is fixed
    PortalRejected (Input)          400, 404, 409, 410, 422: permanent, a person must look

Signing in (``POST /v1/auth/token``) has its own subclasses, so the sign-in page says what
happened to *this* attempt (and never talks about a registration)::

    SignInRefused (PortalAuthError)     401 invalid_credentials: user name, password or code
    SignInLocked (PortalAuthError)      403: the account is blocked at the portal
    SignInThrottled (PortalBusy)        429 too_many_attempts; ``retry_after`` seconds to wait
    SignInUnreachable (PortalUnreachable)  no connection or a timeout
"""

from __future__ import annotations

import uuid
from dataclasses import dataclass, field
from datetime import UTC, datetime
from typing import Protocol

from kiosk.errors import EnvironmentFailure, InputError, ProtocolError
from kiosk.model import DeviceCredential, Enrollment, Registration, RegistrationStatus


@dataclass(frozen=True, slots=True)
class Organisation:
    """An organisation a beheerder manages."""

    id: str
    name: str


@dataclass(frozen=True, slots=True)
class Session:
    """A signed-in beheerder."""

    access_token: str = field(repr=False)
    expires_at: datetime
    beheerder_id: str
    beheerder_name: str
    organisations: tuple[Organisation, ...]
    #: The portal's check grant for this beheerder on this kiosk (when the sign-in named the
    #: kiosk, or from the kiosk's enrolment): carried by every registration the session
    #: makes, so the portal knows ``checked_by`` really signed in here.
    check_grant: str | None = field(default=None, repr=False)


@dataclass(frozen=True, slots=True)
class RegistrationState:
    """What the portal knows about a registration."""

    registration_id: uuid.UUID
    status: RegistrationStatus
    enrollment: Enrollment | None
    enrolled_at: datetime | None = None


@dataclass(frozen=True, slots=True)
class Heartbeat:
    """What a kiosk reports about itself (``PUT /v1/kiosks/self/heartbeat``): counts and
    ages only, never personal data. Ages are whole seconds; None when there is none."""

    version: str
    queue_depth: int  # pending and in flight
    dead_letters: int
    oldest_pending_age_s: int | None
    trust_list_age_s: int | None
    last_sync_at: datetime | None

    def to_contract(self) -> dict[str, object]:
        """The request body of contract v1."""
        last = self.last_sync_at
        return {
            "version": self.version,
            "queue_depth": self.queue_depth,
            "dead_letters": self.dead_letters,
            "oldest_pending_age_s": self.oldest_pending_age_s,
            "trust_list_age_s": self.trust_list_age_s,
            "last_sync_at": None if last is None else last.astimezone(UTC).strftime(_ISO),
        }


_ISO = "%Y-%m-%dT%H:%M:%SZ"


class PortalError(ProtocolError):
    """The portal answered outside contract v1."""

    message_key = "portal.error.protocol"


class PortalUnreachable(EnvironmentFailure):
    """The portal could not be reached (connect error, timeout, reset)."""

    message_key = "portal.error.unreachable"


class PortalBusy(EnvironmentFailure):
    """A transient answer (408, 425, 429, 5xx); ``retry_after`` is in seconds when given."""

    message_key = "portal.error.busy"

    def __init__(self, status: int, retry_after: float | None = None) -> None:
        super().__init__(status=status)
        self.status = status
        self.retry_after = retry_after


class PortalAuthError(InputError):
    """401/403: the token or the kiosk's device credential is not accepted."""

    message_key = "portal.error.auth"

    def __init__(self, status: int) -> None:
        super().__init__(status=status)
        self.status = status


class SignInRefused(PortalAuthError):
    """401 at sign-in: the user name, password or code is wrong."""

    message_key = "portal.sign_in.invalid_credentials"


class SignInLocked(PortalAuthError):
    """403 at sign-in: the portal blocks this account (an administrator must unblock it)."""

    message_key = "portal.sign_in.locked"


class SignInThrottled(PortalBusy):
    """429 at sign-in: too many failed attempts; try again after ``retry_after`` seconds.

    The portal's delay grows with every failure; it is not a permanent lockout."""

    message_key = "portal.sign_in.too_many_attempts"

    def __init__(self, retry_after: float | None = None) -> None:
        super().__init__(429, retry_after)
        if retry_after is not None:  # with a known wait the message names it
            self.message_key = "portal.sign_in.too_many_attempts_wait"
        self.params = {**self.params, "seconds": wait_seconds(retry_after)}


class SignInUnreachable(PortalUnreachable):
    """The portal could not be reached to sign in (connect error, timeout, reset)."""

    message_key = "portal.sign_in.unreachable"


def wait_seconds(retry_after: float | None) -> int:
    """A ``Retry-After`` in whole seconds to show (at least 1; 0 when unknown)."""
    if retry_after is None:
        return 0
    return max(1, int(-(-retry_after // 1)))


class PortalRejected(InputError):
    """A permanent answer (400, 404, 409, 410, 422): retrying the same request cannot help."""

    message_key = "portal.error.rejected"

    def __init__(self, status: int, reason: str = "") -> None:
        super().__init__(status=status, reason=reason)
        self.status = status
        self.reason = reason


class PortalApi(Protocol):
    """Portal contract v1 as calls. ``token`` is a beheerder access token or a device token."""

    def health(self) -> bool:
        """Return True when ``GET /v1/health`` answers ``{"status": "ok"}``."""
        ...

    def sign_in(
        self, username: str, password: str, totp: str | None = None, kiosk_id: str | None = None
    ) -> Session:
        """``POST /v1/auth/token`` (naming the kiosk gets the session its check grant)."""
        ...

    def enroll_kiosk(self, token: str, name: str) -> DeviceCredential:
        """``POST /v1/kiosks`` with a beheerder token."""
        ...

    def rotate_device_token(self, token: str) -> DeviceCredential:
        """``POST /v1/kiosks/self/token`` with the device token: a new one replaces it."""
        ...

    def put_registration(self, token: str, registration: Registration) -> RegistrationState:
        """Idempotent ``PUT /v1/registrations/{registration_id}``."""
        ...

    def get_registration(self, token: str, registration_id: uuid.UUID) -> RegistrationState:
        """``GET /v1/registrations/{registration_id}``."""
        ...

    def renew_enrollment(self, token: str, registration_id: uuid.UUID) -> Enrollment:
        """``POST /v1/registrations/{registration_id}/enrollment``: the old code dies."""
        ...

    def cancel_enrollment(self, token: str, registration_id: uuid.UUID) -> None:
        """``DELETE /v1/registrations/{registration_id}/enrollment``."""
        ...

    def reserve_codes(self, token: str, count: int) -> list[Enrollment]:
        """``POST /v1/enrollment-codes`` with the device token: the offline pool."""
        ...

    def send_heartbeat(self, token: str, heartbeat: Heartbeat) -> None:
        """``PUT /v1/kiosks/self/heartbeat`` with the device token (the fleet view)."""
        ...
