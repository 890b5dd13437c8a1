"""Walk every widget of a window and collect the texts a person could read."""

from __future__ import annotations

from PySide6.QtWidgets import (
    QAbstractButton,
    QComboBox,
    QDateEdit,
    QLabel,
    QLineEdit,
    QListWidget,
    QPlainTextEdit,
    QTextEdit,
    QWidget,
)


def visible_texts(top: QWidget) -> list[str]:
    """Every text held by ``top`` and its descendants (shown or not)."""
    texts = [top.windowTitle()]
    for widget in [top, *top.findChildren(QWidget)]:
        if isinstance(widget, (QLineEdit, QLabel, QDateEdit, QAbstractButton)):
            texts.append(widget.text())
        elif isinstance(widget, (QPlainTextEdit, QTextEdit)):
            texts.append(widget.toPlainText())
        elif isinstance(widget, QComboBox):
            texts.extend(widget.itemText(i) for i in range(widget.count()))
        elif isinstance(widget, QListWidget):
            texts.extend(widget.item(i).text() for i in range(widget.count()))
        texts.append(widget.toolTip())
    return [t for t in texts if t]


def personal_leftovers(tops: list[QWidget], personal: tuple[str, ...]) -> list[str]:
    """The texts in ``tops`` that contain any of ``personal`` (case-insensitive)."""
    lowered = [p.lower() for p in personal]
    found = []
    for top in tops:
        for text in visible_texts(top):
            if any(p in text.lower() for p in lowered):
                found.append(text)
    return found
