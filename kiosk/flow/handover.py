"""Open handovers ("Openstaande overdrachten"): the desk never loses a QR (issue 11).

Every registration the desk saves is followed here until the employee's app enrolled with
its code or the beheerder stopped it, across "Volgende medewerker", sign-outs and restarts:
the state lives in the kiosk store (:mod:`kiosk.store.handovers`, sealed, purged with the
registration). :class:`HandoverBook` is the headless logic; the desk widget only renders
:meth:`HandoverBook.open_handovers` and calls the desk session's actions.

What a beheerder may do with an entry depends on its :class:`HandoverState`::

    waiting      saved offline with no pool code left: no QR until the portal has it
    not_active   a pool QR (DESIGN.md section 5 "Offline"): shown and printable at once;
                 the app gets 425 until the queued registration reaches the portal
    live         at the portal with a valid code: show again, renew, stop, print
    expired      the code ran out (or the portal expired it): renew or stop
    failed       the portal refused the registration: a person must look; stop removes it

Privacy (DESIGN.md section 7): an entry carries only the name to call the person back by
(first given name and surname initial) and the time it was saved.
"""

from __future__ import annotations

import logging
import uuid
from collections.abc import Callable, Iterable
from dataclasses import dataclass, field
from datetime import datetime
from enum import StrEnum
from typing import Protocol

from kiosk.events import Listeners
from kiosk.model import Employee, Enrollment, Registration, RegistrationStatus
from kiosk.store.handovers import HandoverRecord
from kiosk.store.outbox import OutboxItem, OutboxState

log = logging.getLogger(__name__)

#: Dutch surname particles (tussenvoegsels) skipped for the initial: "de Bruijn" -> "B.".
PARTICLES = frozenset(
    {
        "d",
        "de",
        "den",
        "der",
        "des",
        "du",
        "het",
        "in",
        "la",
        "le",
        "op",
        "s",
        "t",
        "te",
        "ten",
        "ter",
        "thoe",
        "toe",
        "van",
        "vanden",
        "vander",
        "von",
    }
)


def call_name(employee: Employee) -> str:
    """The first given name and the surname's initial, particles skipped: "Willeke B."."""
    given = employee.given_names.split()
    first = given[0] if given else ""
    if first.isupper():
        first = first.capitalize()  # as the MRZ spells it: WILLEKE -> Willeke
    words = [w for w in employee.surname.split() if w.lower().strip("'") not in PARTICLES]
    source = words[0] if words else employee.surname.strip()
    return f"{first} {source[0].upper()}." if source else first


class HandoverState(StrEnum):
    """Where an open handover stands (see the module docstring)."""

    WAITING = "waiting"
    NOT_ACTIVE = "not_active"
    LIVE = "live"
    EXPIRED = "expired"
    FAILED = "failed"


@dataclass(frozen=True)
class OpenHandover:
    """One line of "Openstaande overdrachten", with what may be done with it."""

    registration_id: uuid.UUID
    call_name: str = field(repr=False)
    saved_at: datetime
    state: HandoverState
    delivered: bool
    enrollment: Enrollment | None = field(default=None, repr=False)

    @property
    def can_show(self) -> bool:
        """The QR can go on the customer display again."""
        return self.enrollment is not None and self.state in (
            HandoverState.NOT_ACTIVE,
            HandoverState.LIVE,
        )

    @property
    def can_print(self) -> bool:
        """The enrollment letter (QR and steps 4-7) can be printed."""
        return self.can_show

    @property
    def can_renew(self) -> bool:
        """The portal can make a new code (it has the registration)."""
        return self.delivered and self.state in (HandoverState.LIVE, HandoverState.EXPIRED)

    @property
    def can_stop(self) -> bool:
        """Stop: kill the code at the portal (it has the registration) or, for a refused
        registration, take it off the list. A queued one cannot be stopped before the
        portal has it: its code would activate on arrival."""
        return self.delivered or self.state is HandoverState.FAILED


class HandoverStore(Protocol):
    """The part of :class:`kiosk.store.Store` the book uses."""

    def handover_open(
        self,
        registration_id: uuid.UUID,
        organisation_id: str,
        call_name: str,
        enrollment: Enrollment | None,
        *,
        pooled: bool = False,
    ) -> None:
        """Start following a handover."""
        ...

    def handover_set_enrollment(self, registration_id: uuid.UUID, enrollment: Enrollment) -> bool:
        """A new code."""
        ...

    def handover_set_status(self, registration_id: uuid.UUID, status: RegistrationStatus) -> bool:
        """The portal's status."""
        ...

    def handover_close(self, registration_id: uuid.UUID) -> bool:
        """Forget a handover."""
        ...

    def handover(self, registration_id: uuid.UUID) -> HandoverRecord | None:
        """One handover."""
        ...

    def handovers(self) -> list[HandoverRecord]:
        """Every open handover."""
        ...

    def item(self, registration_id: uuid.UUID) -> OutboxItem | None:
        """The registration's outbox item."""
        ...


class HandoverBook:
    """Keeps the open handovers in the store and says what each one allows.

    Called on the UI thread by :class:`kiosk.flow.desk.DeskSession` (saved, delivered,
    status, renewed, stopped); listeners hear of every change (the desk's list widget, the
    bridge that tells the sync worker which enrollments to follow).
    """

    def __init__(self, store: HandoverStore, now: Callable[[], datetime]) -> None:
        self.store = store
        self.now = now
        self._listeners: Listeners[HandoverBook] = Listeners(log=log, name="handovers")

    def subscribe(self, listener: Callable[[HandoverBook], None]) -> Callable[[], None]:
        """Call ``listener(book)`` after every change; returns an unsubscribe function."""
        return self._listeners.subscribe(listener)

    def _changed(self) -> None:
        self._listeners.emit(self)

    # -- events ---------------------------------------------------------------------
    def saved(self, registration: Registration, enrollment: Enrollment | None) -> None:
        """The desk saved ``registration`` (with a pool code, or none yet)."""
        self.store.handover_open(
            registration.registration_id,
            registration.organisation_id,
            call_name(registration.employee),
            enrollment,
            pooled=enrollment is not None,
        )
        self._changed()

    def delivered(
        self, registration_id: uuid.UUID, status: RegistrationStatus, enrollment: Enrollment | None
    ) -> None:
        """The portal has the registration; its answer carries the (activated) code."""
        if enrollment is not None:
            self.store.handover_set_enrollment(registration_id, enrollment)
        self.status(registration_id, status)

    def status(
        self,
        registration_id: uuid.UUID,
        status: RegistrationStatus,
        enrollment: Enrollment | None = None,
    ) -> None:
        """The portal's status: enrolled or cancelled closes the handover."""
        if self.store.handover(registration_id) is None:
            return
        if status in (RegistrationStatus.ENROLLED, RegistrationStatus.CANCELLED):
            self.store.handover_close(registration_id)
        else:
            if enrollment is not None and status is RegistrationStatus.PENDING_ENROLLMENT:
                self.store.handover_set_enrollment(registration_id, enrollment)
            self.store.handover_set_status(registration_id, status)
        self._changed()

    def renewed(self, registration_id: uuid.UUID, enrollment: Enrollment) -> None:
        """The portal made a new code (the old one is dead)."""
        if self.store.handover_set_enrollment(registration_id, enrollment):
            self._changed()

    def stopped(self, registration_id: uuid.UUID) -> None:
        """The beheerder stopped the handover (its code is killed at the portal)."""
        if self.store.handover_close(registration_id):
            self._changed()

    def refresh(self) -> None:
        """Tell listeners to look again (e.g. the clock made a code expire)."""
        self._changed()

    # -- queries --------------------------------------------------------------------
    def entry(self, registration_id: uuid.UUID) -> OpenHandover | None:
        """One open handover, or None."""
        record = self.store.handover(registration_id)
        return self._entry(record) if record is not None else None

    def is_open(self, registration_id: uuid.UUID) -> bool:
        """True while the handover is on the list."""
        return self.store.handover(registration_id) is not None

    def open_handovers(self, organisations: Iterable[str] | None = None) -> list[OpenHandover]:
        """The open handovers, oldest first; only those of ``organisations`` when given
        (a beheerder sees the handovers of the organisations they manage)."""
        allowed = set(organisations) if organisations is not None else None
        return [
            self._entry(record)
            for record in self.store.handovers()
            if allowed is None or record.organisation_id in allowed
        ]

    def _entry(self, record: HandoverRecord) -> OpenHandover:
        item = self.store.item(record.registration_id)
        delivered = item is not None and item.state is OutboxState.DONE
        enrollment = record.enrollment
        if item is not None and item.state is OutboxState.DEAD:
            state = HandoverState.FAILED
        elif record.status in (RegistrationStatus.EXPIRED, RegistrationStatus.CANCELLED) or (
            enrollment is not None and enrollment.expires_at <= self.now()
        ):
            state = HandoverState.EXPIRED
        elif enrollment is None:
            state = HandoverState.WAITING
        elif not delivered:
            state = HandoverState.NOT_ACTIVE
        else:
            state = HandoverState.LIVE
        return OpenHandover(
            registration_id=record.registration_id,
            call_name=record.call_name,
            saved_at=record.saved_at,
            state=state,
            delivered=delivered,
            enrollment=enrollment,
        )
