"""A fault-injecting HTTP/1.1 proxy on loopback, between simulated kiosks and the portal.

For each request it forwards, with probability ``rate``, one fault chosen uniformly from
:data:`FAULT_KINDS`::

    drop_request   the connection is closed before the request reaches the portal
    drop_response  the portal handled the request; its answer is lost (FIN, no bytes)
    reset          the portal handled the request; the connection is reset (RST) instead
    delay          the answer is held back 50-300 ms
    bad_gateway    the portal handled the request; the kiosk gets a 502
    unavailable    a 503 without the portal ever seeing the request

The faults after the portal committed (``drop_response``, ``reset``, ``bad_gateway``) are the
ones that test exactly-once delivery: the kiosk must retry with the same registration id
and the portal must answer the replay with 200, never store a second row.

It speaks only the HTTP/1.1 the portal and httpx use: requests and answers framed by
``Content-Length`` (no chunked bodies), keep-alive honoured. Plain HTTP only (a TLS portal
cannot be looked into); meant for loopback load tests, never for a real network.
"""

from __future__ import annotations

import contextlib
import random
import socket
import socketserver
import struct
import threading
import time
from collections import Counter
from types import TracebackType

FAULT_KINDS = ("drop_request", "drop_response", "reset", "delay", "bad_gateway", "unavailable")
MAX_HEAD_BYTES = 64 * 1024
IO_TIMEOUT_S = 30.0


def _canned(status: int, phrase: str, error: str) -> bytes:
    """A complete JSON error answer that closes the connection."""
    body = f'{{"error": "{error}", "detail": "injected by the fault proxy"}}'.encode()
    head = (
        f"HTTP/1.1 {status} {phrase}\r\nContent-Type: application/json\r\n"
        f"Connection: close\r\nContent-Length: {len(body)}\r\n\r\n"
    )
    return head.encode("ascii") + body


_BAD_GATEWAY = _canned(502, "Bad Gateway", "bad_gateway")
_UNAVAILABLE = _canned(503, "Service Unavailable", "unavailable")


class _Closed(Exception):
    """The peer closed the connection (between messages or in the middle of one)."""


def _read_message(sock: socket.socket, buffer: bytearray) -> tuple[bytes, bool]:
    """One HTTP/1.1 message (head and ``Content-Length`` body) from ``sock``.

    ``buffer`` keeps bytes read past the message (pipelining). Returns the raw message and
    whether it asks to close the connection afterwards.
    """
    while b"\r\n\r\n" not in buffer:
        if len(buffer) > MAX_HEAD_BYTES:
            raise _Closed("head too large")
        chunk = sock.recv(65536)
        if not chunk:
            raise _Closed("eof")
        buffer += chunk
    end = buffer.index(b"\r\n\r\n") + 4
    head = bytes(buffer[:end])
    length = 0
    close = False
    for line in head.split(b"\r\n")[1:]:
        name, _, value = line.partition(b":")
        key = name.strip().lower()
        if key == b"content-length":
            length = int(value.strip())
        elif key == b"connection" and value.strip().lower() == b"close":
            close = True
    while len(buffer) < end + length:
        chunk = sock.recv(65536)
        if not chunk:
            raise _Closed("eof in body")
        buffer += chunk
    message = bytes(buffer[: end + length])
    del buffer[: end + length]
    return message, close


def _reset(sock: socket.socket) -> None:
    """Close with an RST instead of a FIN (SO_LINGER on, timeout 0)."""
    with contextlib.suppress(OSError):
        sock.setsockopt(socket.SOL_SOCKET, socket.SO_LINGER, struct.pack("ii", 1, 0))
    sock.close()


class FaultProxy:
    """Forward ``127.0.0.1:<port>`` to ``upstream`` (host, port), injecting faults.

    ``rate`` is the probability of a fault per request; ``seed`` makes the choice of
    requests and faults repeatable. :attr:`faults` counts the faults injected by kind and
    :attr:`requests` the requests seen. Use as a context manager or start()/stop().
    """

    def __init__(
        self,
        upstream: tuple[str, int],
        *,
        rate: float,
        seed: int = 0,
        kinds: tuple[str, ...] = FAULT_KINDS,
        host: str = "127.0.0.1",
    ) -> None:
        if not 0.0 <= rate <= 1.0:
            raise ValueError("rate must be between 0 and 1")
        unknown = set(kinds) - set(FAULT_KINDS)
        if unknown or not kinds:
            raise ValueError(f"unknown fault kinds: {sorted(unknown)}")
        self.upstream = upstream
        self.rate = rate
        self.kinds = kinds
        self.faults: Counter[str] = Counter()
        self.requests = 0
        self._rng = random.Random(seed)
        self._lock = threading.Lock()
        self._host = host
        self._server: socketserver.ThreadingTCPServer | None = None
        self._thread: threading.Thread | None = None

    @property
    def url(self) -> str:
        """``http://127.0.0.1:<port>`` (after :meth:`start`)."""
        assert self._server is not None, "start the proxy first"
        return f"http://{self._host}:{self._server.server_address[1]}"

    def _choose(self) -> tuple[str | None, float]:
        with self._lock:
            self.requests += 1
            if self._rng.random() >= self.rate:
                return None, 0.0
            kind = self._rng.choice(self.kinds)
            self.faults[kind] += 1
            return kind, self._rng.uniform(0.05, 0.3)

    def _serve(self, client: socket.socket) -> None:
        client.settimeout(IO_TIMEOUT_S)
        upstream: socket.socket | None = None
        up_buffer = bytearray()
        buffer = bytearray()
        try:
            while True:
                try:
                    request, client_close = _read_message(client, buffer)
                except (_Closed, OSError, ValueError):
                    return
                kind, delay = self._choose()
                if kind == "drop_request":
                    return
                if kind == "unavailable":
                    client.sendall(_UNAVAILABLE)
                    return
                if upstream is None:
                    upstream = socket.create_connection(self.upstream, timeout=IO_TIMEOUT_S)
                    upstream.setsockopt(socket.IPPROTO_TCP, socket.TCP_NODELAY, 1)
                    up_buffer = bytearray()
                upstream.sendall(request)
                try:
                    answer, upstream_close = _read_message(upstream, up_buffer)
                except (_Closed, OSError, ValueError):
                    return  # the portal closed without an answer: so does the proxy
                if upstream_close:
                    upstream.close()
                    upstream = None
                if kind == "drop_response":
                    return
                if kind == "reset":
                    _reset(client)
                    return
                if kind == "bad_gateway":
                    client.sendall(_BAD_GATEWAY)
                    return
                if kind == "delay":
                    time.sleep(delay)
                client.sendall(answer)
                if client_close or upstream_close:
                    return
        except OSError:
            return
        finally:
            if upstream is not None:
                upstream.close()
            with contextlib.suppress(OSError):
                client.close()

    def start(self) -> FaultProxy:
        """Listen on a free loopback port and serve in background threads; returns self."""
        proxy = self

        class _Handler(socketserver.BaseRequestHandler):
            def handle(self) -> None:
                proxy._serve(self.request)

        class _Server(socketserver.ThreadingTCPServer):
            daemon_threads = True
            allow_reuse_address = True
            request_queue_size = 1024

            def shutdown_request(self, request: object) -> None:
                """The handler closed (or reset) the socket itself."""

        self._server = _Server((self._host, 0), _Handler)
        self._thread = threading.Thread(
            target=self._server.serve_forever,
            kwargs={"poll_interval": 0.1},
            name="fault-proxy",
            daemon=True,
        )
        self._thread.start()
        return self

    def stop(self) -> None:
        """Stop accepting; connections in progress end with their threads (daemons)."""
        if self._server is not None:
            self._server.shutdown()
            self._server.server_close()
            self._server = None
        if self._thread is not None:
            self._thread.join(timeout=5)
            self._thread = None

    def __enter__(self) -> FaultProxy:
        return self.start()

    def __exit__(
        self,
        exc_type: type[BaseException] | None,
        exc: BaseException | None,
        tb: TracebackType | None,
    ) -> None:
        self.stop()
