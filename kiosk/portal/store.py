"""The reference portal's state: accounts, tokens, kiosks, registrations, enrollment codes.

On SQLite (the embedded default, WAL on files) or PostgreSQL (:mod:`kiosk.portal.db`):
every public method is a single transaction that the database isolates (``BEGIN
IMMEDIATE`` on SQLite, ``SERIALIZABLE`` with retries on PostgreSQL), so concurrent
requests, in threads or in several worker processes, see a consistent state and parallel
identical PUTs produce exactly one 201.
The schema is :data:`MIGRATIONS`, applied by ``PRAGMA user_version`` on SQLite through
:mod:`kiosk.sqlitemigrate` (the same way as the kiosk's own store) and by a
``schema_version`` table on PostgreSQL.

The portal keeps only what the contract needs to answer (DESIGN.md section 7): the display
name the app shows, the organisation, who checked, and an HMAC of the canonical PUT body
for the idempotency comparison. The document number and the rest of the WID check are not
stored, so the portal's database holds no document number at all.
"""

from __future__ import annotations

import base64
import binascii
import hashlib
import hmac
import json
import os
import secrets
import sqlite3
import uuid
from collections.abc import Callable
from contextlib import suppress
from dataclasses import dataclass, field
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import Any, TypeVar

import sqlite_utils
from cryptography.hazmat.primitives.asymmetric.ec import EllipticCurvePublicKey
from cryptography.hazmat.primitives.serialization import load_der_public_key

from kiosk.model import normalise_name
from kiosk.portal import authz, fleet
from kiosk.portal.accounts import DUMMY_HASH, hash_password, totp_counter, verify_password
from kiosk.portal.db import Conn, Migration, MigrationStep, PortalDb, is_postgres_url, open_db
from kiosk.portal.evidence import evidence_problems
from kiosk.portal.limits import ATTEMPT_LIMITS_STEP
from kiosk.portal.validation import Problem, validate_registration

Clock = Callable[[], datetime]
T = TypeVar("T")

QR_PREFIX = "zorgid-enroll:v1:"
"""Scheme of the QR payload: ``zorgid-enroll:v1:<code>``. The code is random; the payload
never carries personal data (DESIGN.md section 7)."""

ACCESS_TOKEN_TTL = timedelta(hours=8)
DEFAULT_CODE_TTL = timedelta(minutes=15)
DEFAULT_POOL_TTL = timedelta(days=7)
MAX_POOL_REQUEST = 50
# Crockford base32 without I, L, O, U: readable when a code is typed from paper.
_CODE_ALPHABET = "0123456789ABCDEFGHJKMNPQRSTVWXYZ"


def _v1_accounts_kiosks_registrations(conn: sqlite3.Connection) -> None:
    """0 -> 1: accounts, tokens, kiosks, registrations, enrollment codes and the MAC key."""
    # A light view of the same connection: no pragmas or plugins run inside the migration.
    db = sqlite_utils.Database(conn, recursive_triggers=False, execute_plugins=False)
    db.table("meta").create({"key": str, "value": str}, pk="key")
    db.table("meta").insert({"key": "mac_key", "value": secrets.token_bytes(32).hex()})
    db.table("organisations").create({"id": str, "name": str}, pk="id")
    db.table("beheerders").create(
        {
            "id": str,
            "username": str,
            "name": str,
            "password_hash": str,
            "totp_secret": str,
        },
        pk="id",
        not_null={"username", "name", "password_hash"},
    )
    db.table("beheerders").create_index(["username"], unique=True)
    db.table("beheerder_organisations").create(
        {"beheerder_id": str, "organisation_id": str},
        pk=("beheerder_id", "organisation_id"),
        foreign_keys=[("beheerder_id", "beheerders"), ("organisation_id", "organisations")],
    )
    db.table("kiosks").create(
        {"id": str, "name": str, "enrolled_by": str, "created_at": str}, pk="id"
    )
    db.table("tokens").create(
        {
            "token_hash": str,
            "kind": str,
            "beheerder_id": str,
            "kiosk_id": str,
            "expires_at": str,
        },
        pk="token_hash",
    )
    db.table("registrations").create(
        {
            "id": str,
            "organisation_id": str,
            "display_name": str,
            "checked_by": str,
            "body_mac": str,
            "kiosk_id": str,
            "created_at": str,
            "enrolled_at": str,
            "current_code": str,
        },
        pk="id",
    )
    db.table("enrollments").create(
        {
            "code": str,
            "kind": str,  # live | pool
            "registration_id": str,
            "kiosk_id": str,
            "state": str,  # active | used | cancelled | superseded
            "created_at": str,
            "expires_at": str,
            "used_at": str,
            "device_key_sha256": str,
        },
        pk="code",
    )


_V1_POSTGRESQL = """
    CREATE TABLE meta (key TEXT PRIMARY KEY, value TEXT);
    CREATE TABLE organisations (id TEXT PRIMARY KEY, name TEXT);
    CREATE TABLE beheerders (
        id TEXT PRIMARY KEY,
        username TEXT NOT NULL,
        name TEXT NOT NULL,
        password_hash TEXT NOT NULL,
        totp_secret TEXT
    );
    CREATE UNIQUE INDEX idx_beheerders_username ON beheerders (username);
    CREATE TABLE beheerder_organisations (
        beheerder_id TEXT REFERENCES beheerders (id),
        organisation_id TEXT REFERENCES organisations (id),
        PRIMARY KEY (beheerder_id, organisation_id)
    );
    CREATE TABLE kiosks (id TEXT PRIMARY KEY, name TEXT, enrolled_by TEXT, created_at TEXT);
    CREATE TABLE tokens (
        token_hash TEXT PRIMARY KEY,
        kind TEXT,
        beheerder_id TEXT,
        kiosk_id TEXT,
        expires_at TEXT
    );
    CREATE TABLE registrations (
        id TEXT PRIMARY KEY,
        organisation_id TEXT,
        display_name TEXT,
        checked_by TEXT,
        body_mac TEXT,
        kiosk_id TEXT,
        created_at TEXT,
        enrolled_at TEXT,
        current_code TEXT
    );
    CREATE TABLE enrollments (
        code TEXT PRIMARY KEY,
        kind TEXT,
        registration_id TEXT,
        kiosk_id TEXT,
        state TEXT,
        created_at TEXT,
        expires_at TEXT,
        used_at TEXT,
        device_key_sha256 TEXT
    );
"""
"""Step 0 -> 1 on PostgreSQL: the tables sqlite-utils creates in
:func:`_v1_accounts_kiosks_registrations`, as plain DDL (the MAC key: :func:`_v1_pg`)."""


def _v1_pg(c: Conn) -> None:
    """0 -> 1 on PostgreSQL: :data:`_V1_POSTGRESQL` and the MAC key."""
    c.raw.execute(_V1_POSTGRESQL)
    c.execute(
        "INSERT INTO meta (key, value) VALUES (?, ?)", ["mac_key", secrets.token_bytes(32).hex()]
    )


MIGRATIONS: tuple[MigrationStep, ...] = (
    Migration(sqlite=_v1_accounts_kiosks_registrations, postgresql=_v1_pg),
    ATTEMPT_LIMITS_STEP,  # 1 -> 2: sign-in/enroll attempt counters, used TOTP steps
    authz.MIGRATE_V3_KIOSK_SCOPE,  # 2 -> 3: kiosk organisations, revocation, check grants
    fleet.MIGRATE_V4_HEARTBEATS,  # 3 -> 4: the latest heartbeat of each kiosk
)
"""The portal schema, step by step, on both backends (:meth:`kiosk.portal.db.PortalDb.migrate`);
append, never edit. A step that SQLite and PostgreSQL cannot share is a
:class:`kiosk.portal.db.Migration` with one form for each."""

SCHEMA_VERSION = len(MIGRATIONS)


def utc_now() -> datetime:
    """The default clock: the current time in UTC."""
    return datetime.now(UTC)


def iso(moment: datetime) -> str:
    """Format as the contract's date-time: UTC, seconds, ``Z``."""
    return moment.astimezone(UTC).strftime("%Y-%m-%dT%H:%M:%SZ")


def parse_iso(text: str) -> datetime:
    """Parse a date-time written by :func:`iso`."""
    return datetime.fromisoformat(text.replace("Z", "+00:00"))


class ApiFailure(Exception):
    """An answer other than success, with its HTTP status and a machine-readable code."""

    def __init__(
        self,
        status: int,
        error: str,
        detail: str,
        *,
        problems: list[Problem] | None = None,
        retry_after: int | None = None,
    ) -> None:
        super().__init__(f"{status} {error}")
        self.status = status
        self.error = error
        self.detail = detail
        self.problems = problems or []
        self.retry_after = retry_after

    def body(self) -> dict[str, Any]:
        """The JSON error body: ``{error, detail[, problems]}``."""
        out: dict[str, Any] = {"error": self.error, "detail": self.detail}
        if self.problems:
            out["problems"] = [p.to_json() for p in self.problems]
        return out


def invalid(problems: list[Problem]) -> ApiFailure:
    """A 422 listing every problem."""
    summary = "; ".join(f"{p.path}: {p.problem}" for p in problems[:5])
    return ApiFailure(422, "invalid", summary, problems=problems)


@dataclass(frozen=True, slots=True)
class Principal:
    """Who a bearer token speaks for."""

    kind: str  # "beheerder" or "device"
    beheerder_id: str  # the beheerder, or for a device the beheerder who enrolled it
    kiosk_id: str | None = None
    # A beheerder: the organisations managed now; a device: those its kiosk is enrolled for.
    organisations: frozenset[str] = field(default_factory=frozenset)
    token: str = field(default="", repr=False)  # the bearer token itself (for rotation)


@dataclass(frozen=True, slots=True)
class KioskEnrolled:
    """A kiosk's new device credential (enrolment or rotation) and, at enrolment, the
    enrolling beheerder's check grant on it."""

    kiosk_id: str
    device_token: str
    expires_at: datetime
    organisations: list[str]
    check_grant: str | None = None
    check_grant_expires_at: datetime | None = None


@dataclass(frozen=True, slots=True)
class SignedIn:
    """A successful sign-in."""

    access_token: str
    expires_in: int
    beheerder_id: str
    beheerder_name: str
    organisations: list[dict[str, str]]


class PortalStore:
    """All portal state and the rules of contract v1 that need it.

    ``db`` is a SQLite file, ``None``/``":memory:"``, a ``postgresql://`` URL
    (:func:`kiosk.portal.db.open_db`) or an open :class:`kiosk.portal.db.PortalDb`. Every
    public method is one :meth:`PortalDb.run` transaction, so the rules hold across threads
    and worker processes by the database's own isolation (:mod:`kiosk.portal.db`).
    """

    def __init__(
        self,
        db_path: str | Path | PortalDb | None = None,
        *,
        clock: Clock = utc_now,
        code_ttl: timedelta = DEFAULT_CODE_TTL,
        pool_ttl: timedelta = DEFAULT_POOL_TTL,
    ) -> None:
        if isinstance(db_path, str | Path | None):
            self.db = _open(db_path)
        else:
            self.db = db_path
        self.clock = clock
        self.code_ttl = code_ttl
        self.pool_ttl = pool_ttl
        try:
            self.db.migrate(MIGRATIONS)
            mac_key = self.db.run(
                lambda c: c.scalar("SELECT value FROM meta WHERE key = ?", ["mac_key"]),
                mode="read",
            )
        except BaseException:
            self.db.close()
            raise
        self._mac_key = bytes.fromhex(str(mac_key))

    def transaction(self, body: Callable[[Conn], T]) -> T:
        """Run ``body`` as one write transaction on the portal database (for the limiter);
        on PostgreSQL it may run more than once (:meth:`kiosk.portal.db.PortalDb.run`)."""
        return self.db.run(body)

    def _write(self, body: Callable[[Conn], T]) -> T:
        return self.db.run(body)

    def _locked(self, body: Callable[[Conn], T]) -> T:
        # The hot paths of a fleet (PUT, app enroll, heartbeat): READ COMMITTED on
        # PostgreSQL, the body locks and guards its own writes (kiosk.portal.db.Mode).
        return self.db.run(body, mode="locked")

    def _read(self, body: Callable[[Conn], T]) -> T:
        return self.db.run(body, mode="read")

    def close(self) -> None:
        """Close the database connection(s)."""
        self.db.close()

    # -- accounts -----------------------------------------------------------------------

    def add_organisation(self, organisation_id: str, name: str) -> None:
        """Create or rename an organisation."""
        self._write(
            lambda c: c.execute(
                "INSERT INTO organisations (id, name) VALUES (?, ?)"
                " ON CONFLICT (id) DO UPDATE SET name = excluded.name",
                [organisation_id, name],
            )
        )

    def add_beheerder(
        self,
        username: str,
        name: str,
        password: str,
        organisation_ids: list[str],
        *,
        beheerder_id: str | None = None,
        totp_secret: str | None = None,
    ) -> str:
        """Create a beheerder managing existing organisations; returns the beheerder id."""
        beheerder_id = beheerder_id or username
        password_hash = hash_password(password)  # slow: outside the transaction

        def body(c: Conn) -> None:
            for org in organisation_ids:
                if c.one("SELECT id FROM organisations WHERE id = ?", [org]) is None:
                    raise ValueError(f"unknown organisation {org!r}")
            if c.one("SELECT id FROM beheerders WHERE username = ?", [username]):
                raise ValueError(f"username {username!r} exists")
            if c.one("SELECT id FROM beheerders WHERE id = ?", [beheerder_id]):
                raise ValueError(f"beheerder id {beheerder_id!r} exists")
            c.execute(
                "INSERT INTO beheerders (id, username, name, password_hash, totp_secret)"
                " VALUES (?, ?, ?, ?, ?)",
                [beheerder_id, username, name, password_hash, totp_secret],
            )
            for org in organisation_ids:
                c.execute(
                    "INSERT INTO beheerder_organisations (beheerder_id, organisation_id)"
                    " VALUES (?, ?)",
                    [beheerder_id, org],
                )

        self._write(body)
        return beheerder_id

    def beheerder_count(self) -> int:
        """How many beheerder accounts exist."""
        return int(self._read(lambda c: c.scalar("SELECT count(*) FROM beheerders")))

    def _organisations_of(self, c: Conn, beheerder_id: str) -> list[dict[str, str]]:
        cursor = c.execute(
            "SELECT o.id, o.name FROM organisations o JOIN beheerder_organisations bo "
            "ON bo.organisation_id = o.id WHERE bo.beheerder_id = ? ORDER BY o.id",
            [beheerder_id],
        )
        return [{"id": row[0], "name": row[1]} for row in cursor.fetchall()]

    def sign_in(self, username: str, password: str, totp_code: str | None) -> SignedIn | None:
        """Check credentials and issue an access token; None when they are wrong."""
        # The scrypt check runs outside any transaction: it is the slow part, needs no state.
        row = self._read(lambda c: c.one("SELECT * FROM beheerders WHERE username = ?", [username]))
        ok = verify_password(password, row["password_hash"] if row else DUMMY_HASH)
        if row is None or not ok:
            return None
        counter: int | None = None
        if row["totp_secret"]:
            counter = totp_counter(row["totp_secret"], totp_code or "", self.clock())
            if counter is None:
                return None
        token = secrets.token_urlsafe(32)

        def body(c: Conn) -> list[dict[str, str]] | None:
            if counter is not None and not self._use_totp_step(c, row["id"], counter):
                return None
            c.execute(
                "INSERT INTO tokens (token_hash, kind, beheerder_id, kiosk_id, expires_at)"
                " VALUES (?, 'beheerder', ?, NULL, ?)",
                [_token_hash(token), row["id"], iso(self.clock() + ACCESS_TOKEN_TTL)],
            )
            return self._organisations_of(c, row["id"])

        organisations = self._write(body)
        if organisations is None:
            return None
        return SignedIn(
            access_token=token,
            expires_in=int(ACCESS_TOKEN_TTL.total_seconds()),
            beheerder_id=row["id"],
            beheerder_name=row["name"],
            organisations=organisations,
        )

    def _use_totp_step(self, c: Conn, beheerder_id: str, counter: int) -> bool:
        """Accept a TOTP time step once: it must be later than the last one used.

        RFC 6238 section 5.2: a verifier must not accept the second attempt of the same OTP
        after a successful validation. Requiring a strictly later step also means the previous
        window's code (accepted for clock drift) works at most once, and never after the
        current one. One conditional upsert inside the sign-in transaction: it changes a row
        only for a later step, so of two parallel sign-ins with one code exactly one sees
        its row count be 1 (the row lock and the transaction's isolation decide which).
        """
        cursor = c.execute(
            "INSERT INTO totp_used (beheerder_id, last_counter) VALUES (?, ?)"
            " ON CONFLICT (beheerder_id) DO UPDATE SET last_counter = excluded.last_counter"
            " WHERE totp_used.last_counter < excluded.last_counter",
            [beheerder_id, counter],
        )
        return cursor.rowcount == 1

    def principal(self, token: str) -> Principal | None:
        """Resolve a bearer token; None when unknown or expired."""

        def body(c: Conn) -> Principal | None:
            row = c.one("SELECT * FROM tokens WHERE token_hash = ?", [_token_hash(token)])
            if row is None:
                return None
            if row["expires_at"] and self.clock() >= parse_iso(row["expires_at"]):
                return None
            if row["kind"] == "device":
                if not authz.kiosk_active(c, row["kiosk_id"]):
                    return None
                orgs = authz.kiosk_organisations(c, row["kiosk_id"])
            else:
                orgs = authz.managed_by(c, row["beheerder_id"])
            return Principal(row["kind"], row["beheerder_id"], row["kiosk_id"], orgs, token)

        return self._read(body)

    def enroll_kiosk(
        self, principal: Principal, name: str, organisations: list[Any] | None = None
    ) -> KioskEnrolled:
        """Register a kiosk for ``principal`` (a beheerder) and the organisations asked for
        (default: all it manages); the answer carries the device token and the enrolling
        beheerder's check grant on the new kiosk (:mod:`kiosk.portal.authz`)."""
        kiosk_id = f"kiosk-{uuid.uuid4()}"
        now = self.clock()
        self._prune_check_grants()

        def body(c: Conn) -> KioskEnrolled:
            try:
                orgs = authz.choose_organisations(
                    authz.managed_by(c, principal.beheerder_id), organisations
                )
            except ValueError as err:
                raise invalid(err.args[0]) from None
            c.execute(
                "INSERT INTO kiosks (id, name, enrolled_by, created_at) VALUES (?, ?, ?, ?)",
                [kiosk_id, name, principal.beheerder_id, iso(now)],
            )
            for org in orgs:
                c.execute(
                    "INSERT INTO kiosk_organisations (kiosk_id, organisation_id) VALUES (?, ?)",
                    [kiosk_id, org],
                )
            token, expires = authz.issue_device_token(c, kiosk_id, principal.beheerder_id, now)
            grant, grant_expires = authz.issue_check_grant(c, principal.beheerder_id, kiosk_id, now)
            return KioskEnrolled(kiosk_id, token, expires, orgs, grant, grant_expires)

        return self._write(body)

    def rotate_device_token(self, principal: Principal) -> KioskEnrolled:
        """A new device token for the presenting kiosk; the presented one dies after
        :data:`kiosk.portal.authz.ROTATION_GRACE`."""
        assert principal.kind == "device" and principal.kiosk_id is not None
        kiosk_id = principal.kiosk_id

        def body(c: Conn) -> KioskEnrolled:
            token, expires = authz.rotate_device_token(
                c, principal.token, kiosk_id, principal.beheerder_id, self.clock()
            )
            orgs = sorted(authz.kiosk_organisations(c, kiosk_id))
            return KioskEnrolled(kiosk_id, token, expires, orgs)

        return self._write(body)

    def revoke_kiosk(self, kiosk_id: str, principal: Principal | None = None) -> None:
        """Revoke a kiosk: its device tokens and check grants die at once (idempotent).

        ``principal`` (a beheerder) must manage one of the kiosk's organisations; None is
        the operator (``kiosk portal revoke-kiosk``). Unknown kiosk: 404."""

        def body(c: Conn) -> None:
            row = authz.kiosk_row(c, kiosk_id)
            if row is None:
                raise ApiFailure(404, "not_found", "no such kiosk")
            if principal is not None and not (
                authz.kiosk_organisations(c, kiosk_id) & principal.organisations
            ):
                raise ApiFailure(404, "not_found", "no such kiosk")
            who = principal.beheerder_id if principal is not None else "operator"
            authz.revoke_kiosk(c, kiosk_id, who, self.clock())

        self._write(body)

    def kiosks(self) -> list[dict[str, Any]]:
        """Every kiosk with its organisations and revocation (for the operator's CLI)."""

        def body(c: Conn) -> list[dict[str, Any]]:
            rows = c.rows(
                "SELECT id, name, enrolled_by, created_at, revoked_at FROM kiosks"
                " ORDER BY created_at"
            )
            for row in rows:
                row["organisations"] = sorted(authz.kiosk_organisations(c, row["id"]))
            return rows

        return self._read(body)

    def record_heartbeat(self, principal: Principal, body: Any) -> None:
        """Keep a kiosk's heartbeat (``PUT /v1/kiosks/self/heartbeat``); 422 when invalid."""
        assert principal.kind == "device" and principal.kiosk_id is not None
        kiosk_id = principal.kiosk_id
        problems = fleet.heartbeat_problems(body)
        if problems:
            raise invalid(problems)
        # One upsert of the kiosk's own row: atomic at READ COMMITTED, the last one wins.
        self._locked(lambda c: fleet.record_heartbeat(c, kiosk_id, body, self.clock()))

    def fleet(self, principal: Principal) -> list[dict[str, Any]]:
        """The kiosks of the beheerder's organisations with their latest heartbeats
        (``GET /v1/kiosks``); nothing of other organisations."""
        return self._read(lambda c: fleet.fleet(c, principal.organisations))

    def issue_check_grant(
        self, beheerder_id: str, kiosk_id: str
    ) -> tuple[str | None, datetime | None]:
        """At sign-in naming a kiosk: a check grant for the beheerder on that kiosk, or
        (None, None) when the kiosk is unknown, revoked or shares no organisation with the
        beheerder (the sign-in itself still succeeds)."""
        self._prune_check_grants()

        def body(c: Conn) -> tuple[str | None, datetime | None]:
            if not authz.kiosk_active(c, kiosk_id):
                return None, None
            shared = authz.kiosk_organisations(c, kiosk_id) & authz.managed_by(c, beheerder_id)
            if not shared:
                return None, None
            return authz.issue_check_grant(c, beheerder_id, kiosk_id, self.clock())

        return self._write(body)

    def _prune_check_grants(self) -> None:
        # Its own "locked" transaction: a cleanup, not a rule (authz.prune_check_grants).
        self._locked(lambda c: authz.prune_check_grants(c, self.clock()))

    # -- registrations ------------------------------------------------------------------

    def _body_mac(self, body: dict[str, Any]) -> str:
        canonical = json.dumps(body, sort_keys=True, separators=(",", ":"), ensure_ascii=False)
        return hmac.new(self._mac_key, canonical.encode("utf-8"), hashlib.sha256).hexdigest()

    def _new_code(
        self, c: Conn, kind: str, kiosk_id: str | None, registration_id: str | None
    ) -> str:
        now = self.clock().replace(microsecond=0)
        ttl = self.code_ttl if kind == "live" else self.pool_ttl
        while True:
            raw = "".join(secrets.choice(_CODE_ALPHABET) for _ in range(16))
            code = "-".join(raw[i : i + 4] for i in range(0, 16, 4))
            # ON CONFLICT instead of a look-up first: the primary key decides, and no read of
            # a missing key makes parallel serializable transactions conflict.
            cursor = c.execute(
                "INSERT INTO enrollments (code, kind, registration_id, kiosk_id, state,"
                " created_at, expires_at, used_at, device_key_sha256)"
                " VALUES (?, ?, ?, ?, 'active', ?, ?, NULL, NULL) ON CONFLICT (code) DO NOTHING",
                [code, kind, registration_id, kiosk_id, iso(now), iso(now + ttl)],
            )
            if cursor.rowcount == 1:
                return code

    def _enrollment_json(self, c: Conn, code: str) -> dict[str, str]:
        row = c.one("SELECT code, expires_at FROM enrollments WHERE code = ?", [code])
        assert row is not None
        return {
            "code": row["code"],
            "qr_payload": QR_PREFIX + row["code"],
            "expires_at": row["expires_at"],
        }

    def _state(self, c: Conn, reg: dict[str, Any]) -> dict[str, Any]:
        """The registration's answer: ``{registration_id, status, enrollment, enrolled_at}``."""
        enrollment: dict[str, str] | None = None
        if reg["enrolled_at"]:
            status = "enrolled"
        else:
            code = c.one("SELECT * FROM enrollments WHERE code = ?", [reg["current_code"]])
            if code is None or code["state"] == "cancelled":
                status = "cancelled"
            elif self.clock() >= parse_iso(code["expires_at"]):
                status = "expired"
            else:
                status = "pending_enrollment"
                enrollment = self._enrollment_json(c, code["code"])
        return {
            "registration_id": reg["id"],
            "status": status,
            "enrollment": enrollment,
            "enrolled_at": reg["enrolled_at"],
        }

    def _may_access(self, principal: Principal, reg: dict[str, Any]) -> bool:
        # A device reaches only its kiosk's organisations; it may follow its own
        # registrations even if one of them has since left the kiosk's scope.
        if reg["organisation_id"] in principal.organisations:
            return True
        return principal.kind == "device" and reg["kiosk_id"] == principal.kiosk_id

    def put_registration(
        self, principal: Principal, registration_id: str, body: Any
    ) -> tuple[bool, dict[str, Any]]:
        """Idempotent PUT; returns (created, answer). Raises :class:`ApiFailure`."""
        problems = validate_registration(body, self.clock().date())
        if problems:
            raise invalid(problems)
        body = {**body, "enrollment_code": body.get("enrollment_code")}
        mac = self._body_mac(body)

        def tx(c: Conn) -> tuple[bool, dict[str, Any]]:
            # "locked" (READ COMMITTED on PostgreSQL, serial on SQLite): the lock on the id
            # comes first, so of parallel PUTs of one id one inserts (201) and each of the
            # others, waiting here until it commits, then finds its row (200 or 409); the
            # primary key backs this up. A pool code is bound by a conditional UPDATE whose
            # row count says whether this PUT won it (_bind_pool_code). What the checks read
            # (organisations, grants) is the latest committed state, as the principal was.
            c.lock("registration:" + registration_id)
            existing = c.one("SELECT * FROM registrations WHERE id = ?", [registration_id])
            if existing is not None:
                if existing["body_mac"] != mac or not self._may_access(principal, existing):
                    raise ApiFailure(
                        409, "conflict", "registration_id already used with a different body"
                    )
                return False, self._state(c, existing)
            # Only a new registration is judged: an identical replay (a lost answer retried
            # days later) must still get its 200, whatever the clock says now.
            problems = evidence_problems(body["wid_check"], self.clock())
            if problems:
                raise invalid(problems)
            self._check_semantics(c, principal, body)
            code = body["enrollment_code"]
            if code is None:
                code = self._new_code(c, "live", principal.kiosk_id, registration_id)
            else:
                self._bind_pool_code(c, code, registration_id, principal)
            employee = body["employee"]
            row = {
                "id": registration_id,
                "organisation_id": body["organisation_id"],
                # NFC and single spaces: the name the app shows is the one the desk typed.
                "display_name": normalise_name(
                    " ".join(part for part in (employee["given_names"], employee["surname"]))
                ),
                "checked_by": body["wid_check"]["checked_by"],
                "body_mac": mac,
                "kiosk_id": principal.kiosk_id,
                "created_at": iso(self.clock()),
                "enrolled_at": None,
                "current_code": code,
            }
            c.execute(
                "INSERT INTO registrations (id, organisation_id, display_name, checked_by,"
                " body_mac, kiosk_id, created_at, enrolled_at, current_code)"
                " VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?)",
                list(row.values()),
            )
            return True, self._state(c, row)

        return self._locked(tx)

    def _check_semantics(self, c: Conn, principal: Principal, body: dict[str, Any]) -> None:
        """What validation needs the database for; raises a 422."""
        org = body["organisation_id"]
        problems: list[Problem] = []
        if c.one("SELECT id FROM organisations WHERE id = ?", [org]) is None:
            problems.append(Problem("organisation_id", "unknown organisation"))
        elif principal.kind == "beheerder" and org not in principal.organisations:
            problems.append(Problem("organisation_id", "not an organisation you manage"))
        checked_by = body["wid_check"]["checked_by"]
        if c.one("SELECT id FROM beheerders WHERE id = ?", [checked_by]) is None:
            problems.append(Problem("wid_check.checked_by", "unknown beheerder"))
        else:
            # Who may name whom (kiosk scope, check grant): kiosk.portal.authz.
            problems += authz.checker_problems(
                c,
                kind=principal.kind,
                principal_beheerder=principal.beheerder_id,
                kiosk_id=principal.kiosk_id,
                kiosk_orgs=principal.organisations,
                body=body,
                now=self.clock(),
            )
        if problems:
            raise invalid(problems)

    def _bind_pool_code(
        self, c: Conn, code: str, registration_id: str, principal: Principal
    ) -> None:
        row = c.one("SELECT * FROM enrollments WHERE code = ?", [code])
        if row is None or row["kind"] != "pool":
            raise invalid([Problem("enrollment_code", "not a reserved enrollment code")])
        problem = authz.pool_code_problem(row, principal.kind, principal.kiosk_id)
        if problem is not None:
            raise invalid([problem])
        if row["registration_id"] is not None or row["state"] != "active":
            raise ApiFailure(409, "conflict", "enrollment_code is already bound or no longer valid")
        # An expired pool code is still bound: the registration must never be lost because a
        # kiosk was offline for long; its status then reads 'expired' and it can be renewed.
        # "registration_id IS NULL" too: the row itself, not only the transaction order,
        # refuses a second binding.
        cursor = c.execute(
            "UPDATE enrollments SET registration_id = ? WHERE code = ? AND registration_id IS NULL",
            [registration_id, code],
        )
        if cursor.rowcount != 1:
            raise ApiFailure(409, "conflict", "enrollment_code is already bound or no longer valid")

    def _accessible(self, c: Conn, principal: Principal, registration_id: str) -> dict[str, Any]:
        reg = c.one("SELECT * FROM registrations WHERE id = ?", [registration_id])
        if reg is None or not self._may_access(principal, reg):
            raise ApiFailure(404, "not_found", "no such registration")
        return reg

    def get_registration(self, principal: Principal, registration_id: str) -> dict[str, Any]:
        """``GET /v1/registrations/{id}``."""
        return self._read(lambda c: self._state(c, self._accessible(c, principal, registration_id)))

    def renew_enrollment(self, principal: Principal, registration_id: str) -> dict[str, str]:
        """Issue a new live code; the old one is dead (state ``superseded``)."""

        def body(c: Conn) -> dict[str, str]:
            reg = self._accessible(c, principal, registration_id)
            if reg["enrolled_at"]:
                raise ApiFailure(409, "already_enrolled", "the registration is already enrolled")
            c.execute(
                "UPDATE enrollments SET state = 'superseded' WHERE code = ? AND state = 'active'",
                [reg["current_code"]],
            )
            code = self._new_code(c, "live", principal.kiosk_id, registration_id)
            c.execute(
                "UPDATE registrations SET current_code = ? WHERE id = ?", [code, registration_id]
            )
            return self._enrollment_json(c, code)

        return self._write(body)

    def cancel_enrollment(self, principal: Principal, registration_id: str) -> None:
        """Cancel the current code (idempotent); an enrolled registration gives 409."""

        def body(c: Conn) -> None:
            reg = self._accessible(c, principal, registration_id)
            if reg["enrolled_at"]:
                raise ApiFailure(409, "already_enrolled", "the registration is already enrolled")
            c.execute(
                "UPDATE enrollments SET state = 'cancelled' WHERE code = ? AND state = 'active'",
                [reg["current_code"]],
            )

        self._write(body)

    def reserve_codes(self, principal: Principal, count: int) -> list[dict[str, str]]:
        """Issue ``count`` unbound pool codes to a kiosk."""

        def body(c: Conn) -> list[dict[str, str]]:
            codes = [self._new_code(c, "pool", principal.kiosk_id, None) for _ in range(count)]
            return [self._enrollment_json(c, code) for code in codes]

        return self._write(body)

    # -- the phone ----------------------------------------------------------------------

    def app_enroll(self, qr_payload: str, device_public_key: str) -> str:
        """Redeem a code for a phone; returns the name the app shows under 'ID'."""
        key_der = _parse_public_key(device_public_key)
        if not qr_payload.startswith(QR_PREFIX):
            raise ApiFailure(404, "unknown_code", "not a ZORG-ID enrollment QR")
        code = qr_payload[len(QR_PREFIX) :]
        now = self.clock()

        def body(c: Conn) -> str:
            # "locked": the conditional UPDATE below decides which redemption wins; a
            # parallel one waits for its row lock, then finds the state changed (410).
            row = c.one("SELECT * FROM enrollments WHERE code = ?", [code])
            if row is None:
                raise ApiFailure(404, "unknown_code", "unknown enrollment code")
            if row["state"] != "active":
                raise ApiFailure(410, "gone", f"enrollment code is {row['state']}")
            if now >= parse_iso(row["expires_at"]):
                raise ApiFailure(410, "gone", "enrollment code has expired")
            if row["registration_id"] is None:
                # A pool code whose registration is still queued on an offline kiosk.
                raise ApiFailure(
                    425,
                    "too_early",
                    "the registration has not reached the portal yet",
                    retry_after=30,
                )
            reg = c.one("SELECT * FROM registrations WHERE id = ?", [row["registration_id"]])
            assert reg is not None
            # "state = 'active'" in the UPDATE as well: the row, not only the transaction
            # order, makes a code single-use.
            cursor = c.execute(
                "UPDATE enrollments SET state = 'used', used_at = ?, device_key_sha256 = ? "
                "WHERE code = ? AND state = 'active'",
                [iso(now), hashlib.sha256(key_der).hexdigest(), code],
            )
            if cursor.rowcount != 1:
                # A parallel redemption (or renewal, cancellation) changed it first.
                raise ApiFailure(410, "gone", "enrollment code is no longer active")
            c.execute(
                "UPDATE registrations SET enrolled_at = ? WHERE id = ?", [iso(now), reg["id"]]
            )
            return str(reg["display_name"])

        return self._locked(body)


def _open(target: str | Path | None) -> PortalDb:
    path = None if target is None or str(target) == ":memory:" else target
    if path is not None and not is_postgres_url(path):
        # Owner-only before SQLite touches it (password hashes, TOTP secrets, the MAC
        # key); SQLite gives its -wal and -shm files the database file's permissions.
        with suppress(FileExistsError):
            os.close(os.open(path, os.O_WRONLY | os.O_CREAT | os.O_EXCL, 0o600))
    return open_db(path)


def _token_hash(token: str) -> str:
    # Tokens are stored hashed: a copy of the database does not hand out live credentials.
    return authz.secret_hash(token)


def _parse_public_key(text: str) -> bytes:
    """Parse the app's device key (base64 DER SubjectPublicKeyInfo, EC); 422 when invalid."""
    try:
        der = base64.b64decode(text, validate=True)
        key = load_der_public_key(der)
    except (binascii.Error, ValueError):
        raise invalid([Problem("device_public_key", "not a base64 DER EC public key")]) from None
    if not isinstance(key, EllipticCurvePublicKey):
        raise invalid([Problem("device_public_key", "must be an EC public key")])
    return der
