"""The fleet view at the reference portal: kiosk heartbeats and who may see which kiosk.

A kiosk's sync worker reports a small heartbeat (``PUT /v1/kiosks/self/heartbeat`` with its
device token): software version, queue depth, dead letters, age of the oldest pending
item, age of its trust list, last successful sync. Counts and ages only, never personal
data (DESIGN.md section 7): the portal keeps the latest heartbeat per kiosk, overwritten
each time, and when it arrived.

A beheerder sees the kiosks that share an organisation with them (``GET /v1/kiosks``), the
same rule as revoking one (:func:`kiosk.portal.authz.revoke_kiosk`): a beheerder of another
organisation sees nothing of them.

All functions run inside a :class:`kiosk.portal.store.PortalStore` transaction.
"""

from __future__ import annotations

from datetime import UTC, datetime
from typing import Any

from kiosk.portal.db import Conn
from kiosk.portal.validation import Problem

MIGRATE_V4_HEARTBEATS = """
    -- 3 -> 4: the latest heartbeat of each kiosk (counts and ages, no personal data).
    CREATE TABLE kiosk_heartbeats (
        kiosk_id TEXT PRIMARY KEY NOT NULL REFERENCES kiosks (id),
        version TEXT NOT NULL,
        queue_depth INTEGER NOT NULL CHECK (queue_depth >= 0),
        dead_letters INTEGER NOT NULL CHECK (dead_letters >= 0),
        oldest_pending_age_s INTEGER CHECK (oldest_pending_age_s >= 0),
        trust_list_age_s INTEGER CHECK (trust_list_age_s >= 0),
        last_sync_at TEXT,
        received_at TEXT NOT NULL
    );
"""

MAX_VERSION_LENGTH = 40
MAX_COUNT = 10**9
HEARTBEAT_FIELDS: dict[str, str] = {
    "version": "string",
    "queue_depth": "count",
    "dead_letters": "count",
    "oldest_pending_age_s": "age",
    "trust_list_age_s": "age",
    "last_sync_at": "date-time",
}
"""The heartbeat body: every field required (ages and ``last_sync_at`` may be null)."""


def _iso(moment: datetime) -> str:
    return moment.astimezone(UTC).strftime("%Y-%m-%dT%H:%M:%SZ")


def heartbeat_problems(body: Any) -> list[Problem]:
    """Every reason ``body`` is not a heartbeat (exactly :data:`HEARTBEAT_FIELDS`)."""
    if not isinstance(body, dict):
        return [Problem("$", "must be an object")]
    problems = [Problem(name, "unknown field") for name in body if name not in HEARTBEAT_FIELDS]
    for name, kind in HEARTBEAT_FIELDS.items():
        if name not in body:
            problems.append(Problem(name, "required"))
            continue
        value = body[name]
        if kind == "string":
            if not isinstance(value, str) or not 1 <= len(value) <= MAX_VERSION_LENGTH:
                problems.append(Problem(name, f"must be 1-{MAX_VERSION_LENGTH} characters"))
        elif kind in ("count", "age"):
            if value is None and kind == "age":
                continue
            if not isinstance(value, int) or isinstance(value, bool) or not 0 <= value <= MAX_COUNT:
                problems.append(Problem(name, f"must be an integer 0-{MAX_COUNT}"))
        elif value is not None:
            try:
                parsed = datetime.fromisoformat(str(value).replace("Z", "+00:00"))
            except ValueError:
                parsed = None
            if not isinstance(value, str) or parsed is None or parsed.tzinfo is None:
                problems.append(Problem(name, "must be an RFC 3339 date-time or null"))
    return problems


def record_heartbeat(db: Conn, kiosk_id: str, body: dict[str, Any], now: datetime) -> None:
    """Keep ``body`` (checked by :func:`heartbeat_problems`) as the kiosk's latest heartbeat."""
    last_sync = body["last_sync_at"]
    if last_sync is not None:
        last_sync = _iso(datetime.fromisoformat(last_sync.replace("Z", "+00:00")))
    db.execute(
        "INSERT INTO kiosk_heartbeats (kiosk_id, version, queue_depth, dead_letters,"
        " oldest_pending_age_s, trust_list_age_s, last_sync_at, received_at)"
        " VALUES (?, ?, ?, ?, ?, ?, ?, ?)"
        " ON CONFLICT (kiosk_id) DO UPDATE SET version = excluded.version,"
        " queue_depth = excluded.queue_depth, dead_letters = excluded.dead_letters,"
        " oldest_pending_age_s = excluded.oldest_pending_age_s,"
        " trust_list_age_s = excluded.trust_list_age_s,"
        " last_sync_at = excluded.last_sync_at, received_at = excluded.received_at",
        [
            kiosk_id,
            body["version"],
            body["queue_depth"],
            body["dead_letters"],
            body["oldest_pending_age_s"],
            body["trust_list_age_s"],
            last_sync,
            _iso(now),
        ],
    )


def fleet(db: Conn, organisations: frozenset[str]) -> list[dict[str, Any]]:
    """The kiosks acting for any of ``organisations``, oldest first, each with its
    organisations (only those in ``organisations``), revocation and latest heartbeat."""
    if not organisations:
        return []
    # One placeholder per organisation (never a value in the text): portable, unlike
    # SQLite's json_each.
    marks = ", ".join("?" * len(organisations))
    cursor = db.execute(
        "SELECT DISTINCT k.id, k.name, k.created_at, k.revoked_at FROM kiosks k"  # noqa: S608
        " JOIN kiosk_organisations ko ON ko.kiosk_id = k.id"
        f" WHERE ko.organisation_id IN ({marks})"
        " ORDER BY k.created_at, k.id",
        sorted(organisations),
    )
    kiosks = cursor.fetchall()
    out: list[dict[str, Any]] = []
    for kiosk_id, name, created_at, revoked_at in kiosks:
        orgs = [
            row[0]
            for row in db.execute(
                "SELECT organisation_id FROM kiosk_organisations WHERE kiosk_id = ?"
                " ORDER BY organisation_id",
                [kiosk_id],
            ).fetchall()
            if row[0] in organisations
        ]
        beat = db.execute(
            "SELECT version, queue_depth, dead_letters, oldest_pending_age_s,"
            " trust_list_age_s, last_sync_at, received_at FROM kiosk_heartbeats"
            " WHERE kiosk_id = ?",
            [kiosk_id],
        ).fetchone()
        heartbeat = None
        if beat is not None:
            keys = (*HEARTBEAT_FIELDS, "received_at")
            heartbeat = dict(zip(keys, beat, strict=True))
        out.append(
            {
                "kiosk_id": kiosk_id,
                "name": name,
                "organisations": orgs,
                "enrolled_at": created_at,
                "revoked_at": revoked_at,
                "heartbeat": heartbeat,
            }
        )
    return out
