"""``kiosk demo``: try the whole desk on a laptop, with nothing else running.

Starts the reference portal in this process on a free loopback port, over HTTPS with a
certificate from a throwaway local CA (``trustme``), with its own temporary
database seeded with the demo beheerder ``demo``/``demo`` and two organisations; a temporary
encrypted store (key file in the same temporary folder, never the OS keyring); the kiosk's
device credential enrolled through the portal; the sync worker; and the desk GUI pointed at
all of it. Everything is deleted when the window closes.

When pcscd runs with vsmartcard's vpcd, the demo also places an emulated Dutch passport
(PACE, chip authentication, signed under the TEST ONLY CSCA that only the demo trusts) on the
virtual reader and prints its access data, so the chip page has a document to read.

Extension point: :data:`DEMO_HOOKS`. A hook is called with the :class:`DemoContext` after the
portal and store are up and before the GUI starts, and may return a function that undoes
what it started.
"""

from __future__ import annotations

import argparse
import importlib
import ssl
import sys
import tempfile
from collections.abc import Callable
from dataclasses import dataclass, field, replace
from pathlib import Path
from typing import Any, TextIO

from kiosk.config import Config, load_config
from kiosk.errors import KioskError
from kiosk.i18n import tr


@dataclass
class DemoContext:
    """What a demo hook may use: the portal URL, the temporary folder, the configuration,
    and ``messages`` (lines printed with the sign-in instructions)."""

    portal_url: str
    data_dir: Path
    config: Config
    messages: list[str] = field(default_factory=list)
    vpcd_port: int = 35963


DemoHook = Callable[[DemoContext], Callable[[], None] | None]

#: Setup functions run before the GUI starts (e.g. the emulated document); see module doc.
DEMO_HOOKS: list[DemoHook] = []

#: The document the demo places on vpcd's virtual reader.
DEMO_DOCUMENT = "nl_passport_2024"


def emulated_document(context: DemoContext) -> Callable[[], None] | None:
    """Place the demo passport on vpcd's virtual reader when pcscd + vpcd run here.

    Its data is synthetic (an invented person, signed under the TEST ONLY CSCA, which the
    demo trusts through ``trust.test_anchors``), so printing its access key is harmless.
    Without vpcd the demo still works with the MRZ methods; the message says how to get
    the chip too.
    """
    from kiosk.emulator import Emulator
    from kiosk.mrz import parse_mrz

    try:
        emulator = Emulator(port=context.vpcd_port, profile=DEMO_DOCUMENT, connect_timeout_s=2.0)
        emulator.start()
    except OSError:
        context.messages.append(tr("demo.chip_unavailable", port=context.vpcd_port))
        return None
    profile = emulator.profile
    parsed = parse_mrz(profile.mrz)
    context.messages.append(
        tr(
            "demo.chip_ready",
            number=parsed.document_number,
            birth=parsed.birth_date.strftime("%d-%m-%Y") if parsed.birth_date else "",
            expiry=parsed.expiry_date.strftime("%d-%m-%Y") if parsed.expiry_date else "",
            can=profile.can or "",
            mrz=" | ".join(profile.mrz.splitlines()),
        )
    )
    return emulator.stop


def register(subparsers: Any) -> None:
    """Add ``kiosk demo``."""
    parser = subparsers.add_parser(
        "demo",
        help="run the desk with an in-process reference portal (sign in with demo / demo)",
        description=__doc__,
        formatter_class=argparse.RawDescriptionHelpFormatter,
    )
    parser.add_argument("--port", type=int, default=0, help="portal port (default: a free one)")
    parser.add_argument(
        "--language", choices=("nl", "en"), default=None, help="UI language (default: nl)"
    )
    parser.add_argument("--fullscreen", action="store_true", help="start the desk fullscreen")
    parser.add_argument(
        "--vpcd-port",
        type=int,
        default=35963,
        help="vpcd port for the emulated passport (default 35963, vpcd's slot 0)",
    )
    parser.add_argument(
        "--no-document",
        action="store_true",
        help="do not place the emulated passport on the virtual reader",
    )
    parser.add_argument(
        "--no-gui",
        action="store_true",
        help="start portal, store and sync, print the sign-in details, check and exit",
    )
    parser.set_defaults(handler=run_demo)


def run_demo(args: argparse.Namespace, out: TextIO | None = None) -> int:
    """Start the demo; returns the exit code when the window closes."""
    out = out or sys.stdout
    with tempfile.TemporaryDirectory(prefix="kiosk-demo-") as folder:
        try:
            return _run(args, Path(folder), out)
        except KioskError as exc:
            print(exc.translated(), file=sys.stderr)
            return 2


def _run(args: argparse.Namespace, folder: Path, out: TextIO) -> int:
    from kiosk.portal import PortalServer
    from kiosk.portal.server import DEMO_PASSWORD, DEMO_USERNAME
    from kiosk.store import FileKeyProvider, Store
    from kiosk.sync.client import PortalClient
    from kiosk.sync.pool import CodePool
    from kiosk.sync.worker import DESK_PROBE_INTERVAL_S, SyncWorker

    base = load_config()
    desk = replace(
        base.desk,
        language=args.language or base.desk.language,
        fullscreen=args.fullscreen,
        kiosk_name="demo-balie",
    )
    # HTTPS as on a desk, with a CA made for this run only (trustme): its certificate is
    # trusted by this process's client alone and its key never leaves memory.
    import trustme

    authority = trustme.CA()
    server_tls = ssl.create_default_context(ssl.Purpose.CLIENT_AUTH)
    authority.issue_cert("127.0.0.1", "localhost").configure_cert(server_tls)
    client_tls = ssl.create_default_context()
    authority.configure_trust(client_tls)
    server = PortalServer(folder / "portal.sqlite3", port=args.port, tls=server_tls)
    server.seed_demo()
    server.start()
    undo: list[Callable[[], None]] = [server.stop]
    try:
        portal = replace(base.portal, url=server.url, poll_interval_s=2.0)
        # The demo's documents are signed under the TEST ONLY CSCA: trusted here, never on a
        # desk (kiosk.emrtd.trust).
        trust = replace(base.trust, test_anchors=True)
        config = replace(base, desk=desk, portal=portal, trust=trust)
        client = PortalClient(server.url, timeout=config.portal.timeout_s, verify=client_tls)
        undo.append(client.close)
        store = Store.open(folder / "kiosk.sqlite3", FileKeyProvider(folder / "store.key"))
        undo.append(store.close)
        # The kiosk's own credential, as a desk gets it on first sign-in (DESIGN.md 6).
        session = client.sign_in(DEMO_USERNAME, DEMO_PASSWORD)
        store.set_device_credential(client.enroll_kiosk(session.access_token, "demo-balie"))
        pool = CodePool(store, client, store.device_token, size=config.portal.code_pool_size)
        worker = SyncWorker(
            store,
            client,
            store.device_token,
            poll_interval_s=config.portal.poll_interval_s,
            pool=pool,
            probe_interval_s=DESK_PROBE_INTERVAL_S,
        )

        def stop_worker() -> None:
            worker.stop()

        undo.append(stop_worker)
        context = DemoContext(server.url, folder, config, vpcd_port=args.vpcd_port)
        hooks = [*DEMO_HOOKS] if args.no_document else [emulated_document, *DEMO_HOOKS]
        for hook in hooks:
            stop = hook(context)
            if stop is not None:
                undo.append(stop)
        print(tr("demo.started", url=server.url), file=out)
        print(tr("demo.sign_in", username=DEMO_USERNAME, password=DEMO_PASSWORD), file=out)
        for line in context.messages:
            print(line, file=out)
        if args.no_gui:
            worker.start()
            healthy = client.health()
            print(tr("demo.health_ok") if healthy else tr("demo.health_failed"), file=out)
            return 0 if healthy else 1
        # Imported by name: the headless core has no static dependency on the Qt UI.
        ui_app = importlib.import_module("ui.app")
        code: int = ui_app.run_desk_with(client, store, worker, config, pool=pool)
        return code
    finally:
        for step in reversed(undo):
            step()
