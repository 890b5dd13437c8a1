"""Who may act for whom at the reference portal: kiosk scope, check grants, pool-code owners.

The rules (docs/security.md has the attacks they answer and why each limit is what it is):

* **A device token acts only for its kiosk's organisations.** ``POST /v1/kiosks`` records
  the organisations the kiosk is enrolled for: those the enrolling beheerder manages, or the
  subset asked for. A PUT naming any other organisation is refused (422), and so is reading
  a registration of another organisation (404, as if it did not exist).
* **Device tokens expire** (:data:`DEVICE_TOKEN_TTL`), the kiosk **rotates** its own
  (``POST /v1/kiosks/self/token``; the old token stays usable for :data:`ROTATION_GRACE`
  so a rotation whose answer was lost can be repeated), and a beheerder of one of the
  kiosk's organisations **revokes** it (``DELETE /v1/kiosks/{kiosk_id}``, or an operator
  with ``kiosk portal revoke-kiosk``): every token and check grant of the kiosk dies at once.
* **``checked_by`` is who signed in on that kiosk.** A sign-in that names the kiosk
  (``POST /v1/auth/token`` with ``kiosk_id``), and the enrolment itself, return a *check
  grant*: a random secret bound to (beheerder, kiosk), valid :data:`CHECK_GRANT_TTL`. A
  registration sent with a device token must carry it in ``wid_check.check_grant``; the
  portal accepts ``checked_by`` only when it is the grant's beheerder, the grant is the
  presenting kiosk's, unexpired, and the beheerder manages the organisation *now*. With a
  beheerder token, ``checked_by`` must be that beheerder.
* **A pool code is bound only by the kiosk that reserved it.**

Why 72 hours for the grant (and for the age of ``checked_at``, :mod:`kiosk.portal.evidence`):
a kiosk's queue holds registrations made offline until the portal is reachable again; 72 h
covers a network outage over a long weekend (Friday afternoon to Monday afternoon) with the
queue delivering on its own, while a stolen grant (useless without the same kiosk's device
token anyway) is worth nothing after three days. A registration that reaches the portal
later is refused with a clear reason and becomes a dead item on the kiosk: a person sees it
and the employee's WID is checked again, which is what a three-day-old check deserves.

All functions here run inside a :class:`kiosk.portal.store.PortalStore` transaction, on its
connection (:class:`kiosk.portal.db.Conn`); the store owns the transaction.
"""

from __future__ import annotations

import hashlib
import secrets
from datetime import UTC, datetime, timedelta
from typing import Any

from kiosk.portal.db import Conn, Migration
from kiosk.portal.validation import Problem

DEVICE_TOKEN_TTL = timedelta(days=30)
"""Life of a device token; the kiosk's sync worker rotates it well before the end."""
ROTATION_GRACE = timedelta(hours=1)
"""How long the previous device token keeps working after a rotation."""
CHECK_GRANT_TTL = timedelta(hours=72)
"""How long a check grant may be presented (see the module docstring for why 72 h)."""
MAX_KIOSK_ORGANISATIONS = 100


_V3_SQL = """
    -- 2 -> 3: kiosk organisations, revocation, check grants; device tokens get an expiry.
    -- Kiosks enrolled before keep the organisations their enrolling beheerder manages (what
    -- their token reached before); their tokens get the normal life from now.
    CREATE TABLE kiosk_organisations (
        kiosk_id TEXT NOT NULL,
        organisation_id TEXT NOT NULL,
        PRIMARY KEY (kiosk_id, organisation_id)
    );
    ALTER TABLE kiosks ADD COLUMN revoked_at TEXT;
    ALTER TABLE kiosks ADD COLUMN revoked_by TEXT;
    CREATE TABLE check_grants (
        grant_hash TEXT PRIMARY KEY,
        beheerder_id TEXT NOT NULL,
        kiosk_id TEXT NOT NULL,
        issued_at TEXT NOT NULL,
        expires_at TEXT NOT NULL
    );
    CREATE INDEX check_grants_kiosk ON check_grants (kiosk_id);
    CREATE INDEX tokens_kiosk ON tokens (kiosk_id);
    INSERT INTO kiosk_organisations (kiosk_id, organisation_id)
        SELECT k.id, bo.organisation_id FROM kiosks k
        JOIN beheerder_organisations bo ON bo.beheerder_id = k.enrolled_by;
    -- +30 days: DEVICE_TOKEN_TTL when this step was written (a released step never changes).
    UPDATE tokens SET expires_at = strftime('%Y-%m-%dT%H:%M:%SZ', 'now', '+30 days')
        WHERE kind = 'device' AND expires_at IS NULL;
"""

MIGRATE_V3_KIOSK_SCOPE = Migration(
    sqlite=_V3_SQL,
    # The one SQLite-only expression, strftime: the same instant written by to_char.
    postgresql=_V3_SQL.replace(
        "strftime('%Y-%m-%dT%H:%M:%SZ', 'now', '+30 days')",
        """to_char((now() AT TIME ZONE 'UTC') + interval '30 days',"""
        """ 'YYYY-MM-DD"T"HH24:MI:SS"Z"')""",
    ),
)
"""The portal schema step 2 -> 3 (:data:`kiosk.portal.store.MIGRATIONS`)."""


def secret_hash(secret: str) -> str:
    """How tokens and grants are stored: a copy of the database hands out no credential."""
    return hashlib.sha256(secret.encode("utf-8")).hexdigest()


def _iso(moment: datetime) -> str:
    return moment.astimezone(UTC).strftime("%Y-%m-%dT%H:%M:%SZ")


def _parse(text: str) -> datetime:
    return datetime.fromisoformat(text.replace("Z", "+00:00"))


def managed_by(db: Conn, beheerder_id: str) -> frozenset[str]:
    """The organisations a beheerder manages now."""
    rows = db.execute(
        "SELECT organisation_id FROM beheerder_organisations WHERE beheerder_id = ?",
        [beheerder_id],
    ).fetchall()
    return frozenset(str(row[0]) for row in rows)


def kiosk_organisations(db: Conn, kiosk_id: str) -> frozenset[str]:
    """The organisations a kiosk was enrolled for."""
    rows = db.execute(
        "SELECT organisation_id FROM kiosk_organisations WHERE kiosk_id = ?", [kiosk_id]
    ).fetchall()
    return frozenset(str(row[0]) for row in rows)


def choose_organisations(managed: frozenset[str], asked: list[Any] | None) -> list[str]:
    """The organisations a new kiosk is enrolled for: ``asked`` (a subset of ``managed``)
    or, without it, all of ``managed``. Raises ``ValueError`` with the problem list."""
    if asked is None:
        if not managed:
            raise ValueError([Problem("organisations", "you manage no organisation")])
        return sorted(managed)
    problems: list[Problem] = []
    if not asked or len(asked) > MAX_KIOSK_ORGANISATIONS:
        problems.append(
            Problem("organisations", f"must list 1-{MAX_KIOSK_ORGANISATIONS} organisations")
        )
    for i, org in enumerate(asked):
        if not isinstance(org, str):
            problems.append(Problem(f"organisations[{i}]", "must be a string"))
        elif org not in managed:
            problems.append(Problem(f"organisations[{i}]", "not an organisation you manage"))
    if problems:
        raise ValueError(problems)
    return sorted(set(asked))


def kiosk_row(db: Conn, kiosk_id: str) -> dict[str, Any] | None:
    """The kiosk's row, or None."""
    rows = db.rows("SELECT * FROM kiosks WHERE id = ?", [kiosk_id])
    return rows[0] if rows else None


def kiosk_active(db: Conn, kiosk_id: str | None) -> bool:
    """True when the kiosk exists and is not revoked."""
    row = kiosk_row(db, kiosk_id) if kiosk_id else None
    return row is not None and row["revoked_at"] is None


def issue_device_token(
    db: Conn, kiosk_id: str, enrolled_by: str, now: datetime
) -> tuple[str, datetime]:
    """A new device token for the kiosk: (token, expires_at)."""
    token = secrets.token_urlsafe(32)
    expires = now + DEVICE_TOKEN_TTL
    db.execute(
        "INSERT INTO tokens (token_hash, kind, beheerder_id, kiosk_id, expires_at)"
        " VALUES (?, 'device', ?, ?, ?)",
        [secret_hash(token), enrolled_by, kiosk_id, _iso(expires)],
    )
    return token, expires


def rotate_device_token(
    db: Conn, old_token: str, kiosk_id: str, enrolled_by: str, now: datetime
) -> tuple[str, datetime]:
    """Replace the presented device token: a new one, the old one dies after the grace."""
    grace_end = _iso(now + ROTATION_GRACE)
    # CASE, not SQLite's two-argument min(): the same statement on PostgreSQL.
    db.execute(
        "UPDATE tokens SET expires_at = CASE WHEN expires_at < ? THEN expires_at ELSE ? END"
        " WHERE token_hash = ?",
        [grace_end, grace_end, secret_hash(old_token)],
    )
    return issue_device_token(db, kiosk_id, enrolled_by, now)


def revoke_kiosk(db: Conn, kiosk_id: str, by: str, now: datetime) -> None:
    """Kill every token and check grant of the kiosk; mark it revoked (idempotent)."""
    db.execute("DELETE FROM tokens WHERE kind = 'device' AND kiosk_id = ?", [kiosk_id])
    db.execute("DELETE FROM check_grants WHERE kiosk_id = ?", [kiosk_id])
    db.execute(
        "UPDATE kiosks SET revoked_at = ?, revoked_by = ? WHERE id = ? AND revoked_at IS NULL",
        [_iso(now), by, kiosk_id],
    )


def issue_check_grant(
    db: Conn, beheerder_id: str, kiosk_id: str, now: datetime
) -> tuple[str, datetime]:
    """A check grant for ``beheerder_id`` on ``kiosk_id``: (grant, expires_at)."""
    grant = secrets.token_urlsafe(32)
    expires = now + CHECK_GRANT_TTL
    db.execute(
        "INSERT INTO check_grants (grant_hash, beheerder_id, kiosk_id, issued_at, expires_at)"
        " VALUES (?, ?, ?, ?, ?)",
        [secret_hash(grant), beheerder_id, kiosk_id, _iso(now), _iso(expires)],
    )
    return grant, expires


def prune_check_grants(db: Conn, now: datetime) -> None:
    """Delete expired grants: nothing needs them any more, keep the table small.

    The store runs this in a transaction of its own before it issues a grant: a scan of the
    whole table inside the (serializable) issuing transaction made every two enrolments
    or sign-ins at once conflict (1,787 retries for 200 kiosks enrolled 64 at a time)."""
    db.execute("DELETE FROM check_grants WHERE expires_at <= ?", [_iso(now)])


def checker_problems(
    db: Conn,
    *,
    kind: str,
    principal_beheerder: str,
    kiosk_id: str | None,
    kiosk_orgs: frozenset[str],
    body: dict[str, Any],
    now: datetime,
) -> list[Problem]:
    """Whether this principal may register at the organisation naming ``checked_by``.

    ``kind`` is ``"device"`` or ``"beheerder"``; ``kiosk_orgs`` the device's organisations.
    Existence of the organisation is checked by the caller.
    """
    org = body["organisation_id"]
    wid = body["wid_check"]
    checked_by = wid["checked_by"]
    grant = wid.get("check_grant")
    problems: list[Problem] = []
    if kind == "device" and org not in kiosk_orgs:
        problems.append(Problem("organisation_id", "this kiosk is not enrolled for it"))
    if org not in managed_by(db, checked_by):
        # Also when the beheerder is unknown: no organisation is managed by nobody.
        problems.append(
            Problem("wid_check.checked_by", "this beheerder does not manage the organisation")
        )
    if kind == "beheerder":
        if checked_by != principal_beheerder:
            problems.append(Problem("wid_check.checked_by", "must be the signed-in beheerder"))
        if grant is not None:
            row = _grant_row(db, grant)
            if row is None or row["beheerder_id"] != principal_beheerder:
                problems.append(Problem("wid_check.check_grant", "not a grant of yours"))
        return problems
    if grant is None:
        problems.append(
            Problem("wid_check.check_grant", "required: the sign-in of checked_by on this kiosk")
        )
        return problems
    row = _grant_row(db, grant)
    if row is None:
        problems.append(Problem("wid_check.check_grant", "unknown or revoked check grant"))
    elif row["kiosk_id"] != kiosk_id:
        problems.append(Problem("wid_check.check_grant", "issued to another kiosk"))
    elif row["beheerder_id"] != checked_by:
        problems.append(
            Problem("wid_check.checked_by", "not the beheerder the check grant was issued to")
        )
    elif now >= _parse(row["expires_at"]):
        problems.append(
            Problem(
                "wid_check.check_grant",
                f"expired: a check grant is valid {int(CHECK_GRANT_TTL.total_seconds() // 3600)}"
                " hours after the sign-in",
            )
        )
    return problems


def _grant_row(db: Conn, grant: str) -> dict[str, Any] | None:
    rows = db.rows("SELECT * FROM check_grants WHERE grant_hash = ?", [secret_hash(grant)])
    return rows[0] if rows else None


def pool_code_problem(code_row: dict[str, Any], kind: str, kiosk_id: str | None) -> Problem | None:
    """A pool code is bound only by the kiosk that reserved it (None: this one may)."""
    if kind != "device" or code_row["kiosk_id"] != kiosk_id:
        return Problem("enrollment_code", "not a code this kiosk reserved")
    return None
