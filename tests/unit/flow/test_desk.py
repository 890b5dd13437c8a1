"""DeskSession: the actions behind the wizard, through in-memory ports."""

from __future__ import annotations

import uuid
from datetime import date, timedelta

import pytest

from kiosk.errors import StorageFailure
from kiosk.flow.desk import DeskSession
from kiosk.flow.wizard import Delivery, FlowBlocked, Step
from kiosk.model import CheckMethod, RegistrationStatus
from kiosk.sync.api import PortalAuthError, PortalRejected

from .helpers import NOW, ORG1, ORG2, MemoryPortal, MemoryQueue, enrollment, evidence, session


def desk(*orgs, now=lambda: NOW, reserve_code=None):
    queue = MemoryQueue()
    portal = MemoryPortal(session(*(orgs or (ORG1, ORG2))))
    return DeskSession(portal, queue, now=now, reserve_code=reserve_code), queue, portal


def to_review(d: DeskSession) -> None:
    d.accept_session(d.sign_in("demo", "demo"))
    if d.step is Step.ORGANISATION:
        d.choose_organisation("org-2")
    d.submit_employee("Willeke Liselotte", "de Bruijn", date(1965, 3, 10))
    d.accept_evidence(evidence())
    d.confirm_person(True)
    d.wizard.forward()
    assert d.step is Step.REVIEW


def test_sign_in_errors_are_typed():
    d, _, _ = desk()
    with pytest.raises(FlowBlocked) as info:
        d.sign_in(" ", "")
    assert info.value.problems[0].message_key == "flow.error.credentials_missing"
    with pytest.raises(PortalAuthError):
        d.sign_in("demo", "wrong")
    assert d.step is Step.SIGN_IN


def test_whole_flow_saves_once_then_follows_delivery_to_done():
    d, queue, _ = desk()
    to_review(d)
    registration = d.register()
    assert d.step is Step.REGISTER and d.state.delivery is Delivery.QUEUED
    assert queue.items == [(registration, "beh-1")]
    assert registration.organisation_id == "org-2"
    assert registration.wid_check.method is CheckMethod.MRZ_TYPED
    assert registration.wid_check.photo_compared is True
    assert registration.wid_check.checked_at == NOW
    assert d.state.employee is None  # forgotten once saved

    d.delivered(uuid.uuid4(), RegistrationStatus.PENDING_ENROLLMENT, enrollment())  # not ours
    assert d.step is Step.REGISTER
    d.delivered(registration.registration_id, RegistrationStatus.PENDING_ENROLLMENT, enrollment())
    assert d.step is Step.HANDOVER and d.state.enrollment is not None
    d.enrollment_status(registration.registration_id, RegistrationStatus.ENROLLED)
    assert d.step is Step.DONE and d.state.registration_id is None
    assert d.finish() is Step.ORGANISATION


def test_registering_twice_is_impossible():
    d, queue, _ = desk(ORG1)
    to_review(d)
    d.register()
    with pytest.raises(FlowBlocked):
        d.register()
    assert len(queue.items) == 1


def test_failed_commit_keeps_the_data_on_screen():
    d, queue, _ = desk()
    to_review(d)
    queue.fail_with = StorageFailure()
    with pytest.raises(StorageFailure):
        d.register()
    assert d.step is Step.REVIEW and d.state.employee is not None
    assert d.state.registration_id is None


def test_offline_registration_stays_queued_and_says_so():
    d, _, _ = desk()
    d.connectivity(False)
    to_review(d)
    registration = d.register()
    assert d.step is Step.REGISTER and d.state.delivery is Delivery.OFFLINE
    d.connectivity(True)
    assert d.state.delivery is Delivery.QUEUED
    d.delivery_failed(registration.registration_id, PortalRejected(422, "invalid"))
    assert d.state.delivery is Delivery.FAILED and d.state.failure is not None
    assert d.finish() is Step.ORGANISATION and d.state.failure is None


def test_offline_with_a_pooled_code_shows_the_qr_at_once():
    pooled = enrollment()
    d, queue, _ = desk(reserve_code=lambda: pooled)
    d.connectivity(False)
    to_review(d)
    registration = d.register()
    assert registration.enrollment_code == pooled.code
    assert queue.items[0][0].enrollment_code == pooled.code
    assert d.step is Step.HANDOVER and d.state.enrollment == pooled


def test_renew_replaces_the_code():
    d, _, portal = desk()
    to_review(d)
    registration = d.register()
    d.delivered(registration.registration_id, RegistrationStatus.PENDING_ENROLLMENT, enrollment())
    d.enrollment_status(registration.registration_id, RegistrationStatus.EXPIRED)
    assert d.step is Step.HANDOVER
    new = d.renew_enrollment()
    assert portal.renewed == [registration.registration_id]
    assert d.state.enrollment == new and d.state.status is RegistrationStatus.PENDING_ENROLLMENT


def test_idle_timeout_spares_a_live_handover_but_not_an_expired_one():
    clock = [NOW]
    d, _, _ = desk(now=lambda: clock[0])
    to_review(d)
    registration = d.register()
    d.delivered(registration.registration_id, RegistrationStatus.PENDING_ENROLLMENT, enrollment(5))
    assert d.idle_timeout() is None and d.step is Step.HANDOVER
    clock[0] = NOW + timedelta(minutes=6)
    assert d.idle_timeout() is Step.SIGN_IN
    assert d.state.session is None and d.state.enrollment is None


def test_idle_timeout_during_step_1_wipes_the_person():
    d, _, _ = desk()
    d.accept_session(d.sign_in("demo", "demo"))
    d.choose_organisation("org-1")
    d.submit_employee("Anna", "Eriksson", date(1974, 8, 12))
    assert d.state.employee is not None
    assert d.idle_timeout() is Step.SIGN_IN
    assert not d.wizard.holds_personal_data


def test_changing_step_1_recompares_the_evidence():
    d, _, _ = desk(ORG1)
    d.accept_session(d.sign_in("demo", "demo"))
    d.submit_employee("Willeke Liselotte", "de Bruin", date(1965, 3, 10))
    d.accept_evidence(evidence())
    assert not d.state.comparison.matches
    d.back()
    d.submit_employee("Willeke Liselotte", "de Bruijn", date(1965, 3, 10))
    assert d.state.comparison.matches


@pytest.mark.parametrize(
    "text, expected",
    [
        ("12-08-1974", date(1974, 8, 12)),
        ("12/8/1974", date(1974, 8, 12)),
        (" 12.08.1974 ", date(1974, 8, 12)),
        ("12081974", date(1974, 8, 12)),
    ],
)
def test_parse_date_accepts_what_desks_type(text, expected):
    from kiosk.flow.desk import parse_date

    assert parse_date(text) == expected


@pytest.mark.parametrize("text", ["", "1974-08-12", "12-08-74", "aa-bb-cccc", "123-08-1974"])
def test_parse_date_rejects_with_a_field_message(text):
    from kiosk.errors import InputError
    from kiosk.flow.desk import parse_date

    with pytest.raises(InputError) as info:
        parse_date(text)
    assert info.value.message_key == "flow.error.date_format"
    assert info.value.params == {"field": "date_of_birth"}


@pytest.mark.parametrize(
    ("text", "shown"),
    [("31-02-1974", "31-02-1974"), ("30/2/1985", "30-02-1985"), ("29021985", "29-02-1985")],
)
def test_parse_date_says_when_a_date_does_not_exist(text, shown):
    from kiosk.errors import InputError
    from kiosk.flow.desk import parse_date

    with pytest.raises(InputError) as info:
        parse_date(text)
    assert info.value.message_key == "flow.error.date_not_exist"
    assert info.value.params == {"field": "date_of_birth", "date": shown}


def test_step_1_text_reports_every_field_at_once():
    d, _, _ = desk(ORG1)
    d.accept_session(d.sign_in("demo", "demo"))
    with pytest.raises(FlowBlocked) as info:
        d.submit_employee_text("J4n", "", "31-02-1974")
    assert [(p.message_key, p.params["field"]) for p in info.value.problems] == [
        ("flow.error.date_not_exist", "date_of_birth"),  # 31-02 (issue 11 item 3)
        ("employee.error.surname_required", "surname"),
        ("employee.error.name_characters", "given_names"),
    ]
    assert d.submit_employee_text("Jan", "Jansen", "01-02-1980") is Step.WID_CHECK


def test_stopping_a_live_handover_kills_the_code():
    d, _, portal = desk()
    to_review(d)
    registration = d.register()
    d.delivered(registration.registration_id, RegistrationStatus.PENDING_ENROLLMENT, enrollment())
    kill = d.stop_handover()
    assert d.step is Step.ORGANISATION and d.state.enrollment is None
    assert portal.cancelled == []  # the I/O runs where the caller chooses
    kill()
    assert portal.cancelled == [registration.registration_id]


def test_stopping_without_a_live_code_needs_no_portal_call():
    d, _, _ = desk()
    d.connectivity(False)
    to_review(d)
    d.register()
    assert d.stop_handover() is None
    assert d.step is Step.ORGANISATION


def test_a_kiosk_that_names_itself_waits_for_the_check_grant_before_registering():
    # A fresh kiosk enrols at the first sign-in and gets the session's check grant with the
    # enrolment answer. A registration saved before it would be refused by the portal (422)
    # and could never be delivered, so the review waits for the grant.
    queue = MemoryQueue()
    d = DeskSession(
        MemoryPortal(session(ORG1, ORG2)), queue, now=lambda: NOW, kiosk_id=lambda: None
    )
    to_review(d)
    with pytest.raises(FlowBlocked) as info:
        d.register()
    assert [p.message_key for p in info.value.problems] == ["flow.error.awaiting_check_grant"]
    assert queue.items == [] and d.step is Step.REVIEW
    assert not d.adopt_check_grant("grant-x", "someone-else")  # not this session's beheerder
    assert d.adopt_check_grant("grant-1", "beh-1")
    registration = d.register()
    assert registration.wid_check.check_grant == "grant-1"
    assert d.step is Step.REGISTER


def test_a_desk_without_a_kiosk_id_does_not_wait_for_a_grant():
    d, queue, _ = desk()
    to_review(d)
    d.register()
    assert len(queue.items) == 1
