"""The desk session: the wizard plus the actions a beheerder takes, through injected ports.

:class:`DeskSession` is what the UI talks to. It owns a :class:`~kiosk.flow.wizard.Wizard`
and performs the side effects of each step through small ports, so tests pass the real
reference portal client and store (or simple in-memory ones) without patching:

* :class:`Portal` -- sign in, renew or cancel an enrollment (``kiosk.sync.api.PortalApi``
  satisfies it);
* :class:`RegistrationQueue` -- ``enqueue(registration, beheerder_id)`` commits the
  registration durably *before it returns* (``kiosk.store.Store`` satisfies it). Only then
  does the desk say "opgeslagen" (DESIGN.md section 6).

Delivery and enrollment progress arrive from the sync worker as events; the UI marshals them
to its thread and calls :meth:`DeskSession.delivered`, :meth:`DeskSession.delivery_failed`,
:meth:`DeskSession.connectivity` and :meth:`DeskSession.enrollment_status`. All methods
must be called from one thread (the UI's).
"""

from __future__ import annotations

import dataclasses
import logging
import uuid
from collections.abc import Callable
from datetime import UTC, date, datetime
from typing import Any, Protocol

from kiosk.errors import InputError, KioskError
from kiosk.flow.evidence import WidEvidence
from kiosk.flow.handover import HandoverBook, OpenHandover
from kiosk.flow.wizard import Delivery, FlowBlocked, FlowState, Step, Wizard
from kiosk.model import Employee, Enrollment, Registration, RegistrationStatus
from kiosk.sync.api import Session

log = logging.getLogger(__name__)


class Portal(Protocol):
    """The part of :class:`kiosk.sync.api.PortalApi` the desk itself uses."""

    def sign_in(
        self, username: str, password: str, totp: str | None = None, kiosk_id: str | None = None
    ) -> Session:
        """``POST /v1/auth/token`` (with ``kiosk_id``: the session gets its check grant)."""
        ...

    def renew_enrollment(self, token: str, registration_id: uuid.UUID) -> Enrollment:
        """``POST /v1/registrations/{id}/enrollment``: a fresh code, the old one dies."""
        ...

    def cancel_enrollment(self, token: str, registration_id: uuid.UUID) -> None:
        """``DELETE /v1/registrations/{id}/enrollment``: the code can no longer be used."""
        ...


class RegistrationQueue(Protocol):
    """The durable outbox: ``enqueue`` returns only after the commit."""

    def enqueue(self, registration: Registration, beheerder_id: str) -> Any:
        """Commit ``registration`` and its outbox row in one transaction."""
        ...


_DATE_SEPARATORS = str.maketrans({"/": "-", ".": "-", " ": "-"})


def parse_date(text: str, field: str = "date_of_birth") -> date:
    """Parse a date as a Dutch desk types it: ``dd-mm-jjjj`` (also ``/``, ``.``, or 8 digits).

    Raises :class:`InputError` ``flow.error.date_format`` when the text is not in one of
    those forms, and ``flow.error.date_not_exist`` (with the ``date`` as typed) when it is
    but names no day of the calendar, such as 31-02-1985 (``field`` names the input).
    """
    cleaned = text.strip().translate(_DATE_SEPARATORS)
    parts = [p for p in cleaned.split("-") if p]
    if len(parts) == 1 and len(parts[0]) == 8 and parts[0].isdigit():
        parts = [parts[0][:2], parts[0][2:4], parts[0][4:]]
    if (
        len(parts) != 3
        or len(parts[2]) != 4
        or not all(p.isdigit() and len(p) <= 2 for p in parts[:2])
        or not parts[2].isdigit()
    ):
        raise InputError("flow.error.date_format", field=field)
    try:
        return date(int(parts[2]), int(parts[1]), int(parts[0]))
    except ValueError:
        shown = f"{int(parts[0]):02d}-{int(parts[1]):02d}-{parts[2]}"
        raise InputError("flow.error.date_not_exist", field=field, date=shown) from None


class DeskSession:
    """One desk: a wizard and the actions behind its buttons."""

    def __init__(
        self,
        portal: Portal,
        queue: RegistrationQueue,
        *,
        now: Callable[[], datetime] = lambda: datetime.now(UTC),
        reserve_code: Callable[[], Enrollment | None] | None = None,
        wizard: Wizard | None = None,
        kiosk_id: Callable[[], str | None] | None = None,
        handovers: HandoverBook | None = None,
    ) -> None:
        """``reserve_code`` takes a code from the offline pool (or returns None); when given,
        a registration saved while the portal is not known to answer gets a QR at once
        (DESIGN.md section 5). ``kiosk_id`` gives this kiosk's portal id (None before
        enrolment): the sign-in names it, so the session carries the portal's check grant
        that every registration of the session presents (``wid_check.check_grant``).
        ``handovers`` keeps every saved registration's handover until its QR is scanned
        ("Openstaande overdrachten", :mod:`kiosk.flow.handover`)."""
        self.portal = portal
        self.queue = queue
        self.now = now
        self.reserve_code = reserve_code
        self.kiosk_id = kiosk_id
        self.wizard = wizard or Wizard(today=lambda: self.now().date())
        self.state.check_grant_required = kiosk_id is not None
        self.online: bool | None = None
        self.handovers = handovers
        #: Set by :meth:`register`: the registration was saved offline and the pool had no
        #: code left, so no QR until the portal has it (the page says so plainly).
        self.pool_empty = False

    @property
    def state(self) -> FlowState:
        """The wizard's :class:`~kiosk.flow.wizard.FlowState`."""
        return self.wizard.state

    @property
    def step(self) -> Step:
        """The current step."""
        return self.wizard.current

    def _require(self, step: Step) -> None:
        """Actions belong to their step: anything else is refused, and changes nothing."""
        if self.step is not step:
            raise FlowBlocked([InputError("flow.error.wrong_step")])

    # -- sign in and organisation -------------------------------------------------------
    @staticmethod
    def sign_in_check(username: str, password: str) -> None:
        """Raise :class:`FlowBlocked` when user name or password is empty (no portal call)."""
        if not username.strip() or not password:
            raise FlowBlocked([InputError("flow.error.credentials_missing")])

    def sign_in(self, username: str, password: str) -> Session:
        """Sign in against the portal (blocking I/O; the UI may call it off its thread) and
        return the session; apply it with :meth:`accept_session` on the UI thread."""
        self.sign_in_check(username, password)
        kiosk_id = self.kiosk_id() if self.kiosk_id is not None else None
        if kiosk_id is None:
            return self.portal.sign_in(username.strip(), password)
        return self.portal.sign_in(username.strip(), password, kiosk_id=kiosk_id)

    def accept_session(self, session: Session) -> Step:
        """Use ``session`` and move on (to the organisation choice, or step 1 when the
        beheerder manages one organisation)."""
        self._require(Step.SIGN_IN)
        self.state.session = session
        self.state.idle_signed_out = False
        return self.wizard.forward()

    def adopt_check_grant(self, grant: str, beheerder_id: str) -> bool:
        """The kiosk was enrolled during this session: use the enrolment's check grant, if
        it is this beheerder's (the session may have changed meanwhile). True when taken."""
        session = self.state.session
        if session is None or session.beheerder_id != beheerder_id:
            return False
        self.state.session = dataclasses.replace(session, check_grant=grant)
        self.wizard.notify()  # the review may have been waiting for it
        return True

    def choose_organisation(self, organisation_id: str) -> Step:
        """Pick the organisation the registration is for."""
        self._require(Step.ORGANISATION)
        session = self.state.session
        if session is None:
            raise FlowBlocked([InputError("flow.error.not_signed_in")])
        chosen = next((o for o in session.organisations if o.id == organisation_id), None)
        self.state.organisation = chosen
        return self.wizard.forward()

    # -- step 1 ---------------------------------------------------------------------
    def submit_employee_text(self, given_names: str, surname: str, date_of_birth: str) -> Step:
        """Step 1 as typed: parse the date (dd-mm-jjjj) and validate everything at once, so
        every field shows its own message; raises :class:`FlowBlocked`."""
        self._require(Step.EMPLOYEE)
        try:
            born = parse_date(date_of_birth)
        except InputError as exc:
            problems: list[KioskError] = [exc]
            # Validate the names as well, with a harmless date, so all messages show at once.
            problems += [
                p
                for p in Employee(given_names, surname, date(2000, 1, 1)).validate()
                if p.params.get("field") != "date_of_birth"
            ]
            raise FlowBlocked(problems) from None
        return self.submit_employee(given_names, surname, born)

    def submit_employee(self, given_names: str, surname: str, date_of_birth: date) -> Step:
        """Store step 1 and move on; raises :class:`FlowBlocked` with one error per field."""
        self._require(Step.EMPLOYEE)
        self.state.employee = Employee(given_names, surname, date_of_birth)
        if self.state.evidence is not None:
            self.state.set_evidence(self.state.evidence)  # compare again with the new data
        return self.wizard.forward()

    # -- step 2 ---------------------------------------------------------------------
    def accept_evidence(self, evidence: WidEvidence | None) -> None:
        """Use what a step-2 method read (None forgets it) and compare it with step 1."""
        self._require(Step.WID_CHECK)
        self.state.set_evidence(evidence)
        self.wizard.notify()

    def confirm_person(self, confirmed: bool) -> None:
        """The beheerder confirms the person matches the photo and the document."""
        self._require(Step.WID_CHECK)
        if confirmed and self.state.evidence is None:
            raise FlowBlocked([InputError("flow.error.document_not_read")])
        self.state.photo_confirmed = confirmed
        self.wizard.notify()

    # -- review and step 3 ------------------------------------------------------------
    def build_registration(self) -> Registration:
        """The registration the review shows and :meth:`register` saves."""
        state = self.state
        problems = self.wizard.spec[Step.REVIEW].guard(state)
        if problems:
            raise FlowBlocked(problems)
        assert state.session and state.organisation and state.employee and state.evidence
        return Registration(
            organisation_id=state.organisation.id,
            employee=state.employee,
            wid_check=state.evidence.to_wid_check(
                photo_compared=state.photo_confirmed,
                checked_at=self.now(),
                checked_by=state.session.beheerder_id,
                check_grant=state.session.check_grant,
            ),
        )

    def register(self) -> Registration:
        """Step 3: build the registration (new UUID), commit it to the queue, move on.

        The wizard moves to ``register`` (which says "opgeslagen") only after ``enqueue``
        returned; if it raises, the data stay on screen and nothing is lost.
        """
        if self.step is not Step.REVIEW:
            raise FlowBlocked([InputError("flow.error.not_ready_to_register")])
        registration = self.build_registration()
        # Only a portal that answered just now counts as online (the worker's health probe
        # runs every few seconds): anything else gets a pool code, so the QR is shown at once.
        offline = self.online is not True
        pooled = self.reserve_code() if self.reserve_code and offline else None
        self.pool_empty = offline and self.reserve_code is not None and pooled is None
        if pooled is not None:
            registration = registration.with_enrollment_code(pooled.code)
        assert self.state.session is not None
        self.queue.enqueue(registration, self.state.session.beheerder_id)
        log.info("registration saved", extra={"registration_id": str(registration.registration_id)})
        if self.handovers is not None:
            try:
                self.handovers.saved(registration, pooled)
            except KioskError:
                # The registration itself is saved; only the list misses it.
                log.exception("open handover not recorded")
        self.state.registration_id = registration.registration_id
        self.state.delivery = Delivery.OFFLINE if self.online is False else Delivery.QUEUED
        self.state.enrollment = pooled
        self.wizard.forward()
        self._advance()
        return registration

    # -- events from the sync worker (already on the UI thread) ------------------------
    def _mine(self, registration_id: uuid.UUID) -> bool:
        return self.state.registration_id == registration_id

    def _advance(self) -> None:
        """Follow the registration as far as its state allows (register→handover→done)."""
        while self.step in (Step.REGISTER, Step.HANDOVER) and self.wizard.can_forward():
            self.wizard.forward()

    def delivered(
        self,
        registration_id: uuid.UUID,
        status: RegistrationStatus,
        enrollment: Enrollment | None,
    ) -> None:
        """The portal accepted the registration (PUT answered 200/201)."""
        if self.handovers is not None:
            self.handovers.delivered(registration_id, status, enrollment)
        if not self._mine(registration_id):
            return
        self.state.delivery = Delivery.DELIVERED
        self.state.status = status
        if enrollment is not None:
            self.state.enrollment = enrollment
        self.wizard.notify()
        self._advance()

    def delivery_failed(self, registration_id: uuid.UUID, error: KioskError) -> None:
        """The portal refused the registration permanently (dead letter)."""
        if self.handovers is not None:
            self.handovers.refresh()
        if not self._mine(registration_id):
            return
        self.state.delivery = Delivery.FAILED
        self.state.failure = error
        self.wizard.notify()

    def connectivity(self, online: bool) -> None:
        """The worker's view of the portal changed (reachable or not)."""
        self.online = online
        state = self.state
        if state.delivery is Delivery.QUEUED and not online:
            state.delivery = Delivery.OFFLINE
        elif state.delivery is Delivery.OFFLINE and online:
            state.delivery = Delivery.QUEUED
        self.wizard.notify()

    def enrollment_status(
        self,
        registration_id: uuid.UUID,
        status: RegistrationStatus,
        enrollment: Enrollment | None = None,
    ) -> None:
        """The portal reports the enrollment's status (polled by the worker)."""
        if self.handovers is not None:
            self.handovers.status(registration_id, status, enrollment)
        if not self._mine(registration_id):
            return
        self.state.status = status
        self.wizard.notify()
        self._advance()

    def request_renewal(self) -> Callable[[], Enrollment]:
        """The portal call that makes a new QR for the current registration (the old code
        dies), for the caller to run off the UI thread; apply its answer with
        :meth:`accept_renewal`. Needs the beheerder's session."""
        state = self.state
        if state.session is None or state.registration_id is None:
            raise FlowBlocked([InputError("flow.error.not_saved")])
        token, rid, portal = state.session.access_token, state.registration_id, self.portal
        return lambda: portal.renew_enrollment(token, rid)

    def accept_renewal(self, enrollment: Enrollment) -> None:
        """Show the renewed code (ignored when the desk moved on meanwhile)."""
        if self.step is not Step.HANDOVER:
            return
        if self.handovers is not None and self.state.registration_id is not None:
            self.handovers.renewed(self.state.registration_id, enrollment)
        self.state.enrollment = enrollment
        self.state.status = RegistrationStatus.PENDING_ENROLLMENT
        self.wizard.notify()

    def renew_enrollment(self) -> Enrollment:
        """:meth:`request_renewal` and :meth:`accept_renewal` in one blocking call."""
        enrollment = self.request_renewal()()
        self.accept_renewal(enrollment)
        return enrollment

    # -- leaving --------------------------------------------------------------------
    def back(self) -> Step:
        """One step back (not after saving)."""
        return self.wizard.back()

    def cancel(self) -> Step:
        """Abandon this person; wipe their data; start a new registration."""
        return self.wizard.cancel()

    def stop_handover(self) -> Callable[[], None] | None:
        """Stop a handover whose QR is still live: wipe like :meth:`cancel` and return the
        portal call that kills the code (blocking I/O, for the caller to run off the UI
        thread), so a photographed QR cannot be used later. None when there is no live code.
        """
        state = self.state
        session, rid = state.session, state.registration_id
        live = (
            self.step is Step.HANDOVER
            and state.enrollment is not None
            and state.status is not RegistrationStatus.ENROLLED
        )
        delivered = state.delivery is Delivery.DELIVERED
        self.wizard.cancel()
        if not live or session is None or rid is None:
            return None
        if self.handovers is not None and delivered:
            # A pool code not at the portal yet would activate on arrival: it stays on the
            # list, to be stopped once the portal has the registration.
            self.handovers.stopped(rid)
        token, portal = session.access_token, self.portal

        def kill_code() -> None:
            portal.cancel_enrollment(token, rid)

        return kill_code

    # -- open handovers ("Openstaande overdrachten") -----------------------------------
    def open_handovers(self) -> list[OpenHandover]:
        """The open handovers of the signed-in beheerder's organisations (none signed out:
        the list names people)."""
        session = self.state.session
        if self.handovers is None or session is None:
            return []
        return self.handovers.open_handovers(o.id for o in session.organisations)

    def _open_entry(self, registration_id: uuid.UUID) -> OpenHandover:
        entry = next(
            (e for e in self.open_handovers() if e.registration_id == registration_id), None
        )
        if entry is None:
            raise FlowBlocked([InputError("flow.error.handover_gone")])
        return entry

    def can_show_handover(self) -> bool:
        """True when the desk may put a listed QR up now: signed in and nobody's data on
        screen (a registration in progress is finished or cancelled first)."""
        return self.state.session is not None and not self.wizard.holds_personal_data

    def show_handover(self, registration_id: uuid.UUID) -> Step:
        """Put a listed handover's QR on the customer display again (its handover page
        follows it to 'done' like a fresh one). Raises :class:`FlowBlocked`."""
        if not self.can_show_handover():
            raise FlowBlocked([InputError("flow.error.finish_first")])
        entry = self._open_entry(registration_id)
        if not entry.can_show or entry.enrollment is None:
            raise FlowBlocked([InputError("flow.error.handover_no_code")])
        enrollment = entry.enrollment
        if entry.delivered:
            delivery = Delivery.DELIVERED
        else:
            delivery = Delivery.OFFLINE if self.online is False else Delivery.QUEUED

        def resume(state: FlowState) -> None:
            state.registration_id = registration_id
            state.enrollment = enrollment
            state.status = RegistrationStatus.PENDING_ENROLLMENT
            state.delivery = delivery

        return self.wizard.reopen_handover(resume)

    def request_renewal_of(self, registration_id: uuid.UUID) -> Callable[[], Enrollment]:
        """The portal call that renews a listed handover's code (off the UI thread); apply
        the answer with :meth:`accept_renewal_of`."""
        session = self.state.session
        entry = self._open_entry(registration_id)
        if session is None or not entry.can_renew:
            raise FlowBlocked([InputError("flow.error.handover_not_at_portal")])
        token, portal = session.access_token, self.portal
        return lambda: portal.renew_enrollment(token, registration_id)

    def accept_renewal_of(self, registration_id: uuid.UUID, enrollment: Enrollment) -> None:
        """A listed handover's new code (also on screen when it is the current one)."""
        if self.state.registration_id == registration_id and self.step is Step.HANDOVER:
            self.accept_renewal(enrollment)
        elif self.handovers is not None:
            self.handovers.renewed(registration_id, enrollment)

    def request_stop_of(self, registration_id: uuid.UUID) -> Callable[[], None] | None:
        """Stop a listed handover: off the list now, and the portal call that kills its code
        (off the UI thread; None for a refused registration, whose code never lived)."""
        session = self.state.session
        entry = self._open_entry(registration_id)
        if session is None or not entry.can_stop:
            raise FlowBlocked([InputError("flow.error.handover_not_at_portal")])
        if self.state.registration_id == registration_id and self.step is Step.HANDOVER:
            return self.stop_handover()
        assert self.handovers is not None
        self.handovers.stopped(registration_id)
        if not entry.delivered:
            return None
        token, portal = session.access_token, self.portal

        def kill_code() -> None:
            portal.cancel_enrollment(token, registration_id)

        return kill_code

    def finish(self) -> Step:
        """From ``done`` (or an offline/failed ``register``): the next person."""
        return self.wizard.restart()

    def sign_out(self) -> Step:
        """Sign the beheerder out and wipe everything."""
        return self.wizard.sign_out()

    def idle_timeout(self) -> Step | None:
        """Desk inactivity: wipe everything and sign out, unless the employee is busy with
        the QR on the customer display (the handover ends by enrollment or expiry)."""
        if self.step is Step.HANDOVER and not self._expired():
            return None
        return self.wizard.idle_timeout()

    def _expired(self) -> bool:
        enrollment = self.state.enrollment
        return enrollment is None or enrollment.expires_at <= self.now()
