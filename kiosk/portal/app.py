"""The reference portal's contract v1 (DESIGN.md section 5), independent of the HTTP server.

:data:`ROUTES` is every operation the portal serves; :class:`Portal` holds the database
(:class:`kiosk.portal.store.PortalStore`), the sign-in limiter and one handler per route,
and :meth:`Portal.handle` turns one parsed request (method, path, bearer header, raw body,
client address) into a :class:`Reply`: route match (404/405), authorisation (401/403),
strict JSON (400, :func:`parse_json`), the OpenAPI document's request schema (422,
:mod:`kiosk.portal.validation`), then the handler. It is synchronous (the store is);
the ASGI application (:mod:`kiosk.portal.asgi`) runs it in a worker thread so the event
loop never blocks, and owns the HTTP framing (lengths, body limit, headers).
"""

from __future__ import annotations

import contextlib
import json
import logging
import math
import re
import uuid
from collections.abc import Callable
from dataclasses import dataclass
from typing import Any

from kiosk.paths import resource
from kiosk.portal.limits import AttemptLimiter, SignInLimiter
from kiosk.portal.store import (
    ApiFailure,
    KioskEnrolled,
    PortalStore,
    Principal,
    invalid,
    iso,
)
from kiosk.portal.validation import OPENAPI_PATH, Problem, validate_body

log = logging.getLogger("kiosk.portal")

MAX_BODY_BYTES = 64 * 1024
MAX_JSON_DEPTH = 16  # the deepest contract body (registration > wid_check > chip) is 3
MAX_INT_DIGITS = 20  # larger numbers are never a valid value, and int() of them is slow

DEMO_USERNAME = "demo"
DEMO_PASSWORD = "demo"  # noqa: S105 - the documented demo account, seeded only with --demo
DEMO_BEHEERDER_ID = "demo-beheerder"
DEMO_BEHEERDER_NAME = "Demo Beheerder"
DEMO_ORGANISATIONS = (("org-1", "Zorggroep Oost"), ("org-2", "Thuiszorg West"))


@dataclass(frozen=True, slots=True)
class Route:
    """One entry of the contract: method, path template, handler name and who may call it."""

    method: str
    template: str
    handler: str
    auth: str | None  # None (public), "beheerder", "device" or "any"
    body: bool = False  # takes a JSON body (validated against the document's schema)

    @property
    def pattern(self) -> re.Pattern[str]:
        """The template as a regular expression; ``{name}`` matches one path segment."""
        parts = re.split(r"\{(\w+)\}", self.template)
        regex = "".join(
            re.escape(part) if i % 2 == 0 else f"(?P<{part}>[^/]+)" for i, part in enumerate(parts)
        )
        return re.compile(f"^{regex}$")


ROUTES: tuple[Route, ...] = (
    Route("GET", "/v1/health", "health", None),
    Route("GET", "/v1/openapi.json", "openapi", None),
    Route("POST", "/v1/auth/token", "sign_in", None, body=True),
    Route("POST", "/v1/kiosks", "enroll_kiosk", "beheerder", body=True),
    Route("GET", "/v1/kiosks", "list_kiosks", "beheerder"),
    Route("PUT", "/v1/kiosks/self/heartbeat", "heartbeat", "device", body=True),
    Route("POST", "/v1/kiosks/self/token", "rotate_device_token", "device"),
    Route("DELETE", "/v1/kiosks/{kiosk_id}", "revoke_kiosk", "beheerder"),
    Route("PUT", "/v1/registrations/{registration_id}", "put_registration", "any", body=True),
    Route("GET", "/v1/registrations/{registration_id}", "get_registration", "any"),
    Route("POST", "/v1/registrations/{registration_id}/enrollment", "renew", "any"),
    Route("DELETE", "/v1/registrations/{registration_id}/enrollment", "cancel", "any"),
    Route("POST", "/v1/enrollment-codes", "reserve_codes", "device", body=True),
    Route("POST", "/v1/app/enroll", "app_enroll", None, body=True),
)
"""Every path and method the portal serves; the OpenAPI document lists exactly these."""

_COMPILED = [(route, route.pattern) for route in ROUTES]


@dataclass(frozen=True, slots=True)
class Reply:
    """One answer: status, payload (JSON-able, raw bytes or None) and a Retry-After."""

    status: int
    payload: Any
    retry_after: int | None = None
    route: str = "(unknown)"  # the template, for the privacy-safe access log

    def body(self) -> bytes:
        """The answer's bytes (UTF-8 JSON unless the payload already is bytes)."""
        if isinstance(self.payload, bytes):
            return self.payload
        if self.payload is None:
            return b""
        return json.dumps(self.payload, ensure_ascii=False).encode("utf-8")


def match(method: str, path: str) -> tuple[Route, dict[str, str]]:
    """The route for ``method`` and ``path`` and its path parameters; 404 or 405 if none."""
    allowed = False
    for route, pattern in _COMPILED:
        found = pattern.match(path)
        if found:
            if route.method == method:
                return route, found.groupdict()
            allowed = True
    if allowed:
        raise ApiFailure(405, "method_not_allowed", "method not allowed")
    raise ApiFailure(404, "not_found", "no such endpoint")


class Portal:
    """The contract's handlers over one :class:`PortalStore` (see the module docstring)."""

    def __init__(self, store: PortalStore, *, max_failed_sign_ins: int = 5) -> None:
        self.store = store
        self.limiter = SignInLimiter(
            AttemptLimiter(store.transaction, store.clock), max_failures=max_failed_sign_ins
        )
        self._document = resource(*OPENAPI_PATH).read_bytes()

    # -- dispatch ----------------------------------------------------------------------

    def handle(self, method: str, path: str, authorization: str, raw: bytes, address: str) -> Reply:
        """Answer one request; never raises (a bug is a logged JSON 500)."""
        template = "(unknown)"
        try:
            route, params = match(method, path)
            template = route.template
            kwargs: dict[str, Any] = dict(params)
            kwargs["address"] = address
            if route.auth is not None:
                kwargs["principal"] = self.authorise(authorization, route.auth)
            if route.body:
                body = parse_json(raw)
                problems = validate_body(route.method, route.template, body)
                if problems:
                    raise invalid(problems)
                kwargs["body"] = body
            handler: Callable[..., tuple[int, Any]] = getattr(self, route.handler)
            status, payload = handler(**kwargs)
        except ApiFailure as failure:
            return Reply(failure.status, failure.body(), failure.retry_after, template)
        except Exception:
            log.exception("portal handler failed", extra={"route": template})
            return Reply(
                500, {"error": "internal", "detail": "internal server error"}, None, template
            )
        return Reply(status, payload, None, template)

    def authorise(self, header: str, needed: str) -> Principal:
        """The principal of a ``Bearer`` header allowed to call a route needing ``needed``."""
        scheme, _, token = header.partition(" ")
        if scheme.lower() != "bearer" or not token.strip():
            raise ApiFailure(401, "unauthorised", "a bearer token is required")
        principal = self.store.principal(token.strip())
        if principal is None:
            raise ApiFailure(401, "unauthorised", "token unknown or expired")
        if needed not in ("any", principal.kind):
            raise ApiFailure(403, "forbidden", f"this call needs a {needed} token")
        return principal

    # -- accounts -----------------------------------------------------------------------

    def seed_demo(self) -> None:
        """Add the demo beheerder ``demo``/``demo`` managing two organisations (idempotent)."""
        for org_id, name in DEMO_ORGANISATIONS:
            self.store.add_organisation(org_id, name)
        # ValueError: already seeded (a persistent database).
        with contextlib.suppress(ValueError):
            self.store.add_beheerder(
                DEMO_USERNAME,
                DEMO_BEHEERDER_NAME,
                DEMO_PASSWORD,
                [org_id for org_id, _ in DEMO_ORGANISATIONS],
                beheerder_id=DEMO_BEHEERDER_ID,
            )

    # -- endpoints (called by :meth:`handle` with parsed, schema-valid input) -------------

    def health(self, **_: Any) -> tuple[int, Any]:
        return 200, {"status": "ok"}

    def openapi(self, **_: Any) -> tuple[int, Any]:
        return 200, self._document

    def sign_in(self, body: Any, address: str, **_: Any) -> tuple[int, Any]:
        username: str = body["username"]
        # Counted before the password is checked, atomically with the check of the wait:
        # parallel guesses cannot all slip through (kiosk.portal.limits).
        wait = self.limiter.begin_sign_in(username, address)
        if wait is not None:
            log.info("sign-in delayed", extra={"retry_after": wait})
            raise ApiFailure(429, "too_many_attempts", "too many failed sign-ins", retry_after=wait)
        signed = self.store.sign_in(username, body["password"], body.get("totp"))
        if signed is None:
            log.info("sign-in refused")
            raise ApiFailure(401, "invalid_credentials", "wrong username, password or code")
        self.limiter.signed_in(username, address)
        answer: dict[str, Any] = {
            "access_token": signed.access_token,
            "token_type": "bearer",
            "expires_in": signed.expires_in,
            "beheerder": {"id": signed.beheerder_id, "name": signed.beheerder_name},
            "organisations": signed.organisations,
        }
        if body.get("kiosk_id"):
            # The sign-in happens on this kiosk: the grant that lets it name this
            # beheerder as checked_by (kiosk.portal.authz).
            grant, expires = self.store.issue_check_grant(signed.beheerder_id, body["kiosk_id"])
            answer["check_grant"] = grant
            answer["check_grant_expires_at"] = iso(expires) if expires else None
        return 200, answer

    def enroll_kiosk(self, body: Any, principal: Principal, **_: Any) -> tuple[int, Any]:
        name = body["name"].strip()  # the schema's "label" format: not blank
        enrolled = self.store.enroll_kiosk(principal, name, body.get("organisations"))
        return 201, _kiosk_answer(enrolled)

    def rotate_device_token(self, principal: Principal, **_: Any) -> tuple[int, Any]:
        return 201, _kiosk_answer(self.store.rotate_device_token(principal))

    def list_kiosks(self, principal: Principal, **_: Any) -> tuple[int, Any]:
        return 200, {"kiosks": self.store.fleet(principal)}

    def heartbeat(self, body: Any, principal: Principal, **_: Any) -> tuple[int, Any]:
        self.store.record_heartbeat(principal, body)
        return 204, None

    def revoke_kiosk(self, principal: Principal, kiosk_id: str, **_: Any) -> tuple[int, Any]:
        self.store.revoke_kiosk(kiosk_id, principal)
        return 204, None

    def put_registration(
        self, body: Any, principal: Principal, registration_id: str, **_: Any
    ) -> tuple[int, Any]:
        reg_id = _uuid(registration_id)
        if reg_id is None:
            raise invalid([Problem("registration_id", "must be a UUID")])
        created, state = self.store.put_registration(principal, reg_id, body)
        state.pop("enrolled_at")
        return (201 if created else 200), state

    def get_registration(
        self, principal: Principal, registration_id: str, **_: Any
    ) -> tuple[int, Any]:
        return 200, self.store.get_registration(principal, _known_uuid(registration_id))

    def renew(self, principal: Principal, registration_id: str, **_: Any) -> tuple[int, Any]:
        return 201, self.store.renew_enrollment(principal, _known_uuid(registration_id))

    def cancel(self, principal: Principal, registration_id: str, **_: Any) -> tuple[int, Any]:
        self.store.cancel_enrollment(principal, _known_uuid(registration_id))
        return 204, None

    def reserve_codes(self, body: Any, principal: Principal, **_: Any) -> tuple[int, Any]:
        # The schema bounds count to 1-50 (MAX_POOL_REQUEST).
        return 201, {"codes": self.store.reserve_codes(principal, body["count"])}

    def app_enroll(self, body: Any, address: str, **_: Any) -> tuple[int, Any]:
        wait = self.limiter.begin_enroll(address)
        if wait is not None:
            raise ApiFailure(
                429, "too_many_attempts", "too many failed enrollments", retry_after=wait
            )
        try:
            name = self.store.app_enroll(body["qr_payload"], body["device_public_key"])
        except ApiFailure as failure:
            # Only an unknown or dead code is a guess; a bad key or a code that has not
            # reached the portal yet (425) says nothing about codes.
            if failure.status not in (404, 410):
                self.limiter.enrolled(address)
            raise
        self.limiter.enrolled(address)
        return 200, {"display_name": name}


def _kiosk_answer(enrolled: KioskEnrolled) -> dict[str, Any]:
    answer: dict[str, Any] = {
        "kiosk_id": enrolled.kiosk_id,
        "device_token": enrolled.device_token,
        "expires_at": iso(enrolled.expires_at),
        "organisations": enrolled.organisations,
    }
    if enrolled.check_grant is not None and enrolled.check_grant_expires_at is not None:
        answer["check_grant"] = enrolled.check_grant
        answer["check_grant_expires_at"] = iso(enrolled.check_grant_expires_at)
    return answer


def _uuid(text: str) -> str | None:
    try:
        return str(uuid.UUID(text))
    except ValueError:
        return None


def _known_uuid(text: str) -> str:
    value = _uuid(text)
    if value is None:
        raise ApiFailure(404, "not_found", "no such registration")
    return value


class _Malformed(ValueError):
    """The body is JSON but not JSON the portal takes (see :func:`_parse_json`)."""


def _parse_int(text: str) -> int:
    if len(text.lstrip("-")) > MAX_INT_DIGITS:
        raise _Malformed("number too large")
    return int(text)


def _parse_float(text: str) -> float:
    value = float(text)
    if not math.isfinite(value):
        raise _Malformed("number out of range")
    return value


def _reject_constant(name: str) -> Any:
    raise _Malformed(f"{name} is not JSON")  # Python's json takes NaN and Infinity


def _unique_object(pairs: list[tuple[str, Any]]) -> dict[str, Any]:
    # Two parsers may keep different copies of a duplicated key (RFC 8259 section 4):
    # refuse, so what is validated is what is stored.
    out = dict(pairs)
    if len(out) != len(pairs):
        raise _Malformed("duplicate key")
    return out


def _check_shape(value: Any) -> None:
    """Refuse nesting deeper than :data:`MAX_JSON_DEPTH` and lone surrogates (from escapes).

    Iterative, so a hostile body cannot exhaust the stack here either.
    """
    stack: list[tuple[Any, int]] = [(value, 0)]
    while stack:
        item, depth = stack.pop()
        if isinstance(item, str):
            if any(0xD800 <= ord(ch) <= 0xDFFF for ch in item):
                raise _Malformed("lone surrogate")
        elif isinstance(item, dict | list):
            if depth >= MAX_JSON_DEPTH:
                raise _Malformed("nested too deeply")
            children = [*item.keys(), *item.values()] if isinstance(item, dict) else item
            stack.extend((child, depth + 1) for child in children)


def parse_json(raw: bytes) -> Any:
    """Parse a request body: strict UTF-8 JSON, no duplicate keys, no NaN, bounded numbers
    and nesting; anything else is a 400 (never a 500)."""
    try:
        value = json.loads(
            raw.decode("utf-8"),
            object_pairs_hook=_unique_object,
            parse_int=_parse_int,
            parse_float=_parse_float,
            parse_constant=_reject_constant,
        )
        _check_shape(value)
    except (UnicodeDecodeError, RecursionError, ValueError):
        # ValueError covers JSONDecodeError, _Malformed and int()'s digit limit.
        raise ApiFailure(400, "malformed_json", "the body is not acceptable JSON") from None
    return value
