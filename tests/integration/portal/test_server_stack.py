"""The server stack (issue 14, item 2): uvicorn keep-alive, a burst of connections, HTTPS,
body-limit attacks on raw sockets and several worker processes on one SQLite file."""

from __future__ import annotations

import json
import os
import re
import signal
import socket
import ssl
import subprocess
import sys
import threading
from concurrent.futures import ThreadPoolExecutor
from datetime import UTC, datetime
from pathlib import Path

import httpx
import pytest
import trustme

from kiosk.portal import PortalServer
from kiosk.portal.app import MAX_BODY_BYTES

from .conftest import Clock, bearer, body, new_id
from .test_attacks_input_signin_transport import raw_request, status_of

ROOT = Path(__file__).resolve().parents[3]


def _address(portal: PortalServer) -> tuple[str, int]:
    host, port = portal.url.split("://", 1)[1].rsplit(":", 1)
    return host, int(port)


def _read_answer(sock: socket.socket) -> bytes:
    """One HTTP answer with a Content-Length body from a keep-alive connection."""
    data = b""
    while b"\r\n\r\n" not in data:
        data += sock.recv(4096)
    head, rest = data.split(b"\r\n\r\n", 1)
    length = int(re.search(rb"(?i)content-length: (\d+)", head).group(1))  # type: ignore[union-attr]
    while len(rest) < length:
        rest += sock.recv(4096)
    return head + b"\r\n\r\n" + rest


def test_several_requests_share_one_keep_alive_connection(portal: PortalServer):
    with socket.create_connection(_address(portal), timeout=10) as sock:
        for _ in range(5):
            sock.sendall(b"GET /v1/health HTTP/1.1\r\nHost: p\r\n\r\n")
            answer = _read_answer(sock)
            assert status_of(answer) == 200
            assert b"connection: close" not in answer.lower()
            assert answer.endswith(b'{"status": "ok"}')
        # Pipelined: two requests in one write, two answers in order.
        sock.sendall(b"GET /v1/health HTTP/1.1\r\nHost: p\r\n\r\n" * 2)
        assert status_of(_read_answer(sock)) == 200
        assert status_of(_read_answer(sock)) == 200


def test_answers_carry_the_portal_headers(http: httpx.Client):
    answer = http.get("/v1/health")
    assert answer.headers["content-type"] == "application/json"
    assert answer.headers["cache-control"] == "no-store"
    assert answer.headers["server"] == "ZorgIdReferencePortal/1"


def test_500_concurrent_connections_are_all_answered_without_a_reset(portal: PortalServer):
    count = 500
    barrier = threading.Barrier(count)

    def one(_: int) -> int:
        barrier.wait()
        with socket.create_connection(_address(portal), timeout=30) as sock:
            sock.sendall(b"GET /v1/health HTTP/1.1\r\nHost: p\r\nConnection: close\r\n\r\n")
            data = b""
            while chunk := sock.recv(4096):
                data += chunk
        return status_of(data)

    with ThreadPoolExecutor(count) as pool:
        statuses = list(pool.map(one, range(count)))
    assert statuses == [200] * count  # a reset would raise ConnectionResetError


@pytest.mark.parametrize(
    ("what", "request_bytes", "expected"),
    [
        (
            "declared over the limit",
            b"POST /v1/auth/token HTTP/1.1\r\nHost: p\r\nContent-Length: "
            + str(MAX_BODY_BYTES + 1).encode()
            + b"\r\n\r\n{}",
            413,
        ),
        (
            "a full body over the limit",
            b"POST /v1/app/enroll HTTP/1.1\r\nHost: p\r\nContent-Length: "
            + str(MAX_BODY_BYTES + 10).encode()
            + b"\r\n\r\n"
            + b" " * (MAX_BODY_BYTES + 10),
            413,
        ),
        (
            "chunked over the limit",
            b"PUT /v1/kiosks/self/heartbeat HTTP/1.1\r\nHost: p\r\n"
            b"Transfer-Encoding: chunked\r\n\r\n" + b"ffff\r\n" + b"a" * 0xFFFF + b"\r\n",
            400,
        ),
        (
            "cut short",
            b"POST /v1/auth/token HTTP/1.1\r\nHost: p\r\nContent-Length: 10\r\n\r\n{",
            400,
        ),
        ("bare LF junk", b"GET /v1/health HTTP/1.1\nHost: p\n\x00\n\n", 400),
        ("space in name", b"GET /v1/health HTTP/1.1\r\nHo st: p\r\n\r\n", 400),
        ("long target", b"GET /" + b"a" * 9000 + b" HTTP/1.1\r\n\r\n", 414),
    ],
)
def test_body_limit_and_malformed_heads_on_raw_sockets(
    portal: PortalServer, what: str, request_bytes: bytes, expected: int
):
    answer = raw_request(portal, request_bytes)
    assert status_of(answer) == expected, what
    assert "error" in json.loads(answer.split(b"\r\n\r\n", 1)[1])
    assert httpx.get(portal.url + "/v1/health", timeout=10).status_code == 200


def test_https_on_uvicorn_with_keep_alive(clock: Clock):
    authority = trustme.CA()
    context = ssl.create_default_context(ssl.Purpose.CLIENT_AUTH)
    authority.issue_cert("127.0.0.1").configure_cert(context)
    trust = ssl.create_default_context()
    authority.configure_trust(trust)
    with PortalServer(None, clock=clock, tls=context) as server:
        server.seed_demo()
        with httpx.Client(base_url=server.url, verify=trust, timeout=10) as client:
            for _ in range(3):
                assert client.get("/v1/health").json() == {"status": "ok"}
            signed = client.post("/v1/auth/token", json={"username": "demo", "password": "demo"})
            assert signed.status_code == 200
        with (
            socket.create_connection(_address(server), timeout=10) as raw,
            trust.wrap_socket(raw, server_hostname="127.0.0.1") as tls,
        ):
            assert tls.version() in ("TLSv1.2", "TLSv1.3")


def test_memory_database_with_several_workers_is_refused():
    process = subprocess.run(
        [sys.executable, "-m", "kiosk.cli.main", "portal", "serve", "--port", "0",
         "--db", ":memory:", "--workers", "2"],
        capture_output=True, text=True, env={**os.environ, "PYTHONPATH": str(ROOT)},
        cwd=ROOT, timeout=60,
    )  # fmt: skip
    assert process.returncode == 2
    assert "--workers 2" in process.stdout


def test_two_worker_processes_on_one_sqlite_file_give_exactly_one_201(tmp_path: Path):
    db = tmp_path / "portal.db"
    process = subprocess.Popen(
        [sys.executable, "-m", "kiosk.cli.main", "portal", "serve", "--port", "0",
         "--db", str(db), "--demo", "--workers", "2"],
        stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True,
        env={**os.environ, "PYTHONPATH": str(ROOT)}, cwd=ROOT,
    )  # fmt: skip
    try:
        assert process.stdout is not None
        first = process.stdout.readline()
        found = re.search(r"http://127\.0\.0\.1:\d+", first)
        assert found, first
        url = found.group(0)
        with httpx.Client(base_url=url, timeout=30) as http:
            for _ in range(200):  # the workers start after the socket is bound
                try:
                    if http.get("/v1/health").status_code == 200:
                        break
                except httpx.TransportError:
                    threading.Event().wait(0.1)
            token = http.post(
                "/v1/auth/token", json={"username": "demo", "password": "demo"}
            ).json()["access_token"]
            data = body()
            # This portal runs on the real clock, not the fixtures' settable one.
            data["wid_check"]["checked_at"] = datetime.now(UTC).isoformat(timespec="seconds")
            registration_id = new_id()

        def put(_: int) -> int:
            with httpx.Client(base_url=url, timeout=30) as client:
                answer = client.put(
                    f"/v1/registrations/{registration_id}", json=data, headers=bearer(token)
                )
                return answer.status_code

        with ThreadPoolExecutor(16) as pool:
            statuses = list(pool.map(put, range(32)))
        assert statuses.count(201) == 1, statuses
        assert statuses.count(200) == 31, statuses
        process.send_signal(signal.SIGTERM)
        assert process.wait(timeout=30) == 0
    finally:
        if process.poll() is None:
            process.kill()
            process.wait()
        stderr = process.stderr.read() if process.stderr else ""
        for stream in (process.stdout, process.stderr):
            if stream:
                stream.close()
    assert '"route": "/v1/registrations/{registration_id}"' in stderr
    assert registration_id not in stderr  # the log names the template, never the id
