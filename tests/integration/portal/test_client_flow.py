"""PortalClient against the real reference portal: the PortalApi port end to end."""

from __future__ import annotations

import dataclasses
import uuid
from datetime import timedelta

import pytest

from kiosk.model import RegistrationStatus
from kiosk.portal import PortalServer
from kiosk.portal.accounts import new_totp_secret, totp
from kiosk.sync.api import (
    PortalAuthError,
    PortalBusy,
    PortalRejected,
    PortalUnreachable,
)
from kiosk.sync.client import PortalClient

from .conftest import CODE_TTL, POOL_TTL, START, Clock, device_key, registration, use_grant


@pytest.fixture
def device(client: PortalClient) -> str:
    session = client.sign_in("demo", "demo")
    credential = client.enroll_kiosk(session.access_token, "balie")
    use_grant(credential.check_grant)
    return credential.device_token


def test_sign_in_session(client: PortalClient):
    session = client.sign_in("demo", "demo")
    assert session.beheerder_id == "demo-beheerder"
    assert session.beheerder_name == "Demo Beheerder"
    assert [o.id for o in session.organisations] == ["org-1", "org-2"]
    assert session.expires_at == START + timedelta(hours=8)
    assert "access_token" not in repr(session) and session.access_token not in repr(session)


def test_health_and_errors_map_to_the_tree(client: PortalClient, device: str):
    assert client.health()
    with pytest.raises(PortalAuthError) as auth:
        client.sign_in("demo", "wrong")
    assert auth.value.status == 401
    with pytest.raises(PortalAuthError) as forbidden:
        client.enroll_kiosk(device, "not with a device token")
    assert forbidden.value.status == 403
    for _ in range(4):
        with pytest.raises(PortalAuthError):
            client.sign_in("demo", "wrong")
    with pytest.raises(PortalBusy) as busy:
        client.sign_in("demo", "demo")
    assert busy.value.status == 429 and busy.value.retry_after and busy.value.retry_after > 0


def test_put_replay_conflict_and_invalid(client: PortalClient, device: str):
    reg = registration()
    first = client.put_registration(device, reg)
    assert first.registration_id == reg.registration_id
    assert first.status is RegistrationStatus.PENDING_ENROLLMENT
    assert first.enrollment is not None
    assert first.enrollment.expires_at == START + CODE_TTL
    assert client.put_registration(device, reg) == first
    changed = registration(registration_id=reg.registration_id, organisation_id="org-2")
    with pytest.raises(PortalRejected) as conflict:
        client.put_registration(device, changed)
    assert conflict.value.status == 409
    with pytest.raises(PortalRejected) as invalid:
        client.put_registration(device, registration(organisation_id="org-404"))
    assert invalid.value.status == 422
    assert "organisation_id" in invalid.value.reason


def test_enroll_with_the_app_and_status_follows(client: PortalClient, device: str, clock: Clock):
    reg = registration()
    state = client.put_registration(device, reg)
    assert state.enrollment is not None
    clock.advance(timedelta(minutes=3))
    assert client.app_enroll(state.enrollment.qr_payload, device_key()) == "Anna Maria Eriksson"
    after = client.get_registration(device, reg.registration_id)
    assert after.status is RegistrationStatus.ENROLLED
    assert after.enrolled_at == START + timedelta(minutes=3)
    with pytest.raises(PortalRejected) as gone:
        client.app_enroll(state.enrollment.qr_payload, device_key())
    assert gone.value.status == 410
    with pytest.raises(PortalRejected) as renew:
        client.renew_enrollment(device, reg.registration_id)
    assert renew.value.status == 409


def test_renew_kills_the_old_code(client: PortalClient, device: str):
    reg = registration()
    old = client.put_registration(device, reg).enrollment
    assert old is not None
    new = client.renew_enrollment(device, reg.registration_id)
    assert new.code != old.code
    with pytest.raises(PortalRejected) as gone:
        client.app_enroll(old.qr_payload, device_key())
    assert gone.value.status == 410
    state = client.get_registration(device, reg.registration_id)
    assert state.enrollment == new
    assert client.app_enroll(new.qr_payload, device_key()) == "Anna Maria Eriksson"


def test_cancel_then_renew(client: PortalClient, device: str):
    reg = registration()
    code = client.put_registration(device, reg).enrollment
    assert code is not None
    client.cancel_enrollment(device, reg.registration_id)
    client.cancel_enrollment(device, reg.registration_id)  # idempotent
    state = client.get_registration(device, reg.registration_id)
    assert state.status is RegistrationStatus.CANCELLED and state.enrollment is None
    with pytest.raises(PortalRejected) as gone:
        client.app_enroll(code.qr_payload, device_key())
    assert gone.value.status == 410
    renewed = client.renew_enrollment(device, reg.registration_id)
    assert client.get_registration(device, reg.registration_id).status is (
        RegistrationStatus.PENDING_ENROLLMENT
    )
    assert client.app_enroll(renewed.qr_payload, device_key()) == "Anna Maria Eriksson"


def test_expiry_and_renew_after_expiry(client: PortalClient, device: str, clock: Clock):
    reg = registration()
    code = client.put_registration(device, reg).enrollment
    assert code is not None
    clock.advance(CODE_TTL - timedelta(seconds=1))
    assert client.get_registration(device, reg.registration_id).status is (
        RegistrationStatus.PENDING_ENROLLMENT
    )
    clock.advance(timedelta(seconds=1))
    assert client.get_registration(device, reg.registration_id).status is RegistrationStatus.EXPIRED
    with pytest.raises(PortalRejected) as gone:
        client.app_enroll(code.qr_payload, device_key())
    assert gone.value.status == 410
    fresh = client.renew_enrollment(device, reg.registration_id)
    assert fresh.expires_at == clock.now + CODE_TTL
    assert client.app_enroll(fresh.qr_payload, device_key())


def test_pool_code_flow(client: PortalClient, device: str, clock: Clock):
    codes = client.reserve_codes(device, 3)
    assert len({c.code for c in codes}) == 3
    assert all(c.expires_at == START + POOL_TTL for c in codes)
    pooled = codes[0]
    # Offline: the kiosk shows the pool QR at once; the phone scans before the PUT arrives.
    with pytest.raises(PortalBusy) as early:
        client.app_enroll(pooled.qr_payload, device_key())
    assert early.value.status == 425 and early.value.retry_after == 30
    clock.advance(timedelta(days=1))  # the kiosk was offline for a day
    reg = registration().with_enrollment_code(pooled.code)
    state = client.put_registration(device, reg)
    assert state.status is RegistrationStatus.PENDING_ENROLLMENT
    assert state.enrollment == pooled  # the pool code keeps its own (days long) expiry
    assert client.app_enroll(pooled.qr_payload, device_key()) == "Anna Maria Eriksson"
    done = client.get_registration(device, reg.registration_id)
    assert done.status is RegistrationStatus.ENROLLED and done.enrolled_at == clock.now
    # A pool code binds once.
    with pytest.raises(PortalRejected) as twice:
        client.put_registration(device, registration().with_enrollment_code(pooled.code))
    assert twice.value.status == 409
    with pytest.raises(PortalRejected) as unknown:
        client.put_registration(device, registration().with_enrollment_code("AAAA-BBBB-CCCC-DDDD"))
    assert unknown.value.status == 422


def test_expired_pool_code_still_accepts_the_registration(client: PortalClient, clock: Clock):
    credential = client.enroll_kiosk(client.sign_in("demo", "demo").access_token, "balie")
    device = credential.device_token
    pooled = client.reserve_codes(device, 1)[0]
    clock.advance(POOL_TTL + timedelta(hours=1))
    # The code was reserved long ago; the check happened offline an hour ago, in a session
    # signed in on this kiosk (the grant and the check are recent: kiosk.portal.authz).
    session = client.sign_in("demo", "demo", kiosk_id=credential.kiosk_id)
    base = registration(check_grant=session.check_grant)
    wid = dataclasses.replace(base.wid_check, checked_at=clock.now - timedelta(hours=1))
    reg = dataclasses.replace(base, wid_check=wid).with_enrollment_code(pooled.code)
    state = client.put_registration(device, reg)  # never lose a registration
    assert state.status is RegistrationStatus.EXPIRED
    with pytest.raises(PortalRejected):
        client.app_enroll(pooled.qr_payload, device_key())
    fresh = client.renew_enrollment(device, reg.registration_id)
    assert client.app_enroll(fresh.qr_payload, device_key())


def test_reserve_codes_needs_a_device_token_and_a_sane_count(client: PortalClient, device: str):
    session = client.sign_in("demo", "demo")
    with pytest.raises(PortalAuthError) as forbidden:
        client.reserve_codes(session.access_token, 1)
    assert forbidden.value.status == 403
    for count in (0, 51):
        with pytest.raises(PortalRejected) as bad:
            client.reserve_codes(device, count)
        assert bad.value.status == 422


def test_beheerder_token_expires(client: PortalClient, clock: Clock):
    session = client.sign_in("demo", "demo")
    assert client.put_registration(session.access_token, registration()).enrollment
    clock.advance(timedelta(hours=8))
    with pytest.raises(PortalAuthError) as expired:
        client.get_registration(session.access_token, uuid.uuid4())
    assert expired.value.status == 401


def test_device_and_beheerder_see_only_their_registrations(
    portal: PortalServer, client: PortalClient, device: str
):
    portal.add_beheerder("other", "Other", "pw", [("org-9", "Elders")])
    other = client.sign_in("other", "pw").access_token
    reg = registration()
    client.put_registration(device, reg)
    with pytest.raises(PortalRejected) as hidden:
        client.get_registration(other, reg.registration_id)
    assert hidden.value.status == 404


def test_totp_account(portal: PortalServer, client: PortalClient, clock: Clock):
    secret = new_totp_secret()
    portal.add_beheerder(
        "secure", "Secure", "pw", [("org-1", "Zorggroep Oost")], totp_secret=secret
    )
    with pytest.raises(PortalAuthError):
        client.sign_in("secure", "pw")
    with pytest.raises(PortalAuthError):
        client.sign_in("secure", "pw", totp(secret, clock.now, step=5))
    assert client.sign_in("secure", "pw", totp(secret, clock.now)).beheerder_id == "secure"


def test_unreachable_after_stop(clock: Clock):
    server = PortalServer(None, clock=clock).start()
    url = server.url
    server.stop()
    with PortalClient(url, timeout=2) as client:
        assert client.health() is False
        with pytest.raises(PortalUnreachable):
            client.sign_in("demo", "demo")


def test_persistent_database_survives_a_restart(tmp_path, clock: Clock):
    db = tmp_path / "portal.db"
    with PortalServer(db, clock=clock) as first:
        first.seed_demo()
        with PortalClient(first.url) as client:
            credential = client.enroll_kiosk(client.sign_in("demo", "demo").access_token, "b")
            device = credential.device_token
            reg = registration(check_grant=credential.check_grant)
            state = client.put_registration(device, reg)
    with PortalServer(db, clock=clock) as second:
        second.seed_demo()  # idempotent
        with PortalClient(second.url) as client:
            assert client.put_registration(device, reg) == state
    raw = b"".join(path.read_bytes() for path in tmp_path.glob("portal.db*"))
    assert b"Eriksson" in raw  # the display name is kept: the app shows it
    assert b"L898902C3" not in raw  # the portal keeps no document number
