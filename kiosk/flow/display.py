"""What the customer-facing screen shows, and when: decided here, rendered by the widget.

The customer display (``ui.customer_display``) is a passive view of :class:`CustomerScreen`.
Two inputs drive it:

* the wizard: :func:`content_for` maps the desk's step and flow state, at a clock reading, to
  :class:`DisplayContent` (a mode, and for :attr:`DisplayMode.QR` the payload and expiry of
  the enrollment code). It never carries personal data (DESIGN.md section 7): only the code's
  QR payload and its expiry.
* the screen: the clock (:meth:`CustomerScreen.tick` turns a QR whose time is up into
  :attr:`DisplayMode.EXPIRED`), Escape and clicks (:meth:`CustomerScreen.escape`,
  :meth:`CustomerScreen.click`) and the "Gelukt!" linger (:meth:`CustomerScreen.linger_over`).

Placement (DESIGN.md section 10): with a screen of its own the display is always up. On a
screen shared with the desk it covers the desk only while the beheerder hands over (any mode
but the welcome screen) and until someone dismisses it: Escape always may, a click may except
while the QR is up (an accidental click must not hide the code being scanned), and "Gelukt!"
gives the screen back by itself after :attr:`CustomerScreen.done_linger`.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import datetime, timedelta
from enum import StrEnum

from kiosk.flow.wizard import Delivery, FlowState, Step
from kiosk.i18n import tr
from kiosk.model import RegistrationStatus

#: Below this many seconds of validity the countdown turns to the warning tone.
WARN_BELOW_S = 60
#: From this many seconds on, a code (an offline pool code, valid for days) shows the date
#: and time it expires instead of ``m:ss``.
SHOW_DATE_FROM_S = 3600
#: How long "Gelukt!" covers a shared screen before the desk shows again.
DONE_LINGER = timedelta(seconds=8)


class DisplayMode(StrEnum):
    """What the customer display shows."""

    WELCOME = "welcome"  # neutral idle screen
    QR = "qr"  # the enrollment QR with steps 4-7
    QUEUED = "queued"  # saved while offline: no QR yet
    EXPIRED = "expired"  # the code expired; the beheerder makes a new one
    DONE = "done"  # enrolled


@dataclass(frozen=True)
class DisplayContent:
    """One screenful: a mode, and for :attr:`DisplayMode.QR` the code's payload and expiry."""

    mode: DisplayMode = DisplayMode.WELCOME
    qr_payload: str | None = field(default=None, repr=False)
    expires_at: datetime | None = None
    #: A pool code of a registration the portal does not have yet: it works once the desk
    #: is back online (DESIGN.md section 5 "Offline"); the screen says so.
    activates_later: bool = False

    @classmethod
    def qr(
        cls, qr_payload: str, expires_at: datetime, *, activates_later: bool = False
    ) -> DisplayContent:
        """The QR of an enrollment code valid until ``expires_at``."""
        return cls(DisplayMode.QR, qr_payload, expires_at, activates_later)

    @classmethod
    def message(cls, mode: DisplayMode) -> DisplayContent:
        """A message screen (welcome, queued, expired, done): no QR."""
        if mode is DisplayMode.QR:
            raise ValueError("a QR screen needs its payload and expiry: use DisplayContent.qr")
        return cls(mode)


@dataclass(frozen=True)
class Countdown:
    """The QR's remaining validity as the screen shows it."""

    #: ``m:ss`` for a live code, or the local date and time an offline pool code expires.
    remaining: str
    #: Less than a minute left.
    warn: bool


def seconds_left(expires_at: datetime, now: datetime) -> int:
    """Whole seconds until ``expires_at`` (0 or less: expired)."""
    return int((expires_at - now).total_seconds())


def remaining_text(expires_at: datetime, now: datetime) -> str:
    """How long a code stays valid: ``m:ss`` for a live code (0:00 when past); for an offline
    pool code, valid for days, the local date and time it expires (``dd-mm-jjjj hh:mm``)."""
    seconds = max(0, seconds_left(expires_at, now))
    if seconds >= SHOW_DATE_FROM_S:
        return tr("ui.valid_until", when=expires_at.astimezone().strftime("%d-%m-%Y %H:%M"))
    return f"{seconds // 60}:{seconds % 60:02d}"


def content_for(step: Step, state: FlowState, now: datetime) -> DisplayContent:
    """What the customer screen shows for the desk at ``step`` with ``state`` at ``now``.

    * handover with a live code: its QR; with a code whose time is up, or one the portal
      expired or cancelled: "expired" (the beheerder makes a new one);
    * saved while offline: "queued" (no QR yet);
    * enrolled: "done";
    * anything else: the neutral welcome screen.
    """
    if step is Step.HANDOVER:
        enrollment = state.enrollment
        if (
            enrollment is not None
            and state.status not in (RegistrationStatus.EXPIRED, RegistrationStatus.CANCELLED)
            and seconds_left(enrollment.expires_at, now) > 0
        ):
            return DisplayContent.qr(
                enrollment.qr_payload,
                enrollment.expires_at,
                activates_later=state.delivery is not Delivery.DELIVERED,
            )
        return DisplayContent.message(DisplayMode.EXPIRED)
    if step is Step.REGISTER and state.delivery is Delivery.OFFLINE:
        return DisplayContent.message(DisplayMode.QUEUED)
    if step is Step.DONE:
        return DisplayContent.message(DisplayMode.DONE)
    return DisplayContent()


class CustomerScreen:
    """The customer display's state: its content and whether it covers a shared screen.

    Every method that changes what a viewer should see returns True, so the widget knows to
    render. It holds no clock and no timer: the widget passes the clock reading in and, after
    :attr:`DisplayMode.DONE` is entered, calls :meth:`linger_over` with :attr:`linger_token`
    once :attr:`done_linger` has passed.
    """

    def __init__(self, *, done_linger: timedelta = DONE_LINGER) -> None:
        self.content = DisplayContent()
        self.done_linger = done_linger
        #: Someone gave the shared screen back to the desk (Escape, a click, "Gelukt!" over).
        self.dismissed = False
        #: Changes on every entry into "done", so a linger that ran out for an earlier
        #: "done" does not dismiss a later one early.
        self.linger_token = 0

    @property
    def mode(self) -> DisplayMode:
        """The mode on screen."""
        return self.content.mode

    @property
    def handing_over(self) -> bool:
        """The beheerder hands the customer's attention over: everything but "welcome"."""
        return self.content.mode is not DisplayMode.WELCOME

    @property
    def covers_shared_screen(self) -> bool:
        """On a screen shared with the desk: whether the display covers it now."""
        return self.handing_over and not self.dismissed

    def visible(self, own_screen: bool) -> bool:
        """Whether the display is up, with (``own_screen``) or without a screen of its own."""
        return own_screen or self.covers_shared_screen

    def show(self, content: DisplayContent) -> bool:
        """Hand ``content`` over: shown, and on a shared screen it covers the desk again even
        when someone had dismissed it. Always True (a render is due)."""
        self.content = content
        self.dismissed = False
        if content.mode is DisplayMode.DONE:
            self.linger_token += 1
        return True

    def follow(self, content: DisplayContent) -> bool:
        """Follow the desk: show ``content`` only when it differs from what is up (another
        mode, or another QR code), so a dismissed screen stays dismissed while nothing new
        happens. A new expiry of the same code is taken silently. True when a render is
        due."""
        current = self.content
        if content.mode is current.mode and content.qr_payload == current.qr_payload:
            if content == current:
                return False
            self.content = content
            return True
        return self.show(content)

    def tick(self, now: datetime) -> bool:
        """Apply the clock: a QR whose time is up becomes "expired" (handed over again, as
        the beheerder must make a new code). True when the mode changed."""
        expires_at = self.content.expires_at
        if (
            self.content.mode is DisplayMode.QR
            and expires_at is not None
            and seconds_left(expires_at, now) <= 0
        ):
            return self.show(DisplayContent.message(DisplayMode.EXPIRED))
        return False

    def countdown(self, now: datetime) -> Countdown | None:
        """The QR's countdown at ``now`` (None when no QR is up)."""
        expires_at = self.content.expires_at
        if self.content.mode is not DisplayMode.QR or expires_at is None:
            return None
        return Countdown(
            remaining_text(expires_at, now), seconds_left(expires_at, now) < WARN_BELOW_S
        )

    def desk_control(self, own_screen: bool) -> bool:
        """Whether the "back to the desk" control shows: only while the display covers the
        one screen the desk shares with it (Escape does the same)."""
        return not own_screen and self.covers_shared_screen

    def reshow(self) -> bool:
        """The beheerder puts what is handed over back on a shared screen after someone
        dismissed it ("QR-code opnieuw tonen"). True when there was something to show."""
        if not self.handing_over:
            return False
        self.dismissed = False
        return True

    def escape(self, own_screen: bool) -> bool:
        """Escape on the display: takes a shared screen back for the beheerder, whatever is
        up. True when handled (the display gave the screen back)."""
        if own_screen:
            return False
        self.dismissed = True
        return True

    def click(self, own_screen: bool) -> bool:
        """A click on the display: gives a shared screen back to the beheerder, except while
        the QR is up (an accidental click must not hide the code being scanned). True when
        handled."""
        if own_screen or self.content.mode is DisplayMode.QR:
            return False
        self.dismissed = True
        return True

    def linger_over(self, token: int) -> bool:
        """:attr:`done_linger` passed since "done" number ``token`` was entered: the shared
        screen goes back to the desk if that "done" is still up. True when dismissed."""
        if token != self.linger_token or self.content.mode is not DisplayMode.DONE:
            return False
        if self.dismissed:
            return False
        self.dismissed = True
        return True
