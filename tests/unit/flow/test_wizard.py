"""The wizard's data map: transitions, guards, back-stack and wipes, without Qt."""

from __future__ import annotations

from datetime import date

import pytest

from kiosk.flow.wizard import WIZARD, Delivery, FlowBlocked, Step, Wizard
from kiosk.model import Employee, RegistrationStatus

from .helpers import ORG1, ORG2, enrollment, evidence, session

TODAY = date(2026, 11, 28)


def wizard() -> Wizard:
    return Wizard(today=lambda: TODAY)


def keys(exc: FlowBlocked) -> list[str]:
    return [p.message_key for p in exc.problems]


def walk_to_wid_check(w: Wizard) -> None:
    w.state.session = session(ORG1, ORG2)
    w.forward()
    w.state.organisation = ORG2
    w.forward()
    w.state.employee = Employee("Willeke Liselotte", "de Bruijn", date(1965, 3, 10))
    w.forward()
    assert w.current is Step.WID_CHECK


def test_every_step_has_a_row_and_all_targets_are_steps():
    assert set(WIZARD) == set(Step)


def test_sign_in_is_guarded():
    w = wizard()
    with pytest.raises(FlowBlocked) as info:
        w.forward()
    assert keys(info.value) == ["flow.error.not_signed_in"]
    w.state.session = session()
    with pytest.raises(FlowBlocked) as info:
        w.forward()
    assert keys(info.value) == ["flow.error.no_organisation"]


def test_one_organisation_skips_the_choice():
    w = wizard()
    w.state.session = session(ORG1)
    assert w.forward() is Step.EMPLOYEE
    assert w.state.organisation == ORG1
    assert w.history == (Step.SIGN_IN,)


def test_several_organisations_ask_and_guard_the_choice():
    w = wizard()
    w.state.session = session(ORG1, ORG2)
    assert w.forward() is Step.ORGANISATION
    with pytest.raises(FlowBlocked) as info:
        w.forward()
    assert keys(info.value) == ["flow.error.choose_organisation"]
    from kiosk.sync.api import Organisation

    w.state.organisation = Organisation("org-9", "Not managed")
    with pytest.raises(FlowBlocked):
        w.forward()
    w.state.organisation = ORG2
    assert w.forward() is Step.EMPLOYEE


def test_employee_guard_reports_each_problem():
    w = wizard()
    w.state.session = session(ORG1)
    w.forward()
    with pytest.raises(FlowBlocked) as info:
        w.forward()
    assert keys(info.value) == ["flow.error.employee_missing"]
    w.state.employee = Employee("J4n", "", date(2030, 1, 1))
    with pytest.raises(FlowBlocked) as info:
        w.forward()
    assert keys(info.value) == [
        "employee.error.surname_required",
        "employee.error.name_characters",
        "employee.error.birth_in_future",
    ]
    assert [p.params.get("field") for p in info.value.problems] == [
        "surname",
        "given_names",
        "date_of_birth",
    ]


def test_wid_check_needs_matching_unexpired_evidence_and_confirmation():
    w = wizard()
    walk_to_wid_check(w)
    with pytest.raises(FlowBlocked) as info:
        w.forward()
    assert keys(info.value) == ["flow.error.document_not_read"]

    w.state.set_evidence(evidence(surname="DE BRUIN", expiry_date=date(2026, 11, 27)))
    with pytest.raises(FlowBlocked) as info:
        w.forward()
    assert keys(info.value) == [
        "flow.error.document_expired",
        "flow.error.document_differs",
        "flow.error.confirm_person",
    ]
    w.state.set_evidence(evidence(expiry_date=TODAY))  # valid through its expiry date
    w.state.photo_confirmed = True
    assert w.forward() is Step.REVIEW


def test_new_evidence_needs_a_new_confirmation():
    w = wizard()
    walk_to_wid_check(w)
    w.state.set_evidence(evidence())
    w.state.photo_confirmed = True
    w.state.set_evidence(evidence(document_number="XR1234567"))
    assert w.state.photo_confirmed is False


@pytest.mark.parametrize("direction", ["forward", "back"])
def test_the_chip_photo_lives_only_while_step_2_is_on_screen(direction):
    w = wizard()
    walk_to_wid_check(w)
    w.state.set_evidence(evidence(photo=b"\x89PNG face"))
    w.state.photo_confirmed = True
    assert w.state.evidence.photo
    getattr(w, direction)()
    assert w.current is (Step.REVIEW if direction == "forward" else Step.EMPLOYEE)
    assert w.state.evidence.photo is None
    # The rest of the evidence (and the confirmation) survive for the review page.
    assert w.state.evidence.surname and w.state.photo_confirmed


def test_back_stack_returns_in_order_and_back_to_sign_in_signs_out():
    w = wizard()
    walk_to_wid_check(w)
    assert w.history == (Step.SIGN_IN, Step.ORGANISATION, Step.EMPLOYEE)
    assert w.back() is Step.EMPLOYEE
    assert w.state.employee is not None  # kept so the beheerder can correct it
    assert w.back() is Step.ORGANISATION
    assert w.state.organisation is None
    assert w.back() is Step.SIGN_IN
    assert w.state.session is None and w.state.employee is None
    assert not w.can_go_back()
    with pytest.raises(FlowBlocked):
        w.back()


def _saved_wizard() -> Wizard:
    w = wizard()
    walk_to_wid_check(w)
    w.state.set_evidence(evidence())
    w.state.photo_confirmed = True
    w.forward()
    import uuid

    w.state.registration_id = uuid.uuid4()
    w.state.delivery = Delivery.QUEUED
    assert w.forward() is Step.REGISTER
    return w


def test_register_forgets_the_person_and_has_no_way_back():
    w = _saved_wizard()
    assert w.state.employee is None and w.state.evidence is None
    assert w.state.registration_id is not None
    assert not w.can_go_back()
    with pytest.raises(FlowBlocked) as info:
        w.back()
    assert keys(info.value) == ["flow.error.no_way_back"]


def test_register_waits_for_the_enrollment_and_handover_for_the_scan():
    w = _saved_wizard()
    with pytest.raises(FlowBlocked) as info:
        w.forward()
    assert keys(info.value) == ["flow.error.no_enrollment_yet"]
    w.state.enrollment = enrollment()
    assert w.forward() is Step.HANDOVER
    with pytest.raises(FlowBlocked) as info:
        w.forward()
    assert keys(info.value) == ["flow.error.not_enrolled_yet"]
    w.state.status = RegistrationStatus.ENROLLED
    assert w.forward() is Step.DONE
    assert w.state.registration_id is None and w.state.enrollment is None
    assert not w.can_forward()


@pytest.mark.parametrize(
    "orgs, start", [((ORG1,), Step.EMPLOYEE), ((ORG1, ORG2), Step.ORGANISATION)]
)
def test_cancel_wipes_the_person_and_starts_a_new_registration(orgs, start):
    w = wizard()
    w.state.session = session(*orgs)
    w.forward()
    if w.current is Step.ORGANISATION:
        w.state.organisation = ORG1
        w.forward()
    w.state.employee = Employee("Anna", "Eriksson", date(1974, 8, 12))
    w.forward()
    w.state.set_evidence(evidence())
    seen = []
    w.subscribe(lambda wiz: seen.append(wiz.current))
    assert w.cancel() is start
    assert seen == [start]
    assert not w.holds_personal_data
    assert w.state.comparison is None and w.state.photo_confirmed is False
    assert w.state.session is not None
    assert w.history == (Step.SIGN_IN,)


def test_idle_timeout_signs_out_and_wipes_everything():
    w = wizard()
    walk_to_wid_check(w)
    w.state.set_evidence(evidence())
    assert w.holds_personal_data
    assert w.idle_timeout() is Step.SIGN_IN
    assert not w.holds_personal_data and w.state.session is None and w.history == ()


def test_unsubscribe_stops_notifications():
    w = wizard()
    seen = []
    stop = w.subscribe(lambda wiz: seen.append(1))
    w.notify()
    stop()
    w.notify()
    assert seen == [1]
