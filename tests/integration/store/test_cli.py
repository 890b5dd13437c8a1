"""``kiosk queue`` and ``kiosk sync`` against a real store directory and the reference portal."""

from __future__ import annotations

import io
import json
import os
import socket

import pytest

from kiosk.cli.main import main
from kiosk.model import DeviceCredential
from kiosk.portal.server import PortalServer
from kiosk.store import DB_FILENAME, default_key_provider, open_default
from tests.unit.store.factories import demo_grant, for_portal, make_registration


@pytest.fixture
def env(tmp_path, monkeypatch):
    # The documented environment overrides; no user config file is read.
    monkeypatch.setenv("KIOSK_CONFIG", str(tmp_path / "absent.toml"))
    monkeypatch.setenv("KIOSK_STORAGE_DATA_DIR", str(tmp_path / "data"))
    with PortalServer(tmp_path / "portal.sqlite3") as portal:
        portal.seed_demo()
        monkeypatch.setenv("KIOSK_PORTAL_URL", portal.url)
        yield tmp_path / "data"


def run(capsys, *argv):
    code = main(list(argv))
    out = capsys.readouterr()
    return code, out.out, out.err


def free_port():
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


def test_enroll_sync_dead_retry_round_trip(env, capsys, monkeypatch):
    monkeypatch.setattr("sys.stdin", io.StringIO("demo\n"))
    code, out, _ = run(capsys, "sync", "enroll", "--username", "demo", "--password-stdin")
    assert code == 0 and "kiosk" in out.lower()

    with open_default(env) as store:
        grant = demo_grant(os.environ["KIOSK_PORTAL_URL"], store.kiosk_id())
    good = for_portal(
        make_registration(checked_by="demo-beheerder", document_number="GD1234567"), grant
    )
    bad = make_registration(checked_by="nobody", document_number="BD7654321")  # portal: 422
    with open_default(env) as store:
        store.enqueue(good, "demo-beheerder")
        store.enqueue(bad, "demo-beheerder")

    code, out, _ = run(capsys, "queue", "status", "--json")
    status = json.loads(out)
    assert code == 0 and status["pending"] == 2 and status["kiosk_id"]
    assert status["audit_chain_ok"] is True

    code, out, _ = run(capsys, "sync", "once", "--json")
    report = json.loads(out)
    assert code == 1  # one is dead: a person must look
    assert report["delivered"] == [str(good.registration_id)]
    assert report["dead"] == [str(bad.registration_id)]
    assert report["codes_added"] == 5  # portal.code_pool_size default

    code, out, _ = run(capsys, "queue", "dead", "--json")
    (dead,) = json.loads(out)
    assert dead["registration_id"] == str(bad.registration_id)
    assert dead["last_status"] == 422 and dead["document_number"] == "******321"
    code, text, _ = run(capsys, "queue", "dead")
    assert "******321" in text and "BD7654321" not in text and "422" in text

    code, out, _ = run(capsys, "queue", "retry", str(bad.registration_id))
    assert code == 0
    code, out, _ = run(capsys, "queue", "retry", str(bad.registration_id))
    assert code == 1  # no longer dead
    code, out, _ = run(capsys, "queue", "status")
    assert "1" in out and "GD1234567" not in out


def test_sync_once_offline_says_so_and_keeps_the_queue(env, capsys):
    with open_default(env) as store:
        store.set_device_credential(DeviceCredential("kiosk-1", "device-token"))
        store.enqueue(make_registration(), "b")
    url = f"http://127.0.0.1:{free_port()}"
    code, out, _ = run(capsys, "sync", "--portal-url", url, "once")
    assert code == 1
    assert "niet bereikbaar" in out and url in out
    with open_default(env) as store:
        assert store.counts().pending == 1


def test_unreadable_store_gives_a_plain_message_and_exit_3(env, capsys):
    env.mkdir(parents=True)
    default_key_provider(env).create()
    (env / DB_FILENAME).write_bytes(b"garbage" * 1000)
    code, _, err = run(capsys, "queue", "status")
    assert code == 3
    assert "beschadigd" in err  # Dutch by default
    assert list(env.glob(f"{DB_FILENAME}.corrupt-*"))
    code, _, err = run(capsys, "queue", "retry", "not-a-uuid")
    assert code == 2


def test_looking_at_a_missing_queue_creates_nothing(env, capsys):
    code, _, err = run(capsys, "queue", "status")
    assert code == 3 and "nog geen lokale database" in err
    assert not env.exists() or not any(env.iterdir())


def test_sync_once_reports_the_trust_list_age(env, capsys, monkeypatch, tmp_path):
    """`kiosk trust import`, then `kiosk sync once`: the fleet view shows the list's age."""
    from kiosk.emulator import factory as f
    from kiosk.sync.client import PortalClient

    monkeypatch.setattr("sys.stdin", io.StringIO("demo\n"))
    assert run(capsys, "sync", "enroll", "--username", "demo", "--password-stdin")[0] == 0
    ml = tmp_path / "ml.bin"
    ml.write_bytes(f.build_master_list([f.test_csca().certificate], f.test_csca()))
    assert run(capsys, "trust", "import", str(ml))[0] == 0  # into <data dir>/trust
    trust = env / "trust"
    stamp = (trust / "updated-at").read_text()
    (trust / "updated-at").write_text(stamp.replace(stamp[:4], str(int(stamp[:4]) - 1), 1))
    assert run(capsys, "sync", "once", "--json")[0] == 0
    with PortalClient(os.environ["KIOSK_PORTAL_URL"]) as client:
        session = client.sign_in("demo", "demo")
        [entry] = client.list_kiosks(session.access_token)
    age = entry["heartbeat"]["trust_list_age_s"]
    # Imported a year back (365 or 366 days, plus the seconds the test took).
    assert 365 * 86400 <= age <= 366 * 86400 + 600
