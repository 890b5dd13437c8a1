"""HTTP client for portal contract v1 (DESIGN.md section 5), implementing :class:`PortalApi`.

Every failure becomes one of the errors of :mod:`kiosk.sync.api`, chosen by what the caller
should do about it (DESIGN.md section 6)::

    httpx.TransportError (connect, timeout, reset)   -> PortalUnreachable
    408, 425, 429, 5xx                               -> PortalBusy(status, retry_after)
    401, 403                                         -> PortalAuthError(status)
    400, 404, 409, 410, 422 (and any other 4xx)      -> PortalRejected(status, reason)
    malformed JSON, wrong shape, unexpected status   -> PortalError

The transport is a parameter (``httpx.MockTransport`` in unit tests, the real reference
portal over loopback in integration tests), so nothing needs patching.
"""

from __future__ import annotations

import ipaddress
import ssl
import uuid
from collections.abc import Callable
from datetime import UTC, datetime, timedelta
from email.utils import parsedate_to_datetime
from types import TracebackType
from typing import Any
from urllib.parse import urlsplit

import httpx

from kiosk import __version__
from kiosk.config import Config
from kiosk.errors import InputError
from kiosk.model import DeviceCredential, Enrollment, Registration, RegistrationStatus
from kiosk.sync.api import (
    Heartbeat,
    Organisation,
    PortalAuthError,
    PortalBusy,
    PortalError,
    PortalRejected,
    PortalUnreachable,
    RegistrationState,
    Session,
    SignInLocked,
    SignInRefused,
    SignInThrottled,
    SignInUnreachable,
)

BUSY_STATUSES = frozenset({408, 425, 429})
AUTH_STATUSES = frozenset({401, 403})
MAX_REASON_LENGTH = 300
# A session longer than a year is not a session; also keeps timedelta from overflowing.
MAX_EXPIRES_IN = 366 * 24 * 3600


def _utc_now() -> datetime:
    return datetime.now(UTC)


def is_loopback_host(host: str | None) -> bool:
    """True for ``localhost`` and loopback addresses (127.0.0.0/8, ``::1``)."""
    name = (host or "").strip("[]").lower()
    if name == "localhost" or name.endswith(".localhost"):
        return True
    try:
        return ipaddress.ip_address(name).is_loopback
    except ValueError:
        return False


def check_portal_url(url: str) -> None:
    """Refuse a portal URL that would send tokens and personal data in the clear.

    ``https://`` always; plain ``http://`` only to this machine (loopback: ``kiosk portal
    serve`` without a certificate, tests), where nothing crosses a network. Raises
    :class:`~kiosk.errors.InputError` ``portal.error.plain_http`` otherwise.
    """
    try:
        parts = urlsplit(url)
        host = parts.hostname
    except ValueError:
        raise InputError("portal.error.url", url=url) from None
    if parts.scheme == "https" and host:
        return
    if parts.scheme == "http" and is_loopback_host(host):
        return
    if parts.scheme == "http":
        raise InputError("portal.error.plain_http", url=url)
    raise InputError("portal.error.url", url=url)


def portal_verify(config: Config) -> ssl.SSLContext | bool:
    """How the kiosk verifies the portal's HTTPS certificate (``portal.ca_file``).

    With a CA file, only certificates chaining to its CAs are accepted (an organisation
    running the portal under its own CA); without one, httpx's default, the public CAs of
    the certifi bundle. Raises :class:`~kiosk.errors.InputError` ``portal.error.ca_file``
    when the file cannot be read as PEM certificates: a desk must not fall back to a
    weaker check than the one its configuration asks for.
    """
    ca_file = config.portal.ca_file
    if not ca_file:
        return True
    try:
        return ssl.create_default_context(cafile=ca_file)
    except (OSError, ssl.SSLError, ValueError):
        raise InputError("portal.error.ca_file", path=ca_file) from None


def parse_retry_after(value: str | None, now: datetime) -> float | None:
    """Parse ``Retry-After`` (RFC 9110 section 10.2.3): delay-seconds or an HTTP date."""
    if value is None:
        return None
    value = value.strip()
    if value.isdigit():
        return float(value)
    try:
        moment = parsedate_to_datetime(value)
    except (TypeError, ValueError, IndexError):
        return None
    if moment.tzinfo is None:
        moment = moment.replace(tzinfo=UTC)
    return max(0.0, (moment - now).total_seconds())


def _reason(response: httpx.Response) -> str:
    """A short reason from an error body ``{error, detail}``, else the status phrase."""
    try:
        data = response.json()
    except ValueError:
        data = None
    if isinstance(data, dict):
        for key in ("detail", "error"):
            if isinstance(data.get(key), str) and data[key]:
                return str(data[key])[:MAX_REASON_LENGTH]
    return response.reason_phrase


def _object(data: Any, what: str) -> dict[str, Any]:
    if not isinstance(data, dict):
        raise PortalError(what=what)
    return data


def _text(data: dict[str, Any], key: str) -> str:
    value = data.get(key)
    if not isinstance(value, str) or not value:
        raise PortalError(what=key)
    return value


def _datetime(value: Any, what: str) -> datetime:
    if not isinstance(value, str):
        raise PortalError(what=what)
    try:
        moment = datetime.fromisoformat(value.replace("Z", "+00:00"))
    except ValueError:
        raise PortalError(what=what) from None
    if moment.tzinfo is None:
        raise PortalError(what=what)
    return moment


def _optional_text(data: dict[str, Any], key: str) -> str | None:
    value = data.get(key)
    if value is None:
        return None
    if not isinstance(value, str) or not value:
        raise PortalError(what=key)
    return value


def _credential(obj: dict[str, Any]) -> DeviceCredential:
    expires = obj.get("expires_at")
    return DeviceCredential(
        kiosk_id=_text(obj, "kiosk_id"),
        device_token=_text(obj, "device_token"),
        expires_at=None if expires is None else _datetime(expires, "expires_at"),
        check_grant=_optional_text(obj, "check_grant"),
    )


def _enrollment(data: Any) -> Enrollment:
    obj = _object(data, "enrollment")
    return Enrollment(
        code=_text(obj, "code"),
        qr_payload=_text(obj, "qr_payload"),
        expires_at=_datetime(obj.get("expires_at"), "enrollment.expires_at"),
    )


def _state(data: Any) -> RegistrationState:
    obj = _object(data, "registration")
    try:
        registration_id = uuid.UUID(_text(obj, "registration_id"))
        status = RegistrationStatus(str(obj.get("status")))
    except ValueError:
        raise PortalError(what="registration") from None
    raw_enrollment = obj.get("enrollment")
    raw_enrolled_at = obj.get("enrolled_at")
    return RegistrationState(
        registration_id=registration_id,
        status=status,
        enrollment=None if raw_enrollment is None else _enrollment(raw_enrollment),
        enrolled_at=None if raw_enrolled_at is None else _datetime(raw_enrolled_at, "enrolled_at"),
    )


class PortalClient:
    """:class:`kiosk.sync.api.PortalApi` over HTTP with httpx.

    ``transport`` replaces the network (``httpx.MockTransport``) or configures it
    (``httpx.HTTPTransport(retries=...)``); ``clock`` is used for session expiry and
    ``Retry-After`` dates. One instance may be shared between threads (httpx.Client is).
    ``verify`` is how the portal's certificate is checked: ``True`` (the system's trust
    store), or an :class:`ssl.SSLContext` holding a private CA (``kiosk demo``'s local CA).
    ``base_url`` must be ``https://``, or ``http://`` to loopback (:func:`check_portal_url`).
    """

    def __init__(
        self,
        base_url: str,
        *,
        transport: httpx.BaseTransport | None = None,
        timeout: float = 10.0,
        clock: Callable[[], datetime] = _utc_now,
        verify: ssl.SSLContext | bool = True,
    ) -> None:
        check_portal_url(base_url)
        self.base_url = base_url.rstrip("/")
        self._clock = clock
        self._http = httpx.Client(
            base_url=self.base_url,
            transport=transport,
            timeout=timeout,
            verify=verify,
            headers={"User-Agent": f"zorgid-desk-kiosk/{__version__}"},
        )

    def close(self) -> None:
        """Close the connection pool."""
        self._http.close()

    @classmethod
    def for_config(cls, config: Config, url: str | None = None) -> PortalClient:
        """A client for ``url`` (default ``portal.url``) with the configured timeout and
        certificate check (:func:`portal_verify`)."""
        return cls(
            url or config.portal.url,
            timeout=config.portal.timeout_s,
            verify=portal_verify(config),
        )

    def __enter__(self) -> PortalClient:
        return self

    def __exit__(
        self,
        exc_type: type[BaseException] | None,
        exc: BaseException | None,
        tb: TracebackType | None,
    ) -> None:
        self.close()

    # -- plumbing -----------------------------------------------------------------------

    def _call(
        self,
        method: str,
        path: str,
        *,
        token: str | None = None,
        body: Any = None,
        expect: tuple[int, ...] = (200,),
    ) -> Any:
        """Send one request; return the decoded JSON (None for 204) or raise a portal error."""
        headers = {"Authorization": f"Bearer {token}"} if token else {}
        try:
            response = self._http.request(
                method, path, headers=headers, json=body if body is not None else None
            )
        except httpx.TransportError as exc:
            raise PortalUnreachable(kind=type(exc).__name__) from None
        status = response.status_code
        if status in expect:
            if status == 204:
                return None
            try:
                return response.json()
            except ValueError:
                raise PortalError(what="json") from None
        if status in BUSY_STATUSES or status >= 500:
            raise PortalBusy(
                status, parse_retry_after(response.headers.get("Retry-After"), self._clock())
            )
        if status in AUTH_STATUSES:
            raise PortalAuthError(status)
        if 400 <= status < 500:
            raise PortalRejected(status, _reason(response))
        raise PortalError(what=f"status {status}")

    # -- PortalApi ----------------------------------------------------------------------

    def health(self) -> bool:
        """True when ``GET /v1/health`` answers ``{"status": "ok"}``; False on any failure."""
        try:
            data = self._call("GET", "/v1/health")
        except (PortalError, PortalUnreachable, PortalBusy, PortalAuthError, PortalRejected):
            return False
        return isinstance(data, dict) and data.get("status") == "ok"

    def sign_in(
        self, username: str, password: str, totp: str | None = None, kiosk_id: str | None = None
    ) -> Session:
        """``POST /v1/auth/token``: 401 -> :class:`SignInRefused`, 403 -> :class:`SignInLocked`,
        429 -> :class:`SignInThrottled` (``retry_after``), no connection ->
        :class:`SignInUnreachable` (each a subclass of the generic portal error).

        With ``kiosk_id`` (this kiosk's id at the portal) the session carries the portal's
        check grant for this beheerder on this kiosk."""
        body: dict[str, Any] = {"username": username, "password": password}
        if totp is not None:
            body["totp"] = totp
        if kiosk_id is not None:
            body["kiosk_id"] = kiosk_id
        # The sign-in page names what happened to this attempt (kiosk.sync.api): the
        # generic errors speak of queued registrations and re-authenticating the kiosk.
        try:
            answer = self._call("POST", "/v1/auth/token", body=body)
        except PortalUnreachable as exc:
            raise SignInUnreachable(**exc.params) from None
        except PortalBusy as exc:
            if exc.status != 429:
                raise
            raise SignInThrottled(exc.retry_after) from None
        except PortalAuthError as exc:
            raise (
                SignInLocked(exc.status) if exc.status == 403 else SignInRefused(exc.status)
            ) from None
        obj = _object(answer, "session")
        beheerder = _object(obj.get("beheerder"), "beheerder")
        expires_in = obj.get("expires_in")
        organisations = obj.get("organisations")
        if (
            obj.get("token_type") != "bearer"
            or not isinstance(expires_in, int)
            or isinstance(expires_in, bool)
            or not 0 < expires_in <= MAX_EXPIRES_IN
            or not isinstance(organisations, list)
        ):
            raise PortalError(what="session")
        orgs = tuple(
            Organisation(id=_text(o, "id"), name=_text(o, "name"))
            for o in (_object(item, "organisation") for item in organisations)
        )
        return Session(
            access_token=_text(obj, "access_token"),
            expires_at=self._clock() + timedelta(seconds=expires_in),
            beheerder_id=_text(beheerder, "id"),
            beheerder_name=_text(beheerder, "name"),
            organisations=orgs,
            check_grant=_optional_text(obj, "check_grant"),
        )

    def enroll_kiosk(self, token: str, name: str) -> DeviceCredential:
        """``POST /v1/kiosks`` with a beheerder token: the kiosk's own device credential."""
        obj = _object(
            self._call("POST", "/v1/kiosks", token=token, body={"name": name}, expect=(201,)),
            "kiosk",
        )
        return _credential(obj)

    def rotate_device_token(self, token: str) -> DeviceCredential:
        """``POST /v1/kiosks/self/token`` with the device token: the new credential (the old
        token keeps working for a short grace, so a lost answer can be retried)."""
        obj = _object(
            self._call("POST", "/v1/kiosks/self/token", token=token, expect=(201,)), "kiosk"
        )
        return _credential(obj)

    def revoke_kiosk(self, token: str, kiosk_id: str) -> None:
        """``DELETE /v1/kiosks/{kiosk_id}`` with a beheerder token: the kiosk's tokens die."""
        self._call("DELETE", f"/v1/kiosks/{kiosk_id}", token=token, expect=(204,))

    def put_registration(self, token: str, registration: Registration) -> RegistrationState:
        """Idempotent ``PUT /v1/registrations/{id}``: 201 first time, 200 on a replay."""
        data = self._call(
            "PUT",
            f"/v1/registrations/{registration.registration_id}",
            token=token,
            body=registration.to_contract(),
            expect=(200, 201),
        )
        return _state(data)

    def get_registration(self, token: str, registration_id: uuid.UUID) -> RegistrationState:
        """``GET /v1/registrations/{id}``: status, live enrollment and ``enrolled_at``."""
        return _state(self._call("GET", f"/v1/registrations/{registration_id}", token=token))

    def renew_enrollment(self, token: str, registration_id: uuid.UUID) -> Enrollment:
        """``POST /v1/registrations/{id}/enrollment``: a new code; the old one is dead."""
        data = self._call(
            "POST", f"/v1/registrations/{registration_id}/enrollment", token=token, expect=(201,)
        )
        return _enrollment(data)

    def cancel_enrollment(self, token: str, registration_id: uuid.UUID) -> None:
        """``DELETE /v1/registrations/{id}/enrollment``."""
        self._call(
            "DELETE", f"/v1/registrations/{registration_id}/enrollment", token=token, expect=(204,)
        )

    def reserve_codes(self, token: str, count: int) -> list[Enrollment]:
        """``POST /v1/enrollment-codes`` with the device token: unbound offline pool codes."""
        obj = _object(
            self._call(
                "POST", "/v1/enrollment-codes", token=token, body={"count": count}, expect=(201,)
            ),
            "codes",
        )
        codes = obj.get("codes")
        if not isinstance(codes, list):
            raise PortalError(what="codes")
        return [_enrollment(item) for item in codes]

    def send_heartbeat(self, token: str, heartbeat: Heartbeat) -> None:
        """``PUT /v1/kiosks/self/heartbeat`` with the device token: 204."""
        self._call(
            "PUT",
            "/v1/kiosks/self/heartbeat",
            token=token,
            body=heartbeat.to_contract(),
            expect=(204,),
        )

    def list_kiosks(self, token: str) -> list[dict[str, Any]]:
        """``GET /v1/kiosks`` with a beheerder token: the fleet view (``KioskStatus``
        objects of the OpenAPI document: id, name, organisations, revocation, heartbeat)."""
        obj = _object(self._call("GET", "/v1/kiosks", token=token), "fleet")
        kiosks = obj.get("kiosks")
        if not isinstance(kiosks, list):
            raise PortalError(what="kiosks")
        return [_object(item, "kiosk") for item in kiosks]

    # -- the phone's side ---------------------------------------------------------------

    def app_enroll(self, qr_payload: str, device_public_key: str) -> str:
        """``POST /v1/app/enroll`` as the ZORG-ID app; returns the name shown under 'ID'.

        404/410 raise :class:`PortalRejected`; 425 (the bound registration has not reached
        the portal yet) raises :class:`PortalBusy` with status 425.
        """
        obj = _object(
            self._call(
                "POST",
                "/v1/app/enroll",
                body={"qr_payload": qr_payload, "device_public_key": device_public_key},
            ),
            "enroll",
        )
        return _text(obj, "display_name")
