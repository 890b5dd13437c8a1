"""The reference portal: portal contract v1 (DESIGN.md section 5) over real HTTP.

A stdlib :class:`http.server.ThreadingHTTPServer` in a background thread with its own
SQLite database (:class:`kiosk.portal.store.PortalStore`). Tests, ``kiosk demo`` and
``kiosk portal serve`` run it in-process on a loopback port::

    with PortalServer(":memory:") as portal:
        portal.seed_demo()
        client = PortalClient(portal.url)

Privacy: request bodies are never logged; log lines carry the method, the route *template*
(never an actual path or query), the status and the duration.
"""

from __future__ import annotations

import contextlib
import json
import logging
import math
import re
import socket
import socketserver
import ssl
import threading
import time
import uuid
from collections.abc import Callable
from concurrent.futures import ThreadPoolExecutor
from dataclasses import dataclass
from datetime import timedelta
from http import HTTPStatus
from http.server import BaseHTTPRequestHandler, HTTPServer
from pathlib import Path
from types import TracebackType
from typing import Any

from kiosk.paths import resource
from kiosk.portal.limits import AttemptLimiter, SignInLimiter
from kiosk.portal.store import (
    DEFAULT_CODE_TTL,
    DEFAULT_POOL_TTL,
    MAX_POOL_REQUEST,
    ApiFailure,
    Clock,
    KioskEnrolled,
    PortalStore,
    Principal,
    invalid,
    iso,
    utc_now,
)
from kiosk.portal.validation import Problem

log = logging.getLogger("kiosk.portal")

MAX_BODY_BYTES = 64 * 1024
MAX_JSON_DEPTH = 16  # the deepest contract body (registration > wid_check > chip) is 3
MAX_INT_DIGITS = 20  # larger numbers are never a valid value, and int() of them is slow
MAX_USERNAME_LENGTH = 200
MAX_PASSWORD_LENGTH = 1024
DEFAULT_WORKERS = 32
DEFAULT_BACKLOG = 1024  # listen(2) backlog; the kernel caps it at net.core.somaxconn
DEFAULT_MAX_PENDING = 1024  # accepted connections waiting for a worker before 503
TLS_HANDSHAKE_TIMEOUT_S = 10.0
OPENAPI_PATH = ("openapi", "portal-v1.json")

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
    body: bool = False  # takes a JSON body

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


def server_tls_context(certfile: str | Path, keyfile: str | Path | None = None) -> ssl.SSLContext:
    """A server TLS context (TLS 1.2 or later) with the PEM certificate chain and key."""
    context = ssl.SSLContext(ssl.PROTOCOL_TLS_SERVER)
    context.minimum_version = ssl.TLSVersion.TLSv1_2
    context.load_cert_chain(str(certfile), None if keyfile is None else str(keyfile))
    return context


_OVERLOADED = (
    b"HTTP/1.1 503 Service Unavailable\r\nContent-Type: application/json\r\n"
    b"Retry-After: 1\r\nConnection: close\r\nContent-Length: 53\r\n\r\n"
    b'{"error": "overloaded", "detail": "too many requests"}'
)


class _HttpServer(HTTPServer):
    """HTTP(S) server with a bounded worker pool and a real listen backlog.

    ``ThreadingHTTPServer`` listens with a backlog of 5 (bursts beyond that are reset or
    stall in SYN retries) and starts one unbounded thread per connection (DESIGN.md
    section 10). Here the accept loop only accepts: a fixed pool of ``workers`` threads
    does the TLS handshake and serves the requests, at most ``max_pending`` accepted
    connections wait for a worker (beyond that a connection gets a 503 at once), and
    while connections wait, a worker closes its keep-alive connection after the answer so
    waiting ones get their turn. Tracks open connections so :meth:`PortalServer.stop`
    can close idle keep-alives. Handler errors go to the JSON log, never to stderr.
    """

    daemon_threads = True
    portal: PortalServer

    def __init__(
        self,
        address: tuple[str, int],
        portal: PortalServer,
        *,
        tls: ssl.SSLContext | None,
        workers: int,
        backlog: int,
        max_pending: int,
    ) -> None:
        self.portal = portal
        self.tls = tls
        self.request_queue_size = backlog
        self._workers = workers
        self._max_pending = max_pending
        self._pending = 0  # accepted, not yet finished
        self._open: set[socket.socket] = set()
        self._open_lock = threading.Lock()
        self._pool = ThreadPoolExecutor(max_workers=workers, thread_name_prefix="portal-worker")
        if ":" in address[0]:
            self.address_family = socket.AF_INET6
        super().__init__(address, _Handler)

    def server_bind(self) -> None:
        # HTTPServer.server_bind looks up the host's FQDN (a DNS query, slow offline); the
        # handler never uses it.
        socketserver.TCPServer.server_bind(self)
        self.server_name = str(self.server_address[0])
        self.server_port = int(self.server_address[1])

    def busy(self) -> bool:
        """True while accepted connections wait for a free worker."""
        with self._open_lock:
            return self._pending > self._workers

    def process_request(self, request: Any, client_address: Any) -> None:
        with self._open_lock:
            overloaded = self._pending >= self._max_pending + self._workers
            if not overloaded:
                self._pending += 1
                self._open.add(request)
        if overloaded:
            with contextlib.suppress(OSError):
                request.settimeout(1.0)
                request.sendall(_OVERLOADED)
            self.shutdown_request(request)
            return
        try:
            self._pool.submit(self._work, request, client_address)
        except RuntimeError:  # the pool is shut down: the server is stopping
            self._finished(request)

    def _work(self, request: socket.socket, client_address: Any) -> None:
        connection = request
        try:
            if self.tls is not None:
                connection = self.tls.wrap_socket(
                    request, server_side=True, do_handshake_on_connect=False
                )
                with self._open_lock:
                    self._open.discard(request)
                    self._open.add(connection)
                connection.settimeout(TLS_HANDSHAKE_TIMEOUT_S)
                connection.do_handshake()
            self.finish_request(connection, client_address)
        except (ssl.SSLError, OSError) as err:
            # A failed handshake or a reset: the client's problem, not ours.
            log.debug("connection dropped", extra={"reason": type(err).__name__})
        except Exception:
            self.handle_error(connection, client_address)
        finally:
            self._finished(connection)

    def _finished(self, connection: socket.socket) -> None:
        with self._open_lock:
            self._open.discard(connection)
            self._pending -= 1
        self.shutdown_request(connection)

    def handle_error(self, request: Any, client_address: Any) -> None:
        """Log to the JSON log (exception type only), never a traceback on stderr."""
        log.exception("portal connection failed")

    def close_connections(self) -> None:
        with self._open_lock:
            sockets = list(self._open)
        for sock in sockets:
            with contextlib.suppress(OSError):
                sock.shutdown(socket.SHUT_RDWR)

    def server_close(self) -> None:
        super().server_close()
        self._pool.shutdown(wait=False, cancel_futures=True)


class PortalServer:
    """The reference portal on ``host:port`` (port 0 picks a free one) with its database.

    ``db_path`` is a file (WAL mode) or ``None``/``":memory:"``. ``clock`` returns the
    current UTC time (inject one to test expiry); ``code_ttl`` is the life of a code shown
    live, ``pool_ttl`` that of an offline pool code handed over on paper.
    """

    def __init__(
        self,
        db_path: str | Path | None = None,
        host: str = "127.0.0.1",
        port: int = 0,
        *,
        clock: Clock = utc_now,
        code_ttl: timedelta = DEFAULT_CODE_TTL,
        pool_ttl: timedelta = DEFAULT_POOL_TTL,
        max_failed_sign_ins: int = 5,
        tls: ssl.SSLContext | None = None,
        workers: int = DEFAULT_WORKERS,
        backlog: int = DEFAULT_BACKLOG,
        max_pending: int = DEFAULT_MAX_PENDING,
    ) -> None:
        self.store = PortalStore(db_path, clock=clock, code_ttl=code_ttl, pool_ttl=pool_ttl)
        self.limiter = SignInLimiter(
            AttemptLimiter(self.store.transaction, clock), max_failures=max_failed_sign_ins
        )
        self._host = host
        self._port = port
        self._tls = tls
        self._workers = workers
        self._backlog = backlog
        self._max_pending = max_pending
        self._httpd: _HttpServer | None = None
        self._thread: threading.Thread | None = None

    # -- lifecycle ----------------------------------------------------------------------

    def start(self) -> PortalServer:
        """Bind and serve in a background thread; returns self."""
        if self._httpd is not None:
            return self
        self._httpd = _HttpServer(
            (self._host, self._port),
            self,
            tls=self._tls,
            workers=self._workers,
            backlog=self._backlog,
            max_pending=self._max_pending,
        )
        self._port = int(self._httpd.server_address[1])
        self._thread = threading.Thread(
            target=self._httpd.serve_forever,
            kwargs={"poll_interval": 0.1},
            name="portal-server",
            daemon=True,
        )
        self._thread.start()
        log.info("portal listening", extra={"url": self.url})
        return self

    def stop(self) -> None:
        """Stop serving, close open connections and the database."""
        if self._httpd is not None:
            self._httpd.shutdown()
            self._httpd.close_connections()
            self._httpd.server_close()
            if self._thread is not None:
                self._thread.join(timeout=5)
            self._httpd = None
            self._thread = None
        self.store.close()

    def __enter__(self) -> PortalServer:
        return self.start()

    def __exit__(
        self,
        exc_type: type[BaseException] | None,
        exc: BaseException | None,
        tb: TracebackType | None,
    ) -> None:
        self.stop()

    @property
    def url(self) -> str:
        """Base URL, e.g. ``https://127.0.0.1:43211`` (no trailing slash; ``http`` without TLS)."""
        host = f"[{self._host}]" if ":" in self._host else self._host
        scheme = "http" if self._tls is None else "https"
        return f"{scheme}://{host}:{self._port}"

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

    def add_beheerder(
        self,
        username: str,
        name: str,
        password: str,
        organisations: list[tuple[str, str]],
        *,
        beheerder_id: str | None = None,
        totp_secret: str | None = None,
    ) -> str:
        """Create (or rename) the organisations and a beheerder managing them."""
        for org_id, org_name in organisations:
            self.store.add_organisation(org_id, org_name)
        return self.store.add_beheerder(
            username,
            name,
            password,
            [org_id for org_id, _ in organisations],
            beheerder_id=beheerder_id,
            totp_secret=totp_secret,
        )

    # -- endpoints (called by the handler with parsed input) ------------------------------

    def health(self, **_: Any) -> tuple[int, Any]:
        return 200, {"status": "ok"}

    def openapi(self, **_: Any) -> tuple[int, Any]:
        return 200, resource(*OPENAPI_PATH).read_bytes()

    def sign_in(self, body: Any, address: str, **_: Any) -> tuple[int, Any]:
        _strict(
            body,
            {"username": str, "password": str},
            {"totp": (str, type(None)), "kiosk_id": (str, type(None))},
        )
        username: str = body["username"]
        problems = [
            Problem(name, f"longer than {limit} characters")
            for name, limit in (
                ("username", MAX_USERNAME_LENGTH),
                ("password", MAX_PASSWORD_LENGTH),
            )
            if len(body[name]) > limit
        ]
        if body.get("totp") is not None and len(body["totp"]) > 16:
            problems.append(Problem("totp", "longer than 16 characters"))
        if problems:
            raise invalid(problems)
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
        _strict(body, {"name": str}, {"organisations": list})
        name = body["name"].strip()
        if not name or len(name) > 100:
            raise invalid([Problem("name", "must be 1-100 characters")])
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
        _strict(body, {"count": int}, {})
        count = body["count"]
        if isinstance(count, bool) or not 1 <= count <= MAX_POOL_REQUEST:
            raise invalid([Problem("count", f"must be an integer 1-{MAX_POOL_REQUEST}")])
        return 201, {"codes": self.store.reserve_codes(principal, count)}

    def app_enroll(self, body: Any, address: str, **_: Any) -> tuple[int, Any]:
        _strict(body, {"qr_payload": str, "device_public_key": str}, {})
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


def _parse_json(raw: bytes) -> Any:
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


def _strict(body: Any, required: dict[str, Any], optional: dict[str, Any]) -> None:
    """Check a small request object: exactly these fields, of these types; else 422."""
    if not isinstance(body, dict):
        raise invalid([Problem("$", "must be an object")])
    allowed = {**required, **optional}
    problems = [Problem(name, "unknown field") for name in body if name not in allowed]
    for name, kind in allowed.items():
        if name not in body:
            if name in required:
                problems.append(Problem(name, "required"))
        elif not isinstance(body[name], kind) or (kind is int and isinstance(body[name], bool)):
            problems.append(Problem(name, "wrong type"))
    if problems:
        raise invalid(problems)


class _Handler(BaseHTTPRequestHandler):
    """Parses one request, dispatches it to :class:`PortalServer`, writes the JSON answer."""

    server: _HttpServer
    protocol_version = "HTTP/1.1"
    server_version = "ZorgIdReferencePortal/1"
    # Headers and body leave in separate writes; with Nagle on, the body waits for the
    # client's delayed ACK (~40 ms per request on Linux). TCP_NODELAY sends it at once.
    disable_nagle_algorithm = True
    # Idle keep-alive connections close after this many seconds (httpx reuses a connection
    # for 5 s); also the longest a worker waits for the rest of a request. It bounds how
    # long idle connections can hold every worker while new ones wait.
    timeout = 10

    def do_GET(self) -> None:
        self._dispatch("GET")

    def do_POST(self) -> None:
        self._dispatch("POST")

    def do_PUT(self) -> None:
        self._dispatch("PUT")

    def do_DELETE(self) -> None:
        self._dispatch("DELETE")

    def log_message(self, format: str, *args: Any) -> None:
        """Silence http.server's own stderr log: it would print request lines and paths."""

    def send_error(self, code: int, message: str | None = None, explain: str | None = None) -> None:
        """Errors found by http.server itself (bad request line, header too long, unknown
        method): the portal's JSON error body instead of an HTML page, and the connection
        closed, since its framing can no longer be trusted."""
        if code == HTTPStatus.NOT_IMPLEMENTED:
            # An unknown method is the client's error, not a server failure (no 5xx).
            code = HTTPStatus.METHOD_NOT_ALLOWED
        self.close_connection = True
        if self.request_version == "HTTP/0.9":
            # Unparsable request line: http.server would answer without a status line.
            self.request_version = self.protocol_version
        status = HTTPStatus(code)
        error = "method_not_allowed" if code == 405 else "bad_request"
        self._send(code, {"error": error, "detail": status.phrase.lower()}, None)
        log.info("request", extra={"method": "(unparsed)", "route": "(unparsed)", "status": code})

    def _dispatch(self, method: str) -> None:
        started = time.perf_counter()
        portal = self.server.portal
        path = self.path.split("?", 1)[0]
        template = "(unknown)"
        status = 500
        retry_after: int | None = None
        try:
            # Read the body before anything can fail, so a keep-alive connection stays in sync.
            raw = self._read_body()
            route, params = self._match(method, path)
            template = route.template
            kwargs: dict[str, Any] = dict(params)
            kwargs["address"] = self.client_address[0]
            if route.auth is not None:
                kwargs["principal"] = self._authorise(route.auth)
            if route.body:
                kwargs["body"] = _parse_json(raw)
            handler: Callable[..., tuple[int, Any]] = getattr(portal, route.handler)
            status, payload = handler(**kwargs)
        except ApiFailure as failure:
            status, payload, retry_after = failure.status, failure.body(), failure.retry_after
        except Exception:
            log.exception("portal handler failed", extra={"route": template})
            status, payload = 500, {"error": "internal", "detail": "internal server error"}
        self._send(status, payload, retry_after)
        log.info(
            "request",
            extra={
                "method": method,
                "route": template,
                "status": status,
                "ms": round((time.perf_counter() - started) * 1000, 1),
            },
        )

    def _match(self, method: str, path: str) -> tuple[Route, dict[str, str]]:
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

    def _authorise(self, needed: str) -> Principal:
        header = self.headers.get("Authorization", "")
        scheme, _, token = header.partition(" ")
        if scheme.lower() != "bearer" or not token.strip():
            raise ApiFailure(401, "unauthorised", "a bearer token is required")
        principal = self.server.portal.store.principal(token.strip())
        if principal is None:
            raise ApiFailure(401, "unauthorised", "token unknown or expired")
        if needed not in ("any", principal.kind):
            raise ApiFailure(403, "forbidden", f"this call needs a {needed} token")
        return principal

    def _read_body(self) -> bytes:
        lengths = self.headers.get_all("Content-Length") or []
        if self.headers.get("Transfer-Encoding") is not None:
            # Chunked bodies are not supported, and Transfer-Encoding next to Content-Length
            # is the classic request-smuggling shape (RFC 9112 section 6.1): refuse either
            # and close, so the connection cannot desync.
            self.close_connection = True
            raise ApiFailure(400, "bad_request", "send Content-Length, not Transfer-Encoding")
        if not lengths:
            return b""  # RFC 9112 section 6.3: no length and no transfer coding means no body
        # ASCII digits only: str.isdigit() also takes "²" or Arabic-Indic digits.
        if len(set(lengths)) != 1 or not re.fullmatch(r"[0-9]{1,19}", lengths[0].strip()):
            self.close_connection = True
            raise ApiFailure(400, "bad_request", "invalid Content-Length")
        length = int(lengths[0])
        if length > MAX_BODY_BYTES:
            self.close_connection = True
            raise ApiFailure(413, "too_large", f"body larger than {MAX_BODY_BYTES} bytes")
        try:
            raw = self.rfile.read(length)
        except (TimeoutError, OSError):
            raw = b""
        if len(raw) != length:
            self.close_connection = True
            raise ApiFailure(400, "bad_request", "body shorter than Content-Length")
        return raw

    def _send(self, status: int, payload: Any, retry_after: int | None) -> None:
        if isinstance(payload, bytes):
            data = payload
        elif payload is None:
            data = b""
        else:
            data = json.dumps(payload, ensure_ascii=False).encode("utf-8")
        self.send_response(status, HTTPStatus(status).phrase)
        if data:
            self.send_header("Content-Type", "application/json")
        self.send_header("Content-Length", str(len(data)))
        self.send_header("Cache-Control", "no-store")
        if retry_after is not None:
            self.send_header("Retry-After", str(retry_after))
        if not self.close_connection and self.server.busy():
            # Connections are waiting for a worker: give this one back instead of idling.
            self.close_connection = True
        if self.close_connection:
            self.send_header("Connection", "close")
        self.end_headers()
        if data:
            self.wfile.write(data)
