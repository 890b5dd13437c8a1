"""What the customer screen shows when: content from the flow, then the screen's own state
(countdown, expiry, dismissal, the "Gelukt!" linger). No Qt."""

from __future__ import annotations

from dataclasses import replace
from datetime import timedelta

import pytest

from kiosk import i18n
from kiosk.flow.desk import DeskSession
from kiosk.flow.display import (
    CustomerScreen,
    DisplayContent,
    DisplayMode,
    content_for,
    remaining_text,
)
from kiosk.flow.wizard import Delivery, FlowState, Step
from kiosk.model import RegistrationStatus

from .helpers import NOW, ORG1, MemoryPortal, MemoryQueue, enrollment, session
from .test_desk import to_review

QR = DisplayContent.qr("zorgid://enroll?c=ABC123", NOW + timedelta(minutes=2))


def handover_state(**changes) -> FlowState:
    state = FlowState(
        enrollment=enrollment(),
        status=RegistrationStatus.PENDING_ENROLLMENT,
        delivery=Delivery.DELIVERED,
    )
    for name, value in changes.items():
        setattr(state, name, value)
    return state


def test_the_desk_decides_the_mode_step_by_step():
    assert content_for(Step.SIGN_IN, FlowState(), NOW) == DisplayContent()
    assert content_for(Step.REVIEW, FlowState(), NOW).mode is DisplayMode.WELCOME
    queued = FlowState(delivery=Delivery.QUEUED)
    assert content_for(Step.REGISTER, queued, NOW).mode is DisplayMode.WELCOME
    offline = FlowState(delivery=Delivery.OFFLINE)
    assert content_for(Step.REGISTER, offline, NOW).mode is DisplayMode.QUEUED
    assert content_for(Step.DONE, FlowState(), NOW).mode is DisplayMode.DONE


def test_a_live_handover_shows_the_qr_with_its_payload_and_expiry():
    state = handover_state()
    content = content_for(Step.HANDOVER, state, NOW)
    assert content == DisplayContent.qr(state.enrollment.qr_payload, state.enrollment.expires_at)
    assert "zorgid" not in repr(content)  # the payload stays out of logs


@pytest.mark.parametrize(
    "changes",
    [
        {"enrollment": None},  # delivered without a code
        {"status": RegistrationStatus.EXPIRED},  # the portal expired it
        {"status": RegistrationStatus.CANCELLED},
    ],
)
def test_a_handover_without_a_live_code_says_expired(changes):
    content = content_for(Step.HANDOVER, handover_state(**changes), NOW)
    assert content == DisplayContent.message(DisplayMode.EXPIRED)


def test_a_code_whose_time_is_up_says_expired_to_the_second():
    state = handover_state()
    expires = state.enrollment.expires_at
    assert content_for(Step.HANDOVER, state, expires - timedelta(seconds=1)).mode is DisplayMode.QR
    # Less than a whole second left reads 0:00: expired, as the countdown would say.
    late = expires - timedelta(milliseconds=500)
    assert content_for(Step.HANDOVER, state, late).mode is DisplayMode.EXPIRED
    assert content_for(Step.HANDOVER, state, expires).mode is DisplayMode.EXPIRED


def test_a_desk_session_through_to_done_drives_the_screen():
    portal = MemoryPortal(session(ORG1))
    desk = DeskSession(portal, MemoryQueue(), now=lambda: NOW)
    screen = CustomerScreen()

    def follow() -> None:
        screen.follow(content_for(desk.step, desk.state, desk.now()))

    desk.wizard.subscribe(lambda _w: follow())
    to_review(desk)
    assert screen.mode is DisplayMode.WELCOME and not screen.covers_shared_screen
    registration = desk.register()
    desk.connectivity(False)
    assert screen.mode is DisplayMode.QUEUED and screen.covers_shared_screen
    desk.connectivity(True)
    desk.delivered(
        registration.registration_id, RegistrationStatus.PENDING_ENROLLMENT, enrollment()
    )
    assert screen.mode is DisplayMode.QR
    assert screen.content.qr_payload == enrollment().qr_payload
    desk.enrollment_status(registration.registration_id, RegistrationStatus.ENROLLED)
    assert screen.mode is DisplayMode.DONE
    desk.finish()
    assert screen.mode is DisplayMode.WELCOME


def test_messages_carry_no_qr_and_a_qr_needs_its_code():
    for mode in (DisplayMode.WELCOME, DisplayMode.QUEUED, DisplayMode.EXPIRED, DisplayMode.DONE):
        content = DisplayContent.message(mode)
        assert content.qr_payload is None and content.expires_at is None
    with pytest.raises(ValueError):
        DisplayContent.message(DisplayMode.QR)


def test_the_countdown_counts_down_and_warns_in_the_last_minute():
    screen = CustomerScreen()
    assert screen.countdown(NOW) is None  # no QR, no countdown
    screen.show(QR)
    countdown = screen.countdown(NOW)
    assert countdown is not None and countdown.remaining == "2:00" and not countdown.warn
    countdown = screen.countdown(NOW + timedelta(seconds=61))
    assert countdown is not None and countdown.remaining == "0:59" and countdown.warn


def test_validity_reads_as_minutes_or_as_a_date_for_pool_codes():
    assert remaining_text(NOW + timedelta(minutes=14, seconds=5), NOW) == "14:05"
    assert remaining_text(NOW - timedelta(seconds=5), NOW) == "0:00"
    later = NOW + timedelta(days=7)
    expected = later.astimezone().strftime("%d-%m-%Y %H:%M")
    assert remaining_text(later, NOW) == i18n.tr("ui.valid_until", when=expected)


def test_the_clock_turns_the_qr_into_expired_and_hands_over_again():
    screen = CustomerScreen()
    screen.show(QR)
    assert screen.escape(own_screen=False)  # the beheerder took the shared screen back
    assert not screen.tick(NOW + timedelta(minutes=1))
    assert screen.mode is DisplayMode.QR and not screen.covers_shared_screen
    assert screen.tick(NOW + timedelta(minutes=2))
    assert screen.mode is DisplayMode.EXPIRED and screen.content.qr_payload is None
    assert screen.covers_shared_screen  # the beheerder must make a new code: it shows
    assert not screen.tick(NOW + timedelta(minutes=3))


def test_following_the_desk_keeps_a_dismissed_screen_dismissed_until_something_new():
    screen = CustomerScreen()
    assert not screen.follow(DisplayContent())  # already the welcome screen
    assert screen.follow(QR) and screen.covers_shared_screen
    screen.escape(own_screen=False)
    assert not screen.follow(QR)  # the same code again: stays dismissed
    assert not screen.covers_shared_screen
    longer = replace(QR, expires_at=QR.expires_at + timedelta(minutes=5))
    assert screen.follow(longer)  # the same code, valid longer: taken silently
    assert screen.content.expires_at == longer.expires_at and not screen.covers_shared_screen
    renewed = DisplayContent.qr("zorgid://enroll?c=NEW", NOW + timedelta(minutes=10))
    assert screen.follow(renewed) and screen.covers_shared_screen  # a new code shows
    # Showing explicitly hands over again even without a change.
    screen.escape(own_screen=False)
    assert screen.show(renewed) and screen.covers_shared_screen


def test_escape_always_gives_a_shared_screen_back_a_click_never_while_the_qr_is_up():
    screen = CustomerScreen()
    screen.show(QR)
    assert not screen.click(own_screen=False)  # a stray click never hides the code
    assert screen.covers_shared_screen
    assert screen.escape(own_screen=False)
    assert not screen.covers_shared_screen
    for mode in (DisplayMode.QUEUED, DisplayMode.EXPIRED, DisplayMode.DONE):
        screen.show(DisplayContent.message(mode))
        assert screen.covers_shared_screen
        assert screen.click(own_screen=False)
        assert not screen.covers_shared_screen


def test_on_its_own_screen_the_display_is_always_up_and_ignores_escape_and_clicks():
    screen = CustomerScreen()
    assert screen.visible(own_screen=True) and not screen.visible(own_screen=False)
    screen.show(DisplayContent.message(DisplayMode.EXPIRED))
    assert not screen.escape(own_screen=True) and not screen.click(own_screen=True)
    assert screen.visible(own_screen=True) and screen.visible(own_screen=False)


def test_the_welcome_screen_never_covers_a_shared_screen():
    screen = CustomerScreen()
    screen.show(DisplayContent.message(DisplayMode.DONE))
    screen.show(DisplayContent())
    assert not screen.handing_over and not screen.covers_shared_screen


def test_done_lingers_then_gives_the_screen_back_and_a_stale_linger_does_nothing():
    screen = CustomerScreen(done_linger=timedelta(seconds=8))
    screen.show(DisplayContent.message(DisplayMode.DONE))
    first = screen.linger_token
    assert screen.covers_shared_screen
    assert screen.linger_over(first)
    assert not screen.covers_shared_screen
    assert not screen.linger_over(first)  # only once
    # The next person's "done" comes before the first linger ran out: that linger is stale.
    screen.show(DisplayContent())
    screen.show(DisplayContent.message(DisplayMode.DONE))
    assert screen.linger_token != first
    assert not screen.linger_over(first) and screen.covers_shared_screen
    assert screen.linger_over(screen.linger_token)
    # A linger that runs out after the desk moved on changes nothing.
    screen.show(DisplayContent.message(DisplayMode.DONE))
    token = screen.linger_token
    screen.show(DisplayContent.message(DisplayMode.EXPIRED))
    assert not screen.linger_over(token) and screen.covers_shared_screen


def test_a_pool_qr_not_at_the_portal_yet_says_it_activates_later():
    for delivery in (Delivery.OFFLINE, Delivery.QUEUED):
        content = content_for(Step.HANDOVER, handover_state(delivery=delivery), NOW)
        assert content.mode is DisplayMode.QR and content.activates_later
    screen = CustomerScreen()
    screen.follow(content)
    screen.escape(own_screen=False)
    delivered = content_for(Step.HANDOVER, handover_state(), NOW)
    assert not delivered.activates_later
    assert screen.follow(delivered)  # the note goes: a render is due, still dismissed
    assert not screen.content.activates_later and not screen.covers_shared_screen


def test_one_screen_a_visible_control_gives_the_desk_back_and_the_desk_can_reshow():
    screen = CustomerScreen()
    assert not screen.desk_control(own_screen=False)  # welcome: nothing covers the desk
    assert not screen.reshow()
    screen.show(QR)
    assert screen.desk_control(own_screen=False)
    assert not screen.desk_control(own_screen=True)  # its own screen: the desk is free
    assert screen.escape(own_screen=False) and not screen.desk_control(own_screen=False)
    assert screen.reshow() and screen.covers_shared_screen and screen.mode is DisplayMode.QR
