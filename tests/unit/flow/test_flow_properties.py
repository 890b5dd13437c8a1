"""Any sequence of desk actions keeps the wizard's promises (hypothesis)."""

from __future__ import annotations

from datetime import date

from hypothesis import given, settings
from hypothesis import strategies as st

from kiosk.errors import KioskError
from kiosk.flow.desk import DeskSession
from kiosk.flow.wizard import Step
from kiosk.model import RegistrationStatus

from .helpers import NOW, ORG1, ORG2, MemoryPortal, MemoryQueue, enrollment, evidence, session

ACTIONS = st.lists(
    st.sampled_from(
        [
            "sign_in",
            "org",
            "employee",
            "bad_employee",
            "evidence",
            "other_evidence",
            "confirm",
            "forward",
            "back",
            "register",
            "delivered",
            "offline",
            "enrolled",
            "cancel",
            "idle",
            "finish",
            "sign_out",
        ]
    ),
    max_size=40,
)


def apply(d: DeskSession, action: str) -> None:
    state = d.state
    if action == "sign_in":
        d.accept_session(d.sign_in("demo", "demo"))
    elif action == "org":
        d.choose_organisation("org-2")
    elif action == "employee":
        d.submit_employee("Willeke Liselotte", "de Bruijn", date(1965, 3, 10))
    elif action == "bad_employee":
        d.submit_employee_text("J4n", "", "31-02-1999")
    elif action in ("evidence", "other_evidence"):
        if d.step is Step.WID_CHECK:
            d.accept_evidence(evidence(surname="X" if action == "other_evidence" else "DE BRUIJN"))
    elif action == "confirm":
        if d.step is Step.WID_CHECK:
            d.confirm_person(True)
    elif action == "forward":
        d.wizard.forward()
    elif action == "back":
        d.back()
    elif action == "register":
        d.register()
    elif action == "delivered" and state.registration_id is not None:
        d.delivered(state.registration_id, RegistrationStatus.PENDING_ENROLLMENT, enrollment())
    elif action == "offline":
        d.connectivity(False)
    elif action == "enrolled" and state.registration_id is not None:
        d.enrollment_status(state.registration_id, RegistrationStatus.ENROLLED)
    elif action == "cancel":
        d.cancel()
    elif action == "idle":
        d.idle_timeout()
    elif action == "finish" and d.step in (Step.DONE, Step.REGISTER):
        d.finish()
    elif action == "sign_out":
        d.sign_out()


@settings(max_examples=300, deadline=None)
@given(ACTIONS)
def test_any_sequence_keeps_the_promises(actions):
    queue = MemoryQueue()
    d = DeskSession(MemoryPortal(session(ORG1, ORG2)), queue, now=lambda: NOW)
    for action in actions:
        saved_before = len(queue.items)
        step_before = d.step
        try:
            apply(d, action)
        except KioskError:
            assert d.step is step_before  # a refused action changes nothing visible
        state = d.state
        # Saving happens only from the review, once per registration, with a new id.
        if len(queue.items) > saved_before:
            assert step_before is Step.REVIEW and d.step in (Step.REGISTER, Step.HANDOVER)
            ids = [r.registration_id for r, _ in queue.items]
            assert len(set(ids)) == len(ids)
        # After saving, and after cancel/idle/sign-out/done, no personal data is held.
        if d.step in (Step.SIGN_IN, Step.REGISTER, Step.HANDOVER, Step.DONE):
            assert state.employee is None and state.evidence is None
        wiping = action in ("cancel", "idle", "sign_out") or (
            action == "finish" and step_before in (Step.DONE, Step.REGISTER)
        )
        if wiping and d.step is not Step.HANDOVER:
            assert not d.wizard.holds_personal_data
        # Only the sign-in step exists without a session; the stack never holds the current
        # step and never reaches back past sign-in.
        assert (state.session is None) == (d.step is Step.SIGN_IN)
        assert d.step not in d.wizard.history
        assert all(s is not Step.SIGN_IN for s in d.wizard.history[1:])
        # A QR is on screen only for a saved registration.
        if d.step is Step.HANDOVER:
            assert state.registration_id is not None and state.enrollment is not None
