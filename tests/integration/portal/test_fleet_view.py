"""The fleet view over HTTP: kiosk heartbeats, a beheerder's kiosks, revoking from there."""

from __future__ import annotations

import io
from datetime import timedelta
from pathlib import Path
from typing import Any

import httpx
import pytest

from kiosk.cli.main import build_parser
from kiosk.portal import PortalServer
from kiosk.store import FileKeyProvider, Store
from kiosk.sync.client import PortalClient
from kiosk.sync.worker import SyncWorker
from tests.unit.store.factories import for_portal, make_registration

from .conftest import START, Clock, bearer
from .test_openapi_served import _check

BEAT: dict[str, Any] = {
    "version": "0.9.0",
    "queue_depth": 3,
    "dead_letters": 1,
    "oldest_pending_age_s": 120,
    "trust_list_age_s": None,
    "last_sync_at": "2026-11-28T09:58:00Z",
}

pytestmark = pytest.mark.backends  # the contract on SQLite and PostgreSQL


def _sign_in(http: httpx.Client, username: str, password: str) -> str:
    answer = http.post("/v1/auth/token", json={"username": username, "password": password})
    assert answer.status_code == 200
    return str(answer.json()["access_token"])


def test_heartbeat_shows_in_the_fleet_view(
    http: httpx.Client, beheerder_token: str, kiosk: dict[str, Any], clock: Clock
):
    device = kiosk["device_token"]
    fleet = http.get("/v1/kiosks", headers=bearer(beheerder_token))
    _check(fleet, "/v1/kiosks", "get")
    [entry] = fleet.json()["kiosks"]
    assert entry["kiosk_id"] == kiosk["kiosk_id"] and entry["heartbeat"] is None
    assert entry["organisations"] == ["org-1", "org-2"] and entry["revoked_at"] is None
    clock.advance(timedelta(minutes=2))
    sent = http.put("/v1/kiosks/self/heartbeat", json=BEAT, headers=bearer(device))
    _check(sent, "/v1/kiosks/self/heartbeat", "put")
    assert sent.status_code == 204
    fleet = http.get("/v1/kiosks", headers=bearer(beheerder_token))
    _check(fleet, "/v1/kiosks", "get")
    [entry] = fleet.json()["kiosks"]
    assert entry["heartbeat"] == {**BEAT, "received_at": "2026-11-28T10:02:00Z"}
    # The next heartbeat replaces it.
    again = {**BEAT, "queue_depth": 0, "oldest_pending_age_s": None}
    assert http.put("/v1/kiosks/self/heartbeat", json=again, headers=bearer(device)).status_code
    [entry] = http.get("/v1/kiosks", headers=bearer(beheerder_token)).json()["kiosks"]
    assert entry["heartbeat"]["queue_depth"] == 0
    assert entry["heartbeat"]["oldest_pending_age_s"] is None


@pytest.mark.parametrize(
    "change",
    [
        {"bsn": "999999990"},  # an unknown field: nothing personal slips in
        {"queue_depth": -1},
        {"queue_depth": True},
        {"dead_letters": "1"},
        {"version": ""},
        {"version": "x" * 41},
        {"last_sync_at": "yesterday"},
        {"oldest_pending_age_s": 1.5},
    ],
)
def test_a_bad_heartbeat_is_refused(http: httpx.Client, kiosk: dict[str, Any], change):
    answer = http.put(
        "/v1/kiosks/self/heartbeat", json={**BEAT, **change}, headers=bearer(kiosk["device_token"])
    )
    _check(answer, "/v1/kiosks/self/heartbeat", "put")
    assert answer.status_code == 422


def test_missing_field_and_wrong_tokens(
    http: httpx.Client, beheerder_token: str, kiosk: dict[str, Any]
):
    device = kiosk["device_token"]
    partial = {k: v for k, v in BEAT.items() if k != "dead_letters"}
    assert (
        http.put("/v1/kiosks/self/heartbeat", json=partial, headers=bearer(device)).status_code
        == 422
    )
    beheerder_put = http.put(
        "/v1/kiosks/self/heartbeat", json=BEAT, headers=bearer(beheerder_token)
    )
    assert beheerder_put.status_code == 403
    device_get = http.get("/v1/kiosks", headers=bearer(device))
    _check(device_get, "/v1/kiosks", "get")
    assert device_get.status_code == 403
    assert http.get("/v1/kiosks").status_code == 401


def test_a_beheerder_of_another_organisation_sees_nothing(
    portal: PortalServer, http: httpx.Client, beheerder_token: str, kiosk: dict[str, Any]
):
    http.put("/v1/kiosks/self/heartbeat", json=BEAT, headers=bearer(kiosk["device_token"]))
    portal.add_beheerder("elders", "Elders Beheer", "geheim", [("org-9", "Zorg Elders")])
    other = _sign_in(http, "elders", "geheim")
    answer = http.get("/v1/kiosks", headers=bearer(other))
    _check(answer, "/v1/kiosks", "get")
    assert answer.json() == {"kiosks": []}
    # ... and cannot revoke it either (404, as for an unknown kiosk).
    assert http.delete(f"/v1/kiosks/{kiosk['kiosk_id']}", headers=bearer(other)).status_code == 404
    # A beheerder sharing one organisation sees the kiosk with that organisation only.
    portal.add_beheerder("oost", "Oost Beheer", "geheim", [("org-1", "Zorggroep Oost")])
    [entry] = http.get("/v1/kiosks", headers=bearer(_sign_in(http, "oost", "geheim"))).json()[
        "kiosks"
    ]
    assert entry["organisations"] == ["org-1"] and entry["heartbeat"]["version"] == "0.9.0"


def test_cli_fleet_lists_and_revokes(
    portal: PortalServer, http: httpx.Client, kiosk: dict[str, Any]
):
    device = kiosk["device_token"]
    http.put("/v1/kiosks/self/heartbeat", json=BEAT, headers=bearer(device))
    parser = build_parser()
    base = ["portal", "fleet", "--username", "demo", "--password-stdin", "--portal-url", portal.url]
    out = io.StringIO()
    args = parser.parse_args(base)
    assert args.handler(args, stdin=io.StringIO("demo\n"), stdout=out) == 0
    text = out.getvalue()
    assert kiosk["kiosk_id"] in text and "balie 1" in text
    assert "wachtrij 3, geweigerd 1, oudste wachtende 2 min" in text
    out = io.StringIO()
    args = parser.parse_args([*base, "--json", "--revoke", kiosk["kiosk_id"]])
    assert args.handler(args, stdin=io.StringIO("demo\n"), stdout=out) == 0
    import json

    data = json.loads(out.getvalue())
    assert data["revoked"] == kiosk["kiosk_id"]
    assert data["kiosks"][0]["revoked_at"] == START.strftime("%Y-%m-%dT%H:%M:%SZ")
    # Revoked: its device token no longer reports (or delivers).
    assert (
        http.put("/v1/kiosks/self/heartbeat", json=BEAT, headers=bearer(device)).status_code == 401
    )
    wrong = io.StringIO()
    args = parser.parse_args(base)
    assert args.handler(args, stdin=io.StringIO("nope\n"), stdout=wrong) == 1


def test_the_sync_worker_reports_to_the_fleet_view(tmp_path: Path):
    """The real worker, store and client against the real portal (real clock)."""
    with PortalServer(tmp_path / "portal.sqlite3") as portal:
        portal.seed_demo()
        with PortalClient(portal.url) as client:
            session = client.sign_in("demo", "demo")
            credential = client.enroll_kiosk(session.access_token, "balie-hartslag")
            with Store.open(tmp_path / "kiosk.sqlite3", FileKeyProvider(tmp_path / "k")) as store:
                store.set_device_credential(credential)
                registration = for_portal(
                    make_registration(checked_by="demo-beheerder"), credential.check_grant
                )
                store.enqueue(registration, "demo-beheerder")
                worker = SyncWorker(store, client, store.device_token, heartbeat_interval_s=300)
                worker.step()
            [entry] = client.list_kiosks(session.access_token)
    beat = entry["heartbeat"]
    assert entry["kiosk_id"] == credential.kiosk_id
    assert (beat["queue_depth"], beat["dead_letters"], beat["oldest_pending_age_s"]) == (0, 0, None)
    assert beat["last_sync_at"] is not None and beat["version"]
