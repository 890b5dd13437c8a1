"""The desk's look: one stylesheet (resources/styles/desk.qss) applied application-wide."""

from __future__ import annotations

from PySide6.QtGui import QFont, QFontDatabase
from PySide6.QtWidgets import QApplication

from kiosk.paths import resource

OCR_B_PATHS = ("/usr/share/fonts/opentype/ocr-b/OCRB.otf",)


def stylesheet() -> str:
    """Return the desk stylesheet text."""
    return resource("styles", "desk.qss").read_text(encoding="utf-8")


def apply_theme(app: QApplication) -> None:
    """Apply the stylesheet and a readable default font; load OCR-B for MRZ input if present."""
    for path in OCR_B_PATHS:
        QFontDatabase.addApplicationFont(path)  # returns -1 when absent: MRZ falls back to mono
    font = QFont("DejaVu Sans")
    font.setPixelSize(20)
    app.setFont(font)
    app.setStyleSheet(stylesheet())
