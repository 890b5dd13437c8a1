"""The printed enrollment letter: the QR and steps 4-7 on an A4 PDF, made by Qt.

For an employee who leaves before scanning (DESIGN.md section 5: an offline code "is shown
or printed at once"; days-valid codes are "handed over on paper"). The letter carries the
code's QR, its validity and the steps, and no personal data (DESIGN.md section 7): the
beheerder hands it over in person. The QR is drawn module by module at an integer number of
device pixels with its quiet zone, like :class:`ui.qr.QrWidget`, so it scans from paper and
decodes back from the rendered page.
"""

from __future__ import annotations

from datetime import datetime
from pathlib import Path

from PySide6.QtCore import QMarginsF, QRect, QStandardPaths, Qt
from PySide6.QtGui import QColor, QFont, QPageLayout, QPageSize, QPainter, QPdfWriter

from kiosk.i18n import tr
from kiosk.model import Enrollment
from ui.customer_display import STEPS
from ui.qr import QUIET_ZONE, qr_matrix

#: Step texts that say something else on paper than on the customer screen.
LETTER_TEXT = {"ui.customer.step6.text": "ui.letter.step6.text"}

#: Device resolution of the PDF (dots per inch): A4 is 2480 x 3508 dots.
DPI = 300
#: Side of the printed QR in millimetres (with its quiet zone): a phone reads it at arm's length.
QR_MM = 70


def default_letter_dir() -> Path:
    """Where letters go unless the beheerder chooses: the user's documents folder."""
    documents = QStandardPaths.writableLocation(QStandardPaths.StandardLocation.DocumentsLocation)
    return Path(documents or Path.home()) / "ZORG-ID"


def letter_filename(now: datetime) -> str:
    """A file name with the time, never a name ("inschrijfbrief-20261128-1015.pdf")."""
    return f"{tr('ui.letter.filename')}-{now.astimezone():%Y%m%d-%H%M%S}.pdf"


def _text(
    painter: QPainter, at: tuple[int, int, int], text: str, size_pt: float, *, bold: bool = False
) -> int:
    """Draw wrapped ``text`` at ``at`` = (left, top, width); returns the bottom."""
    left, top, width = at
    font = QFont()
    font.setPointSizeF(size_pt)
    font.setBold(bold)
    painter.setFont(font)
    flags = int(Qt.AlignmentFlag.AlignLeft) | int(Qt.TextFlag.TextWordWrap)
    box = painter.boundingRect(QRect(left, top, width, 10_000), flags, text)
    painter.drawText(QRect(left, top, width, box.height()), flags, text)
    return top + box.height()


def write_letter(path: Path, enrollment: Enrollment, *, activates_later: bool = False) -> Path:
    """Write the letter for ``enrollment`` to ``path`` (folders made as needed); returns it.

    Raises ``OSError`` when the file cannot be written."""
    path = Path(path)
    path.parent.mkdir(parents=True, exist_ok=True)
    writer = QPdfWriter(str(path))
    writer.setResolution(DPI)
    writer.setPageLayout(
        QPageLayout(
            QPageSize(QPageSize.PageSizeId.A4),
            QPageLayout.Orientation.Portrait,
            QMarginsF(0, 0, 0, 0),
        )
    )
    writer.setTitle(tr("ui.letter.title"))
    writer.setCreator(tr("ui.app_title"))
    painter = QPainter()
    if not painter.begin(writer):
        raise OSError(f"cannot write {path}")
    try:
        painter.setRenderHint(QPainter.RenderHint.Antialiasing, False)
        page_w = writer.width()
        margin = int(DPI * 20 / 25.4)  # 20 mm
        width = page_w - 2 * margin
        y = margin
        y = _text(painter, (margin, y, width), tr("ui.letter.title"), 22, bold=True) + 40
        y = _text(painter, (margin, y, width), tr("ui.letter.intro"), 12) + 60
        # The QR: whole dots per module, white quiet zone of 4 modules (ISO/IEC 18004 7.3.8).
        matrix = qr_matrix(enrollment.qr_payload)
        modules = len(matrix) + 2 * QUIET_ZONE
        scale = max(1, int(DPI * QR_MM / 25.4) // modules)
        side = modules * scale
        left = margin
        painter.fillRect(QRect(left, y, side, side), QColor(Qt.GlobalColor.white))
        black = QColor(Qt.GlobalColor.black)
        for row_index, row in enumerate(matrix):
            for col_index, dark in enumerate(row):
                if dark:
                    painter.fillRect(
                        QRect(
                            left + (QUIET_ZONE + col_index) * scale,
                            y + (QUIET_ZONE + row_index) * scale,
                            scale,
                            scale,
                        ),
                        black,
                    )
        # Validity and notes beside the QR.
        note_left = left + side + 60
        note_w = page_w - margin - note_left
        when = enrollment.expires_at.astimezone().strftime("%d-%m-%Y %H:%M")
        ny = _text(painter, (note_left, y + 40, note_w), tr("ui.letter.valid_until", when=when), 12)
        if activates_later:
            ny = _text(painter, (note_left, ny + 30, note_w), tr("ui.letter.activates_later"), 12)
        _text(painter, (note_left, ny + 30, note_w), tr("ui.letter.keep_safe"), 10)
        y += side + 80
        for number, title_key, screen_key in STEPS:
            # On paper the QR is on this letter, not on "this screen".
            text_key = LETTER_TEXT.get(screen_key, screen_key)
            y = (
                _text(painter, (margin, y, width), f"{number}.  {tr(title_key)}", 14, bold=True)
                + 10
            )
            y = _text(painter, (margin + 80, y, width - 80), tr(text_key), 12) + 40
    finally:
        painter.end()
    return path
