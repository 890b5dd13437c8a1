"""Step 2 of the real desk with the camera method, fed from a file source of webcam frames.

The camera page inside the themed desk at desk resolutions (screenshots for a person to look
at): the preview and hints fit the step-2 column, the MRZ read from the frames fills the
evidence panel, and the beheerder can confirm and go on.
"""

from __future__ import annotations

import functools

import cv2
from PySide6.QtWidgets import QApplication

from kiosk.devices.camera import FileSource
from kiosk.flow.wizard import Step
from kiosk.model import CheckMethod
from kiosk.mrz import parse_mrz
from tests.mrzcorpus import make_sequence
from ui.app import build_desk_app
from ui.step2.camera import CameraMethod
from ui.step2.typed_mrz import TypedMrzMethod

from .test_screenshots import shoot, sign_in


def test_scanning_the_mrz_with_the_camera_in_the_desk(
    qtbot, client, store, tmp_path, artifacts_dir
):
    lines, frames = make_sequence(7, "TD3", "normal", frames=10, empty=2, far=2)
    clip = tmp_path / "clip"
    clip.mkdir()
    for i, frame in enumerate(frames):  # test input; the kiosk itself never writes frames
        cv2.imwrite(str(clip / f"{i:03d}.png"), frame)
    person = parse_mrz("\n".join(lines))
    assert person.valid and person.birth_date
    camera = functools.partial(
        CameraMethod, source_factory=lambda: FileSource([clip], interval=0.08)
    )
    app = build_desk_app(client, store, None, method_factories=[camera, TypedMrzMethod])
    qtbot.addWidget(app.window)
    window = app.window
    try:
        window.resize(1366, 768)
        window.show()
        sign_in(qtbot, app)
        window.primary()
        page = window.pages[Step.EMPLOYEE]
        qtbot.keyClicks(page.given_names.edit, person.given_names)
        qtbot.keyClicks(page.surname.edit, person.surname)
        qtbot.keyClicks(page.date_of_birth.edit, person.birth_date.strftime("%d-%m-%Y"))
        window.primary()
        assert app.desk.step is Step.WID_CHECK
        wid = window.pages[Step.WID_CHECK]
        method = wid.current_method()
        assert isinstance(method, CameraMethod)
        qtbot.waitUntil(lambda: app.desk.state.evidence is not None, timeout=30_000)
        evidence = app.desk.state.evidence
        assert evidence.method is CheckMethod.MRZ_CAMERA
        assert evidence.document_number == person.document_number
        assert app.desk.state.comparison.matches
        QApplication.processEvents()
        shoot(window, artifacts_dir, "04f-wid-check-camera-read")
        window.resize(1366, 768)
        QApplication.processEvents()
        viewport = window.rect()
        corner = wid.confirm.mapTo(window, wid.confirm.rect().bottomRight())
        assert viewport.contains(corner), corner
        wid.confirm.setChecked(True)
        window.primary()
        assert app.desk.step is Step.REVIEW
    finally:
        app.close()
