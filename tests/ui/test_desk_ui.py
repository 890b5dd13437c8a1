"""The desk window and customer display: validation, language switch, wipes, QR pixels."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

import cv2
import numpy as np
import pytest
from PySide6.QtCore import Qt
from PySide6.QtGui import QImage
from PySide6.QtWidgets import QLabel, QWidget

from kiosk import i18n
from kiosk.flow.wizard import Step
from kiosk.model import CheckMethod, Enrollment, RegistrationStatus
from ui.app import build_desk_app
from ui.customer_display import CustomerDisplay, Mode
from ui.qr import QUIET_ZONE, QrWidget, qr_matrix

from .conftest import BORN, GIVEN, PERSONAL_TEXTS, SURNAME, desk_methods, passport_mrz
from .personal import personal_leftovers, visible_texts

NOW = datetime(2026, 11, 28, 10, 0, tzinfo=UTC)


def rgb(widget: QWidget) -> np.ndarray:
    image = widget.grab().toImage().convertToFormat(QImage.Format.Format_RGB888)
    width, height, stride = image.width(), image.height(), image.bytesPerLine()
    raw = np.frombuffer(image.constBits(), dtype=np.uint8, count=stride * height)
    return raw.reshape(height, stride)[:, : width * 3].reshape(height, width, 3).copy()


def sign_in(qtbot, app, org_row: int = 0):
    page = app.window.pages[Step.SIGN_IN]
    page.username.edit.setText("demo")
    page.password.edit.setText("demo")
    app.window.primary()
    qtbot.waitUntil(lambda: app.desk.step is Step.ORGANISATION, timeout=10000)
    # The first sign-in enrols this fresh kiosk; its check grant follows a moment later,
    # and the review waits for it (FlowState.check_grant_required).
    qtbot.waitUntil(lambda: app.desk.state.session.check_grant is not None, timeout=10000)
    app.window.pages[Step.ORGANISATION].list.setCurrentRow(org_row)
    app.window.primary()
    assert app.desk.step is Step.EMPLOYEE


def fill_to_wid_check(qtbot, app):
    sign_in(qtbot, app)
    page = app.window.pages[Step.EMPLOYEE]
    page.given_names.edit.setText(GIVEN)
    page.surname.edit.setText(SURNAME)
    page.date_of_birth.edit.setText(BORN.strftime("%d-%m-%Y"))
    app.window.primary()
    assert app.desk.step is Step.WID_CHECK
    wid = app.window.pages[Step.WID_CHECK]
    wid.select(CheckMethod.MRZ_TYPED).mrz.setPlainText(passport_mrz())
    assert app.desk.state.evidence is not None
    return wid


def test_wrong_password_is_shown_and_password_cleared(qtbot, desk_app):
    page = desk_app.window.pages[Step.SIGN_IN]
    page.username.edit.setText("demo")
    page.password.edit.setText("wrong")
    desk_app.window.primary()
    qtbot.waitUntil(lambda: page.task is None and page.error.isVisible(), timeout=10000)
    assert desk_app.desk.step is Step.SIGN_IN
    # Issue 11 item 3: the sign-in's own text, not the kiosk-credential one.
    assert page.error.text() == i18n.tr("portal.sign_in.invalid_credentials")
    assert page.password.text() == ""


def test_step_1_messages_sit_next_to_their_fields(qtbot, desk_app):
    sign_in(qtbot, desk_app)
    page = desk_app.window.pages[Step.EMPLOYEE]
    page.given_names.edit.setText("J4n")
    page.date_of_birth.edit.setText("31-02-1980")
    qtbot.keyClick(page.date_of_birth.edit, Qt.Key.Key_Return)  # Enter = next
    assert desk_app.desk.step is Step.EMPLOYEE
    assert page.given_names.error.text() == i18n.tr("employee.error.name_characters")
    assert page.surname.error.text() == i18n.tr("employee.error.surname_required")
    # Issue 11 item 3: a date that does not exist says so (not "wrong format").
    assert page.date_of_birth.error.text() == i18n.tr(
        "flow.error.date_not_exist", date="31-02-1980"
    )
    assert page.given_names.edit.property("invalid") == "true"
    assert page.given_names.edit.hasFocus() or not desk_app.window.isActiveWindow()
    # Typing in a field clears its message.
    qtbot.keyClicks(page.surname.edit, "a")
    assert not page.surname.error.isVisible()


def test_wid_check_shows_which_field_differs_and_blocks(qtbot, desk_app):
    wid = fill_to_wid_check(qtbot, desk_app)
    wid.current_method().mrz.setPlainText(passport_mrz(born=BORN.replace(day=11)))
    assert not desk_app.desk.state.comparison.matches
    assert "11-03-1965" in wid.evidence.differences.text()
    assert wid.evidence.marks["date_of_birth"].objectName() == "badMark"
    assert wid.evidence.marks["surname"].objectName() == "okMark"
    wid.confirm.setChecked(True)
    desk_app.window.primary()
    assert desk_app.desk.step is Step.WID_CHECK
    assert i18n.tr("flow.error.document_differs") in wid.error.text()


def test_bad_check_digit_is_reported_by_the_typed_method(qtbot, desk_app):
    wid = fill_to_wid_check(qtbot, desk_app)
    method = wid.current_method()
    lines = passport_mrz().splitlines()
    broken = lines[1][:9] + ("1" if lines[1][9] != "1" else "2") + lines[1][10:]
    desk_app.desk.accept_evidence(None)
    method.mrz.setPlainText(lines[0] + "\n" + broken)
    method.check()
    assert method.error.isVisible() and method.error.text()
    assert desk_app.desk.state.evidence is None


def test_language_switch_retranslates_every_widget(qtbot, desk_app):
    wid = fill_to_wid_check(qtbot, desk_app)
    window = desk_app.window
    dutch = set(visible_texts(window))
    window.language_button.click()
    assert i18n.language() == "en"
    english = set(visible_texts(window))
    assert window.primary_button.text() == "Next"
    assert wid.title.text() == i18n.tr("ui.wid.title", lang="en")
    assert desk_app.customer.windowTitle() == "ZORG-ID customer screen"
    # No Dutch interface text survives, and no raw keys show anywhere.
    ui_texts = {t for t in dutch if t in i18n.catalog("nl").values()}
    assert ui_texts and not (ui_texts & english - set(i18n.catalog("en").values()))
    assert not [t for t in english if t.startswith(("ui.", "flow.", "employee."))]
    window.language_button.click()
    assert window.primary_button.text() == "Volgende"


def test_cancel_wipes_every_widget(qtbot, desk_app):
    wid = fill_to_wid_check(qtbot, desk_app)
    wid.confirm.setChecked(True)
    assert personal_leftovers([desk_app.window], PERSONAL_TEXTS)  # the walk does find them
    desk_app.window.cancel_button.click()
    assert desk_app.desk.step is Step.ORGANISATION
    assert personal_leftovers([desk_app.window, desk_app.customer], PERSONAL_TEXTS) == []
    assert desk_app.desk.state.evidence is None and not wid.confirm.isChecked()


def test_idle_timeout_wipes_and_signs_out(qtbot, client, store):
    app = build_desk_app(client, store, None, idle_timeout_s=1.0, method_factories=desk_methods())
    qtbot.addWidget(app.window)
    try:
        app.window.show()
        fill_to_wid_check(qtbot, app)
        assert personal_leftovers([app.window], PERSONAL_TEXTS)
        qtbot.waitUntil(lambda: app.desk.step is Step.SIGN_IN, timeout=5000)
        assert app.desk.state.session is None
        assert personal_leftovers([app.window, app.customer], PERSONAL_TEXTS) == []
        assert app.window.pages[Step.SIGN_IN].username.text() == ""
        # The next beheerder's activity arms the timer again.
        assert not app.window.idle.isActive()
        qtbot.keyClicks(app.window.pages[Step.SIGN_IN].username.edit, "demo")
        assert app.window.idle.isActive()
        fill_to_wid_check(qtbot, app)
        qtbot.waitUntil(lambda: app.desk.step is Step.SIGN_IN, timeout=5000)
        assert personal_leftovers([app.window, app.customer], PERSONAL_TEXTS) == []
    finally:
        app.close()


def test_back_keeps_step_1_for_correction(qtbot, desk_app):
    fill_to_wid_check(qtbot, desk_app)
    desk_app.window.back_button.click()
    assert desk_app.desk.step is Step.EMPLOYEE
    assert desk_app.window.pages[Step.EMPLOYEE].surname.text() == SURNAME


def test_register_says_saved_only_after_commit_and_offline_plainly(qtbot, desk_app, store):
    wid = fill_to_wid_check(qtbot, desk_app)
    desk_app.desk.connectivity(False)
    wid.confirm.setChecked(True)
    desk_app.window.primary()
    desk_app.window.primary()
    assert desk_app.desk.step is Step.REGISTER
    rid = desk_app.desk.state.registration_id
    assert store.item(rid) is not None  # committed before the page changed
    page = desk_app.window.pages[Step.REGISTER]
    assert page.status.text() == i18n.tr("ui.register.saved")
    assert page.detail.text() == i18n.tr("ui.register.offline")
    assert desk_app.customer.mode is Mode.QUEUED
    assert personal_leftovers([desk_app.window, desk_app.customer], PERSONAL_TEXTS) == []


def test_customer_display_shows_only_qr_countdown_and_steps(qtbot):
    clock = [NOW]
    display = CustomerDisplay(now=lambda: clock[0])
    qtbot.addWidget(display)
    enrollment = Enrollment("K7", "zorgid://enroll/v1?c=K7Q2", NOW + timedelta(minutes=2))
    display.show_enrollment(enrollment)
    display.resize(1366, 768)
    assert display.isVisible() and display.mode is Mode.QR
    assert display.countdown.text() == i18n.tr("ui.customer.valid_for", time="2:00")
    texts = set(visible_texts(display))
    allowed = set(i18n.catalog("nl").values()) | {"4", "5", "6", "7", display.countdown.text()}
    assert texts <= allowed, texts - allowed
    payload, _, _ = cv2.QRCodeDetector().detectAndDecode(rgb(display))
    assert payload == enrollment.qr_payload
    clock[0] = NOW + timedelta(minutes=2, seconds=1)
    display.tick()
    assert display.mode is Mode.EXPIRED and not display.qr.has_code()
    display.reset()
    assert display.mode is Mode.WELCOME


def test_qr_is_drawn_crisp_with_integer_modules_and_quiet_zone(qtbot):
    widget = QrWidget()
    qtbot.addWidget(widget)
    widget.resize(517, 433)
    payload = "zorgid://enroll/v1?c=CRISP"
    widget.set_payload(payload)
    image = rgb(widget)[:, :, 0]
    matrix = qr_matrix(payload)
    scale = widget.module_scale()
    size = (len(matrix) + 2 * QUIET_ZONE) * scale
    assert scale == 433 // (len(matrix) + 2 * QUIET_ZONE)
    left, top = (517 - size) // 2, (433 - size) // 2
    code = image[top : top + size, left : left + size]
    assert set(np.unique(code)) <= {0, 255}  # no smoothing: only black and white pixels
    quiet = QUIET_ZONE * scale
    assert (code[:quiet] == 255).all() and (code[:, :quiet] == 255).all()
    # Every module is a solid scale x scale square with the matrix's colour.
    for y, row in enumerate(matrix):
        for x, dark in enumerate(row):
            cell = code[
                quiet + y * scale : quiet + (y + 1) * scale,
                quiet + x * scale : quiet + (x + 1) * scale,
            ]
            assert (cell == (0 if dark else 255)).all(), (x, y)


def test_handover_and_done_follow_the_registration(qtbot, desk_app):
    wid = fill_to_wid_check(qtbot, desk_app)
    wid.confirm.setChecked(True)
    desk_app.window.primary()
    desk_app.window.primary()
    rid = desk_app.desk.state.registration_id
    expires = datetime.now(UTC) + timedelta(minutes=5)
    enrollment = Enrollment("C1", "zorgid://enroll/v1?c=C1", expires)
    desk_app.desk.delivered(rid, RegistrationStatus.PENDING_ENROLLMENT, enrollment)
    assert desk_app.desk.step is Step.HANDOVER
    assert desk_app.customer.mode is Mode.QR and desk_app.customer.isVisible()
    assert not desk_app.window.back_button.isVisible()
    desk_app.desk.enrollment_status(rid, RegistrationStatus.ENROLLED)
    assert desk_app.desk.step is Step.DONE and desk_app.customer.mode is Mode.DONE
    assert isinstance(desk_app.window.pages[Step.DONE].status, QLabel)


def type_at_window(window, text: str) -> None:
    """Key presses as the keyboard (or a wedge reader) delivers them: to the window."""
    from PySide6.QtTest import QTest

    handle = window.windowHandle()
    for char in text:
        if char == "\r":
            QTest.keyClick(handle, Qt.Key.Key_Return)
        else:
            QTest.keyClick(handle, char)


class StepClock:
    """A monotonic clock that advances ``step`` seconds per reading."""

    def __init__(self, step: float) -> None:
        self.now, self.step = 100.0, step

    def __call__(self) -> float:
        self.now += self.step
        return self.now


def test_mrz_reader_burst_becomes_evidence_and_is_swallowed(qtbot, desk_app):
    fill_to_wid_check(qtbot, desk_app)
    wid = desk_app.window.pages[Step.WID_CHECK]
    desk_app.desk.accept_evidence(None)
    reader = wid.select(CheckMethod.MRZ_READER)
    reader.clock = StepClock(0.004)  # a reader: 4 ms between keystrokes
    assert reader.listening
    typed = wid.select(CheckMethod.MRZ_TYPED)
    assert not reader.listening  # only the visible method listens
    typed.clear()
    wid.select(CheckMethod.MRZ_READER)
    employee_field = desk_app.window.pages[Step.EMPLOYEE].surname.edit
    before = employee_field.text()
    for line in passport_mrz().splitlines():
        type_at_window(desk_app.window, line + "\r")
    assert employee_field.text() == before
    evidence = desk_app.desk.state.evidence
    assert evidence is not None and evidence.method is CheckMethod.MRZ_READER
    assert desk_app.desk.state.comparison.matches
    assert desk_app.desk.step is Step.WID_CHECK  # the reader's Return did not press "next"
    assert reader.status.text() == i18n.tr("ui.reader.read")


def test_mrz_reader_ignores_a_person_typing(qtbot, desk_app):
    fill_to_wid_check(qtbot, desk_app)
    wid = desk_app.window.pages[Step.WID_CHECK]
    desk_app.desk.accept_evidence(None)
    reader = wid.select(CheckMethod.MRZ_READER)
    clock = reader.clock = StepClock(0.25)  # a person: 250 ms between keystrokes
    type_at_window(desk_app.window, passport_mrz().splitlines()[0][:12])
    typed_until = clock.now
    # The reader's flush timer (every 100 ms) reads the clock and flushes what it holds.
    qtbot.waitUntil(lambda: clock.now > typed_until, timeout=2000)
    assert desk_app.desk.state.evidence is None
    assert not reader.assembler.capturing


def test_the_desk_prefers_the_chip_then_the_mrz():
    from kiosk.config import Config
    from kiosk.emrtd.trust import TrustStore
    from ui.step2.registry import default_factories

    # The chip factory is bound to the desk's settings (functools.partial).
    methods = [getattr(f, "func", f).method_id for f in default_factories(Config(), TrustStore())]
    assert methods == [
        CheckMethod.CHIP,
        CheckMethod.MRZ_CAMERA,
        CheckMethod.MRZ_READER,
        CheckMethod.MRZ_TYPED,
    ]


@pytest.mark.parametrize("extension", [".jpg", ".jp2"])
def test_chip_photo_is_shown_large_and_wiped(qtbot, desk_app, extension):
    from ui.step2.render import decode_photo

    face = np.full((160, 120, 3), 200, dtype=np.uint8)
    face[40:120, 30:90] = (40, 80, 160)
    ok, encoded = cv2.imencode(extension, face)
    assert ok
    assert decode_photo(encoded.tobytes()) is not None
    assert decode_photo(encoded.tobytes()[:40]) is None  # truncated: no crash, no image
    wid = fill_to_wid_check(qtbot, desk_app)
    from dataclasses import replace

    desk_app.desk.accept_evidence(replace(desk_app.desk.state.evidence, photo=encoded.tobytes()))
    assert wid.photo.pixmap() is not None and not wid.photo.pixmap().isNull()
    assert wid.photo.pixmap().height() >= 200
    desk_app.window.cancel_button.click()
    assert wid.photo.pixmap().isNull()


def test_single_screen_customer_display_covers_the_screen_only_during_handover(qtbot):
    from PySide6.QtGui import QGuiApplication

    display = CustomerDisplay(now=lambda: NOW)
    qtbot.addWidget(display)
    display.attach_to_screens()
    assert len(QGuiApplication.screens()) == 1 and not display.has_own_screen()
    assert not display.isVisible()  # welcome screen stays hidden on a shared screen
    display.show_enrollment(Enrollment("K1", "zorgid://enroll/v1?c=K1", NOW + timedelta(minutes=5)))
    assert display.isVisible()
    assert display.geometry() == QGuiApplication.primaryScreen().geometry()
    qtbot.keyClick(display, Qt.Key.Key_Escape)  # the beheerder takes the screen back
    assert not display.isVisible()
    display.show_enrollment(Enrollment("K1", "zorgid://enroll/v1?c=K1", NOW + timedelta(minutes=5)))
    qtbot.mouseClick(display, Qt.MouseButton.LeftButton)
    assert display.isVisible()  # a stray click never hides a QR being scanned
    display.done_linger_ms = 50
    display.show_mode(Mode.DONE)
    assert display.isVisible()
    qtbot.waitUntil(lambda: not display.isVisible(), timeout=2000)  # the desk shows again
    display.show_mode(Mode.EXPIRED)
    qtbot.mouseClick(display, Qt.MouseButton.LeftButton)
    assert not display.isVisible()
    display.reset()
    assert not display.isVisible()


def test_with_two_screens_the_customer_display_takes_the_other_one(tmp_path):
    import json
    import os
    import subprocess
    import sys
    from pathlib import Path

    config = tmp_path / "screens.json"
    config.write_text(
        json.dumps(
            {
                "screens": [
                    {
                        "name": "desk",
                        "x": 0,
                        "y": 0,
                        "width": 1366,
                        "height": 768,
                        "logicalDpi": 96,
                    },
                    {
                        "name": "customer",
                        "x": 1366,
                        "y": 0,
                        "width": 1920,
                        "height": 1080,
                        "logicalDpi": 96,
                    },
                ]
            }
        )
    )
    root = Path(__file__).resolve().parents[2]
    env = {
        **os.environ,
        "QT_QPA_PLATFORM": f"offscreen:configfile={config}",
        "PYTHONPATH": str(root),
    }
    done = subprocess.run(
        [sys.executable, "-m", "tests.ui.two_screens_probe"],
        cwd=root,
        env=env,
        capture_output=True,
        text=True,
        timeout=60,
        check=True,
    )
    result = json.loads(done.stdout.strip().splitlines()[-1])
    assert result["screens"] == ["customer", "desk"]
    assert result["visible"] and result["screen"] == "customer"
    assert result["geometry"] == result["customer"] == [1366, 0, 1920, 1080]
    assert result["mode"] == "welcome"  # its own screen: the neutral screen is always up


def test_validity_reads_as_minutes_or_as_a_date_for_pool_codes():
    from ui.pages.progress import remaining_text

    assert remaining_text(NOW + timedelta(minutes=14, seconds=5), NOW) == "14:05"
    assert remaining_text(NOW - timedelta(seconds=5), NOW) == "0:00"
    later = NOW + timedelta(days=7)
    expected = later.astimezone().strftime("%d-%m-%Y %H:%M")
    assert remaining_text(later, NOW) == i18n.tr("ui.valid_until", when=expected)


def test_a_refused_registration_is_shown_with_its_reason(qtbot, desk_app):
    from kiosk.sync.api import PortalRejected

    wid = fill_to_wid_check(qtbot, desk_app)
    wid.confirm.setChecked(True)
    desk_app.window.primary()
    desk_app.window.primary()
    rid = desk_app.desk.state.registration_id
    refusal = PortalRejected(422, "unknown field")
    desk_app.desk.delivery_failed(rid, refusal)
    page = desk_app.window.pages[Step.REGISTER]
    assert page.detail.text() == i18n.tr("ui.register.failed", reason=refusal.translated())
    assert page.status.property("tone") == "error"
    assert desk_app.window.primary_button.text() == i18n.tr("ui.nav.new_registration")
    desk_app.window.set_portal_status(True, pending=0, dead=1)
    assert i18n.tr("ui.status.dead", dead=1) in desk_app.window.queue_status.text()


def test_methods_get_step_1_and_the_clock_when_they_ask(qtbot, desk_app):
    from ui.pages.wid_check import WidCheckPage
    from ui.step2.typed_mrz import TypedMrzMethod

    seen = {}

    class Asking(TypedMrzMethod):
        def __init__(self, parent=None, *, employee, now):
            super().__init__(parent)
            seen["employee"], seen["now"] = employee, now

    page = WidCheckPage(desk_app.desk, factories=[Asking, TypedMrzMethod])
    qtbot.addWidget(page)
    fill_to_wid_check(qtbot, desk_app)
    assert seen["employee"]().surname == SURNAME
    assert seen["now"] is desk_app.desk.now


def test_a_method_can_hand_over_to_typing_the_mrz(qtbot, desk_app):
    from PySide6.QtCore import Signal

    from ui.pages.wid_check import WidCheckPage
    from ui.step2.mrz_reader import MrzReaderMethod
    from ui.step2.typed_mrz import TypedMrzMethod

    class GivesUp(MrzReaderMethod):
        manualRequested = Signal()  # noqa: N815 - the Qt signal name the camera method uses

    page = WidCheckPage(desk_app.desk, factories=[GivesUp, TypedMrzMethod])
    qtbot.addWidget(page)
    assert page.current_method().method_id is CheckMethod.MRZ_READER
    page.methods[0].manualRequested.emit()
    assert page.current_method().method_id is CheckMethod.MRZ_TYPED
    assert page.method_buttons.checkedId() == 1


def test_the_cursor_starts_in_the_user_name(qtbot, desk_app):
    window = desk_app.window
    window.show()
    window.activateWindow()
    qtbot.waitExposed(window)
    page = window.pages[Step.SIGN_IN]
    qtbot.waitUntil(lambda: page.username.edit.hasFocus(), timeout=2000)
