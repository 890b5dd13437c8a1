"""Step 3 and after: saved → delivered (QR on the customer display) → done."""

from __future__ import annotations

from PySide6.QtCore import Signal
from PySide6.QtWidgets import QHBoxLayout, QPushButton, QWidget

from kiosk.errors import KioskError
from kiosk.flow.desk import DeskSession
from kiosk.flow.display import remaining_text
from kiosk.flow.wizard import Delivery, Step
from kiosk.i18n import tr
from kiosk.model import Enrollment, RegistrationStatus
from ui.pages.base import Page
from ui.tasks import Task
from ui.widgets import label, set_tone


class RegisterPage(Page):
    """Says "opgeslagen" (the queue committed) and how delivery to the portal goes."""

    step = Step.REGISTER
    primary_key = ""

    def __init__(self, desk: DeskSession, parent: QWidget | None = None) -> None:
        super().__init__(desk, parent)
        self.status = label("bigStatus")
        self.status.setObjectName("bigStatus")
        self.detail = label("pageIntro")
        self.outer.addWidget(self.status)
        self.outer.addWidget(self.detail)
        self.outer.addWidget(self.error)
        self.outer.addStretch(1)

    def retranslate(self) -> None:
        """Apply texts."""
        self.title.setText(tr("ui.register.title"))
        self.intro.setText("")
        self.intro.hide()
        self.refresh()

    def _can_leave(self) -> bool:
        return self.desk.state.delivery in (Delivery.OFFLINE, Delivery.FAILED)

    def primary_text(self) -> str:
        """ "Nieuwe registratie" once there is nothing to wait for here."""
        return tr("ui.nav.new_registration") if self._can_leave() else ""

    def refresh(self) -> None:
        """Show the delivery state."""
        state = self.desk.state
        self.status.setText(tr("ui.register.saved"))
        set_tone(self.status, "tone", "ok")
        if state.delivery is Delivery.OFFLINE:
            set_tone(self.status, "tone", "warn")
            # No pool code left: say so plainly, and where the QR will come (issue 11).
            pool_empty = self.desk.pool_empty
            self.detail.setText(
                tr("ui.register.pool_empty" if pool_empty else "ui.register.offline")
            )
        elif state.delivery is Delivery.FAILED:
            set_tone(self.status, "tone", "error")
            reason = state.failure.translated() if state.failure else ""
            self.detail.setText(tr("ui.register.failed", reason=reason))
        elif state.delivery is Delivery.DELIVERED and state.enrollment is None:
            self.detail.setText(tr("ui.register.delivered_no_code"))
        else:
            self.detail.setText(tr("ui.register.sending"))

    def submit(self) -> None:
        """Next person (the registration stays in the queue)."""
        self.desk.finish()


class HandoverPage(Page):
    """The QR is on the customer display; waits for the app to enroll."""

    step = Step.HANDOVER
    primary_key = ""
    #: "QR-code opnieuw tonen": put the QR back on a shared screen someone dismissed.
    show_again_requested = Signal()
    #: "Brief afdrukken (PDF)": the enrollment letter of the code on screen.
    print_requested = Signal()

    def __init__(self, desk: DeskSession, parent: QWidget | None = None) -> None:
        super().__init__(desk, parent)
        self.task: Task[Enrollment] | None = None
        self.status = label("bigStatus")
        self.countdown = label("pageIntro")
        self.countdown.setObjectName("countdown")
        self.pooled = label("pageIntro")
        self.pooled.setObjectName("pooledNote")
        self.steps = label("pageIntro")
        self.show_again = QPushButton()
        self.show_again.setObjectName("showAgainButton")
        self.show_again.clicked.connect(self.show_again_requested.emit)
        self.print_letter = QPushButton()
        self.print_letter.setObjectName("printLetterButton")
        self.print_letter.clicked.connect(self.print_requested.emit)
        actions = QHBoxLayout()
        actions.addWidget(self.show_again)
        actions.addWidget(self.print_letter)
        actions.addStretch(1)
        self.outer.addWidget(self.status)
        self.outer.addWidget(self.countdown)
        self.outer.addWidget(self.pooled)
        self.outer.addLayout(actions)
        self.outer.addWidget(self.steps)
        self.outer.addWidget(self.error)
        self.outer.addStretch(1)

    def _expired(self) -> bool:
        state = self.desk.state
        if state.status in (RegistrationStatus.EXPIRED, RegistrationStatus.CANCELLED):
            return True
        return state.enrollment is not None and state.enrollment.expires_at <= self.desk.now()

    def primary_text(self) -> str:
        """ "Nieuwe QR-code" once the code expired; else "Volgende medewerker": the handover
        stays under "Openstaande overdrachten" until its QR is scanned."""
        return tr("ui.handover.renew") if self._expired() else tr("ui.nav.new_registration")

    def retranslate(self) -> None:
        """Apply texts."""
        self.title.setText(tr("ui.handover.title"))
        self.intro.setText(tr("ui.handover.intro"))
        self.steps.setText(tr("ui.handover.steps"))
        self.pooled.setText(tr("ui.handover.pooled"))
        self.show_again.setText(tr("ui.handover.show_again"))
        self.print_letter.setText(tr("ui.handover.print"))
        self.refresh()

    def refresh(self) -> None:
        """Status and countdown."""
        state = self.desk.state
        live = not self._expired() and state.enrollment is not None
        self.pooled.setVisible(live and state.delivery is not Delivery.DELIVERED)
        self.show_again.setVisible(live)
        self.print_letter.setVisible(live)
        if self._expired():
            self.status.setText(tr("ui.handover.expired"))
            set_tone(self.status, "tone", "warn")
            self.countdown.setText("")
        else:
            self.status.setText(tr("ui.handover.waiting"))
            set_tone(self.status, "tone", "ok")
            if state.enrollment is not None:
                left = remaining_text(state.enrollment.expires_at, self.desk.now())
                self.countdown.setText(tr("ui.handover.valid_for", time=left))

    def primary_enabled(self) -> bool:
        """Not while a renewal is under way."""
        return self.task is None

    def submit(self) -> None:
        """Renew an expired code (the portal call runs off the Qt thread); with a live code:
        the next employee (the handover stays listed)."""
        if not self._expired():
            if self.task is None:
                self.desk.finish()
            return
        if self.task is not None:
            return
        self.show_error("")
        self.task = Task(self.desk.request_renewal())
        self.task.start(self._renewed, self._renew_failed)
        self.changed.emit()

    def _renewed(self, enrollment: Enrollment) -> None:
        self.task = None
        self.desk.accept_renewal(enrollment)
        self.changed.emit()

    def _renew_failed(self, exc: Exception) -> None:
        self.task = None
        self.show_error(exc.translated() if isinstance(exc, KioskError) else tr("error.unexpected"))
        self.changed.emit()


class DonePage(Page):
    """Enrolled: the employee's app shows their name under 'ID'."""

    step = Step.DONE
    primary_key = "ui.nav.new_registration"

    def __init__(self, desk: DeskSession, parent: QWidget | None = None) -> None:
        super().__init__(desk, parent)
        self.status = label("bigStatus")
        self.outer.addWidget(self.status)
        self.outer.addWidget(self.error)
        self.outer.addStretch(1)

    def retranslate(self) -> None:
        """Apply texts."""
        self.title.setText(tr("ui.done.title"))
        self.intro.setText(tr("ui.done.intro"))
        self.status.setText(tr("ui.done.status"))

    def submit(self) -> None:
        """Next person."""
        self.desk.finish()
