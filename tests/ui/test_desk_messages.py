"""Issue 11 items 2 (next employee), 3 (true messages), 5 (nothing stale), 6 (expired), 7
(camera hints in the preview), with screenshots at both desk resolutions, Dutch and English."""

from __future__ import annotations

import dataclasses
from datetime import date

import pytest
from PySide6.QtWidgets import QApplication, QWidget

from kiosk import i18n
from kiosk.flow.wizard import Step
from kiosk.model import CheckMethod
from kiosk.sync.api import SignInLocked, SignInRefused, SignInThrottled, SignInUnreachable
from ui.app import build_desk_app

from .conftest import BORN, GIVEN, SURNAME, passport_mrz

SIZES = ((1366, 768), (1920, 1080))


def shoot(window: QWidget, artifacts_dir, name: str) -> None:
    for width, height in SIZES:
        window.resize(width, height)
        window.show()
        QApplication.processEvents()
        assert window.grab().save(
            str(artifacts_dir / f"{name}-{i18n.language()}-{width}x{height}.png")
        )


def methods(reader_present: list[bool]):
    from ui.step2.chip import ChipMethod
    from ui.step2.mrz_reader import MrzReaderMethod
    from ui.step2.typed_mrz import TypedMrzMethod

    def no_device(_config):
        from kiosk.devices.card import NoReader

        raise NoReader()

    def chip(parent=None, **_):
        return ChipMethod(
            parent,
            standalone=False,
            device_factory=no_device,
            readers_present=lambda: reader_present[0],
        )

    return [chip, MrzReaderMethod, TypedMrzMethod]


@pytest.fixture(params=["nl", "en"])
def lang(request):
    i18n.set_language(request.param)
    return request.param


@pytest.fixture
def reader_present():
    return [False]


@pytest.fixture
def desk_app(qtbot, client, store, reader_present):
    app = build_desk_app(
        client, store, None, idle_timeout_s=60, method_factories=methods(reader_present)
    )
    qtbot.addWidget(app.window)
    app.window.resize(1366, 768)
    app.window.show()
    yield app
    app.close()


def sign_in(qtbot, app, org_row: int | None = 0):
    page = app.window.pages[Step.SIGN_IN]
    page.username.edit.setText("demo")
    page.password.edit.setText("demo")
    app.window.primary()
    qtbot.waitUntil(lambda: app.desk.step is Step.ORGANISATION, timeout=10000)
    # The first sign-in enrols this fresh kiosk; its check grant follows a moment later,
    # and the review waits for it (FlowState.check_grant_required).
    qtbot.waitUntil(lambda: app.desk.state.session.check_grant is not None, timeout=10000)
    if org_row is not None:
        app.window.pages[Step.ORGANISATION].list.setCurrentRow(org_row)


def to_wid_check(qtbot, app, org_row: int = 0):
    if app.desk.step is Step.SIGN_IN:
        sign_in(qtbot, app, org_row)
    app.window.primary()  # the organisation on screen
    assert app.desk.step is Step.EMPLOYEE
    app.desk.submit_employee(GIVEN, SURNAME, BORN)
    return app.window.pages[Step.WID_CHECK]


# -- item 3: true messages ------------------------------------------------------------------
@pytest.mark.parametrize(
    ("error", "key"),
    [
        (SignInRefused(401), "portal.sign_in.invalid_credentials"),
        (SignInLocked(403), "portal.sign_in.locked"),
        (SignInUnreachable(), "portal.sign_in.unreachable"),
    ],
)
def test_each_sign_in_failure_has_its_own_text(qtbot, desk_app, lang, artifacts_dir, error, key):
    page = desk_app.window.pages[Step.SIGN_IN]
    page._failed(error)
    assert page.error.text() == i18n.tr(key)
    assert "registrati" not in page.error.text().lower()
    shoot(desk_app.window, artifacts_dir, f"m01-sign-in-{key.rsplit('.', 1)[1]}")


def test_wrong_password_from_the_real_portal(qtbot, desk_app, lang):
    page = desk_app.window.pages[Step.SIGN_IN]
    page.username.edit.setText("demo")
    page.password.edit.setText("wrong")
    desk_app.window.primary()
    qtbot.waitUntil(lambda: page.task is None and page.error.isVisible(), timeout=10000)
    assert page.error.text() == i18n.tr("portal.sign_in.invalid_credentials")


def test_too_many_attempts_shows_the_wait_and_holds_the_button(
    qtbot, desk_app, lang, artifacts_dir
):
    page = desk_app.window.pages[Step.SIGN_IN]
    now = [100.0]
    page._clock = lambda: now[0]
    page._failed(SignInThrottled(30))
    assert page.error.text() == i18n.tr("portal.sign_in.too_many_attempts_wait", seconds=30)
    assert not desk_app.window.primary_button.isEnabled()
    shoot(desk_app.window, artifacts_dir, "m02-sign-in-too-many-attempts")
    now[0] += 12.2
    page._tick()
    assert page.error.text() == i18n.tr("portal.sign_in.too_many_attempts_wait", seconds=18)
    now[0] += 20
    page._tick()
    assert desk_app.window.primary_button.isEnabled()


def test_idle_sign_out_says_why(qtbot, client, store, lang, artifacts_dir):
    app = build_desk_app(client, store, None, idle_timeout_s=0.5, method_factories=methods([False]))
    qtbot.addWidget(app.window)
    try:
        app.window.resize(1366, 768)
        app.window.show()
        sign_in(qtbot, app)
        app.window.idle.start()  # from now: the sign-in itself may have outlasted 0.5 s
        qtbot.waitUntil(lambda: app.desk.step is Step.SIGN_IN, timeout=5000)
        page = app.window.pages[Step.SIGN_IN]
        assert page.notice.isVisible()
        assert page.notice.text() == i18n.tr("ui.sign_in.idle_signed_out")
        shoot(app.window, artifacts_dir, "m03-sign-in-after-idle")
        app.window.idle.stop()
        sign_in(qtbot, app)
        app.desk.sign_out()  # signing out by hand is not "idle"
        assert not page.notice.isVisible()
    finally:
        app.close()


def test_step_1_errors_follow_a_language_switch_and_dates_say_what_is_wrong(
    qtbot, desk_app, artifacts_dir
):
    sign_in(qtbot, desk_app)
    desk_app.window.primary()
    page = desk_app.window.pages[Step.EMPLOYEE]
    assert page.date_of_birth.hint.text() == i18n.tr("ui.employee.date_formats")
    page.given_names.edit.setText("J4n")
    page.date_of_birth.edit.setText("31-02-1985")
    desk_app.window.primary()
    nl = page.date_of_birth.error.text()
    assert nl == "De datum 31-02-1985 bestaat niet. Controleer de dag en de maand."
    shoot(desk_app.window, artifacts_dir, "m04-employee-date-does-not-exist")
    desk_app.window.language_button.click()
    assert page.date_of_birth.error.text() == i18n.tr(
        "flow.error.date_not_exist", date="31-02-1985"
    )
    assert page.date_of_birth.error.text() != nl
    assert page.given_names.error.text() == i18n.tr("employee.error.name_characters")
    assert page.surname.error.text() == i18n.tr("employee.error.surname_required")
    assert page.date_of_birth.hint.text() == i18n.tr("ui.employee.date_formats")
    shoot(desk_app.window, artifacts_dir, "m04-employee-date-does-not-exist")


def test_sign_in_error_follows_a_language_switch(qtbot, desk_app):
    page = desk_app.window.pages[Step.SIGN_IN]
    page._failed(SignInUnreachable())
    desk_app.window.language_button.click()
    assert page.error.text() == i18n.tr("portal.sign_in.unreachable", lang="en")


# -- item 5: nothing stale --------------------------------------------------------------------
def test_next_employee_sees_the_last_organisation_as_chosen(qtbot, desk_app, lang, artifacts_dir):
    sign_in(qtbot, desk_app, org_row=1)
    orgs = desk_app.desk.state.session.organisations
    org_page = desk_app.window.pages[Step.ORGANISATION]
    assert org_page.chosen.text() == i18n.tr("ui.organisation.chosen", name=orgs[1].name)
    assert orgs[1].name in desk_app.window.who.text()
    wid = to_wid_check(qtbot, desk_app, org_row=1)
    wid.select(CheckMethod.MRZ_TYPED).mrz.setPlainText(passport_mrz())
    wid.confirm.setChecked(True)
    desk_app.window.primary()
    assert desk_app.desk.step is Step.REVIEW
    review = desk_app.window.pages[Step.REVIEW]
    assert review.organisation.text() == i18n.tr(
        "ui.review.for_organisation", organisation=orgs[1].name
    )
    assert (
        review.organisation.font().pixelSize() >= 24 or review.organisation.font().pointSize() >= 18
    )
    shoot(desk_app.window, artifacts_dir, "m05-review-organisation")
    desk_app.window.cancel()  # the next employee
    assert desk_app.desk.step is Step.ORGANISATION
    assert desk_app.desk.state.organisation is None  # nothing applied silently
    assert org_page.list.currentRow() == 1
    assert org_page.chosen.text() == i18n.tr("ui.organisation.last_chosen", name=orgs[1].name)
    assert orgs[1].name in desk_app.window.who.text()  # named in the header
    shoot(desk_app.window, artifacts_dir, "m06-organisation-next-employee")
    desk_app.window.primary()
    assert desk_app.desk.state.organisation == orgs[1]


def test_the_breadcrumb_says_klaar_at_done(qtbot, desk_app, lang):
    from datetime import UTC, datetime, timedelta

    from kiosk.model import Enrollment, RegistrationStatus

    wid = to_wid_check(qtbot, desk_app)
    wid.select(CheckMethod.MRZ_TYPED).mrz.setPlainText(passport_mrz())
    wid.confirm.setChecked(True)
    desk_app.window.primary()
    desk_app.window.primary()
    rid = desk_app.desk.state.registration_id
    enrollment = Enrollment(
        "C1", "zorgid://enroll/v1?c=C1", datetime.now(UTC) + timedelta(minutes=5)
    )
    desk_app.desk.delivered(rid, RegistrationStatus.PENDING_ENROLLMENT, enrollment)
    desk_app.desk.enrollment_status(rid, RegistrationStatus.ENROLLED)
    assert desk_app.desk.step is Step.DONE
    current = [c.text() for c in desk_app.window.crumbs if c.property("current") == "true"]
    assert current == [i18n.tr("ui.crumb.done")]
    assert i18n.tr("ui.crumb.done") == {"nl": "Klaar", "en": "Done"}[lang]


# -- item 6: expired --------------------------------------------------------------------------
def test_an_expired_document_reads_verlopen_with_its_refusal(qtbot, desk_app, lang, artifacts_dir):
    wid = to_wid_check(qtbot, desk_app)
    wid.select(CheckMethod.MRZ_TYPED).mrz.setPlainText(passport_mrz())
    evidence = dataclasses.replace(desk_app.desk.state.evidence, expiry_date=date(2024, 5, 1))
    desk_app.desk.accept_evidence(evidence)
    mark = wid.evidence.marks["expiry_date"]
    assert mark.text().endswith(i18n.tr("ui.evidence.expired"))
    assert i18n.tr("ui.evidence.differs") not in mark.text()
    assert mark.objectName() == "badMark"
    assert wid.evidence.expired.isVisible()
    assert wid.evidence.expired.text() == i18n.tr("flow.error.document_expired")
    wid.confirm.setChecked(True)
    desk_app.window.primary()
    assert desk_app.desk.step is Step.WID_CHECK  # refused
    shoot(desk_app.window, artifacts_dir, "m07-wid-check-expired")


# -- item 2: the next employee's step 2 -------------------------------------------------------
def test_next_employee_starts_step_2_clean_on_the_first_available_method(
    qtbot, desk_app, reader_present, lang, artifacts_dir
):
    wid = to_wid_check(qtbot, desk_app)
    # No reader on this desk: the chip method is not offered, the MRZ reader is first.
    assert not wid.method_buttons.button(0).isEnabled()
    assert wid.current_method().method_id is CheckMethod.MRZ_READER
    typed = wid.select(CheckMethod.MRZ_TYPED)
    typed.mrz.setPlainText("P<NLDXX")
    typed.check()
    wid.show_error("left over")
    assert typed.error.text()
    shoot(desk_app.window, artifacts_dir, "m08-wid-check-error")
    desk_app.window.cancel()
    wid = to_wid_check(qtbot, desk_app)
    assert wid.current_method().method_id is CheckMethod.MRZ_READER
    assert not wid.error.isVisible() and not typed.error.text()
    scroll = desk_app.window.scrolls[Step.WID_CHECK]
    assert scroll.verticalScrollBar().value() == 0
    # A reader plugged in: the next person starts on the chip.
    reader_present[0] = True
    desk_app.window.cancel()
    wid = to_wid_check(qtbot, desk_app)
    assert wid.method_buttons.button(0).isEnabled()
    assert wid.current_method().method_id is CheckMethod.CHIP
    # Switching method leaves the previous method's message behind.
    wid.show_error("chip says no")
    wid.select(CheckMethod.MRZ_TYPED)
    assert not wid.error.isVisible()
    shoot(desk_app.window, artifacts_dir, "m09-wid-check-next-employee")


# -- item 7: camera hints in the live preview -------------------------------------------------
def test_the_camera_preview_says_why(qtbot, tmp_path, lang, artifacts_dir):
    import cv2

    from kiosk.devices.camera import FileSource
    from tests.mrzcorpus import make_sequence
    from ui.step2.camera import CameraMethod

    _lines, clip = make_sequence(2, "TD3", frames=5, empty=0, far=0)
    folder = tmp_path / "blurred"
    folder.mkdir()
    for i, frame in enumerate(clip):
        cv2.imwrite(str(folder / f"{i:03d}.png"), cv2.GaussianBlur(frame, (0, 0), 3.5))
    page = CameraMethod(source_factory=lambda: FileSource([folder], interval=0.05))
    qtbot.addWidget(page)
    page.resize(640, 560)
    page.show()
    try:
        page.start()
        expected = i18n.tr("camera.hint.not_sharp")
        qtbot.waitUntil(lambda: page.feedback.text() == expected, timeout=15000)
        assert page.grab().save(str(artifacts_dir / f"m10-camera-not-sharp-{lang}.png"))
    finally:
        page.stop()
