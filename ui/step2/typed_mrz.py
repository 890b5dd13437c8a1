"""Step-2 method "MRZ typen": the beheerder chooses the document type and types the MRZ.

The MRZ is parsed with :func:`kiosk.mrz.parser.parse_mrz`; its check digits (ICAO 9303 part
3 section 4.9) catch typing errors. Common O/0-style confusions are corrected by field type
and reported as a verification item, never silently.
"""

from __future__ import annotations

from PySide6.QtCore import Qt
from PySide6.QtGui import QFont
from PySide6.QtWidgets import (
    QComboBox,
    QHBoxLayout,
    QPlainTextEdit,
    QPushButton,
    QVBoxLayout,
    QWidget,
)

from kiosk.errors import KioskError
from kiosk.flow.evidence import EvidenceRejected, evidence_from_mrz
from kiosk.i18n import tr
from kiosk.model import CheckMethod, DocumentType
from kiosk.mrz.parser import parse_mrz
from ui.step2.base import WidMethodWidget
from ui.widgets import label

#: MRZ lengths without line breaks: TD1 3x30, TD2/MRV-B 2x36, TD3/MRV-A 2x44.
COMPLETE_LENGTHS = (72, 88, 90)

DOCUMENT_TYPES = (
    (DocumentType.PASSPORT, "ui.doctype.passport"),
    (DocumentType.ID_CARD, "ui.doctype.id_card"),
    (DocumentType.DRIVING_LICENCE, "ui.doctype.driving_licence"),
    (DocumentType.RESIDENCE_DOCUMENT, "ui.doctype.residence_document"),
)


class DocumentTypeBox(QComboBox):
    """The four kinds of WID, translated."""

    def retranslate(self) -> None:
        """(Re)fill with translated names, keeping the selection."""
        current = self.currentIndex()
        self.clear()
        for kind, key in DOCUMENT_TYPES:
            self.addItem(tr(key), kind.value)
        self.setCurrentIndex(max(current, 0))

    def document_type(self) -> DocumentType:
        """The chosen type."""
        return DocumentType(str(self.currentData()))


class TypedMrzMethod(WidMethodWidget):
    """Document type + the MRZ typed off the document."""

    method_id = CheckMethod.MRZ_TYPED

    def __init__(self, parent: QWidget | None = None) -> None:
        super().__init__(parent)
        layout = QVBoxLayout(self)
        layout.setContentsMargins(0, 0, 0, 0)
        layout.setSpacing(8)
        self.type_caption = label("fieldLabel")
        self.doc_type = DocumentTypeBox()
        self.doc_type.setObjectName("documentType")
        self.type_caption.setBuddy(self.doc_type)
        self.mrz_caption = label("fieldLabel")
        self.mrz = QPlainTextEdit()
        self.mrz.setObjectName("mrzInput")
        self.mrz.setTabChangesFocus(True)
        self.mrz.setLineWrapMode(QPlainTextEdit.LineWrapMode.NoWrap)
        font = QFont("OCR-B")
        font.setStyleHint(QFont.StyleHint.Monospace)
        font.setPixelSize(18)
        self.mrz.setFont(font)
        self.mrz.setFixedHeight(112)
        self.mrz_caption.setBuddy(self.mrz)
        self.hint = label("fieldHint")
        self.error = label("fieldError")
        self.error.hide()
        self.check_button = QPushButton()
        self.check_button.setObjectName("checkMrz")
        self.check_button.clicked.connect(self.check)
        self.mrz.textChanged.connect(self._text_changed)
        layout.addWidget(self.type_caption)
        layout.addWidget(self.doc_type)
        layout.addWidget(self.mrz_caption)
        layout.addWidget(self.mrz)
        row = QHBoxLayout()
        row.addWidget(self.hint, 1)
        row.addWidget(self.check_button, 0, Qt.AlignmentFlag.AlignTop)
        layout.addLayout(row)
        layout.addWidget(self.error)
        layout.addStretch(1)
        self._emitted = False
        self.retranslate()

    def title(self) -> str:
        """Name in the method chooser."""
        return tr("ui.method.typed_mrz")

    def retranslate(self) -> None:
        """Apply texts."""
        self.type_caption.setText(tr("ui.typed_mrz.document_type"))
        self.doc_type.retranslate()
        self.mrz_caption.setText(tr("ui.typed_mrz.mrz"))
        self.hint.setText(tr("ui.typed_mrz.hint"))
        self.check_button.setText(tr("ui.typed_mrz.check"))

    def start(self) -> None:
        """Focus the document type."""
        self.doc_type.setFocus()

    def clear(self) -> None:
        """Wipe the typed MRZ and any message."""
        self.mrz.clear()
        self.doc_type.setCurrentIndex(0)
        self._show_error("")
        self._emitted = False

    def _show_error(self, text: str) -> None:
        self.error.setText(text)
        self.error.setVisible(bool(text))

    def _compact(self) -> str:
        return "".join(self.mrz.toPlainText().split()).upper()

    def _text_changed(self) -> None:
        self._show_error("")
        self._emitted = False
        # Check by itself once the MRZ is complete, so typing the last character is enough.
        if len(self._compact()) in COMPLETE_LENGTHS:
            self.check(quiet=True)

    def check(self, quiet: bool = False) -> None:
        """Parse the typed MRZ; emit evidence or show what is wrong."""
        text = self.mrz.toPlainText()
        if not text.strip():
            self._show_error(tr("ui.typed_mrz.empty"))
            return
        try:
            evidence = evidence_from_mrz(
                parse_mrz(text), CheckMethod.MRZ_TYPED, self.doc_type.document_type()
            )
        except EvidenceRejected as exc:
            self._show_error("\n".join(p.translated() for p in exc.problems))
            return
        except KioskError as exc:
            self._show_error(exc.translated())
            return
        if not (quiet and self._emitted):
            self._emitted = True
            self.evidenceReady.emit(evidence)
