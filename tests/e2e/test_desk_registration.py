"""A whole registration at the desk, with real parts only.

The real wizard (driven with qtbot key clicks), the reference portal over HTTP on loopback,
the encrypted store in a temp file and the sync worker thread. The kiosk enrolls itself with
the first sign-in, the registration is queued and delivered, the customer display's pixels
are decoded back to the QR, the app simulator enrolls with it, and the desk reaches 'done'
with no personal text left in any widget.
"""

from __future__ import annotations

import cv2
import numpy as np
import pytest
from PySide6.QtCore import Qt
from PySide6.QtWidgets import QPushButton

from kiosk import appsim, i18n
from kiosk.flow.wizard import Step
from kiosk.model import CheckMethod
from kiosk.portal import PortalServer
from kiosk.store import FileKeyProvider, OutboxState, Store
from kiosk.sync.client import PortalClient
from kiosk.sync.worker import SyncWorker
from tests.ui.conftest import (
    BORN,
    DOC_NUMBER,
    GIVEN,
    PERSONAL_TEXTS,
    SURNAME,
    desk_methods,
    passport_mrz,
)
from tests.ui.personal import personal_leftovers
from ui.app import build_desk_app
from ui.customer_display import Mode


def sign_in(qtbot, window, desk) -> None:
    """Sign in as the demo beheerder and wait for the organisation page."""
    page = window.pages[Step.SIGN_IN]
    page.username.edit.setText("demo")
    page.password.edit.setText("demo")
    window.primary()
    qtbot.waitUntil(lambda: desk.step is Step.ORGANISATION, timeout=10000)
    # A fresh kiosk enrols at its first sign-in and gets the session's check grant with the
    # enrolment answer; a registration saved before that would carry none (docs/security.md).
    qtbot.waitUntil(lambda: desk.state.session.check_grant is not None, timeout=10000)


def fill_steps_1_and_2(window) -> None:
    """From the organisation page: the first organisation, step 1 and a matching typed MRZ,
    confirmed (the next primary() goes to review)."""
    window.primary()
    employee = window.pages[Step.EMPLOYEE]
    employee.given_names.edit.setText(GIVEN)
    employee.surname.edit.setText(SURNAME)
    employee.date_of_birth.edit.setText(BORN.strftime("%d-%m-%Y"))
    window.primary()
    wid = window.pages[Step.WID_CHECK]
    wid.select(CheckMethod.MRZ_TYPED).mrz.setPlainText(passport_mrz())
    wid.confirm.setChecked(True)


def grab_rgb(widget) -> np.ndarray:
    from PySide6.QtGui import QImage

    image = widget.grab().toImage().convertToFormat(QImage.Format.Format_RGB888)
    width, height, stride = image.width(), image.height(), image.bytesPerLine()
    raw = np.frombuffer(image.constBits(), dtype=np.uint8, count=stride * height)
    return raw.reshape(height, stride)[:, : width * 3].reshape(height, width, 3).copy()


@pytest.fixture
def parts(tmp_path):
    portal = PortalServer(tmp_path / "portal.sqlite3")
    portal.seed_demo()
    portal.start()
    client = PortalClient(portal.url)
    store = Store.open(tmp_path / "kiosk.sqlite3", FileKeyProvider(tmp_path / "kiosk.key"))
    worker = SyncWorker(store, client, store.device_token, poll_interval_s=0.2, max_idle_s=0.5)
    yield portal, client, store, worker
    worker.stop()
    client.close()
    store.close()
    portal.stop()


def test_whole_registration_from_sign_in_to_done(qtbot, parts):
    portal, client, store, worker = parts
    app = build_desk_app(
        client, store, worker, kiosk_name="e2e-balie", method_factories=desk_methods()
    )
    qtbot.addWidget(app.window)
    window, desk = app.window, app.desk
    window.resize(1366, 768)
    window.show()
    worker.start()
    try:
        # Sign in (Enter = next).
        page = window.pages[Step.SIGN_IN]
        qtbot.keyClicks(page.username.edit, "demo")
        qtbot.keyClicks(page.password.edit, "demo")
        qtbot.keyClick(page.password.edit, Qt.Key.Key_Return)
        qtbot.waitUntil(lambda: desk.step is Step.ORGANISATION, timeout=10000)
        # The first sign-in enrolls the kiosk: it gets its own device credential.
        qtbot.waitUntil(lambda: store.device_token() is not None, timeout=10000)

        # Organisation: the second one.
        orgs = window.pages[Step.ORGANISATION].list
        orgs.setFocus()
        qtbot.keyClick(orgs, Qt.Key.Key_Down)
        qtbot.keyClick(orgs, Qt.Key.Key_Return)
        assert desk.step is Step.EMPLOYEE
        assert desk.state.organisation.id == "org-2"

        # Step 1.
        employee = window.pages[Step.EMPLOYEE]
        qtbot.keyClicks(employee.given_names.edit, GIVEN)
        qtbot.keyClicks(employee.surname.edit, SURNAME)
        qtbot.keyClicks(employee.date_of_birth.edit, BORN.strftime("%d-%m-%Y"))
        qtbot.keyClick(employee.date_of_birth.edit, Qt.Key.Key_Return)
        assert desk.step is Step.WID_CHECK

        # Step 2: typed MRZ of an NL passport that matches step 1; the check runs by itself
        # once the MRZ is complete.
        wid = window.pages[Step.WID_CHECK]
        method = wid.select(CheckMethod.MRZ_TYPED)
        for line in passport_mrz().splitlines():
            qtbot.keyClicks(method.mrz, line)
            qtbot.keyClick(method.mrz, Qt.Key.Key_Return)
        qtbot.waitUntil(lambda: desk.state.evidence is not None, timeout=5000)
        assert desk.state.comparison.matches
        assert wid.evidence.values["document_number"].text() == DOC_NUMBER
        wid.confirm.click()
        assert desk.state.photo_confirmed
        qtbot.keyClick(wid.confirm, Qt.Key.Key_Return)
        assert desk.step is Step.REVIEW

        # Review, then step 3: saved in the queue before the page says so.
        qtbot.keyClick(window.primary_button, Qt.Key.Key_Return)
        assert desk.step in (Step.REGISTER, Step.HANDOVER)
        rid = desk.state.registration_id
        assert store.item(rid) is not None

        # The worker delivers; the portal's enrollment appears as a QR on the customer display.
        qtbot.waitUntil(lambda: desk.step is Step.HANDOVER, timeout=15000)
        display = app.customer
        qtbot.waitUntil(lambda: display.mode is Mode.QR and display.isVisible(), timeout=5000)
        assert store.item(rid).state is OutboxState.DONE
        payload, _points, _ = cv2.QRCodeDetector().detectAndDecode(grab_rgb(display))
        assert payload and payload == desk.state.enrollment.qr_payload
        assert personal_leftovers([display], PERSONAL_TEXTS) == []

        # The employee's phone scans and enrolls; the app shows their name under 'ID'.
        result = appsim.enroll(portal.url, payload)
        assert result.display_name == f"{GIVEN} {SURNAME}"

        # The kiosk follows the enrollment to 'done' and nothing personal is left anywhere.
        qtbot.waitUntil(lambda: desk.step is Step.DONE, timeout=15000)
        assert display.mode is Mode.DONE
        assert desk.state.registration_id is None and not desk.wizard.holds_personal_data
        assert personal_leftovers([window, display], PERSONAL_TEXTS) == []

        # Next employee: back to the organisation choice, all clean.
        qtbot.keyClick(window.primary_button, Qt.Key.Key_Return)
        assert desk.step is Step.ORGANISATION
        assert display.mode is Mode.WELCOME
    finally:
        app.close()


def test_stopping_the_handover_kills_the_live_code(qtbot, parts):
    portal, client, store, worker = parts
    app = build_desk_app(client, store, worker, method_factories=desk_methods())
    qtbot.addWidget(app.window)
    window, desk = app.window, app.desk
    window.show()
    worker.start()
    try:
        sign_in(qtbot, window, desk)
        qtbot.waitUntil(lambda: store.device_token() is not None, timeout=10000)
        fill_steps_1_and_2(window)
        window.primary()
        window.primary()
        rid = desk.state.registration_id
        qtbot.waitUntil(lambda: desk.step is Step.HANDOVER, timeout=15000)
        payload = desk.state.enrollment.qr_payload
        assert window.cancel_button.text() == "Stoppen"
        window.cancel_button.click()
        # "Stoppen" kills a live code: it asks first, and nothing happens until answered.
        assert desk.step is Step.HANDOVER and window.stop_confirm is not None
        window.stop_confirm.findChild(QPushButton, "stopConfirmYes").click()
        assert desk.step is Step.ORGANISATION and app.customer.mode is Mode.WELCOME
        token = store.device_token()
        qtbot.waitUntil(
            lambda: client.get_registration(token, rid).status.value == "cancelled", timeout=10000
        )
        result = appsim.enroll(portal.url, payload)
        assert result.display_name is None and result.status == 410
    finally:
        app.close()


def test_offline_registration_is_queued_plainly_then_delivered(qtbot, tmp_path):
    """The portal goes down after sign-in: the desk saves, says so plainly, lets the
    beheerder go on; when the portal is back the worker delivers the queued registration."""
    from kiosk.sync.backoff import Backoff

    db = tmp_path / "portal.sqlite3"
    portal = PortalServer(db)
    portal.seed_demo()
    portal.start()
    port = int(portal.url.rsplit(":", 1)[1])
    client = PortalClient(portal.url, timeout=2.0)
    store = Store.open(tmp_path / "kiosk.sqlite3", FileKeyProvider(tmp_path / "kiosk.key"))
    worker = SyncWorker(
        store,
        client,
        store.device_token,
        poll_interval_s=0.2,
        max_idle_s=0.3,
        backoff=Backoff(base_s=0.2, cap_s=0.5),
        probe_interval_s=0.3,
    )
    app = build_desk_app(client, store, worker, method_factories=desk_methods())
    qtbot.addWidget(app.window)
    window, desk = app.window, app.desk
    window.show()
    worker.start()
    revived = None
    try:
        sign_in(qtbot, window, desk)
        qtbot.waitUntil(lambda: store.device_token() is not None, timeout=10000)
        portal.stop()  # the network goes away
        qtbot.waitUntil(lambda: desk.online is False, timeout=10000)
        assert window.portal_status.text() == i18n.tr("ui.status.portal_offline")

        fill_steps_1_and_2(window)
        window.primary()
        window.primary()
        rid = desk.state.registration_id
        assert desk.step is Step.REGISTER
        register = window.pages[Step.REGISTER]
        assert register.status.text() == i18n.tr("ui.register.saved")
        assert register.detail.text() == i18n.tr("ui.register.offline")
        assert app.customer.mode is Mode.QUEUED
        qtbot.waitUntil(
            lambda: window.queue_status.text() == i18n.tr("ui.status.queue", pending=1),
            timeout=5000,
        )
        window.primary()  # "Volgende medewerker": the registration stays queued
        assert desk.step is Step.ORGANISATION

        revived = PortalServer(db, port=port).start()  # the network is back
        qtbot.waitUntil(lambda: store.item(rid).state is OutboxState.DONE, timeout=15000)
        qtbot.waitUntil(lambda: desk.online is True, timeout=5000)
        assert window.queue_status.text() == i18n.tr("ui.status.queue", pending=0)
    finally:
        app.close()
        worker.stop()
        client.close()
        store.close()
        (revived or portal).stop()


def test_offline_with_a_pooled_code_shows_the_qr_at_once(qtbot, tmp_path):
    """DESIGN.md section 5 "Offline": the QR of a reserved pool code is shown at once; the
    app gets 425 until the queued registration reaches the portal, then enrolls."""
    from kiosk.sync.backoff import Backoff
    from kiosk.sync.pool import CodePool

    db = tmp_path / "portal.sqlite3"
    portal = PortalServer(db)
    portal.seed_demo()
    portal.start()
    port = int(portal.url.rsplit(":", 1)[1])
    client = PortalClient(portal.url, timeout=2.0)
    store = Store.open(tmp_path / "kiosk.sqlite3", FileKeyProvider(tmp_path / "kiosk.key"))
    pool = CodePool(store, client, store.device_token, size=2)
    worker = SyncWorker(
        store,
        client,
        store.device_token,
        poll_interval_s=0.2,
        max_idle_s=0.3,
        pool=pool,
        pool_refill_interval_s=0.2,
        backoff=Backoff(base_s=0.2, cap_s=0.5),
        probe_interval_s=0.3,
    )
    app = build_desk_app(client, store, worker, pool=pool, method_factories=desk_methods())
    qtbot.addWidget(app.window)
    window, desk = app.window, app.desk
    window.show()
    worker.start()
    revived = None
    try:
        sign_in(qtbot, window, desk)
        qtbot.waitUntil(lambda: pool.available() == 2, timeout=10000)
        portal.stop()
        qtbot.waitUntil(lambda: desk.online is False, timeout=10000)

        fill_steps_1_and_2(window)
        window.primary()
        window.primary()
        rid = desk.state.registration_id
        assert desk.step is Step.HANDOVER and pool.available() == 1
        assert app.customer.mode is Mode.QR
        payload, _, _ = cv2.QRCodeDetector().detectAndDecode(grab_rgb(app.customer))
        assert payload == desk.state.enrollment.qr_payload

        revived = PortalServer(db, port=port).start()
        qtbot.waitUntil(lambda: store.item(rid).state is OutboxState.DONE, timeout=15000)
        result = appsim.enroll(revived.url, payload)
        assert result.display_name == f"{GIVEN} {SURNAME}"
        qtbot.waitUntil(lambda: desk.step is Step.DONE, timeout=15000)
        assert personal_leftovers([window, app.customer], PERSONAL_TEXTS) == []
    finally:
        app.close()
        worker.stop()
        client.close()
        store.close()
        (revived or portal).stop()


def test_an_expired_code_is_renewed_from_the_desk(qtbot, tmp_path):
    from datetime import timedelta

    portal = PortalServer(tmp_path / "portal.sqlite3", code_ttl=timedelta(seconds=2))
    portal.seed_demo()
    portal.start()
    client = PortalClient(portal.url)
    store = Store.open(tmp_path / "kiosk.sqlite3", FileKeyProvider(tmp_path / "kiosk.key"))
    worker = SyncWorker(store, client, store.device_token, poll_interval_s=0.2, max_idle_s=0.3)
    app = build_desk_app(client, store, worker, method_factories=desk_methods())
    qtbot.addWidget(app.window)
    window, desk = app.window, app.desk
    window.show()
    worker.start()
    try:
        sign_in(qtbot, window, desk)
        qtbot.waitUntil(lambda: store.device_token() is not None, timeout=10000)
        fill_steps_1_and_2(window)
        window.primary()
        window.primary()
        qtbot.waitUntil(lambda: desk.step is Step.HANDOVER, timeout=15000)
        old = desk.state.enrollment.qr_payload
        # The code runs out: both screens say so and the desk offers a new one.
        qtbot.waitUntil(lambda: app.customer.mode is Mode.EXPIRED, timeout=10000)
        qtbot.waitUntil(
            lambda: window.primary_button.text() == i18n.tr("ui.handover.renew"), timeout=5000
        )
        window.primary()
        qtbot.waitUntil(
            lambda: app.customer.mode is Mode.QR and app.customer.qr_payload() != old,
            timeout=10000,
        )
        new, _, _ = cv2.QRCodeDetector().detectAndDecode(grab_rgb(app.customer))
        assert new == app.customer.qr_payload()
        assert appsim.enroll(portal.url, old).status == 410  # the old code died
        assert appsim.enroll(portal.url, new).display_name == f"{GIVEN} {SURNAME}"
        qtbot.waitUntil(lambda: desk.step is Step.DONE, timeout=15000)
    finally:
        app.close()
        worker.stop()
        client.close()
        store.close()
        portal.stop()
