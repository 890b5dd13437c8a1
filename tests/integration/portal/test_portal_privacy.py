"""The portal never logs bodies, tokens or personal data, and stores no document number."""

from __future__ import annotations

import io
import logging
from pathlib import Path

import httpx

from kiosk.log import JsonFormatter
from kiosk.portal import PortalServer

from .conftest import Clock, bearer, body, device_key, new_id, use_grant


def test_log_and_database_hold_no_personal_data(tmp_path: Path, clock: Clock):
    stream = io.StringIO()
    handler = logging.StreamHandler(stream)
    # Deliberately without kiosk.log.RedactingFilter: the portal must not rely on the net.
    handler.setFormatter(JsonFormatter())
    logger = logging.getLogger("kiosk.portal")
    logger.addHandler(handler)
    old_level = logger.level
    logger.setLevel(logging.DEBUG)
    secrets: list[str] = []
    try:
        with PortalServer(tmp_path / "portal.db", clock=clock) as portal:
            portal.seed_demo()
            with httpx.Client(base_url=portal.url, timeout=10) as http:
                http.post("/v1/auth/token", json={"username": "demo", "password": "wrong-pw"})
                signed = http.post("/v1/auth/token", json={"username": "demo", "password": "demo"})
                token = signed.json()["access_token"]
                enrolled = http.post("/v1/kiosks", json={"name": "balie"}, headers=bearer(token))
                device = enrolled.json()["device_token"]
                use_grant(enrolled.json()["check_grant"])
                reg_id = new_id()
                data = http.put(
                    f"/v1/registrations/{reg_id}", json=body(), headers=bearer(device)
                ).json()
                with_bsn = body()
                with_bsn["employee"]["bsn"] = "999999990"
                rejected = http.put(
                    f"/v1/registrations/{new_id()}", json=with_bsn, headers=bearer(device)
                )
                assert rejected.status_code == 422
                assert "999999990" not in rejected.text  # the 422 names the field, not the value
                payload = data["enrollment"]["qr_payload"]
                http.post(
                    "/v1/app/enroll",
                    json={"qr_payload": payload, "device_public_key": device_key()},
                )
                secrets = [
                    token,
                    device,
                    data["enrollment"]["code"],
                    enrolled.json()["check_grant"],
                ]
    finally:
        logger.removeHandler(handler)
        logger.setLevel(old_level)

    log_text = stream.getvalue()
    assert '"route": "/v1/registrations/{registration_id}"' in log_text  # it did log requests
    forbidden = ["L898902C3", "999999990", "Eriksson", "Anna", "1974-08-12", "wrong-pw", *secrets]
    for value in forbidden:
        assert value not in log_text, value
    raw = b"".join(p.read_bytes() for p in tmp_path.glob("portal.db*"))
    # Tokens are stored hashed; codes are stored (they are random, not personal).
    for value in ("L898902C3", "999999990", "1974-08-12", *secrets[:2]):
        assert value.encode() not in raw, value
