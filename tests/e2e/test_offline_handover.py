"""Issue 11, "Done when": the whole offline handover with the real portal stopped mid-flow.

The reference portal over HTTP on loopback, the encrypted store file, the sync worker thread
and the real desk. The portal goes away after sign-in: the status bar says so within
seconds, the registration gets a pool QR at once (decoded from the customer display's
pixels), the beheerder goes on to the next employee, the portal comes back and the queued
registration is delivered at once (the health probe ends the back-off), the QR is shown
again from "Openstaande overdrachten", then again after a restart (a new desk app on the
same store file), and the app simulator enrolls with it.
"""

from __future__ import annotations

import time

import cv2
from PySide6.QtWidgets import QPushButton

from kiosk import appsim, i18n
from kiosk.flow.handover import HandoverState
from kiosk.flow.wizard import Step
from kiosk.portal import PortalServer
from kiosk.store import FileKeyProvider, OutboxState, Store
from kiosk.sync.backoff import Backoff
from kiosk.sync.client import PortalClient
from kiosk.sync.pool import CodePool
from kiosk.sync.worker import DESK_PROBE_INTERVAL_S, SyncWorker
from tests.e2e.test_desk_registration import fill_steps_1_and_2, grab_rgb, sign_in
from tests.ui.conftest import GIVEN, PERSONAL_TEXTS, SURNAME, desk_methods
from tests.ui.personal import personal_leftovers
from ui.app import build_desk_app
from ui.customer_display import Mode


def desk_parts(tmp_path, client):
    store = Store.open(tmp_path / "kiosk.sqlite3", FileKeyProvider(tmp_path / "kiosk.key"))
    pool = CodePool(store, client, store.device_token, size=2)
    worker = SyncWorker(
        store,
        client,
        store.device_token,
        poll_interval_s=0.3,
        max_idle_s=0.5,
        pool=pool,
        pool_refill_interval_s=0.3,
        # A back-off that would park the queue for minutes: the probe must cut it short.
        backoff=Backoff(base_s=300, cap_s=300),
        probe_interval_s=DESK_PROBE_INTERVAL_S,
        offline_probe_interval_s=0.5,
    )
    return store, pool, worker


def decode(display) -> str:
    payload, _points, _ = cv2.QRCodeDetector().detectAndDecode(grab_rgb(display))
    return payload


def test_the_whole_offline_handover(qtbot, tmp_path):
    db = tmp_path / "portal.sqlite3"
    portal = PortalServer(db)
    portal.seed_demo()
    portal.start()
    port = int(portal.url.rsplit(":", 1)[1])
    client = PortalClient(portal.url, timeout=2.0)
    store, pool, worker = desk_parts(tmp_path, client)
    app = build_desk_app(client, store, worker, pool=pool, method_factories=desk_methods())
    qtbot.addWidget(app.window)
    window, desk = app.window, app.desk
    window.resize(1366, 768)
    window.show()
    worker.start()
    revived = None
    second = None
    try:
        sign_in(qtbot, window, desk)
        qtbot.waitUntil(lambda: pool.available() == 2, timeout=10000)
        assert window.portal_status.text() == i18n.tr("ui.status.portal_online")

        # The portal goes away: the desk says so within seconds (one probe interval).
        portal.stop()
        lost = time.monotonic()
        qtbot.waitUntil(lambda: desk.online is False, timeout=int(DESK_PROBE_INTERVAL_S * 2000))
        noticed_s = time.monotonic() - lost
        assert noticed_s <= DESK_PROBE_INTERVAL_S + 1.5
        assert window.portal_status.text() == i18n.tr("ui.status.portal_offline")

        # A pool QR at once, saying it activates when the desk is back online.
        fill_steps_1_and_2(window)
        window.primary()
        window.primary()
        rid = desk.state.registration_id
        assert desk.step is Step.HANDOVER and app.customer.mode is Mode.QR
        assert app.customer.state.content.activates_later
        payload = decode(app.customer)
        assert payload and payload == desk.state.enrollment.qr_payload
        handover = window.pages[Step.HANDOVER]
        assert handover.pooled.isVisibleTo(handover)

        # "Volgende medewerker": the handover stays on the list.
        assert window.primary_button.text() == i18n.tr("ui.nav.new_registration")
        window.primary()
        assert desk.step is Step.ORGANISATION and app.customer.mode is Mode.WELCOME
        (entry,) = desk.open_handovers()
        assert entry.call_name == "Willeke B." and entry.state is HandoverState.NOT_ACTIVE
        assert window.handovers_button.text() == i18n.tr("ui.status.handovers", count=1)
        # A waiting queue can be retried by hand.
        qtbot.waitUntil(lambda: window.retry_button.isVisibleTo(window), timeout=5000)

        # The portal comes back: the probe ends the 300 s back-off, delivery is immediate.
        revived = PortalServer(db, port=port).start()
        back = time.monotonic()
        qtbot.waitUntil(lambda: store.item(rid).state is OutboxState.DONE, timeout=10000)
        delivered_s = time.monotonic() - back
        assert delivered_s < 5
        qtbot.waitUntil(lambda: desk.open_handovers()[0].state is HandoverState.LIVE, timeout=5000)

        # Shown again from the list.
        panel = window.show_handovers()
        panel.select(rid)
        assert panel.show_button.isEnabled()
        panel.show_button.click()
        assert desk.step is Step.HANDOVER and app.customer.mode is Mode.QR
        assert decode(app.customer) == payload
        window.primary()  # next employee again; sign out too
        window.sign_out()
        assert desk.open_handovers() == []  # nobody signed in: no names on screen
    finally:
        app.close()
        worker.stop()
        store.close()

    # A restart: a new desk app on the same store file.
    store, pool, worker = desk_parts(tmp_path, client)
    second = build_desk_app(client, store, worker, pool=pool, method_factories=desk_methods())
    qtbot.addWidget(second.window)
    window, desk = second.window, second.desk
    window.show()
    worker.start()
    try:
        sign_in(qtbot, window, desk)
        (entry,) = desk.open_handovers()
        assert entry.registration_id == rid and entry.state is HandoverState.LIVE
        panel = window.show_handovers()
        panel.select(rid)
        panel.show_button.click()
        assert desk.step is Step.HANDOVER and second.customer.mode is Mode.QR
        scanned = decode(second.customer)
        assert scanned == payload

        # The employee's phone scans it and enrolls; the desk follows to done.
        result = appsim.enroll(revived.url, scanned)
        assert result.display_name == f"{GIVEN} {SURNAME}"
        qtbot.waitUntil(lambda: desk.step is Step.DONE, timeout=15000)
        assert desk.open_handovers() == [] and store.handovers() == []
        assert personal_leftovers([window, second.customer, panel], PERSONAL_TEXTS) == []
    finally:
        second.close()
        worker.stop()
        client.close()
        store.close()
        (revived or portal).stop()


def test_stopping_from_the_list_asks_first_and_kills_the_code(qtbot, tmp_path):
    portal = PortalServer(tmp_path / "portal.sqlite3")
    portal.seed_demo()
    portal.start()
    client = PortalClient(portal.url, timeout=2.0)
    store, pool, worker = desk_parts(tmp_path, client)
    app = build_desk_app(client, store, worker, pool=pool, method_factories=desk_methods())
    qtbot.addWidget(app.window)
    window, desk = app.window, app.desk
    window.show()
    worker.start()
    try:
        sign_in(qtbot, window, desk)
        qtbot.waitUntil(lambda: desk.online is True, timeout=10000)
        fill_steps_1_and_2(window)
        window.primary()
        window.primary()
        rid = desk.state.registration_id
        qtbot.waitUntil(lambda: desk.step is Step.HANDOVER, timeout=15000)
        payload = desk.state.enrollment.qr_payload
        window.primary()  # next employee
        panel = window.show_handovers()
        panel.select(rid)
        panel.stop_button.click()
        assert len(desk.open_handovers()) == 1  # not before the answer
        panel.confirm.findChild(QPushButton, "stopConfirmYes").click()
        assert desk.open_handovers() == []
        token = store.device_token()
        qtbot.waitUntil(
            lambda: client.get_registration(token, rid).status.value == "cancelled", timeout=10000
        )
        assert appsim.enroll(portal.url, payload).status == 410
    finally:
        app.close()
        worker.stop()
        client.close()
        store.close()
        portal.stop()
