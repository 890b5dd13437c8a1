"""Base class of a wizard page."""

from __future__ import annotations

from PySide6.QtCore import Signal
from PySide6.QtWidgets import QLabel, QVBoxLayout, QWidget

from kiosk.errors import KioskError
from kiosk.flow.desk import DeskSession
from kiosk.flow.wizard import Step
from kiosk.i18n import tr
from ui.widgets import label


class Page(QWidget):
    """One step of the wizard, rendered from :class:`kiosk.flow.desk.DeskSession` state.

    The main window calls :meth:`refresh` after every change, :meth:`submit` on the primary
    button or Enter, :meth:`show_problems` with what blocked the step, :meth:`clear` on
    cancel/done/idle (wipe every personal text) and :meth:`retranslate` on a language switch.
    """

    step: Step = Step.SIGN_IN
    #: i18n key of the primary button's text; "" hides the button.
    primary_key = "ui.nav.next"
    #: Emitted when the page finished an asynchronous action and the frame should refresh.
    changed = Signal()

    def __init__(self, desk: DeskSession, parent: QWidget | None = None) -> None:
        super().__init__(parent)
        self.desk = desk
        self.setObjectName("page")
        self.outer = QVBoxLayout(self)
        self.outer.setContentsMargins(40, 16, 40, 12)
        self.outer.setSpacing(10)
        self.title = label("pageTitle")
        self.intro = label("pageIntro")
        self.error: QLabel = label("pageError")
        self.error.hide()
        # What the messages on screen say, kept as errors so a language switch re-renders
        # them (:meth:`retranslate_messages`); a plain text cannot be.
        self.problems: list[KioskError] = []
        self.outer.addWidget(self.title)
        self.outer.addWidget(self.intro)

    # -- to override ------------------------------------------------------------------
    def retranslate(self) -> None:
        """Re-apply every text in the current language."""

    def refresh(self) -> None:
        """Show the current state."""

    def clear(self) -> None:
        """Wipe every personal text and every error."""
        self.show_error("")

    def submit(self) -> None:
        """The primary action (button or Enter). Raises KioskError/FlowBlocked on problems."""
        self.desk.wizard.forward()

    def entered(self) -> None:
        """The page became current: focus its first input."""

    def primary_enabled(self) -> bool:
        """Whether the primary button is enabled."""
        return True

    # -- shared ---------------------------------------------------------------------
    def show_error(self, message: str) -> None:
        """Show a page-level message (empty hides it)."""
        self.problems = []
        self._set_error(message)

    def _set_error(self, message: str) -> None:
        self.error.setText(message)
        self.error.setVisible(bool(message))

    def show_problems(self, problems: list[KioskError]) -> None:
        """Show errors; pages with fields override to put each next to its field."""
        self._set_error("\n".join(p.translated() for p in problems))
        self.problems = list(problems)

    def retranslate_messages(self) -> None:
        """Show the messages on screen again in the current language (language switch)."""
        if self.problems:
            self.show_problems(self.problems)

    def primary_text(self) -> str:
        """The translated primary button text ("" hides it)."""
        return tr(self.primary_key) if self.primary_key else ""
