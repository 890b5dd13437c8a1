"""The customer-facing screen: the enrollment QR, its validity and steps 4-7. Nothing else.

It never shows personal data (DESIGN.md section 7): it is given only an
:class:`~kiosk.model.Enrollment` (code + expiry) and a mode. Placement (DESIGN.md section 10):

* with two or more screens it lives fullscreen on a screen other than the desk window's, and
  follows screens being added and removed;
* with one screen it stays hidden until the beheerder hands over, then covers the main screen
  until the handover ends (Escape hides it again for the beheerder).

Under Xvfb without a window manager ``showFullScreen()`` alone does nothing, so the geometry
is set to the screen's first.
"""

from __future__ import annotations

from collections.abc import Callable
from datetime import UTC, datetime
from enum import StrEnum

from PySide6.QtCore import Qt, QTimer
from PySide6.QtGui import QGuiApplication, QKeyEvent, QMouseEvent, QResizeEvent, QScreen
from PySide6.QtWidgets import (
    QHBoxLayout,
    QLabel,
    QStackedWidget,
    QVBoxLayout,
    QWidget,
)

from kiosk.i18n import tr
from kiosk.model import Enrollment
from ui.fullscreen import show_fullscreen
from ui.pages.progress import remaining_text
from ui.qr import QrWidget
from ui.widgets import label, set_tone

#: Steps 4-7 of "Registratie gebruikers 2b" (the employee's part), as i18n key pairs.
STEPS = (
    ("4", "ui.customer.step4.title", "ui.customer.step4.text"),
    ("5", "ui.customer.step5.title", "ui.customer.step5.text"),
    ("6", "ui.customer.step6.title", "ui.customer.step6.text"),
    ("7", "ui.customer.step7.title", "ui.customer.step7.text"),
)


#: Type sizes (px) of the customer display at 1366x768; scaled with the screen.
_SIZES = {
    "customerTitle": 40,
    "customerText": 26,
    "customerStepTitle": 24,
    "customerStepText": 20,
    "countdown": 26,
}


def scaled_stylesheet(factor: float) -> str:
    """Font sizes of the customer display's labels multiplied by ``factor``."""
    rules = [
        f"QLabel#{name} {{ font-size: {round(size * factor)}px; }}"
        for name, size in _SIZES.items()
    ]
    badge = round(44 * factor)
    rules.append(
        f"QLabel#customerStepNumber {{ font-size: {round(26 * factor)}px;"
        f" min-width: {badge}px; max-width: {badge}px; min-height: {badge}px;"
        f" max-height: {badge}px; border-radius: {badge // 2}px; }}"
    )
    return "\n".join(rules)


class Mode(StrEnum):
    """What the customer display shows."""

    WELCOME = "welcome"  # neutral idle screen
    QR = "qr"  # the enrollment QR with steps 4-7
    QUEUED = "queued"  # saved while offline: no QR yet
    EXPIRED = "expired"  # the code expired; the beheerder makes a new one
    DONE = "done"  # enrolled


class StepList(QWidget):
    """Numbered steps 4-7 with their instructions."""

    def __init__(self, parent: QWidget | None = None) -> None:
        super().__init__(parent)
        column = QVBoxLayout(self)
        column.setContentsMargins(0, 0, 0, 0)
        column.setSpacing(22)
        column.addStretch(1)
        self.rows: list[tuple[QLabel, QLabel, str, str]] = []
        for number, title_key, text_key in STEPS:
            row = QHBoxLayout()
            row.setSpacing(18)
            badge = label("customerStepNumber", number, wrap=False)
            badge.setAlignment(Qt.AlignmentFlag.AlignCenter)
            row.addWidget(badge, 0, Qt.AlignmentFlag.AlignTop)
            texts = QVBoxLayout()
            texts.setSpacing(4)
            title = label("customerStepTitle")
            text = label("customerStepText")
            texts.addWidget(title)
            texts.addWidget(text)
            row.addLayout(texts, 1)
            column.addLayout(row)
            self.rows.append((title, text, title_key, text_key))
        column.addStretch(1)

    def retranslate(self) -> None:
        """Apply texts."""
        for title, text, title_key, text_key in self.rows:
            title.setText(tr(title_key))
            text.setText(tr(text_key))


class CustomerDisplay(QWidget):
    """The second screen. Call :meth:`show_enrollment`, :meth:`show_mode` or :meth:`reset`."""

    def __init__(
        self,
        now: Callable[[], datetime] = lambda: datetime.now(UTC),
        desk_window: QWidget | None = None,
    ) -> None:
        super().__init__(None, Qt.WindowType.Window)
        self.setObjectName("customerDisplay")
        self.setAttribute(Qt.WidgetAttribute.WA_StyledBackground, True)
        self.now = now
        self.desk_window = desk_window
        self.mode = Mode.WELCOME
        self.handing_over = False
        self._expires_at: datetime | None = None
        self._payload: str | None = None
        self._scale = 0.0
        #: How long "Gelukt!" covers a shared screen before the desk shows again.
        self.done_linger_ms = 8000
        self.pages = QStackedWidget()
        layout = QVBoxLayout(self)
        layout.setContentsMargins(56, 40, 56, 40)
        layout.addWidget(self.pages)
        # Message page (welcome, queued, expired, done).
        message = QWidget()
        m_layout = QVBoxLayout(message)
        m_layout.addStretch(1)
        self.message_title = label("customerTitle")
        self.message_title.setAlignment(Qt.AlignmentFlag.AlignCenter)
        self.message_text = label("customerText")
        self.message_text.setAlignment(Qt.AlignmentFlag.AlignCenter)
        m_layout.addWidget(self.message_title)
        m_layout.addSpacing(16)
        m_layout.addWidget(self.message_text)
        m_layout.addStretch(2)
        self.pages.addWidget(message)
        # QR page.
        qr_page = QWidget()
        page_layout = QVBoxLayout(qr_page)
        page_layout.setSpacing(20)
        self.qr_title = label("customerTitle")
        page_layout.addWidget(self.qr_title)
        q_layout = QHBoxLayout()
        q_layout.setSpacing(48)
        left = QVBoxLayout()
        self.qr = QrWidget()
        self.qr.setObjectName("qr")
        self.countdown = label("countdown")
        self.countdown.setAlignment(Qt.AlignmentFlag.AlignCenter)
        left.addWidget(self.qr, 1)
        left.addWidget(self.countdown)
        self.steps = StepList()
        q_layout.addLayout(left, 5)
        q_layout.addWidget(self.steps, 6)
        page_layout.addLayout(q_layout, 1)
        self.pages.addWidget(qr_page)
        self.timer = QTimer(self)
        self.timer.setInterval(1000)
        self.timer.timeout.connect(self.tick)
        self.retranslate()
        self.reset()

    # -- content --------------------------------------------------------------------
    def retranslate(self) -> None:
        """Apply texts in the current language."""
        self.setWindowTitle(tr("ui.customer.window_title"))
        self.qr_title.setText(tr("ui.customer.scan_title"))
        self.steps.retranslate()
        self._apply_message()
        self.tick()

    def _apply_message(self) -> None:
        keys = {
            Mode.WELCOME: ("ui.customer.welcome.title", "ui.customer.welcome.text"),
            Mode.QUEUED: ("ui.customer.queued.title", "ui.customer.queued.text"),
            Mode.EXPIRED: ("ui.customer.expired.title", "ui.customer.expired.text"),
            Mode.DONE: ("ui.customer.done.title", "ui.customer.done.text"),
        }.get(self.mode)
        if keys is not None:
            self.message_title.setText(tr(keys[0]))
            self.message_text.setText(tr(keys[1]))

    def show_enrollment(self, enrollment: Enrollment) -> None:
        """Show the QR of ``enrollment`` with its countdown and steps 4-7."""
        self.mode = Mode.QR
        self._expires_at = enrollment.expires_at
        self._payload = enrollment.qr_payload
        self.qr.set_payload(enrollment.qr_payload)
        self.pages.setCurrentIndex(1)
        self.timer.start()
        self.tick()
        self.hand_over(True)

    def qr_payload(self) -> str | None:
        """The payload currently drawn (None when no QR is shown)."""
        return self._payload

    def show_mode(self, mode: Mode) -> None:
        """Show a message screen (welcome, queued, expired, done); the QR is wiped.

        On a shared screen "done" stays up for :attr:`done_linger_ms`, then the desk is
        visible again."""
        self.mode = mode
        self.qr.set_payload(None)
        self._payload = None
        self._expires_at = None
        self.timer.stop()
        self.countdown.setText("")
        self._apply_message()
        self.pages.setCurrentIndex(0)
        self.hand_over(mode in (Mode.QUEUED, Mode.EXPIRED, Mode.DONE))
        if mode is Mode.DONE:
            QTimer.singleShot(self.done_linger_ms, self._linger_over)

    def reset(self) -> None:
        """Back to the neutral welcome screen (cancel, done, idle timeout)."""
        self.show_mode(Mode.WELCOME)

    def tick(self) -> None:
        """Update the countdown; an expired code turns into the expired screen."""
        if self.mode is not Mode.QR or self._expires_at is None:
            return
        seconds = int((self._expires_at - self.now()).total_seconds())
        if seconds <= 0:
            self.show_mode(Mode.EXPIRED)
            return
        self.countdown.setText(
            tr("ui.customer.valid_for", time=remaining_text(self._expires_at, self.now()))
        )
        set_tone(self.countdown, "tone", "warn" if seconds < 60 else "ok")

    # -- size -------------------------------------------------------------------------
    def resizeEvent(self, event: QResizeEvent) -> None:
        """Scale the type with the screen: the employee reads it from a step away."""
        super().resizeEvent(event)
        factor = max(0.8, min(self.width() / 1366, self.height() / 768))
        if abs(factor - self._scale) > 0.01:
            self._scale = factor
            self.setStyleSheet(scaled_stylesheet(factor))

    # -- placement --------------------------------------------------------------------
    def attach_to_screens(self) -> None:
        """Follow screens being added and removed."""
        app = QGuiApplication.instance()
        if isinstance(app, QGuiApplication):
            app.screenAdded.connect(self._screens_changed)
            app.screenRemoved.connect(self._screens_changed)
        self.place()

    def _screens_changed(self, _screen: QScreen) -> None:
        # Qt removes the screen after the signal; place on the next turn of the event loop.
        QTimer.singleShot(0, self.place)

    def target_screen(self) -> QScreen | None:
        """A screen other than the desk window's when there is one, else None."""
        screens = QGuiApplication.screens()
        if len(screens) < 2:
            return None
        desk_screen = self.desk_window.screen() if self.desk_window is not None else None
        desk_screen = desk_screen or QGuiApplication.primaryScreen()
        others = [s for s in screens if s is not desk_screen]
        return others[0] if others else None

    def has_own_screen(self) -> bool:
        """True when a second screen is available."""
        return self.target_screen() is not None

    def place(self) -> None:
        """Fullscreen on the second screen, or (single screen) only while handing over."""
        screen = self.target_screen()
        if screen is None:
            if self.handing_over:
                self._fullscreen_on(QGuiApplication.primaryScreen())
            else:
                self.hide()
            return
        self._fullscreen_on(screen)

    def _fullscreen_on(self, screen: QScreen | None) -> None:
        show_fullscreen(self, screen)

    def hand_over(self, active: bool) -> None:
        """The beheerder hands over (True) or takes back (False) the customer's attention."""
        self.handing_over = active
        self.place()

    def keyPressEvent(self, event: QKeyEvent) -> None:
        """Escape takes the single screen back for the beheerder."""
        if event.key() == Qt.Key.Key_Escape and not self.has_own_screen():
            self.hide()
            return
        super().keyPressEvent(event)

    def mousePressEvent(self, event: QMouseEvent) -> None:
        """A click on a shared screen gives it back to the beheerder, except while the QR is
        up (an accidental click must not hide the code being scanned)."""
        if self.mode is not Mode.QR and not self.has_own_screen():
            self.hide()
            return
        super().mousePressEvent(event)

    def _linger_over(self) -> None:
        if self.mode is Mode.DONE and not self.has_own_screen():
            self.hide()
