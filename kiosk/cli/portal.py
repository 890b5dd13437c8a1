"""``kiosk portal``: run the reference portal and manage its accounts.

``serve [--host 127.0.0.1] [--port 8443] [--db PATH] [--demo] [--code-ttl MIN]
[--pool-ttl DAYS] [--cert PEM --key PEM] [--workers N] [--threads N] [--backlog N]``
serves portal contract v1 on uvicorn (``--workers`` processes, each with its own store on
the ``--db`` file; an in-memory database takes one worker only)
(``/v1/openapi.json`` is the contract) until Ctrl-C or SIGTERM. With ``--cert``/``--key``
it serves HTTPS; without them only on a loopback address (plain HTTP never leaves the
machine), and a non-loopback ``--host`` is refused. ``--demo`` seeds the demo beheerder
``demo``/``demo`` with two organisations. Without it the database starts empty; add accounts with

    kiosk portal add-beheerder --db PATH --username NAME --name "Full Name" \\
        --organisation org-1:"Zorggroep Oost" [--organisation ID:NAME ...] \\
        [--password-stdin] [--totp]

which asks for the password (or reads one line from standard input) and, with ``--totp``,
prints a new TOTP secret that sign-in then requires. Kiosks are managed with

    kiosk portal list-kiosks --db PATH [--json]
    kiosk portal revoke-kiosk --db PATH KIOSK_ID [--json]

``revoke-kiosk`` kills the kiosk's device tokens and check grants at once (a stolen or
retired kiosk; a beheerder can do the same over HTTP with ``DELETE /v1/kiosks/{kiosk_id}``).
A beheerder sees the fleet of their own organisations over HTTP, each kiosk with its latest
heartbeat (version, queue depth, dead letters, ages, last sync), and revokes one from there:

    kiosk portal fleet --username NAME [--portal-url URL] [--password-stdin] [--json]
    kiosk portal fleet --username NAME --revoke KIOSK_ID
The database defaults to ``portal.db`` in the platform data directory; ``--db`` takes a
SQLite file or a PostgreSQL URL such as ``postgresql://portal@/portal?host=/run/postgresql``
(docs/portal-db.md).
"""

from __future__ import annotations

import argparse
import getpass
import json
import logging
import signal
import ssl
import sys
import threading
from datetime import timedelta
from pathlib import Path
from typing import Any, TextIO

import platformdirs

from kiosk.config import APP_NAME
from kiosk.i18n import tr


def default_db() -> Path:
    """``portal.db`` in the platform data directory."""
    return platformdirs.user_data_path(APP_NAME) / "portal.db"


_DB_HELP = "SQLite database file, or a postgresql:// URL (docs/portal-db.md)"


def register(subparsers: Any) -> None:
    """Add the ``portal`` command and its ``serve`` and ``add-beheerder`` actions."""
    parser = subparsers.add_parser(
        "portal",
        help="run the reference portal (contract v1) or add beheerder accounts",
        description=__doc__,
        formatter_class=argparse.RawDescriptionHelpFormatter,
    )
    actions = parser.add_subparsers(dest="portal_command", metavar="ACTION", required=True)

    serve = actions.add_parser("serve", help="serve the reference portal until Ctrl-C/SIGTERM")
    serve.add_argument("--host", default="127.0.0.1", help="address to listen on")
    serve.add_argument("--port", type=int, default=8443, help="port (0 picks a free one)")
    serve.add_argument("--db", type=_db_arg, default=None, help=_DB_HELP)
    serve.add_argument("--demo", action="store_true", help="seed the demo beheerder demo/demo")
    serve.add_argument(
        "--code-ttl", type=float, default=15, metavar="MIN", help="life of a live code (minutes)"
    )
    serve.add_argument(
        "--pool-ttl", type=float, default=7, metavar="DAYS", help="life of a pool code (days)"
    )
    serve.add_argument("--cert", type=Path, default=None, help="TLS certificate chain (PEM)")
    serve.add_argument(
        "--key", type=Path, default=None, help="TLS private key (PEM; default: in --cert)"
    )
    serve.add_argument(
        "--workers", type=int, default=1, help="worker processes (uvicorn; >1 needs --db FILE)"
    )
    serve.add_argument(
        "--threads", type=int, default=32, help="threads per worker for database calls"
    )
    serve.add_argument("--backlog", type=int, default=1024, help="listen(2) backlog")
    serve.set_defaults(handler=run_serve)

    add = actions.add_parser("add-beheerder", help="add a beheerder account")
    add.add_argument("--db", type=_db_arg, default=None, help=_DB_HELP)
    add.add_argument("--username", required=True)
    add.add_argument("--name", required=True, help="full name shown in the kiosk")
    add.add_argument(
        "--organisation",
        action="append",
        required=True,
        metavar="ID:NAME",
        help="an organisation this beheerder manages (repeat for several)",
    )
    add.add_argument("--id", default=None, help="beheerder id (default: the username)")
    add.add_argument(
        "--password-stdin", action="store_true", help="read the password from standard input"
    )
    add.add_argument("--totp", action="store_true", help="require a TOTP code at sign-in")
    add.set_defaults(handler=run_add_beheerder)

    kiosks = actions.add_parser("list-kiosks", help="list enrolled kiosks")
    kiosks.add_argument("--db", type=_db_arg, default=None, help=_DB_HELP)
    kiosks.add_argument("--json", action="store_true", help="print JSON")
    kiosks.set_defaults(handler=run_list_kiosks)

    revoke = actions.add_parser(
        "revoke-kiosk", help="revoke a kiosk: its device tokens and check grants die"
    )
    revoke.add_argument("kiosk_id", help="the kiosk's id (see list-kiosks)")
    revoke.add_argument("--db", type=_db_arg, default=None, help=_DB_HELP)
    revoke.add_argument("--json", action="store_true", help="print JSON")
    revoke.set_defaults(handler=run_revoke_kiosk)

    fleet = actions.add_parser(
        "fleet", help="as a beheerder: the kiosks of your organisations and their heartbeats"
    )
    fleet.add_argument("--username", required=True, help="beheerder user name")
    fleet.add_argument("--portal-url", default=None, help="portal base URL (default: portal.url)")
    fleet.add_argument("--password-stdin", action="store_true", help="read the password")
    fleet.add_argument("--totp", default=None, help="TOTP code, when the account needs one")
    fleet.add_argument("--revoke", default=None, metavar="KIOSK_ID", help="revoke this kiosk")
    fleet.add_argument("--json", action="store_true", help="print JSON")
    fleet.set_defaults(handler=run_fleet)


def _db_arg(value: str) -> Path | str:
    """``--db``: a ``postgresql://`` URL as it is, anything else a SQLite file path."""
    from kiosk.portal.db import is_postgres_url

    return value if is_postgres_url(value) else Path(value)


def _db_path(value: Path | str | None) -> Path | str:
    if isinstance(value, str):
        return value  # a PostgreSQL URL (_db_arg)
    path = value or default_db()
    path.parent.mkdir(parents=True, exist_ok=True)
    return path


def _serve_workers(args: argparse.Namespace, db: Path | str, workers: int, out: TextIO) -> int:
    """Serve with several worker processes (uvicorn's supervisor) until SIGINT/SIGTERM.

    The parent migrates the database (and seeds the demo) once, binds the socket and
    hands it to the workers; each worker opens its own store on the same database (SQLite's
    ``BEGIN IMMEDIATE`` serialises the writers across processes; PostgreSQL isolates them
    itself, docs/portal-db.md).
    """
    from kiosk.log import configure_logging
    from kiosk.portal.asgi import WorkerSettings, bind_socket, serve_workers
    from kiosk.portal.server import PortalServer

    configure_logging()
    setup = PortalServer(db)  # migrates; never started
    try:
        if args.demo:
            setup.seed_demo()
        empty = setup.store.beheerder_count() == 0
    finally:
        setup.stop()
    try:
        sock = bind_socket(args.host, args.port, args.backlog)
    except OSError as err:
        out.write(
            tr("portal_server.error.bind", host=args.host, port=args.port, reason=err.strerror)
            + "\n"
        )
        return 2
    scheme = "https" if args.cert is not None else "http"
    host = f"[{args.host}]" if ":" in args.host else args.host
    out.write(
        tr(
            "portal_server.listening",
            url=f"{scheme}://{host}:{sock.getsockname()[1]}",
            db=_db_label(db),
        )
        + "\n"
    )
    if empty:
        out.write(tr("portal_server.no_accounts", db=_db_label(db)) + "\n")
    out.write(tr("portal_server.stop_hint") + "\n")
    out.flush()
    settings = WorkerSettings(str(db), args.code_ttl, args.pool_ttl, max(1, args.threads))
    try:
        serve_workers(settings, sock, workers=workers, cert=args.cert, key=args.key)
    finally:
        sock.close()
    return 0


def _db_label(db: Path | str) -> str:
    """The database for a message: a URL without its password."""
    from kiosk.portal.db import redacted

    return redacted(str(db))


def run_serve(
    args: argparse.Namespace,
    stdout: TextIO | None = None,
    stop: threading.Event | None = None,
    ready: threading.Event | None = None,
) -> int:
    """Serve until ``stop`` is set (SIGINT/SIGTERM set it when run from the main thread)."""
    from kiosk.log import configure_logging
    from kiosk.portal.app import (
        DEMO_ORGANISATIONS,
        DEMO_PASSWORD,
        DEMO_USERNAME,
    )
    from kiosk.portal.asgi import server_tls_context
    from kiosk.portal.server import PortalServer
    from kiosk.sync.client import is_loopback_host

    out = stdout or sys.stdout
    stop = stop or threading.Event()
    tls: ssl.SSLContext | None = None
    cert, key = getattr(args, "cert", None), getattr(args, "key", None)
    if key is not None and cert is None:
        out.write(tr("portal_server.error.tls", reason="--key without --cert") + "\n")
        return 2
    if cert is not None:
        try:
            tls = server_tls_context(cert, key)
        except (OSError, ssl.SSLError) as err:
            out.write(tr("portal_server.error.tls", reason=str(err)) + "\n")
            return 2
    elif not is_loopback_host(args.host):
        out.write(tr("portal_server.error.plain_http", host=args.host) + "\n")
        return 2
    workers = max(1, getattr(args, "workers", 1))
    if workers > 1 and str(args.db) == ":memory:":
        out.write(tr("portal_server.error.memory_workers", workers=workers) + "\n")
        return 2
    db = _db_path(args.db)
    if workers > 1:
        return _serve_workers(args, db, workers, out)
    handler = configure_logging()
    portal = PortalServer(
        db,
        args.host,
        args.port,
        code_ttl=timedelta(minutes=args.code_ttl),
        pool_ttl=timedelta(days=args.pool_ttl),
        tls=tls,
        workers=max(1, getattr(args, "threads", 32)),
        backlog=getattr(args, "backlog", 1024),
    )
    try:
        portal.start()
    except OSError as err:
        portal.stop()
        out.write(
            tr("portal_server.error.bind", host=args.host, port=args.port, reason=err.strerror)
            + "\n"
        )
        return 2
    try:
        if args.demo:
            portal.seed_demo()
        out.write(tr("portal_server.listening", url=portal.url, db=_db_label(db)) + "\n")
        if args.demo:
            names = ", ".join(f"{org_id} {name}" for org_id, name in DEMO_ORGANISATIONS)
            out.write(
                tr(
                    "portal_server.demo",
                    username=DEMO_USERNAME,
                    password=DEMO_PASSWORD,
                    organisations=names,
                )
                + "\n"
            )
        elif portal.store.beheerder_count() == 0:
            out.write(tr("portal_server.no_accounts", db=_db_label(db)) + "\n")
        out.write(tr("portal_server.stop_hint") + "\n")
        out.flush()
        if threading.current_thread() is threading.main_thread():
            for signum in (signal.SIGINT, signal.SIGTERM):
                signal.signal(signum, lambda *_: stop.set())
        if ready is not None:
            ready.set()
        stop.wait()
    finally:
        portal.stop()
        for name in ("kiosk", "ui"):
            logging.getLogger(name).removeHandler(handler)
    return 0


def run_add_beheerder(
    args: argparse.Namespace, stdin: TextIO | None = None, stdout: TextIO | None = None
) -> int:
    """Add a beheerder (and its organisations) to the portal database; 0 on success."""
    from kiosk.portal.accounts import new_totp_secret
    from kiosk.portal.store import PortalStore

    out = stdout or sys.stdout
    organisations: list[tuple[str, str]] = []
    for value in args.organisation:
        org_id, sep, name = value.partition(":")
        if not sep or not org_id.strip() or not name.strip():
            out.write(tr("portal_server.error.organisation", value=value) + "\n")
            return 2
        organisations.append((org_id.strip(), name.strip()))
    if args.password_stdin:
        password = (stdin or sys.stdin).readline().rstrip("\r\n")
    else:
        password = getpass.getpass(tr("portal_server.password_prompt", username=args.username))
    if not password:
        out.write(tr("portal_server.error.password") + "\n")
        return 2
    secret = new_totp_secret() if args.totp else None
    store = PortalStore(_db_path(args.db))
    try:
        for org_id, name in organisations:
            store.add_organisation(org_id, name)
        beheerder_id = store.add_beheerder(
            args.username,
            args.name,
            password,
            [org_id for org_id, _ in organisations],
            beheerder_id=args.id,
            totp_secret=secret,
        )
    except ValueError as err:
        out.write(tr("portal_server.error.account", reason=str(err)) + "\n")
        return 1
    finally:
        store.close()
    out.write(
        tr(
            "portal_server.added",
            username=args.username,
            id=beheerder_id,
            organisations=", ".join(org_id for org_id, _ in organisations),
        )
        + "\n"
    )
    if secret:
        out.write(tr("portal_server.totp_secret", secret=secret) + "\n")
    return 0


def run_list_kiosks(args: argparse.Namespace, stdout: TextIO | None = None) -> int:
    """Print the portal's kiosks with their organisations and whether they are revoked."""
    from kiosk.portal.store import PortalStore

    out = stdout or sys.stdout
    store = PortalStore(_db_path(args.db))
    try:
        kiosks = store.kiosks()
    finally:
        store.close()
    if args.json:
        out.write(json.dumps({"kiosks": kiosks}, indent=2) + "\n")
        return 0
    if not kiosks:
        out.write(tr("portal_server.no_kiosks") + "\n")
    for kiosk in kiosks:
        state = (
            tr("portal_server.kiosk_revoked", revoked_at=kiosk["revoked_at"])
            if kiosk["revoked_at"]
            else tr("portal_server.kiosk_active")
        )
        out.write(
            tr(
                "portal_server.kiosk",
                kiosk_id=kiosk["id"],
                name=kiosk["name"],
                enrolled_by=kiosk["enrolled_by"],
                created_at=kiosk["created_at"],
                organisations=", ".join(kiosk["organisations"]),
                state=state,
            )
            + "\n"
        )
    return 0


def run_revoke_kiosk(args: argparse.Namespace, stdout: TextIO | None = None) -> int:
    """Revoke a kiosk as the operator; 0 when revoked (or already), 1 when unknown."""
    from kiosk.portal.store import ApiFailure, PortalStore

    out = stdout or sys.stdout
    db = _db_path(args.db)
    store = PortalStore(db)
    try:
        store.revoke_kiosk(args.kiosk_id)
    except ApiFailure:
        if args.json:
            out.write(json.dumps({"kiosk_id": args.kiosk_id, "revoked": False}) + "\n")
        else:
            label = _db_label(db)
            out.write(tr("portal_server.error.no_kiosk", kiosk_id=args.kiosk_id, db=label) + "\n")
        return 1
    finally:
        store.close()
    if args.json:
        out.write(json.dumps({"kiosk_id": args.kiosk_id, "revoked": True}) + "\n")
    else:
        out.write(tr("portal_server.revoked", kiosk_id=args.kiosk_id) + "\n")
    return 0


def run_fleet(
    args: argparse.Namespace, stdin: TextIO | None = None, stdout: TextIO | None = None
) -> int:
    """``kiosk portal fleet``: sign in as a beheerder, list (or revoke) their kiosks.

    0 on success, 1 when the portal refused (wrong password, unknown kiosk) or is down."""
    from kiosk.config import load_config
    from kiosk.errors import KioskError
    from kiosk.sync.client import PortalClient

    out = stdout or sys.stdout
    config = load_config()
    url = args.portal_url or config.portal.url
    if args.password_stdin:
        password = (stdin or sys.stdin).readline().rstrip("\r\n")
    else:
        password = getpass.getpass(tr("portal_server.password_prompt", username=args.username))
    try:
        with PortalClient.for_config(config, url) as client:
            session = client.sign_in(args.username, password, args.totp)
            if args.revoke is not None:
                client.revoke_kiosk(session.access_token, args.revoke)
            kiosks = client.list_kiosks(session.access_token)
    except KioskError as error:
        out.write(error.translated() + "\n")
        return 1
    if args.json:
        data: dict[str, Any] = {"kiosks": kiosks}
        if args.revoke is not None:
            data["revoked"] = args.revoke
        out.write(json.dumps(data, indent=2) + "\n")
        return 0
    if args.revoke is not None:
        out.write(tr("portal_server.revoked", kiosk_id=args.revoke) + "\n")
    if not kiosks:
        out.write(tr("portal_server.fleet.empty") + "\n")
    for kiosk in kiosks:
        out.write(_fleet_line(kiosk) + "\n")
    return 0


def _fleet_line(kiosk: dict[str, Any]) -> str:
    state = (
        tr("portal_server.kiosk_revoked", revoked_at=kiosk.get("revoked_at"))
        if kiosk.get("revoked_at")
        else tr("portal_server.kiosk_active")
    )
    beat = kiosk.get("heartbeat")
    if not isinstance(beat, dict):
        health = tr("portal_server.fleet.no_heartbeat")
    else:
        health = tr(
            "portal_server.fleet.heartbeat",
            version=beat.get("version"),
            queue=beat.get("queue_depth"),
            dead=beat.get("dead_letters"),
            oldest=_age(beat.get("oldest_pending_age_s")),
            trust=_age(beat.get("trust_list_age_s")),
            last_sync=beat.get("last_sync_at") or "-",
            received=beat.get("received_at"),
        )
    return tr(
        "portal_server.fleet.kiosk",
        kiosk_id=kiosk.get("kiosk_id"),
        name=kiosk.get("name"),
        organisations=", ".join(str(o) for o in kiosk.get("organisations") or []),
        state=state,
        health=health,
    )


def _age(seconds: Any) -> str:
    """An age in seconds as ``3 d 4 h``, ``5 h 2 min``, ``7 min`` or ``12 s``; "-" for None."""
    if not isinstance(seconds, int):
        return "-"
    days, rest = divmod(seconds, 86400)
    hours, rest = divmod(rest, 3600)
    minutes, secs = divmod(rest, 60)
    if days:
        return f"{days} d {hours} h"
    if hours:
        return f"{hours} h {minutes} min"
    if minutes:
        return f"{minutes} min"
    return f"{secs} s"
