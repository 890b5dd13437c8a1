"""Step 2 at the real window geometry: run in a child process on an X server (Xvfb, xcb).

The offscreen platform claimed a fit that the real window did not have (DESIGN.md section
10), so this builds the desk as ``kiosk`` shows it (fullscreen through
:func:`ui.fullscreen.show_fullscreen`) and as ``kiosk demo`` shows it (a 1366x768 window),
brings every step-2 method into its fullest state (document read with differences, expired,
photo, the refusal messages, the method's own message) and prints, as one JSON line per
case, whether any scroll bar shows and which required widget lies outside the window.
Screenshots land in ``artifacts/``.

Usage: ``python -m tests.ui.fit_probe ARTIFACTS_DIR LANG`` with ``QT_QPA_PLATFORM=xcb``.
"""

from __future__ import annotations

import dataclasses
import json
import sys
import tempfile
from datetime import date
from pathlib import Path
from typing import Any

import cv2
import numpy as np
from PySide6.QtCore import QPoint, QRect
from PySide6.QtGui import QGuiApplication, QImage, QPixmap
from PySide6.QtWidgets import QAbstractScrollArea, QApplication, QLabel, QWidget

from kiosk import i18n
from kiosk.config import ReaderConfig
from kiosk.flow.evidence import VerificationItem
from kiosk.flow.wizard import Step
from kiosk.model import CheckMethod
from tests.ui.conftest import BORN, GIVEN, SURNAME, passport_mrz
from ui.app import application, build_desk_app
from ui.fullscreen import show_fullscreen
from ui.step2.camera import CameraMethod
from ui.step2.chip import ChipMethod
from ui.step2.mrz_reader import MrzReaderMethod
from ui.step2.typed_mrz import TypedMrzMethod


class _NoFrames:
    """A camera that never opens: the page shows its 'unavailable' status."""

    def open(self) -> None:
        from kiosk.devices.camera import CameraUnavailable

        raise CameraUnavailable(device="0")

    def read(self) -> np.ndarray | None:
        return None

    def close(self) -> None:
        pass


def _no_reader(_config: ReaderConfig) -> Any:
    from kiosk.devices.card import NoReader

    raise NoReader()


def methods() -> list[Any]:
    """All four methods; the chip reader is present (a fake device) so the chip method is
    offered, and the camera has no camera (its status says so)."""

    def chip(parent: QWidget | None = None, **_: Any) -> ChipMethod:
        return ChipMethod(
            parent,
            standalone=False,
            reader_config=ReaderConfig(),
            device_factory=_no_reader,
            readers_present=lambda: True,
        )

    def camera(parent: QWidget | None = None, **_: Any) -> CameraMethod:
        return CameraMethod(parent, source_factory=_NoFrames)

    return [chip, camera, MrzReaderMethod, TypedMrzMethod]


def _photo() -> bytes:
    face = np.full((320, 240, 3), 200, dtype=np.uint8)
    face[80:240, 60:180] = (40, 80, 160)
    ok, encoded = cv2.imencode(".jpg", face)
    assert ok
    return encoded.tobytes()


def required(window: Any, wid: Any) -> dict[str, QWidget]:
    """The widgets that must be on screen at once."""
    method = wid.current_method()
    out: dict[str, QWidget] = {
        "method_choice": wid.method_caption,
        "photo": wid.photo,
        "confirm": wid.confirm,
        "page_error": wid.error,
        "differences": wid.evidence.differences,
        "verifications": wid.evidence.verifications,
        "expired": wid.evidence.expired,
        "notes": wid.evidence.notes,
        "primary": window.primary_button,
    }
    for index in range(len(wid.methods)):
        out[f"method_button_{index}"] = wid.method_buttons.button(index)
    for name, value in wid.evidence.values.items():
        out[f"value_{name}"] = value
        out[f"mark_{name}"] = wid.evidence.marks[name]
    for name in ("error", "status", "feedback", "preview", "check_button", "mrz"):
        widget = getattr(method, name, None)
        if isinstance(widget, QWidget):
            out[f"method_{name}"] = widget
    for index, line in enumerate(getattr(method, "result_labels", [])):
        out[f"chip_result_{index}"] = line
    return out


def fullest_state(app: Any, wid: Any, method_id: CheckMethod) -> None:
    """The document read, differing and expired, with a photo, ticked, refused; the
    method shows its own message too."""
    method = wid.select(method_id)
    typed = wid.methods[-1]
    # Evidence read by this method: born a day later, surname differs, expired last year.
    typed.mrz.setPlainText(passport_mrz(surname="DE BRUIN", born=BORN.replace(day=11)))
    evidence = app.desk.state.evidence
    assert evidence is not None
    evidence = dataclasses.replace(
        evidence,
        method=method_id,
        photo=_photo(),
        expiry_date=date(2025, 1, 31),
        verifications=(
            VerificationItem("chip_reader.ui.access", True, (("protocol", "PACE"),)),
            VerificationItem("chip_reader.ui.pa.valid", True),
            VerificationItem("chip_reader.ui.clone.valid", True, (("method", "CA"),)),
        ),
    )
    wid.select(method_id)
    app.desk.accept_evidence(evidence)
    wid.confirm.setChecked(True)
    app.window.primary()  # refused: expired and differs, both shown
    if isinstance(method, TypedMrzMethod):
        method._show_error(i18n.tr("mrz.problem.check_digit.document_number"))
    elif isinstance(method, MrzReaderMethod):
        method.status.setText(i18n.tr("ui.reader.incomplete"))
    elif isinstance(method, CameraMethod):
        image = QImage(640, 360, QImage.Format.Format_RGB888)
        image.fill(0x777777)
        method.preview.setPixmap(QPixmap.fromImage(image))
        method.feedback.setText(i18n.tr("camera.hint.closer"))
        method.status.setText(i18n.tr("camera.error.unavailable", device="0"))
    elif isinstance(method, ChipMethod):
        method._status_tr("chip_reader.ui.waiting")
    QApplication.processEvents()


def measure(window: Any, wid: Any) -> dict[str, Any]:
    """Scroll bars shown and required widgets outside the window (or hidden)."""
    QApplication.processEvents()
    bars = []
    for area in window.findChildren(QAbstractScrollArea):
        if not area.isVisibleTo(window):
            continue
        for bar in (area.verticalScrollBar(), area.horizontalScrollBar()):
            if bar.isVisibleTo(window) and bar.maximum() > 0:
                bars.append(area.objectName() or type(area).__name__)
    inside = QRect(QPoint(0, 0), window.size())
    outside, hidden = [], []
    for name, widget in required(window, wid).items():
        if not widget.isVisibleTo(window):
            if name in ("page_error", "photo", "confirm", "primary") or name.startswith(
                "method_button"
            ):
                hidden.append(name)
            continue
        rect = QRect(widget.mapTo(window, QPoint(0, 0)), widget.size())
        # Inside every scroll area's viewport too: a widget clipped by one is not seen.
        clips = [inside]
        parent = widget.parentWidget()
        while parent is not None and parent is not window:
            if isinstance(parent.parentWidget(), QAbstractScrollArea):
                clips.append(QRect(parent.mapTo(window, QPoint(0, 0)), parent.size()))
            parent = parent.parentWidget()
        if not all(clip.contains(rect) for clip in clips):
            outside.append(name)
        elif (
            isinstance(widget, QLabel)
            and widget.wordWrap()
            and widget.text()
            and widget.height() < widget.heightForWidth(widget.width())
        ):
            outside.append(name)  # a wrapped text squeezed into less height is cut off
    import os

    if os.environ.get("FIT_DEBUG"):
        print(
            "DEBUG",
            wid.minimumSizeHint(),
            wid.sizeHint(),
            wid.method_stack.minimumSizeHint(),
            wid.method_stack.sizeHint(),
            wid.current_method().minimumSizeHint(),
            wid.error.geometry(),
            wid.height(),
            repr(wid.error.text()),
            file=sys.stderr,
        )
    return {
        "window": [window.width(), window.height()],
        "bars": bars,
        "outside": outside,
        "hidden": hidden,
    }


def main() -> None:
    artifacts = Path(sys.argv[1])
    lang = sys.argv[2] if len(sys.argv) > 2 else "nl"
    application(sys.argv[:1])
    i18n.set_language(lang)
    from kiosk.portal import PortalServer
    from kiosk.store import FileKeyProvider, Store
    from kiosk.sync.client import PortalClient

    tmp = Path(tempfile.mkdtemp())
    server = PortalServer(tmp / "portal.sqlite3")
    server.seed_demo()
    server.start()
    client = PortalClient(server.url)
    store = Store.open(tmp / "kiosk.sqlite3", FileKeyProvider(tmp / "kiosk.key"))
    app = build_desk_app(client, store, None, method_factories=methods())
    window = app.window
    screens = QGuiApplication.screens()
    cases = [("fullscreen", screens[0]), ("demo", None)]
    if len(screens) > 1:
        cases.append(("fullscreen", screens[1]))
    try:
        for mode, screen in cases:
            if screen is not None:
                show_fullscreen(window, screen)
            else:
                window.showNormal()
                window.setGeometry(screens[0].geometry().x(), 0, 1366, 768)
                window.resize(1366, 768)  # as run_desk_with shows `kiosk demo`
                window.show()
            QApplication.processEvents()
            app.desk.sign_out()
            page = window.pages[Step.SIGN_IN]
            page.username.edit.setText("demo")
            page.password.edit.setText("demo")
            app.desk.accept_session(app.desk.sign_in("demo", "demo"))
            window.pages[Step.ORGANISATION].list.setCurrentRow(0)
            window.primary()
            app.desk.submit_employee(GIVEN, SURNAME, BORN)
            wid = window.pages[Step.WID_CHECK]
            QApplication.processEvents()
            first = wid.current_method()
            for method in list(wid.methods):
                fullest_state(app, wid, method.method_id)
                result = measure(window, wid)
                size = f"{window.width()}x{window.height()}"
                name = f"fit-{lang}-{mode}-{method.method_id.value}-{size}.png"
                window.grab().save(str(artifacts / name))
                result.update(
                    mode=mode,
                    method=method.method_id.value,
                    lang=lang,
                    first=first.method_id.value if first else None,
                )
                print(json.dumps(result), flush=True)
            app.desk.cancel()
    finally:
        app.close()
        client.close()
        store.close()
        server.stop()


if __name__ == "__main__":
    main()
