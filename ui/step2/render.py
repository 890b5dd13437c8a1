"""How step 2 shows a chip photo and a verdict: one decoder, one glyph style.

The chip page (``ui/step2/chip.py``) and the step-2 evidence panel (``ui/pages/wid_check.py``)
both use these, so a face looks the same and a verdict reads the same wherever it appears.
"""

from __future__ import annotations

from html import escape

import cv2
import numpy as np
from PySide6.QtCore import QSize, Qt
from PySide6.QtGui import QImage, QPixmap

#: The glyph of a verdict: passed, failed, not performed / not applicable.
GLYPHS: dict[bool | None, str] = {True: "✓", False: "✗", None: "–"}
#: Its colour (green, red, grey), for rich-text labels.
COLOURS: dict[bool | None, str] = {True: "#1e7b34", False: "#b00020", None: "#555555"}


def decode_photo(data: bytes) -> QImage | None:
    """Decode a chip photo (JPEG or JPEG 2000, DG2 or an eDL's DG6) into a QImage.

    OpenCV decodes both: Qt has no JPEG 2000 plugin by default, and OpenCV returns None on
    truncated data instead of warning (DESIGN.md section 10). None when unreadable.
    """
    decoded = cv2.imdecode(np.frombuffer(data, dtype=np.uint8), cv2.IMREAD_COLOR)
    if decoded is None:
        return None
    rgb = np.ascontiguousarray(cv2.cvtColor(decoded, cv2.COLOR_BGR2RGB))
    height, width, _ = rgb.shape
    # copy(): the QImage must own its pixels once the numpy buffer goes.
    return QImage(rgb.data, width, height, 3 * width, QImage.Format.Format_RGB888).copy()


def photo_pixmap(data: bytes, size: QSize) -> QPixmap | None:
    """The decoded photo scaled to fit ``size`` (aspect kept), or None when unreadable."""
    image = decode_photo(data)
    if image is None:
        return None
    return QPixmap.fromImage(image).scaled(
        size, Qt.AspectRatioMode.KeepAspectRatio, Qt.TransformationMode.SmoothTransformation
    )


def coloured_html(text: str, colour: str, *, bold: bool = False) -> str:
    """``text`` escaped and coloured, for a rich-text label."""
    weight = "font-weight:600;" if bold else ""
    return f'<span style="color:{colour};{weight}">{escape(text)}</span>'


def verdict_text(ok: bool | None, text: str) -> str:
    """A verdict as plain text: glyph, space, text."""
    return f"{GLYPHS[ok]} {text}"


def verdict_html(ok: bool | None, text: str) -> str:
    """A verdict as rich text: glyph and text in the verdict's colour, bold unless passed."""
    return coloured_html(verdict_text(ok, text), COLOURS[ok], bold=ok is not True)
