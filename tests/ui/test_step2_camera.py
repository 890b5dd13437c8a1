"""Step-2 camera page, driven from a file source of synthetic webcam frames."""

from __future__ import annotations

import cv2
import pytest

from kiosk.devices.camera import FileSource, OpenCvSource
from kiosk.model import CheckMethod
from kiosk.mrz.ocr.video import Hint
from tests.mrzcorpus import make_sequence
from ui.step2.camera import CameraMethod


def _clip(folder, seed: int, kind: str, difficulty: str = "normal") -> tuple[str, ...]:
    """Write a synthetic clip as numbered PNGs (test input; the kiosk never writes frames)."""
    lines, frames = make_sequence(seed, kind, difficulty, frames=10, empty=2, far=2)
    folder.mkdir()
    for i, frame in enumerate(frames):
        cv2.imwrite(str(folder / f"{i:03d}.png"), frame)
    return lines


@pytest.fixture
def camera_page(qtbot):
    pages = []

    def make(folder, interval: float = 0.08) -> CameraMethod:
        page = CameraMethod(source_factory=lambda: FileSource([folder], interval=interval))
        qtbot.addWidget(page)
        page.resize(760, 620)
        page.show()
        pages.append(page)
        return page

    yield make
    for page in pages:
        page.stop()


def test_reads_the_passport_from_a_file_source_and_emits_evidence(
    qtbot, tmp_path, camera_page, artifacts_dir
):
    lines = _clip(tmp_path / "clip", 21, "TD3")
    page = camera_page(tmp_path / "clip")
    hints: list[Hint] = []
    page._bridge.frame.connect(lambda _img, state: hints.append(state.hint))
    with qtbot.waitSignal(page.evidenceReady, timeout=30000) as blocker:
        page.start()
        qtbot.waitUntil(lambda: Hint.CLOSER in hints, timeout=15000)
        page.grab().save(str(artifacts_dir / "step2_camera_closer.png"))
    evidence = blocker.args[0]
    assert evidence.method is CheckMethod.MRZ_CAMERA
    surname = lines[0][5:].split("<<")[0].replace("<", " ")
    assert evidence.surname == surname
    assert evidence.document_number == lines[1][:9].rstrip("<")
    assert hints[:2] == [Hint.SHOW_DOCUMENT, Hint.SHOW_DOCUMENT]
    assert page.feedback.text() == "Gelezen"
    assert not page.preview.pixmap().isNull()
    page.grab().save(str(artifacts_dir / "step2_camera_read.png"))
    assert page._device is None  # the camera is released once read

    page.clear()
    assert page.preview.pixmap().isNull() and page.state is None
    texts = [w.text() for w in page.findChildren(type(page.feedback))]
    assert not any(surname in t or evidence.document_number in t for t in texts)


def test_identity_card_in_english(qtbot, tmp_path, camera_page):
    from kiosk import i18n

    _clip(tmp_path / "clip", 22, "TD1", "hard")
    i18n.set_language("en")
    page = camera_page(tmp_path / "clip", interval=0.02)
    page.retranslate()
    assert page.manual.text() == "Type the MRZ"
    with qtbot.waitSignal(page.evidenceReady, timeout=30000) as blocker:
        page.start()
    assert blocker.args[0].document_type.value == "id_card"
    assert page.feedback.text() == "Read"


def test_driving_licence_mrz_has_no_names_so_the_page_says_so(qtbot, tmp_path, camera_page):
    _clip(tmp_path / "clip", 23, "EDL")
    page = camera_page(tmp_path / "clip", interval=0.02)
    with qtbot.waitSignal(page.failed, timeout=30000) as blocker:
        page.start()
    assert blocker.args[0]  # translated reason (the eDL MRZ carries no name or birth date)
    assert page.status.text() == blocker.args[0]


def test_manual_fallback_stops_the_camera(qtbot, tmp_path, camera_page):
    _clip(tmp_path / "clip", 24, "TD3")
    page = camera_page(tmp_path / "clip", interval=0.2)
    page.start()
    with qtbot.waitSignal(page.manualRequested, timeout=2000):
        page.manual.click()
    assert page._device is None


def test_absent_camera_is_reported_and_retried(qtbot, camera_page):
    page = CameraMethod(source_factory=lambda: OpenCvSource(97))
    qtbot.addWidget(page)
    page.start()
    qtbot.waitUntil(lambda: "niet beschikbaar" in page.status.text(), timeout=5000)
    page.stop()
