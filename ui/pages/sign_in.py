"""Sign in as ZORG-ID Portaal beheerder."""

from __future__ import annotations

from PySide6.QtWidgets import QHBoxLayout, QVBoxLayout, QWidget

from kiosk.errors import KioskError
from kiosk.flow.desk import DeskSession
from kiosk.flow.wizard import FlowBlocked, Step
from kiosk.i18n import tr
from kiosk.sync.api import Session
from ui.pages.base import Page
from ui.tasks import Task
from ui.widgets import LineField, card, label


class SignInPage(Page):
    """User name and password; the portal call runs off the Qt thread."""

    step = Step.SIGN_IN
    primary_key = "ui.sign_in.submit"

    def __init__(self, desk: DeskSession, parent: QWidget | None = None) -> None:
        super().__init__(desk, parent)
        self.task: Task[Session] | None = None
        panel = card()
        form = QVBoxLayout(panel)
        form.setContentsMargins(32, 24, 32, 24)
        form.setSpacing(12)
        self.username = LineField()
        self.password = LineField(password=True)
        self.selfservice = label("fieldHint")
        form.addWidget(self.username)
        form.addWidget(self.password)
        form.addWidget(self.error)
        row = QHBoxLayout()
        row.addWidget(panel, 3)
        row.addStretch(2)
        self.outer.addLayout(row)
        self.outer.addWidget(self.selfservice)
        self.outer.addStretch(1)
        self.username.edit.setObjectName("username")
        self.password.edit.setObjectName("password")

    def retranslate(self) -> None:
        """Apply texts."""
        self.title.setText(tr("ui.sign_in.title"))
        self.intro.setText(tr("ui.sign_in.intro"))
        self.username.set_texts(tr("ui.sign_in.username"))
        self.password.set_texts(tr("ui.sign_in.password"))
        self.selfservice.setText(tr("ui.sign_in.selfservice"))

    def entered(self) -> None:
        """Focus the user name."""
        self.username.edit.setFocus()

    def clear(self) -> None:
        """Forget what was typed."""
        super().clear()
        self.username.clear()
        self.password.clear()

    def primary_enabled(self) -> bool:
        """Not while a sign-in is under way."""
        return self.task is None

    def submit(self) -> None:
        """Start the sign-in; the answer comes back through queued signals."""
        if self.task is not None:
            return
        self.show_error("")
        username, password = self.username.text(), self.password.text()
        self.desk.sign_in_check(username, password)
        self.task = Task(lambda: self.desk.sign_in(username, password))
        self.task.start(self._signed_in, self._failed)
        self.show_error("")
        self.intro.setText(tr("ui.sign_in.busy"))
        self.changed.emit()

    def _signed_in(self, session: Session) -> None:
        self.task = None
        self.password.clear()
        self.intro.setText(tr("ui.sign_in.intro"))
        try:
            self.desk.accept_session(session)
        except KioskError as exc:
            self._failed(exc)
        self.changed.emit()

    def _failed(self, exc: Exception) -> None:
        self.task = None
        self.intro.setText(tr("ui.sign_in.intro"))
        if isinstance(exc, FlowBlocked) and exc.problems:
            self.show_problems(exc.problems)
        elif isinstance(exc, KioskError):
            self.show_error(exc.translated())
        else:
            self.show_error(tr("error.unexpected"))
        self.password.clear()
        self.password.edit.setFocus()
        self.changed.emit()
