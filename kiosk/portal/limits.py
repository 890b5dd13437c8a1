"""Attempt limits of the reference portal: sign-in per account and per address, app enroll.

Each limited thing is a *key* (``u:<username>``, ``a:<address>``, ``e:<address>``) with a
count of recent failures. The first ``free`` failures cost nothing; every further one makes
the key wait ``base * 2**(failures - free)`` seconds, capped, before the next attempt. A
key's count is forgotten ``window`` after its last failure. So there is no lockout: a real
beheerder whose account someone hammers waits at most the account cap (60 s by default)
for the next try, while the address doing the hammering backs off to an hour.

Why this holds under parallel requests: :meth:`AttemptLimiter.begin` counts the attempt as
a failure *before* the password is checked, in the same transaction as the check of the
wait (``BEGIN IMMEDIATE`` on SQLite, ``SERIALIZABLE`` on PostgreSQL: :mod:`kiosk.portal.db`),
and :meth:`AttemptLimiter.succeeded` gives it back afterwards. N requests racing with wrong
passwords, in any number of threads or worker processes, therefore see the counts 1, 2, ...
N one after the other, and only the first ``free`` pass. The counts live in the portal's
database (:data:`ATTEMPT_LIMITS_STEP`, a step of the portal's migrations), so a restart
does not reset them.
"""

from __future__ import annotations

import math
from collections.abc import Callable
from dataclasses import dataclass
from datetime import datetime, timedelta
from typing import Protocol, TypeVar

from kiosk.portal.db import Conn, Migration

_T = TypeVar("_T")

_ATTEMPT_LIMITS_SQL = """
CREATE TABLE attempt_limits (
    key TEXT PRIMARY KEY,
    failures INTEGER NOT NULL,
    last_failure REAL NOT NULL,
    blocked_until REAL NOT NULL
);
CREATE INDEX attempt_limits_last ON attempt_limits (last_failure);
CREATE TABLE totp_used (
    beheerder_id TEXT PRIMARY KEY,
    last_counter INTEGER NOT NULL
);
"""

ATTEMPT_LIMITS_STEP = Migration(
    sqlite=_ATTEMPT_LIMITS_SQL,
    # PostgreSQL's REAL is 4 bytes: a Unix time would lose its seconds. SQLite's REAL is 8.
    postgresql=_ATTEMPT_LIMITS_SQL.replace(" REAL ", " DOUBLE PRECISION "),
)
"""Portal migration step: the attempt counters, and the last TOTP time step each beheerder
used (RFC 6238 section 5.2: a code is accepted once; a later sign-in needs a later step)."""


@dataclass(frozen=True, slots=True)
class Rule:
    """How one kind of key is limited: ``free`` failures, then ``base * 2**k`` s up to ``cap``."""

    prefix: str
    free: int
    cap_s: float
    base_s: float = 1.0

    def delay(self, failures: int) -> float:
        """Seconds to wait after ``failures`` recent failures (0 while within ``free``)."""
        if failures < self.free:
            return 0.0
        # min() before the power: 2**10000 is a big int, not an overflow, but pointless.
        return min(self.cap_s, self.base_s * 2.0 ** min(failures - self.free, 60))


class Transaction(Protocol):
    """Runs a function as one write transaction on the portal database and returns its
    result (:meth:`kiosk.portal.store.PortalStore.transaction`); it may run it again on
    PostgreSQL after a serialization failure, so the function only touches the database."""

    def __call__(self, body: Callable[[Conn], _T], /) -> _T: ...


class AttemptLimiter:
    """Failure counters with increasing delays, stored in the portal database.

    ``transaction(body)`` runs ``body(conn)`` as one transaction on the portal store;
    ``clock`` is the portal's clock. At most ``max_keys`` keys are
    kept: expired ones are pruned on every failure, then the oldest, so a flood of
    usernames or addresses cannot grow the table without bound.
    """

    def __init__(
        self,
        transaction: Transaction,
        clock: Callable[[], datetime],
        *,
        window: timedelta = timedelta(minutes=15),
        max_keys: int = 10_000,
    ) -> None:
        self._transaction = transaction
        self._clock = clock
        self._window = window.total_seconds()
        self._max_keys = max_keys

    def _now(self) -> float:
        return self._clock().timestamp()

    def begin(self, keys: list[tuple[Rule, str]]) -> int | None:
        """Count one attempt on every key, unless one must wait: then return the wait (s).

        Returns ``None`` when the attempt may go ahead (it is already counted as a failure;
        call :meth:`succeeded` when it was not one), else whole seconds to wait (at least 1),
        for a ``Retry-After`` header; a refused attempt is not counted.
        """
        now = self._now()

        def body(db: Conn) -> int | None:
            names = [rule.prefix + key for rule, key in keys]
            states = {name: self._state(db, name, now) for name in names}
            wait = max((blocked - now for _, blocked in states.values()), default=0.0)
            if wait > 0:
                return max(1, math.ceil(wait))
            for rule, key in keys:
                failures = states[rule.prefix + key][0] + 1
                db.execute(
                    "INSERT INTO attempt_limits (key, failures, last_failure, blocked_until)"
                    " VALUES (?, ?, ?, ?) ON CONFLICT (key) DO UPDATE SET"
                    " failures = excluded.failures, last_failure = excluded.last_failure,"
                    " blocked_until = excluded.blocked_until",
                    [rule.prefix + key, failures, now, now + rule.delay(failures)],
                )
            self._prune(db, now)
            return None

        return self._transaction(body)

    def succeeded(self, forget: list[tuple[Rule, str]], give_back: list[tuple[Rule, str]]) -> None:
        """The attempt was not a failure: reset the ``forget`` keys, uncount ``give_back``."""
        now = self._now()

        def body(db: Conn) -> None:
            for rule, key in forget:
                db.execute("DELETE FROM attempt_limits WHERE key = ?", [rule.prefix + key])
            for rule, key in give_back:
                failures, _ = self._state(db, rule.prefix + key, now)
                if failures <= 1:
                    db.execute("DELETE FROM attempt_limits WHERE key = ?", [rule.prefix + key])
                else:
                    # The wait stays as it is: only the count is given back.
                    db.execute(
                        "UPDATE attempt_limits SET failures = ? WHERE key = ?",
                        [failures - 1, rule.prefix + key],
                    )

        self._transaction(body)

    def failures(self, rule: Rule, key: str) -> int:
        """Recent failures counted for ``key`` (for tests and diagnostics)."""
        return self._transaction(lambda db: self._state(db, rule.prefix + key, self._now())[0])

    def key_count(self) -> int:
        """How many keys are remembered."""
        return int(self._transaction(lambda db: db.scalar("SELECT count(*) FROM attempt_limits")))

    def _state(self, db: Conn, key: str, now: float) -> tuple[int, float]:
        row = db.execute(
            "SELECT failures, last_failure, blocked_until FROM attempt_limits WHERE key = ?",
            [key],
        ).fetchone()
        if row is None or now - float(row[1]) >= self._window:
            return 0, 0.0
        return int(row[0]), float(row[2])

    def _prune(self, db: Conn, now: float) -> None:
        db.execute("DELETE FROM attempt_limits WHERE last_failure <= ?", [now - self._window])
        excess = int(db.scalar("SELECT count(*) FROM attempt_limits"))
        excess -= self._max_keys
        if excess > 0:
            db.execute(
                "DELETE FROM attempt_limits WHERE key IN (SELECT key FROM attempt_limits "
                "ORDER BY last_failure LIMIT ?)",
                [excess],
            )


ACCOUNT = Rule("u:", free=5, cap_s=60.0)
"""Per username (case-folded): 5 free failures, then 1, 2, 4 ... s, at most a minute, so
someone hammering an account cannot keep its beheerder out for longer than that."""

ADDRESS = Rule("a:", free=20, cap_s=3600.0)
"""Per client address, across usernames: 20 free failures, then up to an hour."""

ENROLL = Rule("e:", free=10, cap_s=3600.0)
"""``POST /v1/app/enroll`` per address: 10 failed redemptions free (a mistyped or stale QR),
then up to an hour, so enrollment codes cannot be guessed at speed."""


class SignInLimiter:
    """The sign-in and app-enroll limits of the portal on top of :class:`AttemptLimiter`."""

    def __init__(
        self,
        limiter: AttemptLimiter,
        *,
        max_failures: int = 5,
        account_cap_s: float = ACCOUNT.cap_s,
    ) -> None:
        self.limiter = limiter
        self.account = Rule("u:", free=max_failures, cap_s=account_cap_s)
        self.address = Rule("a:", free=4 * max_failures, cap_s=ADDRESS.cap_s)
        self.enroll = ENROLL

    def _keys(self, username: str, address: str) -> list[tuple[Rule, str]]:
        return [(self.account, username.casefold()), (self.address, address)]

    def begin_sign_in(self, username: str, address: str) -> int | None:
        """Count a sign-in attempt; the wait in seconds when it must be refused (429)."""
        return self.limiter.begin(self._keys(username, address))

    def signed_in(self, username: str, address: str) -> None:
        """The sign-in succeeded: forget the account's failures, uncount the address's one."""
        self.limiter.succeeded([(self.account, username.casefold())], [(self.address, address)])

    def begin_enroll(self, address: str) -> int | None:
        """Count an app-enroll attempt; the wait in seconds when it must be refused (429)."""
        return self.limiter.begin([(self.enroll, address)])

    def enrolled(self, address: str) -> None:
        """The redemption succeeded: it was not a guess, uncount it."""
        self.limiter.succeeded([], [(self.enroll, address)])
