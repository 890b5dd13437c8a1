"""Password hashing, RFC 6238 TOTP and the bounded sign-in limiter of the reference portal."""

from __future__ import annotations

import base64
from datetime import UTC, datetime, timedelta

from kiosk.portal.accounts import hash_password, totp, verify_password, verify_totp
from kiosk.portal.server import SignInLimiter

# RFC 6238 appendix B: SHA-1 seed "12345678901234567890".
RFC_SECRET = base64.b32encode(b"12345678901234567890").decode()


def test_rfc6238_vectors():
    vectors = {
        59: "94287082",
        1111111109: "07081804",
        1234567890: "89005924",
        2000000000: "69279037",
    }
    for seconds, code in vectors.items():
        moment = datetime.fromtimestamp(seconds, UTC)
        assert totp(RFC_SECRET, moment, digits=8) == code


def test_totp_allows_one_step_of_drift_only():
    now = datetime(2026, 11, 28, 10, 0, tzinfo=UTC)
    assert verify_totp(RFC_SECRET, totp(RFC_SECRET, now), now)
    assert verify_totp(RFC_SECRET, totp(RFC_SECRET, now - timedelta(seconds=30)), now)
    assert not verify_totp(RFC_SECRET, totp(RFC_SECRET, now - timedelta(seconds=90)), now)
    assert not verify_totp(RFC_SECRET, "12345", now)
    assert not verify_totp(RFC_SECRET, "abcdef", now)


def test_password_hash_is_salted_and_verifies():
    first, second = hash_password("geheim", n=2**10), hash_password("geheim", n=2**10)
    assert first != second and "geheim" not in first
    assert first.startswith("scrypt$1024$")
    assert verify_password("geheim", first)
    assert not verify_password("Geheim", first)
    assert not verify_password("geheim", "md5$abc")
    assert not verify_password("geheim", "scrypt$x$y")


class Clock:
    def __init__(self) -> None:
        self.now = datetime(2026, 11, 28, 10, 0, tzinfo=UTC)

    def __call__(self) -> datetime:
        return self.now


def test_limiter_blocks_per_username_and_releases_after_window():
    clock = Clock()
    limiter = SignInLimiter(clock, max_failures=3, window=timedelta(minutes=10))
    for _ in range(3):
        assert limiter.retry_after("Demo", "10.0.0.1") is None
        limiter.failed("demo", "10.0.0.1")
    wait = limiter.retry_after("DEMO", "10.0.0.2")
    assert wait is not None and 590 <= wait <= 601
    assert limiter.retry_after("other", "10.0.0.2") is None
    clock.now += timedelta(minutes=10)
    assert limiter.retry_after("demo", "10.0.0.1") is None


def test_limiter_blocks_an_address_trying_many_usernames():
    limiter = SignInLimiter(Clock(), max_failures=2)
    for i in range(8):
        limiter.failed(f"user{i}", "10.0.0.9")
    assert limiter.retry_after("fresh", "10.0.0.9") is not None
    assert limiter.retry_after("fresh", "10.0.0.8") is None


def test_limiter_memory_is_bounded():
    limiter = SignInLimiter(Clock(), max_failures=2, max_keys=50)
    for i in range(1000):
        limiter.failed(f"user{i}", f"10.0.{i // 250}.{i % 250}")
    assert len(limiter._failures) <= 50
