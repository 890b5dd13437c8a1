"""Small building blocks shared by the pages: labelled fields with their error next to them."""

from __future__ import annotations

from PySide6.QtCore import Qt
from PySide6.QtWidgets import (
    QFrame,
    QLabel,
    QLineEdit,
    QVBoxLayout,
    QWidget,
)


def label(object_name: str, text: str = "", *, wrap: bool = True) -> QLabel:
    """A QLabel styled by ``object_name`` (see resources/styles/desk.qss)."""
    widget = QLabel(text)
    widget.setObjectName(object_name)
    widget.setWordWrap(wrap)
    widget.setTextFormat(Qt.TextFormat.PlainText)
    return widget


def card() -> QFrame:
    """A white rounded panel."""
    frame = QFrame()
    frame.setObjectName("card")
    return frame


def set_invalid(widget: QWidget, invalid: bool) -> None:
    """Mark an input invalid (red border) and re-polish so the stylesheet applies."""
    widget.setProperty("invalid", "true" if invalid else "false")
    widget.style().unpolish(widget)
    widget.style().polish(widget)


def set_tone(widget: QWidget, name: str, value: str) -> None:
    """Set a dynamic style property and re-polish."""
    widget.setProperty(name, value)
    widget.style().unpolish(widget)
    widget.style().polish(widget)


class LineField(QWidget):
    """A label, an input, a hint and the input's error message right below it."""

    def __init__(self, parent: QWidget | None = None, *, password: bool = False) -> None:
        super().__init__(parent)
        layout = QVBoxLayout(self)
        layout.setContentsMargins(0, 0, 0, 0)
        layout.setSpacing(4)
        self.caption = label("fieldLabel")
        self.edit = QLineEdit()
        if password:
            self.edit.setEchoMode(QLineEdit.EchoMode.Password)
        self.caption.setBuddy(self.edit)
        self.hint = label("fieldHint")
        self.error = label("fieldError")
        self.error.hide()
        layout.addWidget(self.caption)
        layout.addWidget(self.edit)
        layout.addWidget(self.hint)
        layout.addWidget(self.error)
        self.edit.textEdited.connect(lambda _t: self.set_error(""))

    def set_texts(self, caption: str, hint: str = "", placeholder: str = "") -> None:
        """Apply translated texts."""
        self.caption.setText(caption)
        self.hint.setText(hint)
        self.hint.setVisible(bool(hint))
        self.edit.setPlaceholderText(placeholder)

    def set_error(self, message: str) -> None:
        """Show (or with "" hide) the error next to the field."""
        self.error.setText(message)
        self.error.setVisible(bool(message))
        set_invalid(self.edit, bool(message))

    def text(self) -> str:
        """The input's text."""
        return self.edit.text()

    def clear(self) -> None:
        """Wipe the input and its error."""
        self.edit.clear()
        self.set_error("")
