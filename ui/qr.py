"""A crisp QR code: the qrcode library's module matrix drawn with integer module scaling.

Scaling a rendered QR image blurs module edges; phones then struggle. Instead we take the
module matrix and paint each module as an exact ``scale x scale`` pixel square, with the
4-module quiet zone ISO/IEC 18004 section 7.3.8 requires, no antialiasing and no smoothing.
"""

from __future__ import annotations

import qrcode
from PySide6.QtCore import QRect, QSize, Qt
from PySide6.QtGui import QColor, QPainter, QPaintEvent
from PySide6.QtWidgets import QSizePolicy, QWidget

QUIET_ZONE = 4  # modules, ISO/IEC 18004 section 7.3.8


def qr_matrix(payload: str) -> list[list[bool]]:
    """Return the module matrix (True = dark) for ``payload``, without quiet zone.

    Error correction level M: robust to glare on a screen while keeping modules large.
    """
    code = qrcode.QRCode(error_correction=qrcode.constants.ERROR_CORRECT_M, border=0)
    code.add_data(payload)
    code.make(fit=True)
    return [[bool(cell) for cell in row] for row in code.get_matrix()]


class QrWidget(QWidget):
    """Paints a QR code as large as fits, each module an integer number of pixels."""

    def __init__(self, parent: QWidget | None = None) -> None:
        super().__init__(parent)
        self._matrix: list[list[bool]] = []
        self.setSizePolicy(QSizePolicy.Policy.Expanding, QSizePolicy.Policy.Expanding)
        self.setMinimumSize(QSize(200, 200))

    def set_payload(self, payload: str | None) -> None:
        """Show the QR for ``payload``; None clears it."""
        self._matrix = qr_matrix(payload) if payload else []
        self.update()

    def has_code(self) -> bool:
        """True while a code is shown."""
        return bool(self._matrix)

    def module_scale(self) -> int:
        """Pixels per module at the current size (0 when nothing is shown)."""
        if not self._matrix:
            return 0
        modules = len(self._matrix) + 2 * QUIET_ZONE
        return max(1, min(self.width(), self.height()) // modules)

    def paintEvent(self, _event: QPaintEvent) -> None:
        """Draw the quiet zone and the modules on exact pixel boundaries."""
        if not self._matrix:
            return
        painter = QPainter(self)
        painter.setRenderHint(QPainter.RenderHint.Antialiasing, False)
        scale = self.module_scale()
        size = (len(self._matrix) + 2 * QUIET_ZONE) * scale
        left = (self.width() - size) // 2
        top = (self.height() - size) // 2
        painter.fillRect(QRect(left, top, size, size), QColor(Qt.GlobalColor.white))
        black = QColor(Qt.GlobalColor.black)
        origin_x = left + QUIET_ZONE * scale
        origin_y = top + QUIET_ZONE * scale
        for y, row in enumerate(self._matrix):
            x = 0
            while x < len(row):
                if not row[x]:
                    x += 1
                    continue
                start = x
                while x < len(row) and row[x]:
                    x += 1
                # One rectangle per run of dark modules: fewer paint calls, same pixels.
                width = (x - start) * scale
                run = QRect(origin_x + start * scale, origin_y + y * scale, width, scale)
                painter.fillRect(run, black)
        painter.end()
