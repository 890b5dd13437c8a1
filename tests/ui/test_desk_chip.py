"""Step 2 of the real desk with the chip method against pcscd + vpcd + the emulator.

The chip page inside the themed desk at desk resolutions (screenshots for a person to look
at): the key fields fit the step-2 column, a genuine chip's evidence fills the panel with
the photo, and the beheerder can confirm and go on.
"""

from __future__ import annotations

import functools
from collections.abc import Iterator

import pytest
from PySide6.QtWidgets import QApplication

from kiosk.config import ReaderConfig
from kiosk.emrtd.trust import TEST_ANCHORS_DIR, TrustStore
from kiosk.emulator.profiles import get_profile
from kiosk.flow.wizard import Step
from kiosk.model import CheckMethod, PassiveAuth
from kiosk.mrz import parse_mrz
from tests.integration.pcsc.stack import PcscStack, start_stack
from ui.app import build_desk_app
from ui.step2.chip import ChipMethod
from ui.step2.typed_mrz import TypedMrzMethod

from .test_screenshots import shoot, sign_in

pytestmark = pytest.mark.pcsc


@pytest.fixture(scope="module")
def stack() -> Iterator[PcscStack]:
    started = start_stack()
    try:
        yield started
    finally:
        started.close()


def test_reading_the_chip_in_the_desk(qtbot, client, store, stack, artifacts_dir):
    chip = functools.partial(
        ChipMethod,
        standalone=False,
        reader_config=ReaderConfig(name=stack.reader),
        trust_store=TrustStore.load(TEST_ANCHORS_DIR),
    )
    app = build_desk_app(client, store, None, method_factories=[chip, TypedMrzMethod])
    qtbot.addWidget(app.window)
    window = app.window
    try:
        window.resize(1366, 768)
        window.show()
        sign_in(qtbot, app)
        window.primary()
        mrz = get_profile("nl_passport_2024").mrz
        person = parse_mrz(mrz)
        assert person.birth_date and person.access_key
        page = window.pages[Step.EMPLOYEE]
        qtbot.keyClicks(page.given_names.edit, person.given_names.title())
        qtbot.keyClicks(page.surname.edit, person.surname.title())
        qtbot.keyClicks(page.date_of_birth.edit, person.birth_date.strftime("%d-%m-%Y"))
        window.primary()
        assert app.desk.step is Step.WID_CHECK
        wid = window.pages[Step.WID_CHECK]
        method = wid.current_method()
        assert isinstance(method, ChipMethod)
        shoot(window, artifacts_dir, "04d-wid-check-chip-waiting")
        # Nothing in the chip method's column may be squeezed below a usable width.
        for field in (method.can, method.doc_number, method.birth, method.expiry):
            assert field.width() >= 90, field.objectName()
        assert method.edl_mrz.width() >= 300
        assert method.read_button.geometry().right() <= method.width()
        method.doc_number.setText(person.access_key.document_number.rstrip("<"))
        method.birth.setText(person.access_key.birth_date)
        method.expiry.setText(person.access_key.expiry_date)
        with stack.card("nl_passport_2024"):
            qtbot.waitUntil(lambda: app.desk.state.evidence is not None, timeout=30_000)
            evidence = app.desk.state.evidence
            assert evidence.method is CheckMethod.CHIP
            assert evidence.chip.passive_auth is PassiveAuth.VALID
            assert app.desk.state.comparison.matches
            QApplication.processEvents()
            assert not wid.photo.pixmap().isNull()  # the panel shows the chip photo large
            # ... and the verdicts, so the chip column does not repeat them.
            assert not any(line.isVisible() for line in method.result_labels)
            # Everything the beheerder needs is above the fold, the confirmation included.
            viewport = wid.confirm.window().rect()
            corner = wid.confirm.mapTo(wid.confirm.window(), wid.confirm.rect().bottomRight())
            assert viewport.contains(corner), corner
            shoot(window, artifacts_dir, "04e-wid-check-chip-read")
        wid.confirm.setChecked(True)
        window.primary()
        assert app.desk.step is Step.REVIEW
        # The chip photo lives only while step 2 is on screen (DESIGN.md 7).
        QApplication.processEvents()
        assert app.desk.state.evidence.photo is None
        assert wid.photo.pixmap().isNull()
        assert method.photo.pixmap().isNull()
    finally:
        app.close()
