"""Contract v1 over real HTTP with plain httpx: every status code of DESIGN.md section 5."""

from __future__ import annotations

import copy
import uuid
from concurrent.futures import ThreadPoolExecutor

import httpx
import pytest

from kiosk.portal import PortalServer
from kiosk.portal.store import QR_PREFIX

from .conftest import CODE_TTL, Clock, bearer, body, device_key, new_id, registration

pytestmark = pytest.mark.backends  # the contract on SQLite and PostgreSQL


def test_health(http: httpx.Client):
    answer = http.get("/v1/health")
    assert answer.status_code == 200
    assert answer.json() == {"status": "ok"}


def test_sign_in_returns_session_and_organisations(http: httpx.Client):
    answer = http.post("/v1/auth/token", json={"username": "demo", "password": "demo"})
    assert answer.status_code == 200
    data = answer.json()
    assert data["token_type"] == "bearer"
    assert data["expires_in"] > 0 and data["access_token"]
    assert data["beheerder"] == {"id": "demo-beheerder", "name": "Demo Beheerder"}
    assert data["organisations"] == [
        {"id": "org-1", "name": "Zorggroep Oost"},
        {"id": "org-2", "name": "Thuiszorg West"},
    ]


def test_wrong_password_401_then_429_with_retry_after(http: httpx.Client):
    for _ in range(5):
        answer = http.post("/v1/auth/token", json={"username": "demo", "password": "nope"})
        assert answer.status_code == 401
    blocked = http.post("/v1/auth/token", json={"username": "demo", "password": "demo"})
    assert blocked.status_code == 429
    assert int(blocked.headers["Retry-After"]) > 0
    unknown = http.post("/v1/auth/token", json={"username": "ghost", "password": "x"})
    assert unknown.status_code == 401


def test_lockout_ends_after_the_window(http: httpx.Client, clock: Clock):
    from datetime import timedelta

    for _ in range(5):
        http.post("/v1/auth/token", json={"username": "demo", "password": "nope"})
    assert (
        http.post("/v1/auth/token", json={"username": "demo", "password": "demo"}).status_code
        == 429
    )
    clock.advance(timedelta(minutes=16))
    assert (
        http.post("/v1/auth/token", json={"username": "demo", "password": "demo"}).status_code
        == 200
    )


def test_sign_in_rejects_unknown_fields(http: httpx.Client):
    answer = http.post(
        "/v1/auth/token", json={"username": "demo", "password": "demo", "remember": True}
    )
    assert answer.status_code == 422


def test_kiosk_enrollment_needs_a_beheerder_token(
    http: httpx.Client, beheerder_token: str, device_token: str
):
    assert http.post("/v1/kiosks", json={"name": "x"}).status_code == 401
    assert http.post("/v1/kiosks", json={"name": "x"}, headers=bearer("bogus")).status_code == 401
    assert (
        http.post("/v1/kiosks", json={"name": "x"}, headers=bearer(device_token)).status_code == 403
    )
    answer = http.post("/v1/kiosks", json={"name": "balie 2"}, headers=bearer(beheerder_token))
    assert answer.status_code == 201
    # Contract v1 plus the kiosk's scope, expiry and the enrolling beheerder's check grant.
    assert set(answer.json()) == {
        "kiosk_id",
        "device_token",
        "expires_at",
        "organisations",
        "check_grant",
        "check_grant_expires_at",
    }


def test_put_201_then_identical_replay_200_then_conflict_409(http: httpx.Client, device_token: str):
    reg_id = new_id()
    first = http.put(f"/v1/registrations/{reg_id}", json=body(), headers=bearer(device_token))
    assert first.status_code == 201
    data = first.json()
    assert data["registration_id"] == reg_id
    assert data["status"] == "pending_enrollment"
    assert data["enrollment"]["qr_payload"] == QR_PREFIX + data["enrollment"]["code"]
    replay = http.put(f"/v1/registrations/{reg_id}", json=body(), headers=bearer(device_token))
    assert replay.status_code == 200
    assert replay.json() == data
    changed = body()
    changed["employee"]["surname"] = "Andersson"
    conflict = http.put(f"/v1/registrations/{reg_id}", json=changed, headers=bearer(device_token))
    assert conflict.status_code == 409


def test_qr_payload_carries_no_personal_data(http: httpx.Client, device_token: str):
    data = http.put(
        f"/v1/registrations/{new_id()}", json=body(), headers=bearer(device_token)
    ).json()
    payload = data["enrollment"]["qr_payload"]
    for personal in ("Anna", "Eriksson", "1974", "L898902C3", "org-1"):
        assert personal.lower() not in payload.lower()


def test_put_with_beheerder_token_and_unmanaged_organisation(
    portal: PortalServer, http: httpx.Client, beheerder_token: str
):
    portal.add_beheerder("other", "Other Beheerder", "pw", [("org-9", "Elders")])
    ok = http.put(f"/v1/registrations/{new_id()}", json=body(), headers=bearer(beheerder_token))
    assert ok.status_code == 201
    foreign = body(registration(organisation_id="org-9"))
    answer = http.put(
        f"/v1/registrations/{new_id()}", json=foreign, headers=bearer(beheerder_token)
    )
    assert answer.status_code == 422
    assert answer.json()["problems"][0]["path"] == "organisation_id"


def _put(http: httpx.Client, token: str, data: object) -> httpx.Response:
    return http.put(f"/v1/registrations/{new_id()}", json=data, headers=bearer(token))


def test_unknown_fields_anywhere_are_rejected(http: httpx.Client, device_token: str):
    for where in ("", "employee", "wid_check"):
        data = body()
        target = data if not where else data[where]
        target["bsn"] = "999999990"
        answer = _put(http, device_token, data)
        assert answer.status_code == 422, where
        paths = [p["path"] for p in answer.json()["problems"]]
        assert paths == [f"{where}.bsn" if where else "bsn"]
    chip = body()
    chip["wid_check"]["method"] = "chip"
    chip["wid_check"]["chip"] = {
        "access": "PACE",
        "passive_auth": "valid",
        "clone_check": "valid",
        "photo": "base64...",
    }
    assert _put(http, device_token, chip).status_code == 422


def test_invalid_values_are_rejected(http: httpx.Client, device_token: str):
    cases = [
        ("employee", "date_of_birth", "12-08-1974"),
        ("employee", "date_of_birth", "1974-02-30"),
        ("employee", "date_of_birth", "2099-01-01"),
        ("employee", "surname", ""),
        ("employee", "surname", 42),
        ("wid_check", "document_type", "library_card"),
        ("wid_check", "method", "guess"),
        ("wid_check", "photo_compared", 1),
        ("wid_check", "issuing_country", "nl"),
        ("wid_check", "document_number", "L898902C3<"),
        ("wid_check", "checked_at", "2026-11-28 10:00"),
        ("wid_check", "checked_by", "nobody"),
        ("wid_check", "chip", None),  # with method chip below
    ]
    for section, key, value in cases:
        data = body()
        data[section][key] = value
        if key == "chip":
            data["wid_check"]["method"] = "chip"
        answer = _put(http, device_token, data)
        assert answer.status_code == 422, (section, key, value)
    missing = body()
    del missing["wid_check"]["expiry_date"]
    assert _put(http, device_token, missing).status_code == 422
    unknown_org = body(registration(organisation_id="org-404"))
    assert _put(http, device_token, unknown_org).status_code == 422
    assert _put(http, device_token, ["not", "an", "object"]).status_code == 422
    bad_id = http.put("/v1/registrations/not-a-uuid", json=body(), headers=bearer(device_token))
    assert bad_id.status_code == 422


def test_malformed_json_400_and_unknown_route_404_and_wrong_method_405(
    http: httpx.Client, device_token: str
):
    answer = http.put(
        f"/v1/registrations/{new_id()}",
        content=b"{not json",
        headers={**bearer(device_token), "Content-Type": "application/json"},
    )
    assert answer.status_code == 400
    assert http.get("/v1/nothing").status_code == 404
    assert http.post("/v1/health").status_code == 405


def test_get_status_and_404(http: httpx.Client, device_token: str, beheerder_token: str):
    reg_id = new_id()
    http.put(f"/v1/registrations/{reg_id}", json=body(), headers=bearer(device_token))
    for token in (device_token, beheerder_token):
        answer = http.get(f"/v1/registrations/{reg_id}", headers=bearer(token))
        assert answer.status_code == 200
        data = answer.json()
        assert set(data) == {"registration_id", "status", "enrollment", "enrolled_at"}
        assert data["status"] == "pending_enrollment" and data["enrolled_at"] is None
    assert (
        http.get(f"/v1/registrations/{new_id()}", headers=bearer(device_token)).status_code == 404
    )
    assert http.get(f"/v1/registrations/{reg_id}").status_code == 401


def test_app_enroll_200_then_410_and_status_enrolled(
    http: httpx.Client, device_token: str, clock: Clock
):
    reg_id = new_id()
    data = http.put(f"/v1/registrations/{reg_id}", json=body(), headers=bearer(device_token)).json()
    payload = data["enrollment"]["qr_payload"]
    enrolled = http.post(
        "/v1/app/enroll", json={"qr_payload": payload, "device_public_key": device_key()}
    )
    assert enrolled.status_code == 200
    assert enrolled.json() == {"display_name": "Anna Maria Eriksson"}
    again = http.post(
        "/v1/app/enroll", json={"qr_payload": payload, "device_public_key": device_key()}
    )
    assert again.status_code == 410
    status = http.get(f"/v1/registrations/{reg_id}", headers=bearer(device_token)).json()
    assert status["status"] == "enrolled"
    assert status["enrolled_at"] == "2026-11-28T10:00:00Z"
    assert status["enrollment"] is None


def test_app_enroll_404_unknown_and_422_malformed(http: httpx.Client):
    key = device_key()
    assert (
        http.post(
            "/v1/app/enroll",
            json={"qr_payload": QR_PREFIX + "AAAA-BBBB-CCCC-DDDD", "device_public_key": key},
        ).status_code
        == 404
    )
    assert (
        http.post(
            "/v1/app/enroll", json={"qr_payload": "https://example.org", "device_public_key": key}
        ).status_code
        == 404
    )
    assert (
        http.post(
            "/v1/app/enroll",
            json={"qr_payload": QR_PREFIX + "X", "device_public_key": "not base64!"},
        ).status_code
        == 422
    )
    assert http.post("/v1/app/enroll", json={"qr_payload": QR_PREFIX + "X"}).status_code == 422


def test_live_code_expires(http: httpx.Client, device_token: str, clock: Clock):
    reg_id = new_id()
    data = http.put(f"/v1/registrations/{reg_id}", json=body(), headers=bearer(device_token)).json()
    assert data["enrollment"]["expires_at"] == "2026-11-28T10:10:00Z"
    clock.advance(CODE_TTL)
    status = http.get(f"/v1/registrations/{reg_id}", headers=bearer(device_token)).json()
    assert status["status"] == "expired" and status["enrollment"] is None
    answer = http.post(
        "/v1/app/enroll",
        json={"qr_payload": data["enrollment"]["qr_payload"], "device_public_key": device_key()},
    )
    assert answer.status_code == 410


def test_parallel_identical_puts_give_exactly_one_201(portal: PortalServer, device_token: str):
    reg_id = new_id()
    data = body()

    def put(_: int) -> int:
        with httpx.Client(base_url=portal.url, timeout=10) as c:
            return c.put(
                f"/v1/registrations/{reg_id}",
                json=copy.deepcopy(data),
                headers=bearer(device_token),
            ).status_code

    with ThreadPoolExecutor(max_workers=8) as pool:
        statuses = sorted(pool.map(put, range(16)))
    assert statuses.count(201) == 1
    assert statuses.count(200) == 15


def test_registration_id_is_normalised(http: httpx.Client, device_token: str):
    reg_id = uuid.uuid4()
    upper = str(reg_id).upper()
    assert (
        http.put(
            f"/v1/registrations/{upper}", json=body(), headers=bearer(device_token)
        ).status_code
        == 201
    )
    assert (
        http.put(
            f"/v1/registrations/{reg_id}", json=body(), headers=bearer(device_token)
        ).status_code
        == 200
    )
