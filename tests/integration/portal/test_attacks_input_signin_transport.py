"""Attacks on the reference portal over real HTTP: input, sign-in, transport (issue 10, 3-5).

Each test is one row (or a few) of the table in docs/security.md, section "Input, sign-in,
transport and keys": the attack is sent as an attacker would, on the wire, and the test
checks the status it gets and that the server keeps serving afterwards.
"""

from __future__ import annotations

import contextlib
import json
import socket
import ssl
import threading
import time
from concurrent.futures import ThreadPoolExecutor
from datetime import timedelta
from pathlib import Path

import httpx
import pytest
import trustme
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from kiosk.errors import InputError
from kiosk.portal import PortalServer
from kiosk.portal.accounts import new_totp_secret, totp
from kiosk.sync.client import PortalClient

from .conftest import Clock, bearer, body, new_id

pytestmark = pytest.mark.backends  # the contract on SQLite and PostgreSQL


def raw_request(portal: PortalServer, data: bytes, *, half_close: bool = True) -> bytes:
    """Send bytes as they are on a fresh connection; return all that comes back."""
    host, port = portal.url.removeprefix("http://").rsplit(":", 1)
    with socket.create_connection((host, int(port)), timeout=10) as sock:
        with contextlib.suppress(OSError):  # the server may answer and close early
            sock.sendall(data)
            if half_close:
                sock.shutdown(socket.SHUT_WR)
        chunks = []
        while True:
            try:
                chunk = sock.recv(65536)
            except (ConnectionResetError, TimeoutError):
                break
            if not chunk:
                break
            chunks.append(chunk)
    return b"".join(chunks)


def status_of(answer: bytes) -> int:
    line = answer.split(b"\r\n", 1)[0]
    assert line.startswith(b"HTTP/1."), answer[:200]
    return int(line.split()[1])


def post(path: str, payload: bytes, *headers: str) -> bytes:
    head = [f"POST {path} HTTP/1.1", "Host: portal", *headers]
    return ("\r\n".join(head) + "\r\n\r\n").encode() + payload


def still_serving(portal: PortalServer) -> None:
    assert httpx.get(portal.url + "/v1/health", timeout=10).status_code == 200


# --- input hardening (item 3) -------------------------------------------------------


@pytest.mark.parametrize(
    ("what", "request_bytes", "expected"),
    [
        ("negative length", post("/v1/auth/token", b"{}", "Content-Length: -1"), 400),
        ("non-numeric length", post("/v1/auth/token", b"{}", "Content-Length: abc"), 400),
        ("unicode digit length", post("/v1/auth/token", b"{}", "Content-Length: ²"), 400),
        ("huge length", post("/v1/auth/token", b"{}", "Content-Length: 99999999999999999"), 413),
        ("absurd length", post("/v1/auth/token", b"{}", "Content-Length: " + "9" * 400), 400),
        ("longer than body", post("/v1/auth/token", b"{}", "Content-Length: 100"), 400),
        (
            "two lengths",
            post("/v1/auth/token", b"{}", "Content-Length: 2", "Content-Length: 3"),
            400,
        ),
        (
            "chunked",
            post("/v1/auth/token", b"2\r\n{}\r\n0\r\n\r\n", "Transfer-Encoding: chunked"),
            400,
        ),
        (
            "smuggling shape",
            post("/v1/auth/token", b"{}", "Content-Length: 2", "Transfer-Encoding: chunked"),
            400,
        ),
        ("invalid utf-8", post("/v1/auth/token", b"\xff\xfe{}", "Content-Length: 4"), 400),
        ("not json", post("/v1/auth/token", b"{x", "Content-Length: 2"), 400),
        ("garbage request line", b"\x00\x01\x02 nonsense\r\n\r\n", 400),
        ("unknown method", b"BREW /v1/health HTTP/1.1\r\nHost: p\r\n\r\n", 405),
        ("bad version", b"GET /v1/health HTTP/9.9\r\nHost: p\r\n\r\n", 505),
        ("header too long", b"GET /v1/health HTTP/1.1\r\nX: " + b"a" * 70000 + b"\r\n\r\n", 431),
        ("path too long", b"GET /" + b"a" * 70000 + b" HTTP/1.1\r\n\r\n", 414),
    ],
)
def test_malformed_requests_never_500(portal: PortalServer, what, request_bytes, expected):
    answer = raw_request(portal, request_bytes)
    assert status_of(answer) == expected, what
    if expected != 505:
        payload = json.loads(answer.split(b"\r\n\r\n", 1)[1] or b"{}")
        assert "error" in payload, what
    still_serving(portal)


def _json_body(text: str) -> bytes:
    data = text.encode()
    return post("/v1/auth/token", data, f"Content-Length: {len(data)}", "Content-Type: x")


@pytest.mark.parametrize(
    ("what", "text"),
    [
        ("deep nesting", "[" * 30_000 + "]" * 30_000),  # under the 64 KiB body limit
        ("moderate nesting", '{"username": ' + "[" * 100 + "]" * 100 + ', "password": "x"}'),
        ("huge integer", '{"count": ' + "9" * 5000 + "}"),
        ("long integer", '{"count": ' + "9" * 25 + "}"),
        ("NaN", '{"username": NaN, "password": "x"}'),
        ("infinity", '{"username": 1e999, "password": "x"}'),
        ("duplicate keys", '{"username": "demo", "username": "x", "password": "demo"}'),
        ("lone surrogate", '{"username": "\\ud800", "password": "x"}'),
    ],
)
def test_hostile_json_is_400(portal: PortalServer, what, text):
    answer = raw_request(portal, _json_body(text))
    assert status_of(answer) == 400, what
    still_serving(portal)


def test_huge_count_on_reserve_codes_is_422(http: httpx.Client, device_token: str):
    answer = http.post(
        "/v1/enrollment-codes",
        content=b'{"count": 99999999999999999999}',
        headers={**bearer(device_token), "Content-Type": "application/json"},
    )
    assert answer.status_code == 422


@pytest.mark.parametrize(
    ("field", "value"),
    [
        ("surname", "Eriksson\u202e"),  # right-to-left override
        ("surname", "Eriks\u200bson"),  # zero-width space
        ("surname", "\u200b"),  # invisible only
        ("surname", "\u00a0 "),  # empty-looking
        ("surname", "Eriks\u0000son"),  # NUL
        ("surname", "Erik\u00adsson"),  # soft hyphen
        ("given_names", "Анна"),  # Cyrillic lookalike of "Анна"
        ("surname", "Eriksson1"),
        ("surname", "\u0301Eriksson"),  # a mark on nothing
        ("surname", "E" * 101),
        ("given_names", "A" * 10_000),
    ],
)
def test_names_that_no_wid_holds_are_422(http: httpx.Client, device_token: str, field, value):
    data = body()
    data["employee"][field] = value
    answer = http.put(f"/v1/registrations/{new_id()}", json=data, headers=bearer(device_token))
    assert answer.status_code == 422
    assert any(p["path"] == f"employee.{field}" for p in answer.json()["problems"])


def test_decomposed_names_are_stored_nfc(http: httpx.Client, device_token: str):
    from cryptography.hazmat.primitives import serialization  # noqa: F401

    from .conftest import device_key

    data = body()
    data["employee"]["given_names"] = "Zoe\u0308"  # e + combining diaeresis
    answer = http.put(f"/v1/registrations/{new_id()}", json=data, headers=bearer(device_token))
    assert answer.status_code == 201
    qr = answer.json()["enrollment"]["qr_payload"]
    enrolled = http.post(
        "/v1/app/enroll", json={"qr_payload": qr, "device_public_key": device_key()}
    )
    assert enrolled.json()["display_name"] == "Zo\u00eb Eriksson"


_METHODS = st.sampled_from(["GET", "POST", "PUT", "DELETE", "PATCH", "HEAD", "OPTIONS", "XYZ"])
_PATHS = st.sampled_from(
    [
        "/v1/health",
        "/v1/auth/token",
        "/v1/kiosks",
        f"/v1/registrations/{new_id()}",
        "/v1/registrations/%00",
        "/v1/enrollment-codes",
        "/v1/app/enroll",
        "*",
        "http://evil/v1/health",
    ]
)
_HEADER = st.tuples(
    st.sampled_from(["Content-Length", "Transfer-Encoding", "Authorization", "Expect", "X-A"]),
    st.text(st.characters(min_codepoint=0x20, max_codepoint=0xFF), max_size=30),
)


@settings(
    max_examples=120,
    deadline=None,
    suppress_health_check=[HealthCheck.function_scoped_fixture],
)
@given(
    method=_METHODS,
    path=_PATHS,
    headers=st.lists(_HEADER, max_size=4),
    payload=st.one_of(
        st.binary(max_size=200),
        st.recursive(
            st.none() | st.booleans() | st.integers() | st.floats() | st.text(max_size=20),
            lambda inner: (
                st.lists(inner, max_size=4)
                | st.dictionaries(st.text(max_size=10), inner, max_size=4)
            ),
            max_leaves=20,
        ).map(lambda v: json.dumps(v).encode()),
    ),
)
def test_fuzzed_raw_requests_never_500(portal: PortalServer, method, path, headers, payload):
    lines = [f"{method} {path} HTTP/1.1", "Host: portal"]
    lines += [f"{name}: {value}" for name, value in headers]
    if not any(name == "Content-Length" for name, _ in headers):
        lines.append(f"Content-Length: {len(payload)}")
    data = ("\r\n".join(lines) + "\r\n\r\n").encode("latin-1") + payload
    answer = raw_request(portal, data)
    if answer:  # HEAD and HTTP/0.9 shapes may legitimately answer nothing parseable
        assert not answer.startswith(b"HTTP/1.1 5") or answer.startswith(b"HTTP/1.1 505")


def test_a_handler_crash_is_a_json_500_and_logged_without_traceback_text(
    portal: PortalServer, caplog: pytest.LogCaptureFixture
):
    # The one way to get a 500: a bug. Simulated by a store that fails (a closed database).
    http = httpx.Client(base_url=portal.url, timeout=10)
    portal.store.close()
    answer = http.post("/v1/auth/token", json={"username": "demo", "password": "x"})
    assert answer.status_code == 500
    assert answer.json() == {"error": "internal", "detail": "internal server error"}
    assert "Traceback" not in answer.text
    http.close()


# --- sign-in (item 4) ------------------------------------------------------------------


def _sign_in(url: str, username: str, password: str, totp_code: str | None = None) -> int:
    payload: dict[str, str] = {"username": username, "password": password}
    if totp_code is not None:
        payload["totp"] = totp_code
    return httpx.post(url + "/v1/auth/token", json=payload, timeout=30).status_code


def test_parallel_wrong_passwords_get_no_more_than_the_limit_through(portal: PortalServer):
    # 40 threads at once; the clock stands still, so no delay runs out meanwhile.
    barrier = threading.Barrier(40)

    def attempt(_: int) -> int:
        barrier.wait()
        return _sign_in(portal.url, "demo", "wrong")

    with ThreadPoolExecutor(40) as pool:
        statuses = list(pool.map(attempt, range(40)))
    assert statuses.count(401) == 5  # exactly the free attempts reached the password check
    assert statuses.count(429) == 35
    still_serving(portal)


def test_the_limit_survives_a_restart(tmp_path: Path, clock: Clock):
    db = tmp_path / "portal.sqlite3"
    with PortalServer(db, clock=clock) as first:
        first.seed_demo()
        for _ in range(5):
            assert _sign_in(first.url, "demo", "wrong") == 401
    with PortalServer(db, clock=clock) as second:
        assert _sign_in(second.url, "demo", "demo") == 429


def test_delay_grows_and_never_locks_the_beheerder_out(portal: PortalServer, clock: Clock):
    for _ in range(5):
        assert _sign_in(portal.url, "demo", "wrong") == 401
    waits = []
    for _ in range(10):
        answer = httpx.post(
            portal.url + "/v1/auth/token", json={"username": "demo", "password": "wrong"}
        )
        assert answer.status_code == 429
        assert answer.json()["error"] == "too_many_attempts"
        waits.append(int(answer.headers["Retry-After"]))
        clock.advance(timedelta(seconds=waits[-1]))
        assert _sign_in(portal.url, "demo", "wrong") == 401  # one more try once it ran out
    assert waits == sorted(waits) and waits[0] == 1 and max(waits) == 60  # capped: no lockout
    clock.advance(timedelta(seconds=60))
    assert _sign_in(portal.url, "demo", "demo") == 200  # the real beheerder gets in


def test_wrong_password_body_is_the_contract(http: httpx.Client):
    answer = http.post("/v1/auth/token", json={"username": "demo", "password": "x"})
    assert answer.status_code == 401 and answer.json()["error"] == "invalid_credentials"


def test_one_address_spraying_many_accounts_is_slowed(portal: PortalServer):
    statuses = [_sign_in(portal.url, f"user{i}", "guess") for i in range(22)]
    assert statuses[:20] == [401] * 20 and statuses[20:] == [429, 429]


def test_totp_code_works_once_and_the_previous_window_at_most_once(
    portal: PortalServer, clock: Clock
):
    secret = new_totp_secret()
    portal.add_beheerder("t", "T", "pw", [("org-1", "Zorggroep Oost")], totp_secret=secret)
    code = totp(secret, clock())
    assert _sign_in(portal.url, "t", "pw", code) == 200
    assert _sign_in(portal.url, "t", "pw", code) == 401  # replay
    clock.advance(timedelta(seconds=30))
    previous = totp(secret, clock(), step=-1)  # == code, the step just used
    assert _sign_in(portal.url, "t", "pw", previous) == 401
    current = totp(secret, clock())
    assert _sign_in(portal.url, "t", "pw", current) == 200
    assert _sign_in(portal.url, "t", "pw", totp(secret, clock(), step=-1)) == 401


def test_parallel_sign_ins_with_one_totp_code_give_one_token(portal: PortalServer, clock: Clock):
    secret = new_totp_secret()
    portal.add_beheerder("t2", "T", "pw", [("org-1", "Zorggroep Oost")], totp_secret=secret)
    code = totp(secret, clock())
    barrier = threading.Barrier(4)

    def attempt(_: int) -> int:
        barrier.wait()
        return _sign_in(portal.url, "t2", "pw", code)

    with ThreadPoolExecutor(4) as pool:
        statuses = list(pool.map(attempt, range(4)))
    assert statuses.count(200) == 1


def test_app_enroll_guessing_is_limited_per_address(http: httpx.Client):
    from .conftest import device_key

    key = device_key()
    statuses = [
        http.post(
            "/v1/app/enroll",
            json={
                "qr_payload": f"zorgid-enroll:v1:AAAA-BBBB-CCCC-{i:04d}",
                "device_public_key": key,
            },
        )
        for i in range(12)
    ]
    codes = [s.status_code for s in statuses]
    assert codes[:10] == [404] * 10 and codes[10:] == [429, 429]
    assert int(statuses[-1].headers["Retry-After"]) >= 1


# --- transport (item 5) ----------------------------------------------------------------


@pytest.fixture(scope="module")
def authority() -> trustme.CA:
    return trustme.CA()


@pytest.fixture
def tls_portal(authority: trustme.CA, clock: Clock):
    context = ssl.create_default_context(ssl.Purpose.CLIENT_AUTH)
    authority.issue_cert("127.0.0.1").configure_cert(context)
    with PortalServer(None, clock=clock, tls=context) as server:
        server.seed_demo()
        yield server


def test_https_portal_serves_and_the_kiosk_verifies_it(tls_portal, authority):
    assert tls_portal.url.startswith("https://127.0.0.1:")
    trust = ssl.create_default_context()
    authority.configure_trust(trust)
    with PortalClient(tls_portal.url, verify=trust) as client:
        assert client.health()
        assert client.sign_in("demo", "demo").beheerder_name == "Demo Beheerder"


def test_https_portal_with_an_unknown_ca_is_refused(tls_portal):
    from kiosk.sync.api import PortalUnreachable

    with PortalClient(tls_portal.url) as client, pytest.raises(PortalUnreachable):
        client.sign_in("demo", "demo")


def test_plain_http_to_the_tls_port_and_a_stalled_handshake_do_not_hurt(tls_portal, authority):
    host, port = tls_portal.url.removeprefix("https://").rsplit(":", 1)
    with socket.create_connection((host, int(port)), timeout=10) as sock:
        sock.sendall(b"GET /v1/health HTTP/1.1\r\nHost: x\r\n\r\n")
        with pytest.raises(OSError):
            data = sock.recv(100)
            if not data:
                raise ConnectionResetError
    stalled = socket.create_connection((host, int(port)), timeout=10)  # never says hello
    try:
        trust = ssl.create_default_context()
        authority.configure_trust(trust)
        with PortalClient(tls_portal.url, verify=trust) as client:
            assert client.health()
    finally:
        stalled.close()


@pytest.mark.parametrize(
    "url", ["http://portal.example.nl", "http://10.0.0.5:8443", "ftp://127.0.0.1", "http://"]
)
def test_the_kiosk_refuses_plain_http_except_to_loopback(url):
    with pytest.raises(InputError) as refused:
        PortalClient(url)
    assert refused.value.message_key in {"portal.error.plain_http", "portal.error.url"}
    assert "http" in refused.value.translated()
    for fine in ("http://127.0.0.1:8443", "http://localhost:1", "http://[::1]:2", "https://x.nl"):
        PortalClient(fine).close()


def test_a_burst_of_hundreds_of_connections_is_served_in_bounded_time(portal: PortalServer):
    host, port = portal.url.removeprefix("http://").rsplit(":", 1)
    count = 300
    barrier = threading.Barrier(count)
    request = b"GET /v1/health HTTP/1.1\r\nHost: portal\r\nConnection: close\r\n\r\n"

    def one(_: int) -> int:
        barrier.wait()
        with socket.create_connection((host, int(port)), timeout=20) as sock:
            sock.sendall(request)
            data = b""
            while chunk := sock.recv(4096):
                data += chunk
        return status_of(data)

    started = time.monotonic()
    with ThreadPoolExecutor(count) as pool:
        statuses = list(pool.map(one, range(count)))
    elapsed = time.monotonic() - started
    assert statuses == [200] * count  # none reset, none refused
    assert elapsed < 20, f"{count} connections took {elapsed:.1f} s"
    assert threading.active_count() < count  # the pool is bounded (was one thread each)


def test_idle_keep_alive_connections_do_not_starve_new_ones(clock: Clock):
    with PortalServer(None, clock=clock, workers=4) as small:
        host, port = small.url.removeprefix("http://").rsplit(":", 1)
        idle = [socket.create_connection((host, int(port)), timeout=10) for _ in range(4)]
        try:
            for sock in idle:  # one request each, then they sit on the connection
                sock.sendall(b"GET /v1/health HTTP/1.1\r\nHost: p\r\n\r\n")
                assert sock.recv(4096).startswith(b"HTTP/1.1 200")
            started = time.monotonic()
            assert httpx.get(small.url + "/v1/health", timeout=30).status_code == 200
            # Bounded by the idle timeout (10 s), not unbounded.
            assert time.monotonic() - started < 14
        finally:
            for sock in idle:
                sock.close()
