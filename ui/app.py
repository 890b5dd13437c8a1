"""Composition of the desk GUI: the desk session, main window, customer display and the
bridge to the sync worker. ``kiosk`` (kiosk/cli/desk.py) calls :func:`run_desk_app`;
``kiosk demo`` and the end-to-end test call :func:`build_desk_app` with their own parts.
"""

from __future__ import annotations

import signal
import sys
from collections.abc import Callable
from dataclasses import dataclass, field
from datetime import UTC, datetime

from PySide6.QtCore import QObject, QTimer
from PySide6.QtGui import QGuiApplication
from PySide6.QtWidgets import QApplication

from kiosk import i18n
from kiosk.config import Config
from kiosk.emrtd.trust import TrustStore, trust_age_source
from kiosk.errors import KioskError
from kiosk.flow.desk import DeskSession
from kiosk.flow.enrolment import KioskEnrolment
from kiosk.flow.handover import HandoverBook
from kiosk.flow.wizard import Wizard
from kiosk.model import DeviceCredential
from kiosk.store import Store
from kiosk.sync.api import PortalApi
from kiosk.sync.pool import CodePool
from kiosk.sync.worker import DEFAULT_HEARTBEAT_INTERVAL_S, DESK_PROBE_INTERVAL_S, SyncWorker
from ui.customer_display import CustomerDisplay
from ui.fullscreen import show_fullscreen
from ui.main_window import MainWindow
from ui.step2.registry import MethodFactory, default_factories
from ui.sync_bridge import SyncBridge
from ui.tasks import Task
from ui.theme import apply_theme

_STOP_SIGNALS = (signal.SIGINT, signal.SIGTERM)


def application(argv: list[str] | None = None) -> QApplication:
    """The QApplication (created once), themed."""
    app = QApplication.instance()
    if not isinstance(app, QApplication):
        app = QApplication(argv if argv is not None else sys.argv[:1])
    apply_theme(app)
    return app


class KioskEnroller(QObject):
    """Runs :class:`kiosk.flow.enrolment.KioskEnrolment` for the desk: asks it on every
    change of the wizard and runs the portal call it hands out off the Qt thread.

    The policy (when, how often, what happens with the answer) is the headless one.
    """

    def __init__(self, enrolment: KioskEnrolment) -> None:
        super().__init__()
        self.enrolment = enrolment
        self.task: Task[DeviceCredential] | None = None

    def close(self) -> None:
        """Ignore an answer that arrives after the desk closed."""
        self.enrolment.close()

    def wizard_changed(self, wizard: Wizard) -> None:
        """Start the enrolment when the policy says it is due."""
        call = self.enrolment.request(wizard.state.session)
        if call is not None:
            self.task = Task(call)
            self.task.start(self._enrolled, self._failed)

    def _enrolled(self, credential: DeviceCredential) -> None:
        self.task = None
        self.enrolment.succeeded(credential)

    def _failed(self, exc: Exception) -> None:
        self.task = None
        self.enrolment.failed(exc)


@dataclass
class DeskApp:
    """The running desk's parts; :meth:`close` tears them down."""

    desk: DeskSession
    window: MainWindow
    customer: CustomerDisplay
    bridge: SyncBridge | None
    enroller: KioskEnroller | None = None
    on_close: list[Callable[[], None]] = field(default_factory=list)

    def close(self) -> None:
        """Close the windows and detach from the worker (idempotent)."""
        if self.bridge is not None:
            self.bridge.close()
            self.bridge = None
        if self.enroller is not None:
            self.enroller.close()
        self.window.shutdown()
        self.window.close()
        for callback in self.on_close:
            callback()
        self.on_close.clear()


def desk_methods(config: Config, trust_store: TrustStore) -> list[MethodFactory]:
    """The desk's step-2 methods (the registry's, most preferred first), bound to the
    desk's configuration and trust store, so no method loads either itself."""
    return default_factories(config, trust_store)


def build_desk_app(
    portal: PortalApi,
    store: Store,
    worker: SyncWorker | None,
    *,
    idle_timeout_s: float = 180,
    kiosk_name: str = "balie",
    pool: CodePool | None = None,
    now: Callable[[], datetime] = lambda: datetime.now(UTC),
    config: Config | None = None,
    trust_store: TrustStore | None = None,
    method_factories: list[MethodFactory] | None = None,
) -> DeskApp:
    """Wire a desk: session (portal + store as queue), windows, worker bridge, enroller.

    The step-2 methods are ``method_factories`` when given (tests, tools), else the
    registry's bound to ``config`` (default: the built-in defaults; the config file is
    loaded by the ``kiosk`` command and handed in through :func:`run_desk_with`) and
    ``trust_store`` (default: the one ``config`` names).
    """
    application()  # the QApplication exists and carries the theme before widgets are made
    if method_factories is None:
        config = config if config is not None else Config()
        trust_store = trust_store if trust_store is not None else TrustStore.for_config(config)
        method_factories = desk_methods(config, trust_store)
    desk = DeskSession(
        portal,
        store,
        now=now,
        reserve_code=pool.take if pool else None,
        kiosk_id=store.kiosk_id,
        handovers=HandoverBook(store, now),
    )
    window = MainWindow(desk, idle_timeout_s=idle_timeout_s, method_factories=method_factories)
    if worker is not None:
        window.on_retry = worker.retry_now
    customer = window.customer
    customer.attach_to_screens()
    bridge = SyncBridge(desk, worker, window) if worker is not None else None
    enroller = KioskEnroller(
        KioskEnrolment(
            portal,
            store,
            kiosk_name,
            on_enrolled=worker.resume if worker is not None else None,
            on_check_grant=desk.adopt_check_grant,
        )
    )
    desk.wizard.subscribe(enroller.wizard_changed)
    return DeskApp(desk, window, customer, bridge, enroller)


def run_desk_with(
    portal: PortalApi,
    store: Store,
    worker: SyncWorker,
    config: Config,
    *,
    pool: CodePool | None = None,
    fullscreen: bool | None = None,
    trust_store: TrustStore | None = None,
) -> int:
    """Show the desk with these parts, run the Qt event loop until the window closes, then
    stop the worker thread. The caller owns (and closes) ``portal`` and ``store``.

    The chip check verifies against ``trust_store``, by default the one ``config`` names
    (:meth:`TrustStore.for_config`)."""
    app = application()
    i18n.set_language(config.desk.language)
    desk_app = build_desk_app(
        portal,
        store,
        worker,
        idle_timeout_s=config.desk.idle_timeout_s,
        kiosk_name=config.desk.kiosk_name,
        pool=pool,
        config=config,
        trust_store=trust_store if trust_store is not None else TrustStore.for_config(config),
    )
    worker.start()
    if fullscreen if fullscreen is not None else config.desk.fullscreen:
        show_fullscreen(desk_app.window, QGuiApplication.primaryScreen())
    else:
        desk_app.window.resize(1366, 768)
        desk_app.window.show()
    # Ctrl-C or SIGTERM closes the desk cleanly (wipes, stops the worker, removes demo
    # files). Qt's loop does not run Python signal handlers by itself: a timer lets it.
    previous = {sig: signal.signal(sig, lambda *_a: app.quit()) for sig in _STOP_SIGNALS}
    pulse = QTimer()
    pulse.timeout.connect(lambda: None)
    pulse.start(250)
    try:
        return int(app.exec())
    finally:
        pulse.stop()
        for sig, handler in previous.items():
            signal.signal(sig, handler)
        desk_app.close()
        worker.stop()


def run_desk_app(config: Config, *, fullscreen: bool | None = None) -> int:
    """``kiosk``: the desk against ``config.portal.url`` with the store in the data dir."""
    from kiosk.store import open_default
    from kiosk.sync.client import PortalClient

    try:
        client = PortalClient.for_config(config)
    except KioskError as exc:
        print(exc.translated(), file=sys.stderr)
        return 2
    try:
        store = open_default(
            config.data_dir(),
            retention_days=config.storage.retention_days,
            key_store=config.storage.key_store,
        )
    except KioskError as exc:
        client.close()
        print(exc.translated(), file=sys.stderr)
        return 2
    pool = CodePool(store, client, store.device_token, size=config.portal.code_pool_size)
    worker = SyncWorker(
        store,
        client,
        store.device_token,
        poll_interval_s=config.portal.poll_interval_s,
        pool=pool,
        probe_interval_s=DESK_PROBE_INTERVAL_S,
        heartbeat_interval_s=DEFAULT_HEARTBEAT_INTERVAL_S,
        trust_list_age=trust_age_source(config.trust_dir()),
    )
    try:
        return run_desk_with(client, store, worker, config, pool=pool, fullscreen=fullscreen)
    finally:
        client.close()
        store.close()
