"""The step-2 chip page against the real stack: pcscd + vpcd + the eMRTD emulator.

The page listens to the card device (its own thread), reads the chip when a document is
placed, shows the photo large, the verdicts in Dutch and the differences with step 1, and
forgets all of it on clear(). Screenshots go to artifacts/ for a person to look at.
"""

from __future__ import annotations

from collections.abc import Iterator
from datetime import UTC, date, datetime

import pytest

from kiosk import i18n
from kiosk.config import ReaderConfig
from kiosk.model import CheckMethod, CloneCheck, Employee, PassiveAuth
from kiosk.mrz import parse_mrz
from tests.integration.pcsc.stack import PcscStack, start_stack
from tests.ui.personal import visible_texts

pytestmark = pytest.mark.pcsc

NOW = datetime(2026, 11, 28, 12, 0, tzinfo=UTC)


@pytest.fixture(scope="session")
def chip_stack() -> Iterator[PcscStack]:
    stack = start_stack()
    try:
        yield stack
    finally:
        stack.close()


def make_page(qtbot, stack: PcscStack, employee: Employee | None = None):
    from kiosk.emrtd.trust import TEST_ANCHORS_DIR, TrustStore
    from ui.step2.chip import ChipMethod

    page = ChipMethod(
        reader_config=ReaderConfig(name=stack.reader),
        trust_store=TrustStore.load(TEST_ANCHORS_DIR),
        employee=lambda: employee,
        now=lambda: NOW,
    )
    qtbot.addWidget(page)
    page.resize(1000, 560)
    page.show()
    page.start()
    return page


def type_key(page, mrz: str) -> None:
    key = parse_mrz(mrz)
    assert key.access_key is not None
    page.doc_number.setText(key.access_key.document_number.rstrip("<"))
    page.birth.setText(key.access_key.birth_date)
    page.expiry.setText(key.access_key.expiry_date)


def employee_from(mrz: str, **changes) -> Employee:
    parsed = parse_mrz(mrz)
    assert parsed.birth_date is not None
    values = {
        "given_names": parsed.given_names,
        "surname": parsed.surname,
        "date_of_birth": parsed.birth_date,
    }
    values.update(changes)
    return Employee(**values)


def test_waiting_for_a_document(qtbot, chip_stack, artifacts_dir):
    page = make_page(qtbot, chip_stack)
    assert page.instruction.text() == "Leg het document op de lezer"
    assert page.status.text() == "Wacht op een document op de lezer…"
    page.grab().save(str(artifacts_dir / "step2_chip_waiting.png"))
    i18n.set_language("en")
    page.retranslate()
    assert page.status.text() == i18n.tr("chip_reader.ui.waiting", lang="en")
    assert page.status.text() != "Wacht op een document op de lezer…"
    page.stop()


@pytest.mark.parametrize("profile", ["nl_passport_2024", "legacy_bac_passport"])
def test_reads_shows_photo_and_verdicts_then_clears(qtbot, chip_stack, artifacts_dir, profile):
    from kiosk.emulator.profiles import get_profile

    mrz = get_profile(profile).mrz
    page = make_page(qtbot, chip_stack, employee_from(mrz))
    type_key(page, mrz)
    outcomes: list[object] = []
    page.evidenceReady.connect(outcomes.append)
    page.failed.connect(outcomes.append)
    # Place the document, then let Qt run until the page has read it; the card leaves after.
    with chip_stack.card(profile):
        qtbot.waitUntil(lambda: bool(outcomes), timeout=30_000)
    evidence = outcomes[0]
    assert not isinstance(evidence, str), evidence
    assert evidence.method is CheckMethod.CHIP
    assert evidence.chip.passive_auth is PassiveAuth.VALID
    assert evidence.chip.clone_check in (CloneCheck.VALID, CloneCheck.NOT_SUPPORTED)
    assert evidence.photo  # PNG of the decoded face, memory only
    pixmap = page.photo.pixmap()
    assert not pixmap.isNull() and pixmap.height() >= 300  # large enough to compare
    assert page.progress.value() == 100
    assert "Echtheid" in " ".join(line.text() for line in page.result_labels)
    assert "overeen met stap 1" in page.differences.text()
    page.grab().save(str(artifacts_dir / f"step2_chip_{profile}.png"))

    # A language switch re-renders the status, the verdicts and the comparison.
    dutch = [page.status.text(), page.differences.text()] + [
        line.text() for line in page.result_labels
    ]
    i18n.set_language("en")
    page.retranslate()
    english = [page.status.text(), page.differences.text()] + [
        line.text() for line in page.result_labels
    ]
    assert page.status.text() == i18n.tr("chip_reader.ui.done", lang="en")
    assert all(nl != en for nl, en in zip(dutch, english, strict=True) if nl), english
    i18n.set_language("nl")
    page.retranslate()
    assert [page.status.text(), page.differences.text()] == dutch[:2]

    page.clear()
    assert page.evidence is None
    assert page.photo.pixmap().isNull()
    texts = " ".join(visible_texts(page))
    parsed = parse_mrz(mrz)
    for personal in (parsed.surname, parsed.document_number, parsed.given_names.split()[0]):
        assert personal not in texts
    page.stop()


def test_a_document_shifted_mid_read_is_read_again(qtbot, chip_stack):
    """The field drops after PACE: the page reads again with PACE, never BAC, and succeeds."""
    from kiosk.emulator.profiles import get_profile

    mrz = get_profile("quirk_field_drop_pace").mrz
    page = make_page(qtbot, chip_stack, employee_from(mrz))
    type_key(page, mrz)
    outcomes: list[object] = []
    page.evidenceReady.connect(outcomes.append)
    page.failed.connect(outcomes.append)
    wire: list[tuple[bytes, bytes]] = []
    with chip_stack.card("quirk_field_drop_pace", on_apdu=lambda c, r: wire.append((c, r))):
        qtbot.waitUntil(lambda: bool(outcomes), timeout=30_000)
    evidence = outcomes[0]
    assert not isinstance(evidence, str), evidence  # not "card removed"
    assert evidence.chip.passive_auth is PassiveAuth.VALID
    pace_runs = sum(c[1:4] == b"\x22\xc1\xa4" for c, _r in wire)
    bac_runs = sum(len(c) > 1 and c[1] == 0x82 for c, _r in wire)
    assert (pace_runs, bac_runs) == (2, 0)
    page.stop()


def test_differences_with_step_1_are_highlighted(qtbot, chip_stack, artifacts_dir):
    from kiosk.emulator.profiles import get_profile

    mrz = get_profile("legacy_bac_passport").mrz
    employee = employee_from(mrz, surname="Janssen", date_of_birth=date(1990, 7, 22))
    page = make_page(qtbot, chip_stack, employee)
    type_key(page, mrz)
    with (
        chip_stack.card("legacy_bac_passport"),
        qtbot.waitSignal(page.evidenceReady, timeout=30_000),
    ):
        pass
    text = page.differences.text()
    assert "Janssen" in text and "#b00020" in text  # shown in red
    assert "1990" in text or "22-07-1990" in text
    page.grab().save(str(artifacts_dir / "step2_chip_differences.png"))
    assert not page.photo.pixmap().isNull()
    page.stop()  # leaving the page: the photo goes with it
    assert page.photo.pixmap().isNull()
    assert page.evidence is None
    page.clear()


def test_wrong_key_is_reported_in_plain_dutch(qtbot, chip_stack):
    page = make_page(qtbot, chip_stack)
    page.doc_number.setText("XX0000000")
    page.birth.setText("700101")
    page.expiry.setText("300101")
    with (
        chip_stack.card("legacy_bac_passport"),
        qtbot.waitSignal(page.failed, timeout=30_000) as failed,
    ):
        pass
    assert failed.args[0] == page.status.text()
    assert "MRZ" in failed.args[0] or "toegang" in failed.args[0].lower()
    assert page.evidence is None
    page.stop()


def test_tampered_document_gives_no_evidence(qtbot, chip_stack, artifacts_dir):
    from kiosk.emulator.profiles import get_profile

    mrz = get_profile("bad_dg_hash").mrz
    page = make_page(qtbot, chip_stack)
    type_key(page, mrz)
    received: list[object] = []
    page.evidenceReady.connect(received.append)
    with chip_stack.card("bad_dg_hash"), qtbot.waitSignal(page.failed, timeout=30_000):
        pass
    assert received == []
    assert page.status.text().startswith("De echtheid van het document is niet vastgesteld.")
    assert "NIET" in " ".join(line.text() for line in page.result_labels)
    page.grab().save(str(artifacts_dir / "step2_chip_tampered.png"))
    page.clear()
    page.stop()


def test_without_pcscd_the_page_says_so_and_stays_usable(qtbot):
    from kiosk.devices.card import PcscUnavailable
    from ui.step2.chip import ChipMethod

    def no_service(_config):
        raise PcscUnavailable()

    page = ChipMethod(reader_config=ReaderConfig(), device_factory=no_service)
    qtbot.addWidget(page)
    with qtbot.waitSignal(page.failed, timeout=1000) as failed:
        page.start()
    assert "pcscd" in failed.args[0]
    assert page.status.text() == failed.args[0]
    page.read_now()  # no device: nothing happens, nothing crashes
    page.stop()


def test_retranslates_to_english(qtbot):
    from kiosk import i18n
    from ui.step2.chip import ChipMethod

    page = ChipMethod(reader_config=ReaderConfig(), device_factory=lambda _c: None)
    qtbot.addWidget(page)
    i18n.set_language("en")
    page.retranslate()
    assert page.instruction.text() == "Place the document on the reader"
    assert page.title() == "Read chip"


def test_driving_licence_with_its_one_line_mrz(qtbot, chip_stack, artifacts_dir):
    from kiosk.emulator.profiles import get_profile
    from kiosk.model import DocumentType

    employee = Employee(given_names="Daan", surname="Visser", date_of_birth=date(1995, 1, 9))
    page = make_page(qtbot, chip_stack, employee)
    page.edl_mrz.setText(get_profile("nl_driving_licence").mrz)
    outcomes: list[object] = []
    page.evidenceReady.connect(outcomes.append)
    page.failed.connect(outcomes.append)
    with chip_stack.card("nl_driving_licence"):
        qtbot.waitUntil(lambda: bool(outcomes), timeout=30_000)
    evidence = outcomes[0]
    assert not isinstance(evidence, str), evidence
    assert evidence.document_type is DocumentType.DRIVING_LICENCE
    assert evidence.chip.access.value == "BAP"
    assert (evidence.surname, evidence.birth_date) == ("Visser", date(1995, 1, 9))
    assert "overeen met stap 1" in page.differences.text()
    assert not page.photo.pixmap().isNull()  # the eDL face from DG6
    page.grab().save(str(artifacts_dir / "step2_chip_driving_licence.png"))
    page.clear()
    assert page.edl_mrz.text() == ""
    page.stop()
