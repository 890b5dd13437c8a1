"""The kiosk's enrolment policy: a real store on a temp file and the reference portal on
loopback (or, for failures a portal cannot be made to show, a small fake). No Qt."""

from __future__ import annotations

import logging
import uuid

import pytest

from kiosk.errors import StorageFailure
from kiosk.flow.enrolment import KioskEnrolment
from kiosk.model import DeviceCredential
from kiosk.sync.api import (
    PortalAuthError,
    PortalRejected,
    PortalUnreachable,
    Session,
)

from .helpers import session


@pytest.fixture
def beheerder(client) -> Session:
    return client.sign_in("demo", "demo")


class ScriptedPortal:
    """Answers ``enroll_kiosk`` with the scripted results, in order."""

    def __init__(self, *results: DeviceCredential | Exception) -> None:
        self.results = list(results)
        self.calls: list[tuple[str, str]] = []

    def enroll_kiosk(self, token: str, name: str) -> DeviceCredential:
        self.calls.append((token, name))
        result = self.results.pop(0)
        if isinstance(result, Exception):
            raise result
        return result


class FullDisk:
    """A credential store whose disk is full."""

    def device_token(self) -> str | None:
        return None

    def set_device_credential(self, credential: DeviceCredential) -> None:
        raise StorageFailure()


def test_the_first_sign_in_enrols_the_kiosk_and_resumes_syncing(client, store, beheerder):
    resumed: list[bool] = []
    enrolment = KioskEnrolment(client, store, "balie-3", on_enrolled=lambda: resumed.append(True))
    assert not enrolment.due(None)  # nobody signed in
    assert enrolment.request(None) is None
    assert store.device_token() is None and enrolment.due(beheerder)
    assert enrolment.enrol(beheerder)
    token = store.device_token()
    assert token is not None and resumed == [True]
    # The stored token is the kiosk's own: the portal knows it (an unknown registration is
    # "not found", not "who are you?").
    with pytest.raises(PortalRejected) as info:
        client.get_registration(token, uuid.uuid4())
    assert info.value.status == 404
    # Enrolled: later sign-ins do not enrol again.
    assert not enrolment.due(beheerder) and enrolment.request(beheerder) is None
    assert not enrolment.enrol(beheerder)
    assert store.device_token() == token and resumed == [True]


def test_one_enrolment_at_a_time(client, store, beheerder):
    enrolment = KioskEnrolment(client, store, "balie")
    call = enrolment.request(beheerder)
    assert call is not None and enrolment.in_flight
    assert enrolment.request(beheerder) is None  # under way: no second call
    credential = call()  # the caller runs it where it may block
    assert enrolment.request(beheerder) is None
    assert enrolment.succeeded(credential)
    assert not enrolment.in_flight and store.device_token() == credential.device_token


def test_a_failed_enrolment_is_retried_on_the_next_request(client, store, beheerder, caplog):
    enrolment = KioskEnrolment(client, store, "balie")
    wrong = Session("not-a-token", beheerder.expires_at, "x", "X", ())
    call = enrolment.request(wrong)
    assert call is not None
    with pytest.raises(PortalAuthError) as info:
        call()
    with caplog.at_level(logging.WARNING, logger="kiosk.flow.enrolment"):
        enrolment.failed(info.value)
    assert "kiosk enrollment failed" in caplog.text
    assert not enrolment.in_flight and store.device_token() is None
    assert enrolment.due(beheerder)
    assert enrolment.enrol(beheerder)  # the next change of the desk tries again


def test_a_blocking_enrolment_reports_a_portal_failure_and_tries_again():
    credential = DeviceCredential("kiosk-9", "device-9")
    portal = ScriptedPortal(PortalUnreachable(), credential)

    class Memory:
        token: str | None = None

        def device_token(self) -> str | None:
            return self.token

        def set_device_credential(self, c: DeviceCredential) -> None:
            self.token = c.device_token

    memory = Memory()
    enrolment = KioskEnrolment(portal, memory, "balie-9")
    beheerder = session()
    assert not enrolment.enrol(beheerder)
    assert not enrolment.in_flight and memory.token is None
    assert enrolment.enrol(beheerder) and memory.token == "device-9"
    assert portal.calls == [(beheerder.access_token, "balie-9")] * 2


def test_a_bug_in_the_call_propagates_and_does_not_block_the_next_try():
    portal = ScriptedPortal(TypeError("a bug"), DeviceCredential("kiosk-1", "device-1"))
    enrolment = KioskEnrolment(portal, FullDisk(), "balie")
    with pytest.raises(TypeError):
        enrolment.enrol(session())
    assert not enrolment.in_flight and enrolment.due(session())


def test_a_credential_that_cannot_be_stored_is_logged_and_dropped(caplog):
    resumed: list[bool] = []
    portal = ScriptedPortal(DeviceCredential("kiosk-1", "secret-device-token"))
    enrolment = KioskEnrolment(
        portal, FullDisk(), "balie", on_enrolled=lambda: resumed.append(True)
    )
    with caplog.at_level(logging.WARNING, logger="kiosk.flow.enrolment"):
        assert not enrolment.enrol(session())
    assert "kiosk credential not stored" in caplog.text
    assert "secret-device-token" not in caplog.text
    assert resumed == [] and not enrolment.in_flight
    assert enrolment.due(session())  # the next sign-in tries again


def test_after_close_nothing_is_requested_and_a_late_answer_is_dropped(client, store, beheerder):
    resumed: list[bool] = []
    enrolment = KioskEnrolment(client, store, "balie", on_enrolled=lambda: resumed.append(True))
    call = enrolment.request(beheerder)
    assert call is not None
    credential = call()
    enrolment.close()  # the desk closed while the call ran
    assert not enrolment.succeeded(credential)
    assert store.device_token() is None and resumed == []
    assert not enrolment.due(beheerder) and enrolment.request(beheerder) is None
