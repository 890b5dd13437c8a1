"""``kiosk queue``: look at and manage the local registration queue (DESIGN.md section 6).

``status [--json]`` counts per state, pause reason, offline codes and device credential;
``dead [--json]`` lists dead letters with their reason (document numbers masked);
``retry ID`` puts a dead registration back in the queue (a person decided to retry it).
Exit status: 0 done, 1 nothing to do (e.g. ``retry`` of an item that is not dead),
3 the store could not be opened (the reason is printed).
"""

from __future__ import annotations

import argparse
import json
import sys
import uuid
from pathlib import Path
from typing import Any

from kiosk.config import load_config
from kiosk.errors import StorageFailure
from kiosk.i18n import tr
from kiosk.store import DB_FILENAME, OutboxState, Store, open_default

EXIT_STORAGE = 3


def register(subparsers: Any) -> None:
    """Add ``kiosk queue status|dead|retry``."""
    parser = subparsers.add_parser(
        "queue", help="show and manage the local registration queue", description=__doc__
    )
    parser.add_argument("--data-dir", type=Path, help="data directory (default: from config)")
    actions = parser.add_subparsers(dest="queue_command", metavar="ACTION", required=True)
    status = actions.add_parser("status", help="counts per state, pause, offline codes")
    status.add_argument("--json", action="store_true", help="print JSON")
    status.set_defaults(handler=run_status)
    dead = actions.add_parser("dead", help="list dead registrations with their reason")
    dead.add_argument("--json", action="store_true", help="print JSON")
    dead.set_defaults(handler=run_dead)
    retry = actions.add_parser("retry", help="queue a dead registration again")
    retry.add_argument("registration_id", metavar="ID", help="the registration's UUID")
    retry.set_defaults(handler=run_retry)


def open_store(args: argparse.Namespace, *, create: bool = False) -> Store:
    """Open the configured store (``--data-dir`` wins over the config).

    Without ``create`` a missing database is reported (``store.error.no_database``) rather
    than made, so looking at the queue never creates a database and key as a side effect.
    """
    config = load_config()
    data_dir = Path(args.data_dir or config.data_dir())
    if not create and not (data_dir / DB_FILENAME).exists():
        raise StorageFailure("store.error.no_database", path=str(data_dir / DB_FILENAME))
    return open_default(
        data_dir,
        retention_days=config.storage.retention_days,
        key_store=config.storage.key_store,
    )


def _fail(error: StorageFailure) -> int:
    print(error.translated(), file=sys.stderr)
    return EXIT_STORAGE


def status_json(store: Store) -> dict[str, Any]:
    """The ``queue status --json`` document."""
    counts = store.counts()
    pause = store.paused()
    credential = store.get_device_credential()
    due = store.next_due_at()
    return {
        "pending": counts.pending,
        "in_flight": counts.in_flight,
        "done": counts.done,
        "dead": counts.dead,
        "paused": None
        if pause is None
        else {"reason": pause.reason_key, "status": pause.status, "since": pause.since.isoformat()},
        "next_attempt_at": due.isoformat() if due else None,
        "offline_codes": store.pool_count(store.now()),
        "kiosk_id": credential.kiosk_id if credential else None,
        "audit_chain_ok": store.verify_audit_chain(),
    }


def run_status(args: argparse.Namespace) -> int:
    """``kiosk queue status``."""
    try:
        with open_store(args) as store:
            data = status_json(store)
    except StorageFailure as error:
        return _fail(error)
    if args.json:
        print(json.dumps(data, indent=2))
        return 0
    print(
        tr(
            "queue.cli.counts",
            pending=data["pending"],
            in_flight=data["in_flight"],
            done=data["done"],
            dead=data["dead"],
        )
    )
    if data["paused"]:
        print(
            tr(
                "queue.cli.paused",
                reason=tr(data["paused"]["reason"], status=data["paused"]["status"]),
            )
        )
    print(tr("queue.cli.offline_codes", count=data["offline_codes"]))
    if data["kiosk_id"] is None:
        print(tr("sync.error.no_credential"))
    if not data["audit_chain_ok"]:
        print(tr("queue.cli.audit_broken"))
    return 0


def dead_json(store: Store) -> list[dict[str, Any]]:
    """The ``queue dead --json`` document: one object per dead registration."""
    rows = []
    for item in store.items(OutboxState.DEAD):
        entry = item.to_json()
        entry["reason"] = tr(
            item.last_error or "error.unexpected", status=item.last_status, reason=""
        )
        entry["document_number"] = store.masked_document_number(item.registration_id)
        rows.append(entry)
    return rows


def run_dead(args: argparse.Namespace) -> int:
    """``kiosk queue dead``."""
    try:
        with open_store(args) as store:
            rows = dead_json(store)
    except StorageFailure as error:
        return _fail(error)
    if args.json:
        print(json.dumps(rows, indent=2))
        return 0
    if not rows:
        print(tr("queue.cli.no_dead"))
    for row in rows:
        print(
            tr(
                "queue.cli.dead_line",
                id=row["registration_id"],
                created=row["created_at"],
                document=row["document_number"],
                reason=row["reason"],
            )
        )
    return 0


def run_retry(args: argparse.Namespace) -> int:
    """``kiosk queue retry ID``."""
    try:
        rid = uuid.UUID(args.registration_id)
    except ValueError:
        print(tr("queue.cli.bad_id"), file=sys.stderr)
        return 2
    try:
        with open_store(args) as store:
            retried = store.retry(rid, beheerder_id=None)
    except StorageFailure as error:
        return _fail(error)
    print(tr("queue.cli.retried" if retried else "queue.cli.not_dead", id=str(rid)))
    return 0 if retried else 1
