"""``kiosk sync``: deliver the queue now, or enroll this kiosk at the portal.

``once [--json]`` delivers every pending registration with the kiosk's device token,
tops up the offline code pool and purges acknowledged registrations past retention
(``portal.url``, ``storage.data_dir`` and ``storage.retention_days`` from the config).
Exit status: 0 everything due was delivered, 1 something is left (offline, paused, dead or
retrying; see the output), 3 the store could not be opened.

``enroll --username NAME`` signs in as a beheerder (password from ``--password-stdin`` or a
prompt) and stores the kiosk's own device credential (``POST /v1/kiosks``), so queued work
syncs with nobody signed in.
"""

from __future__ import annotations

import argparse
import getpass
import json
import sys
from pathlib import Path
from typing import Any

from kiosk.cli.queue import EXIT_STORAGE, open_store
from kiosk.config import load_config
from kiosk.emrtd.trust import trust_age_source
from kiosk.errors import KioskError, StorageFailure
from kiosk.i18n import tr
from kiosk.sync.client import PortalClient
from kiosk.sync.pool import CodePool
from kiosk.sync.worker import DEFAULT_HEARTBEAT_INTERVAL_S, SyncWorker


def register(subparsers: Any) -> None:
    """Add ``kiosk sync once|enroll``."""
    parser = subparsers.add_parser(
        "sync", help="deliver the queue to the portal now; enroll this kiosk", description=__doc__
    )
    parser.add_argument("--data-dir", type=Path, help="data directory (default: from config)")
    parser.add_argument("--portal-url", help="portal base URL (default: portal.url)")
    actions = parser.add_subparsers(dest="sync_command", metavar="ACTION", required=True)
    once = actions.add_parser("once", help="deliver what is queued, then exit")
    once.add_argument("--json", action="store_true", help="print JSON")
    once.set_defaults(handler=run_once)
    enroll = actions.add_parser("enroll", help="get this kiosk's device credential")
    enroll.add_argument("--username", required=True, help="beheerder user name")
    enroll.add_argument(
        "--password-stdin", action="store_true", help="read the password from stdin"
    )
    enroll.add_argument("--name", help="kiosk name at the portal (default: desk.kiosk_name)")
    enroll.set_defaults(handler=run_enroll)


def run_once(args: argparse.Namespace) -> int:
    """``kiosk sync once``."""
    config = load_config()
    url = args.portal_url or config.portal.url
    try:
        with open_store(args) as store, PortalClient.for_config(config, url) as client:
            pool = CodePool(store, client, store.device_token, size=config.portal.code_pool_size)
            worker = SyncWorker(
                store,
                client,
                store.device_token,
                pool=pool,
                heartbeat_interval_s=DEFAULT_HEARTBEAT_INTERVAL_S,
                trust_list_age=trust_age_source(config.trust_dir()),
            )
            report = worker.sync_once()
            purged = store.purge()
            counts = store.counts()
            pause = store.paused()
    except StorageFailure as error:
        print(error.translated(), file=sys.stderr)
        return EXIT_STORAGE
    except KioskError as error:  # a configuration the client refuses (URL, CA file)
        print(error.translated(), file=sys.stderr)
        return 2
    data = report.to_json() | {
        "purged": purged,
        "pending": counts.pending,
        "dead_total": counts.dead,
        "pause_reason": pause.reason_key if pause else None,
    }
    if args.json:
        print(json.dumps(data, indent=2))
    else:
        print(
            tr(
                "sync.cli.summary",
                delivered=len(report.delivered),
                retry=len(report.retry),
                dead=len(report.dead),
                pending=counts.pending,
                purged=purged,
            )
        )
        if pause is not None:
            print(tr(pause.reason_key, status=pause.status))
        elif not report.online:
            print(tr("sync.cli.offline", url=url))
    left = counts.pending or counts.dead or pause is not None or not report.online
    return 1 if left else 0


def run_enroll(args: argparse.Namespace) -> int:
    """``kiosk sync enroll``."""
    config = load_config()
    url = args.portal_url or config.portal.url
    if args.password_stdin:
        password = sys.stdin.readline().rstrip("\n")
    else:
        password = getpass.getpass(tr("sync.cli.password_prompt"))
    try:
        with PortalClient.for_config(config, url) as client:
            session = client.sign_in(args.username, password)
            credential = client.enroll_kiosk(
                session.access_token, args.name or config.desk.kiosk_name
            )
        with open_store(args, create=True) as store:
            store.set_device_credential(credential)
    except StorageFailure as error:
        print(error.translated(), file=sys.stderr)
        return EXIT_STORAGE
    except KioskError as error:
        print(error.translated(), file=sys.stderr)
        return 1
    print(tr("sync.cli.enrolled", kiosk_id=credential.kiosk_id))
    return 0
