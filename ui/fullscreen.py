"""Fullscreen that also works without a window manager (kiosk sessions, Xvfb)."""

from __future__ import annotations

from PySide6.QtGui import QScreen
from PySide6.QtWidgets import QWidget


def show_fullscreen(widget: QWidget, screen: QScreen | None) -> None:
    """Show ``widget`` fullscreen on ``screen`` (nothing happens when there is no screen).

    Geometry first: without a window manager ``showFullScreen()`` alone does nothing
    (DESIGN.md section 10), so the window is placed over the screen before asking.
    """
    if screen is None:
        return
    widget.setScreen(screen)
    widget.setGeometry(screen.geometry())
    widget.showFullScreen()
