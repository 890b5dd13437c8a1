"""Sign in as ZORG-ID Portaal beheerder."""

from __future__ import annotations

import time
from collections.abc import Callable

from PySide6.QtCore import QTimer
from PySide6.QtWidgets import QHBoxLayout, QVBoxLayout, QWidget

from kiosk.errors import KioskError
from kiosk.flow.desk import DeskSession
from kiosk.flow.wizard import FlowBlocked, Step
from kiosk.i18n import tr
from kiosk.sync.api import Session, SignInThrottled, wait_seconds
from ui.pages.base import Page
from ui.tasks import Task
from ui.widgets import LineField, card, label


class SignInPage(Page):
    """User name and password; the portal call runs off the Qt thread.

    Each failure says what happened to this attempt (kiosk.sync.api's sign-in errors): wrong
    credentials, a blocked account, too many attempts (the button waits out the portal's
    ``Retry-After``, counting down), or an unreachable portal. After an idle sign-out the
    page says why."""

    step = Step.SIGN_IN
    primary_key = "ui.sign_in.submit"

    def __init__(
        self,
        desk: DeskSession,
        parent: QWidget | None = None,
        clock: Callable[[], float] = time.monotonic,
    ) -> None:
        super().__init__(desk, parent)
        self.task: Task[Session] | None = None
        self._clock = clock
        #: Monotonic time before which the portal asked not to try again (429 Retry-After).
        self.wait_until: float | None = None
        self.countdown = QTimer(self)
        self.countdown.setInterval(500)
        self.countdown.timeout.connect(self._tick)
        self.notice = label("fieldHint")
        self.notice.setObjectName("signInNotice")
        self.notice.hide()
        self.outer.insertWidget(2, self.notice)
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
        self.refresh()

    def refresh(self) -> None:
        """Say why the desk signed out by itself, if it did."""
        idle = self.desk.state.idle_signed_out and self.desk.step is Step.SIGN_IN
        self.notice.setText(tr("ui.sign_in.idle_signed_out") if idle else "")
        self.notice.setVisible(idle)

    def seconds_to_wait(self) -> int:
        """Whole seconds until the portal accepts another attempt (0: now)."""
        left = 0.0 if self.wait_until is None else self.wait_until - self._clock()
        return wait_seconds(left) if left > 0 else 0

    def _tick(self) -> None:
        left = self.seconds_to_wait()
        if left <= 0:
            self.wait_until = None
            self.countdown.stop()
        elif self.problems:
            # The message counts down with the wait.
            self.show_problems([SignInThrottled(left)])
        self.changed.emit()

    def entered(self) -> None:
        """Focus the user name."""
        self.username.edit.setFocus()

    def clear(self) -> None:
        """Forget what was typed."""
        super().clear()
        self.username.clear()
        self.password.clear()

    def primary_enabled(self) -> bool:
        """Not while a sign-in is under way, nor while the portal asked to wait."""
        return self.task is None and self.seconds_to_wait() == 0

    def submit(self) -> None:
        """Start the sign-in; the answer comes back through queued signals."""
        if self.task is not None or self.seconds_to_wait():
            return
        self.show_error("")
        username, password = self.username.text(), self.password.text()
        self.desk.sign_in_check(username, password)
        self.task = Task(lambda: self.desk.sign_in(username, password))
        self.task.start(self._signed_in, self._failed)
        self.show_error("")
        self.intro.setText(tr("ui.sign_in.busy"))
        self.notice.hide()
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
            self.show_problems([exc])
        else:
            self.show_problems([KioskError("error.unexpected")])
        if isinstance(exc, SignInThrottled) and exc.retry_after:
            self.wait_until = self._clock() + exc.retry_after
            self.countdown.start()
        self.password.clear()
        self.password.edit.setFocus()
        self.changed.emit()
