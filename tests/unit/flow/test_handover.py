"""Open handovers ("Openstaande overdrachten"): headless, on a real store file."""

from __future__ import annotations

from datetime import date, timedelta

import pytest

from kiosk.flow.desk import DeskSession
from kiosk.flow.handover import HandoverBook, HandoverState, call_name
from kiosk.flow.wizard import Delivery, FlowBlocked, Step
from kiosk.model import Employee, Enrollment, RegistrationStatus
from kiosk.store import FileKeyProvider, Store

from .helpers import NOW, ORG1, ORG2, MemoryPortal, enrollment, evidence, session


class Clock:
    def __init__(self):
        self.now = NOW

    def __call__(self):
        return self.now


@pytest.fixture
def clock():
    return Clock()


@pytest.fixture
def store(tmp_path, clock):
    with Store.open(tmp_path / "kiosk.sqlite3", FileKeyProvider(tmp_path / "k"), clock=clock) as s:
        yield s


def pooled_code() -> Enrollment:
    return Enrollment("POOL1", "zorgid://enroll?c=POOL1", NOW + timedelta(days=3))


def make_desk(store, clock, pool=(), orgs=(ORG1, ORG2)):
    codes = list(pool)
    book = HandoverBook(store, clock)
    portal = MemoryPortal(session(*orgs))
    desk = DeskSession(
        portal,
        store,
        now=clock,
        reserve_code=lambda: codes.pop(0) if codes else None,
        handovers=book,
    )
    return desk, book, portal


def register(desk) -> object:
    desk.accept_session(desk.sign_in("demo", "demo"))
    if desk.step is Step.ORGANISATION:
        desk.choose_organisation("org-2")
    desk.submit_employee("Willeke Liselotte", "de Bruijn", date(1965, 3, 10))
    desk.accept_evidence(evidence())
    desk.confirm_person(True)
    desk.wizard.forward()
    return desk.register()


@pytest.mark.parametrize(
    ("given", "surname", "expected"),
    [
        ("Willeke Liselotte", "de Bruijn", "Willeke B."),
        ("WILLEKE LISELOTTE", "DE BRUIJN", "Willeke B."),
        ("Jan", "van 't Hek", "Jan H."),
        ("Anna", "Eriksson", "Anna E."),
    ],
)
def test_the_call_name_is_the_first_given_name_and_an_initial(given, surname, expected):
    assert call_name(Employee(given, surname, date(1970, 1, 1))) == expected


def test_an_offline_registration_gets_a_pool_qr_and_stays_listed(store, clock):
    desk, book, _ = make_desk(store, clock, pool=[pooled_code()])
    desk.connectivity(False)
    registration = register(desk)
    rid = registration.registration_id
    assert desk.step is Step.HANDOVER and desk.state.enrollment == pooled_code()
    assert not desk.pool_empty
    (entry,) = desk.open_handovers()
    assert entry.call_name == "Willeke B." and entry.state is HandoverState.NOT_ACTIVE
    assert entry.can_show and entry.can_print and not entry.can_renew and not entry.can_stop
    # "Volgende medewerker", then a sign-out: the entry stays; nobody signed in sees none.
    desk.finish()
    desk.sign_out()
    assert desk.open_handovers() == [] and len(book.open_handovers()) == 1
    # A restart: a new desk on the same store still has it after sign-in.
    again, _, _ = make_desk(store, clock)
    again.accept_session(again.sign_in("demo", "demo"))
    (entry,) = again.open_handovers()
    assert entry.registration_id == rid
    # Delivered later: the portal's answer makes it live; show it again, follow to done.
    store.mark_done(rid)
    again.delivered(rid, RegistrationStatus.PENDING_ENROLLMENT, pooled_code())
    assert again.open_handovers()[0].state is HandoverState.LIVE
    assert again.show_handover(rid) is Step.HANDOVER
    assert again.state.enrollment == pooled_code()
    assert again.state.delivery is Delivery.DELIVERED
    again.enrollment_status(rid, RegistrationStatus.ENROLLED)
    assert again.step is Step.DONE and again.open_handovers() == []


def test_no_pool_code_left_says_so_and_waits(store, clock):
    desk, _, _ = make_desk(store, clock, pool=[])
    desk.connectivity(False)
    register(desk)
    assert desk.pool_empty and desk.step is Step.REGISTER
    (entry,) = desk.open_handovers()
    assert entry.state is HandoverState.WAITING and not entry.can_show
    with pytest.raises(FlowBlocked):
        desk.show_handover(entry.registration_id)


def test_unknown_connectivity_uses_the_pool_too(store, clock):
    desk, _, _ = make_desk(store, clock, pool=[pooled_code()])
    assert desk.online is None
    register(desk)
    assert desk.state.enrollment == pooled_code()


def test_renew_and_stop_from_the_list(store, clock):
    desk, _, portal = make_desk(store, clock)
    desk.connectivity(True)
    registration = register(desk)
    rid = registration.registration_id
    store.mark_done(rid)
    desk.delivered(rid, RegistrationStatus.PENDING_ENROLLMENT, enrollment())
    desk.finish()
    (entry,) = desk.open_handovers()
    assert entry.state is HandoverState.LIVE and entry.can_renew and entry.can_stop
    clock.now = NOW + timedelta(minutes=11)
    assert desk.open_handovers()[0].state is HandoverState.EXPIRED
    assert not desk.open_handovers()[0].can_show
    fresh = desk.request_renewal_of(rid)()
    desk.accept_renewal_of(rid, fresh)
    assert portal.renewed == [rid]
    assert desk.open_handovers()[0].enrollment == fresh
    kill = desk.request_stop_of(rid)
    assert desk.open_handovers() == []
    kill()
    assert portal.cancelled == [rid]


def test_a_listed_qr_is_not_shown_over_someone_elses_data(store, clock):
    desk, _, _ = make_desk(store, clock, pool=[pooled_code()])
    desk.connectivity(False)
    rid = register(desk).registration_id
    desk.finish()
    desk.choose_organisation("org-2")
    desk.submit_employee("Piet", "Jansen", date(1970, 1, 1))
    with pytest.raises(FlowBlocked):
        desk.show_handover(rid)


def test_a_beheerder_sees_only_the_handovers_of_their_organisations(store, clock):
    desk, _, _ = make_desk(store, clock, pool=[pooled_code()])
    desk.connectivity(False)
    register(desk)  # for org-2
    other, _, _ = make_desk(store, clock, orgs=(ORG1,))
    other.accept_session(other.sign_in("demo", "demo"))
    assert other.open_handovers() == []
