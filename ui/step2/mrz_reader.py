"""Step-2 method "MRZ-lezer": a keyboard-wedge MRZ reader (swipe or full-page).

Such a reader "types" the MRZ at machine speed. While this method is shown it watches every
key press in the application (an event filter) and feeds it, with a monotonic timestamp, to
:class:`kiosk.mrz.wedge.WedgeAssembler`, which tells a reader burst from a person typing.
Keys that belong to a burst are swallowed at the window, before any widget sees them, so the
MRZ does not land in whatever field has focus. A 100 ms timer flushes an MRZ that arrived
without a final row terminator.
"""

from __future__ import annotations

import time
from collections.abc import Callable

from PySide6.QtCore import QEvent, QObject, Qt, QTimer
from PySide6.QtGui import QKeyEvent, QWindow
from PySide6.QtWidgets import QApplication, QVBoxLayout, QWidget

from kiosk.errors import KioskError
from kiosk.flow.evidence import EvidenceRejected, evidence_from_mrz
from kiosk.i18n import tr
from kiosk.model import CheckMethod
from kiosk.mrz.parser import parse_mrz
from kiosk.mrz.wedge import WedgeAssembler
from ui.step2.base import WidMethodWidget
from ui.step2.typed_mrz import DocumentTypeBox
from ui.widgets import label, set_tone


class MrzReaderMethod(WidMethodWidget):
    """Listens for a wedge reader's MRZ burst while shown."""

    method_id = CheckMethod.MRZ_READER

    def __init__(
        self, parent: QWidget | None = None, clock: Callable[[], float] = time.monotonic
    ) -> None:
        super().__init__(parent)
        self.clock = clock
        self.assembler = WedgeAssembler(on_incomplete=self._incomplete)
        layout = QVBoxLayout(self)
        layout.setContentsMargins(0, 0, 0, 0)
        layout.setSpacing(8)
        self.type_caption = label("fieldLabel")
        self.doc_type = DocumentTypeBox()
        self.doc_type.setObjectName("readerDocumentType")
        self.type_caption.setBuddy(self.doc_type)
        self.instruction = label("pageIntro")
        self.status = label("bigStatus")
        self.error = label("fieldError")
        self.error.hide()
        layout.addWidget(self.type_caption)
        layout.addWidget(self.doc_type)
        layout.addSpacing(8)
        layout.addWidget(self.instruction)
        layout.addWidget(self.status)
        layout.addWidget(self.error)
        layout.addStretch(1)
        self.timer = QTimer(self)
        self.timer.setInterval(100)
        self.timer.timeout.connect(self._flush)
        self.listening = False
        self.retranslate()

    def title(self) -> str:
        """Name in the method chooser."""
        return tr("ui.method.mrz_reader")

    def retranslate(self) -> None:
        """Apply texts."""
        self.type_caption.setText(tr("ui.typed_mrz.document_type"))
        self.doc_type.retranslate()
        self.instruction.setText(tr("ui.reader.instruction"))
        self._show_status()

    def _show_status(self, key: str | None = None, tone: str = "ok") -> None:
        self.status.setText(
            tr(key or ("ui.reader.listening" if self.listening else "ui.reader.idle"))
        )
        set_tone(self.status, "tone", tone)

    def start(self) -> None:
        """Listen to key presses application-wide."""
        if not self.listening:
            app = QApplication.instance()
            if app is not None:
                app.installEventFilter(self)
            self.timer.start()
            self.listening = True
        self._show_status()

    def stop(self) -> None:
        """Stop listening."""
        if self.listening:
            app = QApplication.instance()
            if app is not None:
                app.removeEventFilter(self)
            self.timer.stop()
            self.listening = False
        self.assembler.reset()

    def clear(self) -> None:
        """Forget any half-read MRZ and messages."""
        self.assembler.reset()
        self.doc_type.setCurrentIndex(0)
        self.error.setText("")
        self.error.hide()
        self._show_status()

    def eventFilter(self, watched: QObject, event: QEvent) -> bool:
        """Feed key presses to the assembler; swallow those that belong to a reader burst."""
        if event.type() != QEvent.Type.KeyPress or not isinstance(event, QKeyEvent):
            return False
        if event.isAutoRepeat() or not self._first_receiver(watched):
            return self.assembler.capturing
        key = event.key()
        text = "\r" if key in (Qt.Key.Key_Return, Qt.Key.Key_Enter) else event.text()
        mrz = self.assembler.feed(text, self.clock())
        if mrz is not None:
            self._received(mrz)
            return True
        return self.assembler.capturing

    @staticmethod
    def _first_receiver(watched: QObject) -> bool:
        """A key press from the keyboard reaches the filter once per receiver: first the
        top-level QWindow, then the focus widget and its parents. Count it at the window,
        where every keystroke passes exactly once whichever widget has focus."""
        return isinstance(watched, QWindow)

    def _flush(self) -> None:
        mrz = self.assembler.flush(self.clock())
        if mrz is not None:
            self._received(mrz)

    def _incomplete(self, key: str) -> None:
        self._fail(tr("ui.reader.incomplete"))

    def _fail(self, message: str) -> None:
        self.error.setText(message)
        self.error.setVisible(bool(message))
        self._show_status("ui.reader.listening")

    def _received(self, text: str) -> None:
        try:
            evidence = evidence_from_mrz(
                parse_mrz(text), CheckMethod.MRZ_READER, self.doc_type.document_type()
            )
        except EvidenceRejected as exc:
            self._fail("\n".join(p.translated() for p in exc.problems))
            return
        except KioskError as exc:
            self._fail(exc.translated())
            return
        self.error.hide()
        self._show_status("ui.reader.read")
        self.evidenceReady.emit(evidence)
