"""``kiosk fleet-sim``: simulate a fleet of kiosks against a portal on this machine.

``--kiosks N --registrations M [--portal URL --portal-db PATH|PG_URL] [--faults RATE] [--json]``

N simulated kiosks (each its own store file, device credential and sync worker;
:mod:`kiosk.fleet.sim`) commit and deliver M registrations each. Without ``--portal`` the
reference portal runs in this process on a loopback port with a fresh SQLite database;
with ``--portal`` (a loopback URL, seeded with the demo beheerder or ``--username``) the
portal's database ``--portal-db`` (a SQLite file or a ``postgresql://`` URL) is read for the
exactly-once check. ``--faults
0.1`` sends the sync traffic through a proxy that breaks 10 % of the requests (drops,
resets, delays, 5xx; :mod:`kiosk.fleet.faults`).

Prints delivered, lost and duplicated (rows per registration id in the portal's
database), throughput and the p50/p99 from the commit on the kiosk to the portal's
acknowledgement. Exit status 0 when every registration is at the portal exactly once,
1 otherwise, 2 on invalid arguments.
"""

from __future__ import annotations

import argparse
import contextlib
import json
import sys
import tempfile
from collections.abc import Iterator
from pathlib import Path
from typing import Any, TextIO

from kiosk.fleet.sim import RowCounter, SqliteRowCounter, row_counter
from kiosk.i18n import tr
from kiosk.portal.server import PortalServer


def register(subparsers: Any) -> None:
    """Add ``kiosk fleet-sim``."""
    parser = subparsers.add_parser(
        "fleet-sim",
        help="simulate many kiosks delivering to a portal on this machine",
        description=__doc__,
        formatter_class=argparse.RawDescriptionHelpFormatter,
    )
    parser.add_argument("--kiosks", type=int, required=True, metavar="N")
    parser.add_argument("--registrations", type=int, required=True, metavar="M")
    parser.add_argument("--portal", default=None, metavar="URL", help="a loopback portal URL")
    parser.add_argument(
        "--portal-db",
        default=None,
        help="that portal's database, a SQLite file or a postgresql:// URL (the check)",
    )
    parser.add_argument("--faults", type=float, default=0.0, metavar="RATE", help="0-1")
    parser.add_argument("--concurrency", type=int, default=64, help="kiosks active at once")
    parser.add_argument("--seed", type=int, default=0, help="seed of the fault choices")
    parser.add_argument("--deadline", type=float, default=600.0, metavar="S")
    parser.add_argument("--username", default="demo", help="beheerder who enrolls the kiosks")
    parser.add_argument("--password-stdin", action="store_true", help="read its password")
    parser.add_argument(
        "--backoff-base", type=float, default=None, metavar="S", help="default: the kiosk's"
    )
    parser.add_argument(
        "--backoff-cap", type=float, default=None, metavar="S", help="default: the kiosk's"
    )
    parser.add_argument("--json", action="store_true", help="print JSON")
    parser.set_defaults(handler=run_fleet_sim)


@contextlib.contextmanager
def local_portal(directory: Path, *, workers: int = 32) -> Iterator[tuple[str, SqliteRowCounter]]:
    """The reference portal on a loopback port with a fresh SQLite file in ``directory``,
    seeded with the demo beheerder: yields (url, row counter)."""
    Path(directory).mkdir(parents=True, exist_ok=True)
    db = Path(directory) / "portal.sqlite3"
    with PortalServer(db, workers=workers) as portal:
        portal.seed_demo()
        yield portal.url, SqliteRowCounter(db)


def run_fleet_sim(
    args: argparse.Namespace, stdin: TextIO | None = None, stdout: TextIO | None = None
) -> int:
    """Run the simulation and print its figures."""
    from kiosk.fleet.sim import FleetConfig, run_fleet
    from kiosk.sync.backoff import Backoff

    out = stdout or sys.stdout
    if (args.portal is None) != (args.portal_db is None):
        out.write(tr("fleet.sim.error.portal_db") + "\n")
        return 2
    if not 0.0 <= args.faults <= 1.0:
        out.write(tr("fleet.sim.error.faults") + "\n")
        return 2
    password = "demo"  # noqa: S105 - the documented demo account
    if args.password_stdin:
        password = (stdin or sys.stdin).readline().rstrip("\r\n")
    default = Backoff()
    backoff = Backoff(
        args.backoff_base if args.backoff_base is not None else default.base_s,
        args.backoff_cap if args.backoff_cap is not None else default.cap_s,
    )
    with contextlib.ExitStack() as stack:
        counter: RowCounter
        if args.portal is None:
            tmp = Path(stack.enter_context(tempfile.TemporaryDirectory(prefix="fleet-portal-")))
            url, counter = stack.enter_context(local_portal(tmp))
        else:
            url, counter = args.portal, row_counter(args.portal_db)
        config = FleetConfig(
            kiosks=args.kiosks,
            registrations=args.registrations,
            portal_url=url,
            username=args.username,
            password=password,
            faults=args.faults,
            concurrency=args.concurrency,
            seed=args.seed,
            deadline_s=args.deadline,
            backoff=backoff,
        )
        try:
            result = run_fleet(config, counter)
        except ValueError as err:
            out.write(tr("fleet.sim.error.config", reason=str(err)) + "\n")
            return 2
    if args.json:
        out.write(json.dumps(result.to_json(), indent=2) + "\n")
    else:
        out.write(tr("fleet.sim.summary", **result.to_json()) + "\n")
        out.write(tr("fleet.sim.latency", **result.to_json()) + "\n")
        if result.faults:
            faults = ", ".join(f"{kind} {n}" for kind, n in sorted(result.faults.items()))
            out.write(
                tr("fleet.sim.faults", faults=faults, requests=result.proxied_requests) + "\n"
            )
    return 0 if result.exactly_once else 1
