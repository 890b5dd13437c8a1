"""Issue 11 items 1 and 4 in the desk UI: offline handover, open handovers, the letter,
one screen; screenshots of each state at both desk resolutions, Dutch and English."""

from __future__ import annotations

import shutil
import subprocess
from datetime import UTC, datetime, timedelta

import cv2
import pytest
from PySide6.QtCore import Qt
from PySide6.QtGui import QColor
from PySide6.QtWidgets import QApplication, QPushButton

from kiosk import i18n
from kiosk.flow.handover import HandoverState
from kiosk.flow.wizard import Step
from kiosk.model import CheckMethod, Enrollment, RegistrationStatus
from ui.app import build_desk_app
from ui.customer_display import Mode
from ui.letter import write_letter

from .conftest import BORN, GIVEN, PERSONAL_TEXTS, SURNAME, desk_methods, passport_mrz
from .personal import personal_leftovers
from .test_screenshots import SIZES, shoot, sign_in


def pool_code(n: int = 1) -> Enrollment:
    return Enrollment(
        f"POOL{n}", f"zorgid://enroll/v1?c=POOL{n}", datetime.now(UTC) + timedelta(days=3)
    )


@pytest.fixture
def desk_app(qtbot, client, store):
    codes = [pool_code()]
    app = build_desk_app(client, store, None, method_factories=desk_methods())
    app.desk.reserve_code = lambda: codes.pop(0) if codes else None
    qtbot.addWidget(app.window)
    yield app
    app.close()


def register_offline(qtbot, app) -> None:
    window, desk = app.window, app.desk
    sign_in(qtbot, app)
    desk.connectivity(False)
    window.set_portal_status(False, 0, 0)
    window.primary()
    page = window.pages[Step.EMPLOYEE]
    page.given_names.edit.setText(GIVEN)
    page.surname.edit.setText(SURNAME)
    page.date_of_birth.edit.setText(BORN.strftime("%d-%m-%Y"))
    window.primary()
    wid = window.pages[Step.WID_CHECK]
    wid.select(CheckMethod.MRZ_TYPED).mrz.setPlainText(passport_mrz())
    wid.confirm.setChecked(True)
    window.primary()
    window.primary()


def shoot_over(window, dialog, artifacts_dir, name) -> None:
    """The desk at each resolution with ``dialog`` drawn over its middle, as a user sees it
    (a dialog is a window of its own: the desk's grab does not contain it)."""
    from PySide6.QtGui import QPainter

    for width, height in SIZES:
        window.resize(width, height)
        window.show()
        QApplication.processEvents()
        pixmap = window.grab()
        over = dialog.grab()
        painter = QPainter(pixmap)
        painter.fillRect(pixmap.rect(), QColor(0, 0, 0, 90))
        painter.drawPixmap((width - over.width()) // 2, (height - over.height()) // 2, over)
        painter.end()
        assert pixmap.width() == width and pixmap.height() == height
        assert pixmap.save(str(artifacts_dir / f"{name}-{width}x{height}.png"))


def decode(widget) -> str:
    from tests.e2e.test_desk_registration import grab_rgb

    payload, _, _ = cv2.QRCodeDetector().detectAndDecode(grab_rgb(widget))
    return payload


@pytest.mark.parametrize("language", ["nl", "en"])
def test_offline_handover_states_and_screenshots(qtbot, desk_app, artifacts_dir, language):
    i18n.set_language(language)
    app, window, desk = desk_app, desk_app.window, desk_app.desk
    prefix = f"h-{language}"
    try:
        register_offline(qtbot, app)
        # A pool QR at once, with the note that it activates when the desk is back online.
        assert desk.step is Step.HANDOVER and app.customer.mode is Mode.QR
        page = window.pages[Step.HANDOVER]
        assert page.pooled.text() == i18n.tr("ui.handover.pooled")
        assert not page.pooled.isHidden()
        assert not app.customer.activates_later.isHidden()
        # One screen (offscreen has one): the display covers it with a visible way back.
        assert app.customer.isVisible() and not app.customer.back_to_desk.isHidden()
        assert app.customer.back_to_desk.text() == i18n.tr("ui.customer.back_to_desk")
        shoot(window, artifacts_dir, f"{prefix}-01-handover-pool-qr")
        shoot(app.customer, artifacts_dir, f"{prefix}-c1-customer-pool-qr")
        app.customer.place()
        assert decode(app.customer) == desk.state.enrollment.qr_payload
        app.customer.back_to_desk.click()
        assert not app.customer.isVisible()
        page.show_again.click()  # the desk puts the QR back
        assert app.customer.isVisible() and app.customer.mode is Mode.QR
        qtbot.keyClick(app.customer, Qt.Key.Key_Escape)
        assert not app.customer.isVisible()
        page.show_again.click()
        assert app.customer.isVisible()
        qtbot.keyClick(app.customer, Qt.Key.Key_Escape)

        # "Stoppen" asks first.
        window.cancel()
        assert window.stop_confirm is not None and desk.step is Step.HANDOVER
        shoot_over(window, window.stop_confirm, artifacts_dir, f"{prefix}-02-stop-confirm")
        window.stop_confirm.findChild(QPushButton, "stopConfirmKeep").click()
        assert desk.step is Step.HANDOVER

        # "Volgende medewerker": the handover is on the list, QR shown again from it.
        window.primary()
        assert desk.step is Step.ORGANISATION
        assert window.handovers_button.text() == i18n.tr("ui.status.handovers", count=1)
        panel = window.show_handovers()
        (entry,) = desk.open_handovers()
        assert entry.state is HandoverState.NOT_ACTIVE
        assert panel.list.item(0).text().startswith("Willeke B.")
        assert (
            personal_leftovers([panel], [t for t in PERSONAL_TEXTS if t.lower() != "willeke"]) == []
        )
        assert panel.show_button.isEnabled() and panel.print_button.isEnabled()
        assert not panel.stop_button.isEnabled()  # not at the portal yet
        panel.resize(900, 480)
        QApplication.processEvents()
        shoot_over(window, panel, artifacts_dir, f"{prefix}-03-open-handovers")
        panel.show_button.click()
        assert desk.step is Step.HANDOVER and app.customer.mode is Mode.QR
        window.primary()

        # No pool code left: said plainly on the register page.
        window.primary()  # organisation
        register_offline_again(qtbot, app)
        assert desk.step is Step.REGISTER and desk.pool_empty
        register = window.pages[Step.REGISTER]
        assert register.detail.text() == i18n.tr("ui.register.pool_empty")
        shoot(window, artifacts_dir, f"{prefix}-04-register-pool-empty")
        window.primary()
        panel = window.show_handovers()
        states = [e.state for e in desk.open_handovers()]
        assert states == [HandoverState.NOT_ACTIVE, HandoverState.WAITING]
        shoot_over(window, panel, artifacts_dir, f"{prefix}-05-open-handovers-two")
        # Online again with a waiting queue: "Nu opnieuw proberen" shows.
        window.on_retry = lambda: None
        window.set_portal_status(True, 2, 0)
        assert not window.retry_button.isHidden()
        assert window.retry_button.text() == i18n.tr("ui.status.retry")
        shoot(window, artifacts_dir, f"{prefix}-06-status-retry")
    finally:
        i18n.set_language("nl")


def register_offline_again(qtbot, app) -> None:
    window = app.window
    page = window.pages[Step.EMPLOYEE]
    page.given_names.edit.setText("Piet")
    page.surname.edit.setText("Jansen")
    page.date_of_birth.edit.setText("01-01-1970")
    window.primary()
    wid = window.pages[Step.WID_CHECK]
    wid.select(CheckMethod.MRZ_TYPED).mrz.setPlainText(
        passport_mrz(surname="Jansen", given="Piet", born=datetime(1970, 1, 1).date())
    )
    wid.confirm.setChecked(True)
    window.primary()
    window.primary()


@pytest.mark.skipif(shutil.which("pdftoppm") is None, reason="pdftoppm (poppler-utils) missing")
@pytest.mark.parametrize("language", ["nl", "en"])
def test_the_letter_pdf_decodes_back_to_its_qr(qapp, tmp_path, artifacts_dir, language):
    i18n.set_language(language)
    try:
        code = pool_code(7)
        pdf = write_letter(tmp_path / "letters" / "brief.pdf", code, activates_later=True)
        subprocess.run(
            ["pdftoppm", "-r", "150", "-png", "-singlefile", str(pdf), str(tmp_path / "page")],
            check=True,
        )
        image = cv2.imread(str(tmp_path / "page.png"))
        payload, _, _ = cv2.QRCodeDetector().detectAndDecode(image)
        assert payload == code.qr_payload
        shutil.copy(tmp_path / "page.png", artifacts_dir / f"h-{language}-07-letter.png")
    finally:
        i18n.set_language("nl")


def test_printing_from_the_handover_page_uses_the_chosen_path(qtbot, desk_app, tmp_path):
    app, window = desk_app, desk_app.window
    register_offline(qtbot, app)
    chosen = []

    def choose(_parent, proposed):
        chosen.append(proposed)
        return tmp_path / "out" / proposed.name

    window.choose_letter_path = choose
    path = window.print_current_letter()
    assert path is not None and path.exists() and path.stat().st_size > 1000
    assert chosen[0].suffix == ".pdf" and "Willeke" not in chosen[0].name
    app.desk.delivered(
        app.desk.state.registration_id, RegistrationStatus.PENDING_ENROLLMENT, pool_code()
    )
