"""Password hashing, RFC 6238 TOTP and the stored sign-in limiter of the reference portal."""

from __future__ import annotations

import base64
from datetime import UTC, datetime, timedelta

from kiosk.portal.accounts import (
    hash_password,
    totp,
    totp_counter,
    verify_password,
    verify_totp,
)
from kiosk.portal.limits import AttemptLimiter, SignInLimiter
from kiosk.portal.store import PortalStore

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


def _limiter(clock: Clock, max_failures: int = 5, **kwargs) -> SignInLimiter:
    """The real limiter on a real (in-memory) portal store."""
    store = PortalStore(None, clock=clock)
    return SignInLimiter(
        AttemptLimiter(store.transaction, clock, **kwargs), max_failures=max_failures
    )


# The limiter used to lock an account until its oldest failure left the window (a lockout
# anyone could trigger, issue 10 item 4); these tests follow the increasing delay instead.
def test_limiter_delays_per_username_with_increasing_waits_and_forgets_after_window():
    clock = Clock()
    limiter = _limiter(clock, max_failures=3, window=timedelta(minutes=10))
    for _ in range(3):
        assert limiter.begin_sign_in("Demo", "10.0.0.1") is None
    assert limiter.begin_sign_in("DEMO", "10.0.0.2") == 1  # the account waits, any address
    assert limiter.begin_sign_in("other", "10.0.0.2") is None
    waits = []
    for _ in range(8):
        clock.now += timedelta(seconds=waits[-1] if waits else 1)
        assert limiter.begin_sign_in("demo", "10.0.0.3") is None
        waits.append(limiter.begin_sign_in("demo", "10.0.0.3"))
    assert waits == [2, 4, 8, 16, 32, 60, 60, 60]  # doubling, capped at a minute: no lockout
    clock.now += timedelta(minutes=10)
    assert limiter.begin_sign_in("demo", "10.0.0.1") is None


def test_limiter_success_forgets_the_account_and_gives_back_the_address_attempt():
    clock = Clock()
    limiter = _limiter(clock, max_failures=2)
    assert limiter.begin_sign_in("demo", "10.0.0.1") is None
    limiter.signed_in("demo", "10.0.0.1")
    assert limiter.limiter.failures(limiter.account, "demo") == 0
    assert limiter.limiter.failures(limiter.address, "10.0.0.1") == 0


def test_limiter_blocks_an_address_trying_many_usernames():
    limiter = _limiter(Clock(), max_failures=2)
    for i in range(8):
        assert limiter.begin_sign_in(f"user{i}", "10.0.0.9") is None
    assert limiter.begin_sign_in("fresh", "10.0.0.9") is not None
    assert limiter.begin_sign_in("fresh", "10.0.0.8") is None


def test_limiter_memory_is_bounded():
    limiter = _limiter(Clock(), max_failures=2, max_keys=50)
    for i in range(1000):
        limiter.begin_sign_in(f"user{i}", f"10.0.{i // 250}.{i % 250}")
    assert limiter.limiter.key_count() <= 50


def test_totp_counter_names_the_step():
    now = datetime(2026, 11, 28, 10, 0, tzinfo=UTC)
    step = int(now.timestamp()) // 30
    assert totp_counter(RFC_SECRET, totp(RFC_SECRET, now), now) == step
    assert totp_counter(RFC_SECRET, totp(RFC_SECRET, now, step=-1), now) == step - 1
    assert totp_counter(RFC_SECRET, "١٢٣٤٥٦", now) is None  # non-ASCII digits
