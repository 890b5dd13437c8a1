"""Every page of the desk and the customer display, rendered at desk resolutions.

The PNGs land in ``artifacts/`` for a person to look at (docs/architecture.md says what they show).
"""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

import pytest
from PySide6.QtWidgets import QApplication

from kiosk.flow.wizard import Step
from kiosk.model import CheckMethod, Enrollment
from ui.app import build_desk_app
from ui.customer_display import Mode

from .conftest import BORN, GIVEN, SURNAME, desk_methods, passport_mrz

SIZES = ((1366, 768), (1920, 1080))


@pytest.fixture
def desk_app(qtbot, client, store):
    app = build_desk_app(client, store, None, method_factories=desk_methods())
    qtbot.addWidget(app.window)
    yield app
    app.close()


def shoot(widget, artifacts_dir, name):
    for width, height in SIZES:
        if widget.isFullScreen():
            widget.showNormal()  # the customer display: sized by hand for the screenshot
        widget.resize(width, height)
        widget.show()
        QApplication.processEvents()  # let the layouts settle at the new size
        pixmap = widget.grab()
        assert pixmap.width() == width and pixmap.height() == height
        assert pixmap.save(str(artifacts_dir / f"{name}-{width}x{height}.png"))


def sign_in(qtbot, app):
    page = app.window.pages[Step.SIGN_IN]
    page.username.edit.setText("demo")
    page.password.edit.setText("demo")
    app.window.primary()
    qtbot.waitUntil(lambda: app.desk.step is Step.ORGANISATION, timeout=10000)
    # The first sign-in enrols this fresh kiosk; its check grant follows a moment later,
    # and the review waits for it (FlowState.check_grant_required).
    qtbot.waitUntil(lambda: app.desk.state.session.check_grant is not None, timeout=10000)


def test_screenshot_every_page(qtbot, desk_app, artifacts_dir):
    app, window = desk_app, desk_app.window
    shoot(window, artifacts_dir, "01-sign-in")
    page = window.pages[Step.SIGN_IN]
    app.window.primary()  # empty: error next to the form
    shoot(window, artifacts_dir, "01b-sign-in-error")
    sign_in(qtbot, app)
    shoot(window, artifacts_dir, "02-organisation")
    window.primary()
    assert app.desk.step is Step.EMPLOYEE
    window.primary()  # empty step 1: every field says what is wrong
    shoot(window, artifacts_dir, "03b-employee-errors")
    page = window.pages[Step.EMPLOYEE]
    qtbot.keyClicks(page.given_names.edit, GIVEN)  # typing clears each field's message
    qtbot.keyClicks(page.surname.edit, SURNAME)
    qtbot.keyClicks(page.date_of_birth.edit, BORN.strftime("%d-%m-%Y"))
    shoot(window, artifacts_dir, "03-employee")
    window.primary()
    assert app.desk.step is Step.WID_CHECK
    shoot(window, artifacts_dir, "04-wid-check-empty")
    wid = window.pages[Step.WID_CHECK]
    shoot(window, artifacts_dir, "04a-wid-check-reader")
    method = wid.select(CheckMethod.MRZ_TYPED)
    method.mrz.setPlainText(passport_mrz(surname="DE BRUIN"))
    shoot(window, artifacts_dir, "04b-wid-check-differs")
    method.mrz.setPlainText(passport_mrz())
    assert app.desk.state.comparison.matches
    wid.confirm.setChecked(True)
    shoot(window, artifacts_dir, "04c-wid-check-confirmed")
    window.primary()
    assert app.desk.step is Step.REVIEW
    shoot(window, artifacts_dir, "05-review")
    window.primary()
    assert app.desk.step is Step.REGISTER
    shoot(window, artifacts_dir, "06-register-sending")
    app.desk.connectivity(False)
    shoot(window, artifacts_dir, "06b-register-offline")
    rid = app.desk.state.registration_id
    enrollment = Enrollment(
        "CODE1", "zorgid://enroll/v1?c=CODE1", datetime.now(UTC) + timedelta(minutes=10)
    )
    from kiosk.model import RegistrationStatus

    app.desk.delivered(rid, RegistrationStatus.PENDING_ENROLLMENT, enrollment)
    assert app.desk.step is Step.HANDOVER
    shoot(window, artifacts_dir, "07-handover")
    shoot(app.customer, artifacts_dir, "c2-customer-qr")
    app.desk.enrollment_status(rid, RegistrationStatus.ENROLLED)
    assert app.desk.step is Step.DONE
    shoot(window, artifacts_dir, "08-done")
    shoot(app.customer, artifacts_dir, "c4-customer-done")
    for mode, name in (
        (Mode.WELCOME, "c1-customer-welcome"),
        (Mode.QUEUED, "c3-customer-queued"),
        (Mode.EXPIRED, "c5-customer-expired"),
    ):
        app.customer.show_mode(mode)
        shoot(app.customer, artifacts_dir, name)


def test_screenshot_english(qtbot, desk_app, artifacts_dir):
    from kiosk import i18n

    app, window = desk_app, desk_app.window
    window.language_button.click()
    assert i18n.language() == "en"
    sign_in(qtbot, app)
    window.primary()
    page = window.pages[Step.EMPLOYEE]
    qtbot.keyClicks(page.given_names.edit, GIVEN)
    qtbot.keyClicks(page.surname.edit, SURNAME)
    qtbot.keyClicks(page.date_of_birth.edit, BORN.strftime("%d-%m-%Y"))
    window.primary()
    wid = window.pages[Step.WID_CHECK]
    wid.select(CheckMethod.MRZ_TYPED).mrz.setPlainText(passport_mrz())
    shoot(window, artifacts_dir, "en-04-wid-check")
    enrollment = Enrollment(
        "CODE2", "zorgid://enroll/v1?c=CODE2", datetime.now(UTC) + timedelta(minutes=10)
    )
    app.customer.show_enrollment(enrollment)
    shoot(app.customer, artifacts_dir, "en-c2-customer-qr")
