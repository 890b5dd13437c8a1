"""Attacks on scope, identity and evidence against the real reference portal over HTTP.

Issue 10 items 1, 2 and 8: every attack below is refused with the status the table in
docs/security.md gives, and the server keeps serving afterwards (``GET /v1/health``).
Organisations: the demo beheerder manages org-1 and org-2; ``alice`` manages org-1 (A);
``carol`` manages only org-3 (C).
"""

from __future__ import annotations

import copy
import json
from datetime import timedelta
from typing import Any

import httpx
import pytest

from kiosk.cli.main import main
from kiosk.portal import PortalServer

from .conftest import START, Clock, bearer, body, device_key, new_id

pytestmark = [pytest.mark.usefixtures("accounts"), pytest.mark.backends]  # both backends


@pytest.fixture
def accounts(portal: PortalServer) -> None:
    portal.add_beheerder("alice", "Alice A", "pw-a", [("org-1", "Zorggroep Oost")])
    portal.add_beheerder("carol", "Carol C", "pw-c", [("org-3", "Kliniek C")])


def sign_in(http: httpx.Client, user: str, password: str, kiosk_id: str | None = None) -> Any:
    data: dict[str, Any] = {"username": user, "password": password}
    if kiosk_id is not None:
        data["kiosk_id"] = kiosk_id
    answer = http.post("/v1/auth/token", json=data)
    assert answer.status_code == 200
    return answer.json()


def enroll(http: httpx.Client, token: str, **extra: Any) -> Any:
    answer = http.post("/v1/kiosks", json={"name": "balie", **extra}, headers=bearer(token))
    assert answer.status_code == 201, answer.text
    return answer.json()


def reg_body(grant: str | None, checked_by: str = "demo-beheerder", **top: Any) -> Any:
    data = body()
    data["wid_check"]["checked_by"] = checked_by
    if grant is not None:
        data["wid_check"]["check_grant"] = grant
    else:
        data["wid_check"].pop("check_grant", None)
    data.update(top)
    return data


def put(http: httpx.Client, token: str, data: Any, reg_id: str | None = None) -> httpx.Response:
    return http.put(f"/v1/registrations/{reg_id or new_id()}", json=data, headers=bearer(token))


def paths(answer: httpx.Response) -> set[str]:
    return {p["path"] for p in answer.json().get("problems", [])}


def still_serving(http: httpx.Client) -> None:
    assert http.get("/v1/health").json() == {"status": "ok"}


@pytest.fixture
def carol_kiosk(http: httpx.Client) -> Any:
    return enroll(http, sign_in(http, "carol", "pw-c")["access_token"])


@pytest.fixture
def demo_kiosk(http: httpx.Client) -> Any:
    return enroll(http, sign_in(http, "demo", "demo")["access_token"])


# -- item 1: scope and identity --------------------------------------------------------


def test_cross_organisation_forgery_is_refused_and_no_qr_exists(
    http: httpx.Client, carol_kiosk: Any
):
    """The issue's forgery: C's kiosk registers at A naming another beheerder as checker."""
    device = carol_kiosk["device_token"]
    for checked_by in ("alice", "demo-beheerder"):
        for grant in (None, carol_kiosk["check_grant"]):
            answer = put(http, device, reg_body(grant, checked_by=checked_by))
            assert answer.status_code == 422, (checked_by, grant)
            assert "organisation_id" in paths(answer)  # C's kiosk is not enrolled for A
            assert answer.json()["problems"]
    # Carol's own grant, carol as checker: still not her organisation, nor the kiosk's.
    answer = put(http, device, reg_body(carol_kiosk["check_grant"], checked_by="carol"))
    assert answer.status_code == 422
    assert {"organisation_id", "wid_check.checked_by"} <= paths(answer)
    # Nothing was registered, so there is no QR a phone could redeem.
    guessed = http.post(
        "/v1/app/enroll",
        json={
            "qr_payload": "zorgid-enroll:v1:AAAA-BBBB-CCCC-DDDD",
            "device_public_key": device_key(),
        },
    )
    assert guessed.status_code == 404
    still_serving(http)


def test_grant_of_a_real_sign_in_on_another_kiosk_is_refused(
    http: httpx.Client, carol_kiosk: Any, demo_kiosk: Any
):
    # Alice really signs in on the demo kiosk; carol's kiosk presents that grant.
    alice_on_demo = sign_in(http, "alice", "pw-a", demo_kiosk["kiosk_id"])["check_grant"]
    assert alice_on_demo
    answer = put(http, carol_kiosk["device_token"], reg_body(alice_on_demo, checked_by="alice"))
    assert answer.status_code == 422
    assert "wid_check.check_grant" in paths(answer)
    # On the kiosk it was issued for, the same grant works.
    assert (
        put(http, demo_kiosk["device_token"], reg_body(alice_on_demo, "alice")).status_code == 201
    )
    still_serving(http)


def test_grant_of_one_beheerder_cannot_name_another_as_checker(http: httpx.Client, demo_kiosk: Any):
    alice_grant = sign_in(http, "alice", "pw-a", demo_kiosk["kiosk_id"])["check_grant"]
    answer = put(http, demo_kiosk["device_token"], reg_body(alice_grant, "demo-beheerder"))
    assert answer.status_code == 422
    assert "wid_check.checked_by" in paths(answer)
    # No grant at all: refused too.
    answer = put(http, demo_kiosk["device_token"], reg_body(None, "demo-beheerder"))
    assert answer.status_code == 422 and "wid_check.check_grant" in paths(answer)
    # A made-up grant.
    answer = put(http, demo_kiosk["device_token"], reg_body("x" * 43, "demo-beheerder"))
    assert answer.status_code == 422 and "wid_check.check_grant" in paths(answer)
    still_serving(http)


def test_sign_in_naming_a_kiosk_of_foreign_organisations_gets_no_grant(
    http: httpx.Client, carol_kiosk: Any
):
    answer = sign_in(http, "alice", "pw-a", carol_kiosk["kiosk_id"])
    assert answer["check_grant"] is None  # the sign-in works, the grant is withheld
    assert sign_in(http, "alice", "pw-a", "kiosk-does-not-exist")["check_grant"] is None
    still_serving(http)


def test_grant_expires_after_72_hours(http: httpx.Client, demo_kiosk: Any, clock: Clock):
    grant = demo_kiosk["check_grant"]
    clock.advance(timedelta(hours=72, seconds=1))
    data = reg_body(grant)
    data["wid_check"]["checked_at"] = "2026-12-01T09:59:00Z"  # fresh, so only the grant is old
    answer = put(http, demo_kiosk["device_token"], data)
    assert answer.status_code == 422
    assert paths(answer) == {"wid_check.check_grant"}
    still_serving(http)


def test_registration_delivered_hours_later_within_72_hours_is_accepted(
    http: httpx.Client, demo_kiosk: Any, clock: Clock
):
    # Queued offline at START - 2 min, delivered 71 hours later with the session's grant.
    clock.advance(timedelta(hours=71))
    assert (
        put(http, demo_kiosk["device_token"], reg_body(demo_kiosk["check_grant"])).status_code
        == 201
    )


def test_kiosk_enrolled_for_a_subset_acts_only_for_it(http: httpx.Client):
    token = sign_in(http, "demo", "demo")["access_token"]
    only_one = enroll(http, token, organisations=["org-1"])
    assert only_one["organisations"] == ["org-1"]
    answer = put(
        http, only_one["device_token"], reg_body(only_one["check_grant"], organisation_id="org-2")
    )
    assert answer.status_code == 422 and "organisation_id" in paths(answer)
    assert put(http, only_one["device_token"], reg_body(only_one["check_grant"])).status_code == 201
    # Enrolling for an organisation the beheerder does not manage.
    for organisations in (["org-3"], [], ["org-1", 7]):
        refused = http.post(
            "/v1/kiosks",
            json={"name": "x", "organisations": organisations},
            headers=bearer(token),
        )
        assert refused.status_code == 422, organisations
    still_serving(http)


def test_device_cannot_read_or_cancel_registrations_of_other_organisations(
    http: httpx.Client, carol_kiosk: Any, demo_kiosk: Any
):
    reg_id = new_id()
    assert (
        put(
            http, demo_kiosk["device_token"], reg_body(demo_kiosk["check_grant"]), reg_id
        ).status_code
        == 201
    )
    device = bearer(carol_kiosk["device_token"])
    assert http.get(f"/v1/registrations/{reg_id}", headers=device).status_code == 404
    assert http.post(f"/v1/registrations/{reg_id}/enrollment", headers=device).status_code == 404
    assert http.delete(f"/v1/registrations/{reg_id}/enrollment", headers=device).status_code == 404
    # A replay of the exact body from the foreign kiosk does not reveal the QR either.
    replay = put(http, carol_kiosk["device_token"], reg_body(demo_kiosk["check_grant"]), reg_id)
    assert replay.status_code == 409
    still_serving(http)


def test_beheerder_token_cannot_name_another_beheerder(http: httpx.Client):
    token = sign_in(http, "demo", "demo")["access_token"]
    answer = put(http, token, reg_body(None, checked_by="alice"))
    assert answer.status_code == 422 and "wid_check.checked_by" in paths(answer)
    assert put(http, token, reg_body(None)).status_code == 201  # as themselves: fine
    still_serving(http)


def test_revoked_kiosk_token_and_grant_die(http: httpx.Client, demo_kiosk: Any, carol_kiosk: Any):
    kiosk_id, device = demo_kiosk["kiosk_id"], demo_kiosk["device_token"]
    carol = sign_in(http, "carol", "pw-c")["access_token"]
    # A beheerder of none of the kiosk's organisations cannot revoke it (nor learn it exists).
    assert http.delete(f"/v1/kiosks/{kiosk_id}", headers=bearer(carol)).status_code == 404
    assert http.delete(f"/v1/kiosks/{kiosk_id}", headers=bearer(device)).status_code == 403
    alice = sign_in(http, "alice", "pw-a")["access_token"]  # manages org-1, one of its orgs
    assert http.delete(f"/v1/kiosks/{kiosk_id}", headers=bearer(alice)).status_code == 204
    assert http.delete(f"/v1/kiosks/{kiosk_id}", headers=bearer(alice)).status_code == 204
    assert put(http, device, reg_body(demo_kiosk["check_grant"])).status_code == 401
    assert (
        http.post("/v1/enrollment-codes", json={"count": 1}, headers=bearer(device)).status_code
        == 401
    )
    assert http.post("/v1/kiosks/self/token", headers=bearer(device)).status_code == 401
    assert sign_in(http, "demo", "demo", kiosk_id)["check_grant"] is None
    assert http.delete("/v1/kiosks/kiosk-unknown", headers=bearer(alice)).status_code == 404
    still_serving(http)


def test_revoke_kiosk_cli_kills_the_token(tmp_path, clock: Clock, capsys, portal_db):
    # The operator's commands on a SQLite file, or on the PostgreSQL URL the server uses.
    db = portal_db or tmp_path / "portal.db"
    with PortalServer(db, clock=clock) as server:
        server.seed_demo()
        with httpx.Client(base_url=server.url, timeout=10) as http:
            kiosk = enroll(http, sign_in(http, "demo", "demo")["access_token"])
            device = kiosk["device_token"]
            assert put(http, device, reg_body(kiosk["check_grant"])).status_code == 201
            capsys.readouterr()
            revoke = ["portal", "revoke-kiosk", "--db", str(db), "--json", kiosk["kiosk_id"]]
            assert main(revoke) == 0
            assert json.loads(capsys.readouterr().out) == {
                "kiosk_id": kiosk["kiosk_id"],
                "revoked": True,
            }
            assert put(http, device, reg_body(kiosk["check_grant"])).status_code == 401
            assert main(["portal", "list-kiosks", "--db", str(db), "--json"]) == 0
            (listed,) = json.loads(capsys.readouterr().out)["kiosks"]
            assert listed["id"] == kiosk["kiosk_id"] and listed["revoked_at"]
            assert listed["organisations"] == ["org-1", "org-2"]
            still_serving(http)
    assert main(["portal", "revoke-kiosk", "--db", str(db), "kiosk-nope"]) == 1


def test_device_token_expires_and_rotation_replaces_it(
    http: httpx.Client, demo_kiosk: Any, clock: Clock
):
    old = demo_kiosk["device_token"]
    assert demo_kiosk["expires_at"] == "2026-12-28T10:00:00Z"  # 30 days
    beheerder = sign_in(http, "demo", "demo")["access_token"]
    assert http.post("/v1/kiosks/self/token", headers=bearer(beheerder)).status_code == 403
    rotated = http.post("/v1/kiosks/self/token", headers=bearer(old))
    assert rotated.status_code == 201
    new = rotated.json()
    assert new["kiosk_id"] == demo_kiosk["kiosk_id"] and new["device_token"] != old
    assert "check_grant" not in new
    # The old token keeps working for the grace hour (a lost answer can be retried) ...
    assert (
        http.post("/v1/enrollment-codes", json={"count": 1}, headers=bearer(old)).status_code == 201
    )
    clock.advance(timedelta(hours=1))
    # ... then dies; the new one works, and the grants of the kiosk still hold.
    assert (
        http.post("/v1/enrollment-codes", json={"count": 1}, headers=bearer(old)).status_code == 401
    )
    assert put(http, new["device_token"], reg_body(demo_kiosk["check_grant"])).status_code == 201
    clock.advance(timedelta(days=30))
    assert (
        http.post(
            "/v1/enrollment-codes", json={"count": 1}, headers=bearer(new["device_token"])
        ).status_code
        == 401
    )
    still_serving(http)


def test_pool_code_binds_only_for_the_kiosk_that_reserved_it(http: httpx.Client, demo_kiosk: Any):
    beheerder = sign_in(http, "demo", "demo")["access_token"]
    other = enroll(http, beheerder)
    codes = http.post(
        "/v1/enrollment-codes", json={"count": 1}, headers=bearer(demo_kiosk["device_token"])
    ).json()["codes"]
    code = codes[0]["code"]
    stolen = put(http, other["device_token"], reg_body(other["check_grant"], enrollment_code=code))
    assert stolen.status_code == 422 and paths(stolen) == {"enrollment_code"}
    as_beheerder = put(http, beheerder, reg_body(None, enrollment_code=code))
    assert as_beheerder.status_code == 422 and paths(as_beheerder) == {"enrollment_code"}
    # The code is still unbound: its own kiosk binds it.
    own = put(
        http, demo_kiosk["device_token"], reg_body(demo_kiosk["check_grant"], enrollment_code=code)
    )
    assert own.status_code == 201
    still_serving(http)


# -- item 2: the portal checks the WID evidence itself --------------------------------


def _chip(data: Any, access: str = "PACE", pa: str = "valid", clone: str = "valid") -> None:
    data["wid_check"]["method"] = "chip"
    data["wid_check"]["chip"] = {"access": access, "passive_auth": pa, "clone_check": clone}


EVIDENCE_ATTACKS: list[tuple[str, Any, str]] = [
    (
        "photo not compared",
        lambda d: d["wid_check"].update(photo_compared=False),
        "wid_check.photo_compared",
    ),
    (
        "document expired at checked_at",
        lambda d: d["wid_check"].update(expiry_date="2026-11-27"),
        "wid_check.expiry_date",
    ),
    (
        "checked_at in the future",
        lambda d: d["wid_check"].update(checked_at="2026-11-28T10:06:00Z"),
        "wid_check.checked_at",
    ),
    (
        "checked_at older than 72 h",
        lambda d: d["wid_check"].update(checked_at="2026-11-25T09:59:00Z"),
        "wid_check.checked_at",
    ),
    ("passive auth invalid", lambda d: _chip(d, pa="invalid"), "wid_check.chip.passive_auth"),
    ("passive auth untrusted", lambda d: _chip(d, pa="untrusted"), "wid_check.chip.passive_auth"),
    (
        "passive auth not performed",
        lambda d: _chip(d, pa="not_performed"),
        "wid_check.chip.passive_auth",
    ),
    ("clone check invalid", lambda d: _chip(d, clone="invalid"), "wid_check.chip.clone_check"),
    (
        "clone check not performed",
        lambda d: _chip(d, clone="not_performed"),
        "wid_check.chip.clone_check",
    ),
    (
        "mrz_typed with a chip block",
        lambda d: (_chip(d), d["wid_check"].update(method="mrz_typed")),
        "wid_check.chip",
    ),
    (
        "mrz_camera with a chip block",
        lambda d: (_chip(d), d["wid_check"].update(method="mrz_camera")),
        "wid_check.chip",
    ),
    (
        "chip method without chip block",
        lambda d: d["wid_check"].update(method="chip", chip=None),
        "wid_check.chip",
    ),
    ("BAP for a passport", lambda d: _chip(d, access="BAP"), "wid_check.chip.access"),
    (
        "BAC for a driving licence",
        lambda d: (_chip(d, access="BAC"), d["wid_check"].update(document_type="driving_licence")),
        "wid_check.chip.access",
    ),
]


@pytest.mark.parametrize(
    ("label", "edit", "path"), EVIDENCE_ATTACKS, ids=[a[0] for a in EVIDENCE_ATTACKS]
)
def test_evidence_the_portal_refuses(
    http: httpx.Client, device_token: str, check_grant: str, label: str, edit: Any, path: str
):
    data = reg_body(check_grant)
    edit(data)
    answer = put(http, device_token, data)
    assert answer.status_code == 422, label
    assert path in paths(answer), (label, answer.json())
    assert answer.json()["detail"]  # a clear reason
    still_serving(http)


def test_evidence_the_portal_accepts(http: httpx.Client, device_token: str, check_grant: str):
    fine = [
        lambda d: _chip(d),
        lambda d: _chip(d, access="BAC", clone="not_supported"),
        lambda d: (_chip(d, access="BAP"), d["wid_check"].update(document_type="driving_licence")),
        lambda d: d["wid_check"].update(expiry_date="2026-11-28"),  # valid through that day
        lambda d: d["wid_check"].update(checked_at="2026-11-28T10:04:00Z"),  # clock skew
    ]
    for edit in fine:
        data = reg_body(check_grant)
        edit(data)
        assert put(http, device_token, data).status_code == 201, data["wid_check"]


def test_identical_replay_days_later_is_still_answered(
    http: httpx.Client, device_token: str, check_grant: str, clock: Clock
):
    """A lost 201 retried after the 72 hours gets its 200: the evidence was judged once."""
    reg_id, data = new_id(), reg_body(check_grant)
    first = put(http, device_token, data, reg_id)
    assert first.status_code == 201
    clock.advance(timedelta(days=5))
    assert START + timedelta(days=5) == clock.now
    replay = put(http, device_token, copy.deepcopy(data), reg_id)
    assert replay.status_code == 200
