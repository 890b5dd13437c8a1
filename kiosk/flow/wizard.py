"""The desk wizard as a data map: steps, transitions, guards and a back-stack.

In the style of Electrum's wizard (DESIGN.md section 9) the flow is a table, :data:`WIZARD`,
mapping each :class:`Step` to a :class:`StepSpec`: where ``next`` leads given the
:class:`FlowState`, the ``guard`` that must hold to leave it forwards, whether going back is
allowed and whether the step shows personal data. :class:`Wizard` walks that table and keeps
the back-stack; the UI only renders ``wizard.current`` and calls the wizard's methods.

The procedure is "Registratie gebruikers 2b" (DESIGN.md section 1)::

    sign_in -> organisation (skipped when the beheerder manages one) -> employee (step 1)
      -> wid_check (step 2) -> review -> register (step 3, saved in the queue)
      -> handover (QR on the customer display, steps 4-7) -> done

Once the registration is saved (``register``) there is no way back: the queue holds it and
the portal may already have it. Cancel, done, sign-out and the idle timeout wipe the person's
data from the state (:meth:`FlowState.wipe_person`); the UI wipes its widgets on the same
notification.
"""

from __future__ import annotations

import dataclasses
import uuid
from collections.abc import Callable
from dataclasses import dataclass, field
from datetime import date
from enum import StrEnum

from kiosk.errors import InputError, KioskError
from kiosk.events import Listeners
from kiosk.flow.evidence import WidEvidence, compare_evidence
from kiosk.model import Employee, Enrollment, RegistrationStatus
from kiosk.mrz.compare import MrzComparison
from kiosk.sync.api import Organisation, Session


class Step(StrEnum):
    """The wizard's steps, in procedure order."""

    SIGN_IN = "sign_in"
    ORGANISATION = "organisation"
    EMPLOYEE = "employee"
    WID_CHECK = "wid_check"
    REVIEW = "review"
    REGISTER = "register"
    HANDOVER = "handover"
    DONE = "done"


class Delivery(StrEnum):
    """Where the saved registration is on its way to the portal (step 3)."""

    NOT_SAVED = "not_saved"
    QUEUED = "queued"  # committed to the local queue, not yet answered by the portal
    OFFLINE = "offline"  # queued while the portal is unreachable: it stays queued
    DELIVERED = "delivered"  # the portal answered (with or without an enrollment)
    FAILED = "failed"  # the portal refused it permanently; a person must look


@dataclass
class FlowState:
    """Everything the wizard knows. Personal data lives only in the fields wiped below."""

    session: Session | None = None
    organisation: Organisation | None = None
    # -- the person (wiped by wipe_person) --
    employee: Employee | None = None
    evidence: WidEvidence | None = None
    #: The one comparison of the evidence with step 1: the guard and every page render it.
    comparison: MrzComparison | None = None
    photo_confirmed: bool = False
    # -- the saved registration (no personal data: an id, a code and states) --
    registration_id: uuid.UUID | None = None
    delivery: Delivery = Delivery.NOT_SAVED
    failure: KioskError | None = None
    enrollment: Enrollment | None = field(default=None, repr=False)
    status: RegistrationStatus | None = None
    today: Callable[[], date] = field(default=date.today, repr=False)
    #: Incremented on every wipe, so views know to wipe their widgets too.
    wipe_count: int = 0
    #: The organisation chosen for the previous employee (kept for the next one, shown as
    #: the choice, never applied silently); forgotten at sign-out.
    last_organisation: Organisation | None = None
    #: True after the desk signed the beheerder out for inactivity (the sign-in page says
    #: why); False again once someone signs in.
    idle_signed_out: bool = False
    #: True on a desk whose sign-ins name the kiosk, so each session carries the portal's
    #: check grant (docs/security.md). A registration without it would be refused by the
    #: portal (422) and could never be delivered: the review waits for the grant, which a
    #: fresh kiosk receives with its enrolment a moment after the first sign-in.
    check_grant_required: bool = False

    def set_evidence(self, evidence: WidEvidence | None) -> None:
        """Store step 2's evidence and compare it with step 1, once, for the guard and every
        page (:func:`kiosk.flow.evidence.compare_evidence`); a new document needs a new
        face-to-face confirmation. Called again when step 1 changes."""
        self.evidence = evidence
        self.photo_confirmed = False
        self.comparison = (
            compare_evidence(evidence, self.employee)
            if evidence is not None and self.employee is not None
            else None
        )

    def drop_photo(self) -> None:
        """Forget the chip photo: it lives only while step 2 is on screen (DESIGN.md 7)."""
        if self.evidence is not None and self.evidence.photo is not None:
            self.evidence = dataclasses.replace(self.evidence, photo=None)

    def forget_person_data(self) -> None:
        """Forget the person's data but keep following the saved registration.

        Runs as soon as the registration is in the queue: from then on the screens need only
        its id and enrollment, and the chip photo must not outlive step 2 (DESIGN.md 7).
        """
        self.employee = None
        self.evidence = None
        self.comparison = None
        self.photo_confirmed = False
        self.wipe_count += 1

    def wipe_person(self) -> None:
        """Forget the person and their registration (cancel, done, idle timeout)."""
        self.forget_person_data()
        self.registration_id = None
        self.delivery = Delivery.NOT_SAVED
        self.failure = None
        self.enrollment = None
        self.status = None

    def sign_out(self) -> None:
        """Forget the person and the beheerder's session."""
        self.wipe_person()
        self.session = None
        self.organisation = None
        self.last_organisation = None


Guard = Callable[[FlowState], list[KioskError]]


def _no_guard(_state: FlowState) -> list[KioskError]:
    return []


@dataclass(frozen=True)
class StepSpec:
    """One row of the wizard's data map."""

    next: Callable[[FlowState], Step | None]
    guard: Guard = _no_guard
    can_go_back: bool = True
    personal: bool = False
    # Runs when the step is left forwards (after the guard passed).
    on_leave: Callable[[FlowState], None] | None = None
    # Runs when the step is entered forwards.
    on_enter: Callable[[FlowState], None] | None = None


def _signed_in(state: FlowState) -> list[KioskError]:
    if state.session is None:
        return [InputError("flow.error.not_signed_in")]
    if not state.session.organisations:
        return [InputError("flow.error.no_organisation")]
    return []


def _choose_only_organisation(state: FlowState) -> None:
    assert state.session is not None
    if len(state.session.organisations) == 1:
        state.organisation = state.session.organisations[0]


def _after_sign_in(state: FlowState) -> Step:
    return Step.EMPLOYEE if state.organisation is not None else Step.ORGANISATION


def _organisation_chosen(state: FlowState) -> list[KioskError]:
    if state.session is None:
        return [InputError("flow.error.not_signed_in")]
    if state.organisation is None or state.organisation not in state.session.organisations:
        return [InputError("flow.error.choose_organisation")]
    return []


def _employee_valid(state: FlowState) -> list[KioskError]:
    if state.employee is None:
        return [InputError("flow.error.employee_missing")]
    return list(state.employee.validate(today=state.today()))


def _wid_checked(state: FlowState) -> list[KioskError]:
    problems: list[KioskError] = []
    if state.evidence is None or state.comparison is None:
        return [InputError("flow.error.document_not_read")]
    if state.evidence.is_expired(state.today()):
        problems.append(InputError("flow.error.document_expired"))
    if not state.comparison.matches:
        problems.append(InputError("flow.error.document_differs"))
    if not state.photo_confirmed:
        problems.append(InputError("flow.error.confirm_person"))
    return problems


def _check_grant_present(state: FlowState) -> list[KioskError]:
    session = state.session
    if state.check_grant_required and session is not None and session.check_grant is None:
        return [InputError("flow.error.awaiting_check_grant")]
    return []


def _review_complete(state: FlowState) -> list[KioskError]:
    # The review repeats every earlier guard: nothing may have changed since.
    return (
        _organisation_chosen(state)
        + _employee_valid(state)
        + _wid_checked(state)
        + _check_grant_present(state)
    )


def _saved(state: FlowState) -> list[KioskError]:
    if state.registration_id is None or state.delivery is Delivery.NOT_SAVED:
        return [InputError("flow.error.not_saved")]
    if state.enrollment is None:
        return [InputError("flow.error.no_enrollment_yet")]
    return []


def _enrolled(state: FlowState) -> list[KioskError]:
    if state.status is not RegistrationStatus.ENROLLED:
        return [InputError("flow.error.not_enrolled_yet")]
    return []


#: The wizard: each step, where it leads, what must hold to leave it forwards.
WIZARD: dict[Step, StepSpec] = {
    Step.SIGN_IN: StepSpec(
        next=_after_sign_in, guard=_signed_in, can_go_back=False, on_leave=_choose_only_organisation
    ),
    Step.ORGANISATION: StepSpec(next=lambda _s: Step.EMPLOYEE, guard=_organisation_chosen),
    Step.EMPLOYEE: StepSpec(next=lambda _s: Step.WID_CHECK, guard=_employee_valid, personal=True),
    Step.WID_CHECK: StepSpec(next=lambda _s: Step.REVIEW, guard=_wid_checked, personal=True),
    Step.REVIEW: StepSpec(next=lambda _s: Step.REGISTER, guard=_review_complete, personal=True),
    # Saved: no way back. The page shows delivery progress; no personal data any more.
    Step.REGISTER: StepSpec(
        next=lambda _s: Step.HANDOVER,
        guard=_saved,
        can_go_back=False,
        on_enter=FlowState.forget_person_data,
    ),
    Step.HANDOVER: StepSpec(next=lambda _s: Step.DONE, guard=_enrolled, can_go_back=False),
    Step.DONE: StepSpec(next=lambda _s: None, can_go_back=False, on_enter=FlowState.wipe_person),
}


class FlowBlocked(InputError):
    """Moving forwards is not allowed yet; ``problems`` says why (one error per problem)."""

    message_key = "flow.error.blocked"

    def __init__(self, problems: list[KioskError]) -> None:
        super().__init__()
        self.problems = problems


Listener = Callable[["Wizard"], None]


class Wizard:
    """Walks :data:`WIZARD`, keeping the back-stack; notifies listeners on every change.

    Listeners receive the wizard after each transition or wipe, on the caller's thread (the
    UI calls from its own thread; the desk session marshals worker events first).
    """

    def __init__(
        self,
        spec: dict[Step, StepSpec] | None = None,
        today: Callable[[], date] = date.today,
    ) -> None:
        self.spec = spec or WIZARD
        self.state = FlowState(today=today)
        self.current = Step.SIGN_IN
        self._stack: list[Step] = []
        self._listeners: Listeners[Wizard] = Listeners()

    # -- observation ------------------------------------------------------------------
    def subscribe(self, listener: Listener) -> Callable[[], None]:
        """Call ``listener(wizard)`` after every change; returns an unsubscribe function."""
        return self._listeners.subscribe(listener)

    def _changed(self) -> None:
        self._listeners.emit(self)

    def notify(self) -> None:
        """Tell listeners the state changed without a transition (e.g. evidence read)."""
        self._changed()

    @property
    def history(self) -> tuple[Step, ...]:
        """The back-stack, oldest first (not including the current step)."""
        return tuple(self._stack)

    # -- transitions ------------------------------------------------------------------
    def problems(self) -> list[KioskError]:
        """What keeps the current step from moving forwards (empty: it may)."""
        return self.spec[self.current].guard(self.state)

    def can_forward(self) -> bool:
        """True when the current step's guard holds and there is a next step."""
        return not self.problems() and self.spec[self.current].next(self.state) is not None

    def forward(self) -> Step:
        """Leave the current step forwards; raises :class:`FlowBlocked` when the guard fails."""
        spec = self.spec[self.current]
        problems = spec.guard(self.state)
        if problems:
            raise FlowBlocked(problems)
        if spec.on_leave is not None:
            spec.on_leave(self.state)
        target = spec.next(self.state)
        if target is None:
            raise FlowBlocked([InputError("flow.error.last_step")])
        self._stack.append(self.current)
        self.current = target
        self.state.drop_photo()  # step 2 is no longer on screen
        enter = self.spec[target].on_enter
        if enter is not None:
            enter(self.state)
        self._changed()
        return target

    def can_go_back(self) -> bool:
        """True when the current step allows going back and there is somewhere to go."""
        return self.spec[self.current].can_go_back and bool(self._stack)

    def back(self) -> Step:
        """Return to the previous step. Going back to sign-in signs the beheerder out."""
        if not self.can_go_back():
            raise FlowBlocked([InputError("flow.error.no_way_back")])
        self.current = self._stack.pop()
        self.state.drop_photo()  # step 2 is no longer on screen (or is entered afresh)
        if self.current is Step.SIGN_IN:
            self.state.sign_out()
        elif self.current is Step.ORGANISATION:
            # Another organisation means another registration: start the person afresh.
            if self.state.organisation is not None:
                self.state.last_organisation = self.state.organisation
            self.state.organisation = None
        self._changed()
        return self.current

    def _start_of_registration(self) -> Step:
        """Where a new registration starts: organisation choice or step 1."""
        self.state.wipe_person()
        session = self.state.session
        if session is None:
            self._stack = []
            return Step.SIGN_IN
        if len(session.organisations) > 1:
            self._stack = [Step.SIGN_IN]
            if self.state.organisation is not None:
                self.state.last_organisation = self.state.organisation
            self.state.organisation = None
            return Step.ORGANISATION
        self.state.organisation = session.organisations[0] if session.organisations else None
        self._stack = [Step.SIGN_IN]
        return Step.EMPLOYEE

    def cancel(self) -> Step:
        """Abandon the current person (anywhere in the flow), wipe them and start afresh.

        A registration that was already saved stays in the queue (it is never dropped);
        only the screens forget it.
        """
        self.current = self._start_of_registration()
        self._changed()
        return self.current

    def restart(self) -> Step:
        """After ``done``: the next person. Same as :meth:`cancel`."""
        return self.cancel()

    def sign_out(self) -> Step:
        """Sign the beheerder out and wipe everything."""
        self.state.sign_out()
        self.state.idle_signed_out = False
        self._stack = []
        self.current = Step.SIGN_IN
        self._changed()
        return self.current

    def idle_timeout(self) -> Step:
        """Inactivity at the desk: wipe everything and sign out (DESIGN.md section 7); the
        state remembers why, for the sign-in page."""
        self.state.sign_out()
        self.state.idle_signed_out = True
        self._stack = []
        self.current = Step.SIGN_IN
        self._changed()
        return self.current

    def reopen_handover(self, resume: Callable[[FlowState], None]) -> Step:
        """Back to a saved registration's handover (from "Openstaande overdrachten"):
        wipe the screens, let ``resume`` set the registration's id, code and states, and
        show ``handover``, which follows it to ``done`` like a fresh one."""
        self.state.wipe_person()
        resume(self.state)
        self._stack = [Step.SIGN_IN]
        self.current = Step.HANDOVER
        self._changed()
        return self.current

    @property
    def holds_personal_data(self) -> bool:
        """True when the state holds data about a person."""
        s = self.state
        return s.employee is not None or s.evidence is not None
