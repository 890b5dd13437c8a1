"""The customer-facing screen: the enrollment QR, its validity and steps 4-7. Nothing else.

A passive view of :class:`kiosk.flow.display.CustomerScreen`, which decides what is shown
when (mode, QR, countdown, when a click or Escape gives a shared screen back, the "Gelukt!"
linger). It never shows personal data (DESIGN.md section 7): it is given only
:class:`~kiosk.flow.display.DisplayContent` (a mode, a QR payload and its expiry).

This widget does the placement (DESIGN.md section 10): with two or more screens it lives
fullscreen on a screen other than the desk window's, and follows screens being added and
removed; with one screen it covers the main screen while the state says so, and is hidden
otherwise. Under Xvfb without a window manager ``showFullScreen()`` alone does nothing, so
the geometry is set to the screen's first.
"""

from __future__ import annotations

import functools
from collections.abc import Callable
from datetime import UTC, datetime, timedelta

from PySide6.QtCore import Qt, QTimer
from PySide6.QtGui import QGuiApplication, QKeyEvent, QMouseEvent, QResizeEvent, QScreen
from PySide6.QtWidgets import (
    QHBoxLayout,
    QLabel,
    QPushButton,
    QStackedWidget,
    QVBoxLayout,
    QWidget,
)

from kiosk.flow.display import CustomerScreen, DisplayContent, DisplayMode
from kiosk.i18n import tr
from kiosk.model import Enrollment
from ui.fullscreen import show_fullscreen
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
        f"QLabel#{name} {{ font-size: {round(size * factor)}px; }}" for name, size in _SIZES.items()
    ]
    badge = round(44 * factor)
    rules.append(
        f"QLabel#customerStepNumber {{ font-size: {round(26 * factor)}px;"
        f" min-width: {badge}px; max-width: {badge}px; min-height: {badge}px;"
        f" max-height: {badge}px; border-radius: {badge // 2}px; }}"
    )
    return "\n".join(rules)


#: The display's modes are decided in :mod:`kiosk.flow.display`; re-exported for the views.
Mode = DisplayMode


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
    """The second screen: renders :attr:`state`. The desk calls :meth:`follow`; tests and
    tools may call :meth:`show_enrollment`, :meth:`show_mode` or :meth:`reset`."""

    def __init__(
        self,
        now: Callable[[], datetime] = lambda: datetime.now(UTC),
        desk_window: QWidget | None = None,
        state: CustomerScreen | None = None,
    ) -> None:
        super().__init__(None, Qt.WindowType.Window)
        self.setObjectName("customerDisplay")
        self.setAttribute(Qt.WidgetAttribute.WA_StyledBackground, True)
        self.now = now
        self.desk_window = desk_window
        self.state = state or CustomerScreen()
        self._scale = 0.0
        self._linger_scheduled = self.state.linger_token
        self.pages = QStackedWidget()
        layout = QVBoxLayout(self)
        layout.setContentsMargins(56, 40, 56, 40)
        # One screen (issue 11): a visible way back to the desk while this covers it.
        self.back_to_desk = QPushButton()
        self.back_to_desk.setObjectName("backToDesk")
        self.back_to_desk.setFocusPolicy(Qt.FocusPolicy.NoFocus)
        self.back_to_desk.clicked.connect(self.give_back)
        self.back_to_desk.hide()
        top = QHBoxLayout()
        top.addStretch(1)
        top.addWidget(self.back_to_desk)
        layout.addLayout(top)
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
        self.activates_later = label("customerStepText")
        self.activates_later.setObjectName("activatesLater")
        self.activates_later.setAlignment(Qt.AlignmentFlag.AlignCenter)
        left.addWidget(self.qr, 1)
        left.addWidget(self.countdown)
        left.addWidget(self.activates_later)
        self.steps = StepList()
        q_layout.addLayout(left, 5)
        q_layout.addWidget(self.steps, 6)
        page_layout.addLayout(q_layout, 1)
        self.pages.addWidget(qr_page)
        self.timer = QTimer(self)
        self.timer.setInterval(1000)
        self.timer.timeout.connect(self.tick)
        self.retranslate()
        self._render()

    # -- state ------------------------------------------------------------------------
    @property
    def mode(self) -> DisplayMode:
        """The mode on screen."""
        return self.state.mode

    @property
    def handing_over(self) -> bool:
        """The beheerder hands the customer's attention over (see :class:`CustomerScreen`)."""
        return self.state.handing_over

    @property
    def done_linger_ms(self) -> int:
        """How long "Gelukt!" covers a shared screen before the desk shows again."""
        return int(self.state.done_linger.total_seconds() * 1000)

    @done_linger_ms.setter
    def done_linger_ms(self, value: int) -> None:
        self.state.done_linger = timedelta(milliseconds=value)

    def qr_payload(self) -> str | None:
        """The payload currently drawn (None when no QR is shown)."""
        return self.state.content.qr_payload

    def follow(self, content: DisplayContent) -> None:
        """Follow the desk (see :meth:`CustomerScreen.follow`): render only what changed, so
        a screen someone dismissed stays dismissed until something new is up."""
        if self.state.follow(content):
            self._render()

    def present(self, content: DisplayContent) -> None:
        """Hand ``content`` over, even when it is already up (see :meth:`CustomerScreen.show`)."""
        self.state.show(content)
        self._render()

    def show_enrollment(self, enrollment: Enrollment) -> None:
        """Show the QR of ``enrollment`` with its countdown and steps 4-7."""
        self.present(DisplayContent.qr(enrollment.qr_payload, enrollment.expires_at))

    def show_mode(self, mode: DisplayMode) -> None:
        """Show a message screen (welcome, queued, expired, done); the QR is wiped."""
        self.present(DisplayContent.message(mode))

    def reshow(self) -> None:
        """Put what is handed over back on a shared screen ("QR-code opnieuw tonen")."""
        if self.state.reshow():
            self._render()

    def give_back(self) -> None:
        """The "back to the desk" control: like Escape on a shared screen."""
        if self.state.escape(self.has_own_screen()):
            self.place()
            self._return_focus()

    def reset(self) -> None:
        """Back to the neutral welcome screen (cancel, done, idle timeout)."""
        self.show_mode(DisplayMode.WELCOME)

    def tick(self) -> None:
        """Apply the clock: update the countdown; an expired code turns into the expired
        screen."""
        if self.state.tick(self.now()):
            self._render()
        else:
            self._render_countdown()

    # -- rendering --------------------------------------------------------------------
    def _render(self) -> None:
        content = self.state.content
        qr = content.mode is DisplayMode.QR
        self.qr.set_payload(content.qr_payload if qr else None)
        self.activates_later.setVisible(qr and content.activates_later)
        self._apply_message()
        self.pages.setCurrentIndex(1 if qr else 0)
        if qr:
            self.timer.start()
        else:
            self.timer.stop()
        self._render_countdown()
        token = self.state.linger_token
        if content.mode is DisplayMode.DONE and token != self._linger_scheduled:
            # One timer per "done"; with this widget as context it dies with the widget.
            self._linger_scheduled = token
            QTimer.singleShot(
                self.done_linger_ms, self, functools.partial(self._linger_over, token)
            )
        self.place()

    def _render_countdown(self) -> None:
        countdown = self.state.countdown(self.now())
        if countdown is None:
            self.countdown.setText("")
            return
        self.countdown.setText(tr("ui.customer.valid_for", time=countdown.remaining))
        set_tone(self.countdown, "tone", "warn" if countdown.warn else "ok")

    def retranslate(self) -> None:
        """Apply texts in the current language."""
        self.setWindowTitle(tr("ui.customer.window_title"))
        self.qr_title.setText(tr("ui.customer.scan_title"))
        self.back_to_desk.setText(tr("ui.customer.back_to_desk"))
        self.activates_later.setText(tr("ui.customer.activates_later"))
        self.steps.retranslate()
        self._apply_message()
        self._render_countdown()

    def _apply_message(self) -> None:
        keys = {
            DisplayMode.WELCOME: ("ui.customer.welcome.title", "ui.customer.welcome.text"),
            DisplayMode.QUEUED: ("ui.customer.queued.title", "ui.customer.queued.text"),
            DisplayMode.EXPIRED: ("ui.customer.expired.title", "ui.customer.expired.text"),
            DisplayMode.DONE: ("ui.customer.done.title", "ui.customer.done.text"),
        }.get(self.mode)
        if keys is not None:
            self.message_title.setText(tr(keys[0]))
            self.message_text.setText(tr(keys[1]))

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
        """Fullscreen on the second screen, or (single screen) while the state covers it."""
        screen = self.target_screen()
        self.back_to_desk.setVisible(self.state.desk_control(screen is not None))
        if screen is not None:
            show_fullscreen(self, screen)
        elif self.state.covers_shared_screen:
            show_fullscreen(self, QGuiApplication.primaryScreen())
        else:
            self.hide()

    def keyPressEvent(self, event: QKeyEvent) -> None:
        """Escape takes a shared screen back for the beheerder."""
        if event.key() == Qt.Key.Key_Escape and self.state.escape(self.has_own_screen()):
            self.place()
            self._return_focus()
            return
        super().keyPressEvent(event)

    def mousePressEvent(self, event: QMouseEvent) -> None:
        """A click on a shared screen gives it back to the beheerder, except while the QR is
        up (the state decides)."""
        if self.state.click(self.has_own_screen()):
            self.place()
            return
        super().mousePressEvent(event)

    def _return_focus(self) -> None:
        if self.desk_window is not None and self.desk_window.isVisible():
            self.desk_window.activateWindow()

    def _linger_over(self, token: int) -> None:
        if self.state.linger_over(token):
            self.place()
