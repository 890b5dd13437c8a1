"""Fullscreen works without a window manager: the window covers the screen it was given."""

from __future__ import annotations

from PySide6.QtGui import QGuiApplication
from PySide6.QtWidgets import QWidget

from ui.fullscreen import show_fullscreen


def test_window_covers_the_screen(qtbot):
    widget = QWidget()
    qtbot.addWidget(widget)
    widget.resize(320, 200)
    screen = QGuiApplication.primaryScreen()
    show_fullscreen(widget, screen)
    assert widget.geometry() == screen.geometry()
    assert widget.isFullScreen()


def test_no_screen_leaves_the_window_alone(qtbot):
    widget = QWidget()
    qtbot.addWidget(widget)
    show_fullscreen(widget, None)
    assert not widget.isVisible()
