"""The reference portal as an ASGI application (Starlette) served by uvicorn.

:func:`create_app` wraps a :class:`kiosk.portal.app.Portal`: it owns the HTTP framing
(Content-Length, no Transfer-Encoding, the body limit checked on the header and again
while the body streams in), runs the synchronous :meth:`Portal.handle` in a bounded
worker-thread pool (``anyio.to_thread``) so the event loop never blocks on SQLite, and
writes the JSON answer with ``Cache-Control: no-store`` and ``Retry-After``.

:class:`PortalProtocol` is uvicorn's httptools protocol with the portal's answers to
requests that never reach the application: a malformed request line, header or length
gets the portal's JSON error (400, 405 for an unknown method, 505 for an unknown
version, 414/431 for an over-long target or head) instead of uvicorn's plain text, and
a body cut short by the client's half-close gets a 400 instead of silence.

Privacy: uvicorn's access log is off; the one access log line per request carries the
method, the route *template* (never a path with ids, never a query or a body), the
status and the duration.

:func:`app_from_environment` is the app factory the worker processes of
``kiosk portal serve --workers N`` import: each builds its own
:class:`~kiosk.portal.store.PortalStore` from :data:`SETTINGS_ENV`.
"""

from __future__ import annotations

import contextlib
import functools
import json
import logging
import os
import re
import socket
import ssl
import time
from collections.abc import AsyncIterator, Callable
from dataclasses import asdict, dataclass
from datetime import timedelta
from pathlib import Path
from typing import Any

import anyio
import httptools
import uvicorn
from starlette.applications import Starlette
from starlette.exceptions import HTTPException
from starlette.requests import ClientDisconnect, Request
from starlette.responses import Response
from starlette.routing import Route
from uvicorn.protocols.http.httptools_impl import STATUS_LINE, HttpToolsProtocol

from kiosk.portal.app import MAX_BODY_BYTES, Portal, Reply
from kiosk.portal.store import PortalStore

log = logging.getLogger("kiosk.portal")

SERVER_HEADER = "ZorgIdReferencePortal/1"
DEFAULT_THREADS = 32  # worker threads for the (blocking) store calls, per process
DEFAULT_BACKLOG = 1024  # listen(2) backlog; the kernel caps it at net.core.somaxconn
# Idle keep-alive connections close after this many seconds: longer than httpx's 5 s
# reuse window, so a client never sends on a connection the server is just closing.
KEEP_ALIVE_S = 10
GRACEFUL_SHUTDOWN_S = 5
MAX_TARGET_BYTES = 8 * 1024  # request target (RFC 9112 section 3 recommends >= 8000)
MAX_HEAD_BYTES = 64 * 1024  # all header lines of one request
SETTINGS_ENV = "KIOSK_PORTAL_SETTINGS"
# The catch-all route takes every method; the portal answers 405 itself (kiosk.portal.app).
_ANY_METHOD = ["GET", "HEAD", "POST", "PUT", "DELETE", "PATCH", "OPTIONS", "TRACE", "CONNECT"]
_LENGTH = re.compile(r"[0-9]{1,19}")  # ASCII digits only: str.isdigit() also takes "²"
_TOKEN = re.compile(rb"[!#$%&'*+.^_`|~0-9A-Za-z-]+ ")  # RFC 9110 section 5.6.2 method


def server_tls_context(certfile: str | Path, keyfile: str | Path | None = None) -> ssl.SSLContext:
    """A server TLS context (TLS 1.2 or later) with the PEM certificate chain and key."""
    context = ssl.SSLContext(ssl.PROTOCOL_TLS_SERVER)
    context.minimum_version = ssl.TLSVersion.TLSv1_2
    context.load_cert_chain(str(certfile), None if keyfile is None else str(keyfile))
    return context


# -- the application ------------------------------------------------------------------


def _error(status: int, error: str, detail: str) -> Reply:
    return Reply(status, {"error": error, "detail": detail})


def _response(reply: Reply, *, close: bool = False) -> Response:
    data = reply.body()
    headers = {"Cache-Control": "no-store"}
    if reply.retry_after is not None:
        headers["Retry-After"] = str(reply.retry_after)
    if close:
        # The framing of the rest of the connection cannot be trusted (or the body was
        # not read): uvicorn closes after this answer.
        headers["Connection"] = "close"
    if reply.status == 204:
        return Response(status_code=204, headers=headers)
    return Response(data, reply.status, headers, media_type="application/json" if data else None)


def _framing_problem(request: Request) -> tuple[Reply, int] | None:
    """A refusal of the request's framing, or None; with the declared length otherwise."""
    if "transfer-encoding" in request.headers:
        # Chunked bodies are not supported, and Transfer-Encoding next to Content-Length
        # is the classic request-smuggling shape (RFC 9112 section 6.1).
        return _error(400, "bad_request", "send Content-Length, not Transfer-Encoding"), 0
    lengths = request.headers.getlist("content-length")
    if not lengths:
        return None  # RFC 9112 section 6.3: no length and no transfer coding means no body
    if len(set(lengths)) != 1 or not _LENGTH.fullmatch(lengths[0].strip()):
        return _error(400, "bad_request", "invalid Content-Length"), 0
    if int(lengths[0]) > MAX_BODY_BYTES:
        return _error(413, "too_large", f"body larger than {MAX_BODY_BYTES} bytes"), 0
    return None


async def _read_body(request: Request) -> bytes | None:
    """The body, or None when it grows beyond the limit while streaming in."""
    chunks: list[bytes] = []
    size = 0
    async for chunk in request.stream():
        size += len(chunk)
        if size > MAX_BODY_BYTES:
            return None
        chunks.append(chunk)
    return b"".join(chunks)


def _access_log(method: str, template: str, status: int, started: float) -> None:
    log.info(
        "request",
        extra={
            "method": method,
            "route": template,
            "status": status,
            "ms": round((time.perf_counter() - started) * 1000, 1),
        },
    )


def create_app(
    portal: Portal, *, threads: int = DEFAULT_THREADS, close_store: bool = False
) -> Starlette:
    """The ASGI application serving ``portal`` (every path: the portal answers 404 itself).

    ``threads`` bounds the worker threads running store calls (per process);
    ``close_store`` closes the store when the application shuts down (worker processes).
    """
    limiter: list[anyio.CapacityLimiter] = []  # made in the event loop, on first use

    async def endpoint(request: Request) -> Response:
        started = time.perf_counter()
        method = request.method
        refused = _framing_problem(request)
        if refused is not None:
            reply = refused[0]
            _access_log(method, "(unparsed)", reply.status, started)
            return _response(reply, close=True)
        try:
            raw = await _read_body(request)
        except ClientDisconnect:
            raw = None  # nobody to answer; PortalProtocol answers a half-closed one
        if raw is None:
            reply = _error(413, "too_large", f"body larger than {MAX_BODY_BYTES} bytes")
            _access_log(method, "(unparsed)", reply.status, started)
            return _response(reply, close=True)
        if not limiter:
            limiter.append(anyio.CapacityLimiter(threads))
        client = request.client
        reply = await anyio.to_thread.run_sync(
            portal.handle,
            method,
            request.url.path,
            request.headers.get("authorization", ""),
            raw,
            client.host if client is not None else "",
            limiter=limiter[0],
        )
        _access_log(method, reply.route, reply.status, started)
        return _response(reply)

    async def not_routable(request: Request, exc: Exception) -> Response:
        # A target the catch-all route does not take (e.g. "*"): the portal's own 404.
        status = exc.status_code if isinstance(exc, HTTPException) else 404
        if status == 405:
            reply = _error(405, "method_not_allowed", "method not allowed")
        else:
            reply = _error(404, "not_found", "no such endpoint")
        _access_log(request.method, "(unknown)", reply.status, time.perf_counter())
        return _response(reply)

    @contextlib.asynccontextmanager
    async def lifespan(_: Starlette) -> AsyncIterator[None]:
        try:
            yield
        finally:
            if close_store:
                portal.store.close()

    return Starlette(
        routes=[Route("/{path:path}", endpoint, methods=_ANY_METHOD)],
        exception_handlers={HTTPException: not_routable},
        lifespan=lifespan,
    )


# -- the protocol: answers for requests that never reach the application ---------------


class _HeadTooLarge(Exception):
    """Raised from a parser callback; httptools reports it as a callback error."""


class PortalProtocol(HttpToolsProtocol):
    """uvicorn's httptools protocol with the portal's JSON answers to broken requests."""

    _head_bytes = 0
    _too_large: int | None = None
    _eof = False

    def on_message_begin(self) -> None:
        super().on_message_begin()
        self._head_bytes = 0
        self._too_large = None

    def on_url(self, url: bytes) -> None:
        super().on_url(url)
        if len(self.url) > MAX_TARGET_BYTES:
            self._too_large = 414
            raise _HeadTooLarge

    def on_header(self, name: bytes, value: bytes) -> None:
        self._head_bytes += len(name) + len(value) + 4
        if self._head_bytes > MAX_HEAD_BYTES:
            self._too_large = 431
            raise _HeadTooLarge
        super().on_header(name, value)

    def data_received(self, data: bytes) -> None:
        self._unset_keepalive_if_required()
        try:
            self.parser.feed_data(data)
        except httptools.HttpParserUpgrade:
            if self._should_upgrade():
                self.handle_websocket_upgrade()
            else:
                self._unsupported_upgrade_warning()
        except httptools.HttpParserError as err:
            self._refuse(*self._refusal(err, data))

    def _refusal(self, err: Exception, data: bytes) -> tuple[int, str, str]:
        if self._too_large == 414:
            return 414, "bad_request", "request target too long"
        if self._too_large == 431:
            return 431, "bad_request", "request header fields too large"
        if isinstance(err, httptools.HttpParserInvalidMethodError) and _TOKEN.match(data):
            # A well-formed method the portal does not know: the client's error, no 5xx.
            return 405, "method_not_allowed", "method not allowed"
        if str(err) == "Invalid HTTP version":
            return 505, "bad_request", "http version not supported"
        return 400, "bad_request", "bad request"

    def _refuse(self, status: int, error: str, detail: str) -> None:
        """Answer in the portal's JSON error shape and close (the framing is lost)."""
        if self.transport.is_closing():
            return
        data = json.dumps({"error": error, "detail": detail}).encode()
        head = [STATUS_LINE[status]]
        for name, value in self.server_state.default_headers:
            head.append(name + b": " + value + b"\r\n")
        head += [
            b"content-type: application/json\r\n",
            b"content-length: " + str(len(data)).encode() + b"\r\n",
            b"cache-control: no-store\r\n",
            b"connection: close\r\n\r\n",
        ]
        self.transport.write(b"".join(head) + data)
        self.transport.close()
        log.info("request", extra={"method": "(unparsed)", "route": "(unparsed)", "status": status})

    def eof_received(self) -> bool | None:  # type: ignore[override]
        """The client half-closed: answer what it sent, then close."""
        cycle = self.cycle
        if cycle is None or cycle.response_complete:
            return None  # idle: close
        if cycle.more_body:
            # The body ended before its Content-Length: the request can never complete.
            self._refuse(400, "bad_request", "body shorter than Content-Length")
            cycle.disconnected = True
            cycle.message_event.set()
            return None
        cycle.keep_alive = False  # close after the answer in progress
        return True


class PortalConfig(uvicorn.Config):
    """uvicorn's configuration as the portal runs it (see the module docstring).

    ``tls`` is a ready server context (in-process); ``cert``/``key`` are PEM files each
    worker process loads into :func:`server_tls_context` (a context cannot be pickled).
    """

    def __init__(
        self,
        app: Any,
        *,
        tls: ssl.SSLContext | None = None,
        cert: Path | None = None,
        key: Path | None = None,
        **options: Any,
    ) -> None:
        factory: Callable[..., ssl.SSLContext] | None = None
        if tls is not None:
            factory = functools.partial(_given_context, tls)
        elif cert is not None:
            factory = functools.partial(_file_context, str(cert), None if key is None else str(key))
        options.setdefault("backlog", DEFAULT_BACKLOG)
        super().__init__(
            app,
            http=PortalProtocol,
            ws="none",
            lifespan="on",
            access_log=False,  # uvicorn's would log paths with ids; the app logs templates
            log_config=None,  # keep the kiosk's JSON logging (kiosk.log)
            server_header=False,
            headers=[("Server", SERVER_HEADER)],
            timeout_keep_alive=KEEP_ALIVE_S,
            timeout_graceful_shutdown=GRACEFUL_SHUTDOWN_S,
            ssl_context_factory=factory,
            **options,
        )


def _given_context(context: ssl.SSLContext, *_: Any) -> ssl.SSLContext:
    return context


def _file_context(cert: str, key: str | None, *_: Any) -> ssl.SSLContext:
    return server_tls_context(cert, key)


def bind_socket(host: str, port: int, backlog: int = DEFAULT_BACKLOG) -> socket.socket:
    """A listening TCP socket on ``host:port`` (IPv4 or IPv6); raises OSError if taken."""
    family = socket.AF_INET6 if ":" in host else socket.AF_INET
    sock = socket.socket(family, socket.SOCK_STREAM)
    try:
        sock.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
        sock.bind((host, port))
        sock.listen(backlog)
    except OSError:
        sock.close()
        raise
    sock.set_inheritable(True)  # handed to uvicorn's worker processes
    return sock


# -- worker processes ---------------------------------------------------------------------


@dataclass(frozen=True, slots=True)
class WorkerSettings:
    """What each worker process needs to build its own portal (JSON in :data:`SETTINGS_ENV`)."""

    db: str
    code_ttl_minutes: float
    pool_ttl_days: float
    threads: int = DEFAULT_THREADS

    def to_env(self) -> str:
        """The settings as the environment variable's value."""
        return json.dumps(asdict(self))


def app_from_environment() -> Starlette:
    """App factory of a worker process: its own store on the database in :data:`SETTINGS_ENV`."""
    from kiosk.log import configure_logging

    settings = WorkerSettings(**json.loads(os.environ[SETTINGS_ENV]))
    configure_logging()
    store = PortalStore(
        settings.db,
        code_ttl=timedelta(minutes=settings.code_ttl_minutes),
        pool_ttl=timedelta(days=settings.pool_ttl_days),
    )
    return create_app(Portal(store), threads=settings.threads, close_store=True)


def serve_workers(
    settings: WorkerSettings,
    sock: socket.socket,
    *,
    workers: int,
    cert: Path | None = None,
    key: Path | None = None,
) -> None:
    """Serve on ``sock`` with ``workers`` processes under uvicorn's supervisor until
    SIGINT/SIGTERM (it restarts a worker that dies; shutdown is graceful)."""
    from uvicorn.supervisors import Multiprocess

    os.environ[SETTINGS_ENV] = settings.to_env()
    config = PortalConfig(
        "kiosk.portal.asgi:app_from_environment",
        factory=True,
        workers=workers,
        cert=cert,
        key=key,
    )
    Multiprocess(config, sockets=[sock]).run()


__all__ = [
    "DEFAULT_BACKLOG",
    "DEFAULT_THREADS",
    "PortalConfig",
    "PortalProtocol",
    "WorkerSettings",
    "app_from_environment",
    "bind_socket",
    "create_app",
    "serve_workers",
    "server_tls_context",
]
