"""The portal serves the committed OpenAPI document, and its answers conform to it."""

from __future__ import annotations

import json
from typing import Any

import httpx
from jsonschema import Draft202012Validator

from kiosk.paths import resource

from .conftest import bearer, body, device_key, new_id, use_grant

COMMITTED = resource("openapi", "portal-v1.json").read_bytes()
DOC: dict[str, Any] = json.loads(COMMITTED)


def test_served_document_equals_committed_file(http: httpx.Client):
    answer = http.get("/v1/openapi.json")
    assert answer.status_code == 200
    assert answer.headers["content-type"] == "application/json"
    assert answer.content == COMMITTED


def _check(answer: httpx.Response, path: str, method: str) -> None:
    """Assert the status is documented for the operation and the body matches its schema."""
    operation = DOC["paths"][path][method]
    documented = operation["responses"]
    status = str(answer.status_code)
    assert status in documented, (path, method, status)
    response = documented[status]
    if "$ref" in response:
        response = DOC["components"]["responses"][response["$ref"].rsplit("/", 1)[1]]
    content = response.get("content")
    if content is None:
        assert answer.content == b""
        return
    schema = {"components": DOC["components"], **content["application/json"]["schema"]}
    errors = list(Draft202012Validator(schema).iter_errors(answer.json()))
    assert errors == [], (path, method, status, errors[0].message)


def test_every_answer_in_a_full_flow_conforms(http: httpx.Client):
    reg_path = "/v1/registrations/{registration_id}"
    enr_path = reg_path + "/enrollment"
    _check(http.get("/v1/health"), "/v1/health", "get")
    bad = http.post("/v1/auth/token", json={"username": "demo", "password": "x"})
    _check(bad, "/v1/auth/token", "post")
    signed = http.post("/v1/auth/token", json={"username": "demo", "password": "demo"})
    _check(signed, "/v1/auth/token", "post")
    token = signed.json()["access_token"]
    kiosk = http.post("/v1/kiosks", json={"name": "balie"}, headers=bearer(token))
    _check(kiosk, "/v1/kiosks", "post")
    device = kiosk.json()["device_token"]
    use_grant(kiosk.json()["check_grant"])
    _check(
        http.post("/v1/kiosks", json={"name": "x"}, headers=bearer(device)), "/v1/kiosks", "post"
    )

    reg_id = new_id()
    for _ in range(2):  # 201 then 200
        put = http.put(f"/v1/registrations/{reg_id}", json=body(), headers=bearer(device))
        _check(put, reg_path, "put")
    bad_body = body()
    bad_body["employee"]["bsn"] = "999999990"
    _check(
        http.put(f"/v1/registrations/{new_id()}", json=bad_body, headers=bearer(device)),
        reg_path,
        "put",
    )
    changed = body()
    changed["employee"]["given_names"] = "Anna"
    _check(
        http.put(f"/v1/registrations/{reg_id}", json=changed, headers=bearer(device)),
        reg_path,
        "put",
    )
    _check(http.get(f"/v1/registrations/{reg_id}", headers=bearer(device)), reg_path, "get")
    _check(http.get(f"/v1/registrations/{new_id()}", headers=bearer(device)), reg_path, "get")
    renewed = http.post(f"/v1/registrations/{reg_id}/enrollment", headers=bearer(device))
    _check(renewed, enr_path, "post")
    _check(
        http.delete(f"/v1/registrations/{reg_id}/enrollment", headers=bearer(device)),
        enr_path,
        "delete",
    )

    codes = http.post("/v1/enrollment-codes", json={"count": 2}, headers=bearer(device))
    _check(codes, "/v1/enrollment-codes", "post")
    pool = codes.json()["codes"]
    early = http.post(
        "/v1/app/enroll",
        json={"qr_payload": pool[0]["qr_payload"], "device_public_key": device_key()},
    )
    _check(early, "/v1/app/enroll", "post")
    assert early.status_code == 425
    live = http.put(f"/v1/registrations/{new_id()}", json=body(), headers=bearer(device)).json()
    enrolled = http.post(
        "/v1/app/enroll",
        json={"qr_payload": live["enrollment"]["qr_payload"], "device_public_key": device_key()},
    )
    _check(enrolled, "/v1/app/enroll", "post")
    gone = http.post(
        "/v1/app/enroll",
        json={"qr_payload": live["enrollment"]["qr_payload"], "device_public_key": device_key()},
    )
    _check(gone, "/v1/app/enroll", "post")
    assert gone.status_code == 410
