"""``kiosk doctor`` against real parts: the reference portal on loopback, files, the disk."""

from __future__ import annotations

import json
from dataclasses import replace
from datetime import UTC, datetime, timedelta

import cv2
import httpx
import numpy as np
import pytest

from kiosk import doctor
from kiosk.cli.main import main
from kiosk.config import CameraConfig, Config, PortalConfig, StorageConfig, TrustConfig
from kiosk.doctor import Status


@pytest.fixture
def portal(tmp_path):
    from kiosk.portal import PortalServer

    with PortalServer(tmp_path / "portal.sqlite3") as server:
        yield server


@pytest.fixture
def config(tmp_path, portal) -> Config:
    return Config(
        portal=PortalConfig(url=portal.url),
        storage=StorageConfig(data_dir=str(tmp_path / "data")),
    )


def test_portal_and_clock(config):
    portal, clock = doctor.check_portal(config)
    assert portal.status is Status.OK and clock.status is Status.OK
    late = datetime.now(UTC) + timedelta(minutes=10)
    _, skewed = doctor.check_portal(config, now=lambda: late)
    assert skewed.status is Status.WARN and skewed.params["seconds"] >= 590


def test_unreachable_portal_fails(config, portal):
    url = portal.url
    portal.stop()
    (check,) = doctor.check_portal(replace(config, portal=PortalConfig(url=url, timeout_s=1)))
    assert check.status is Status.FAIL
    assert "niet bereikbaar" in check.message()


def test_plain_http_off_this_machine_is_refused_before_anything_is_sent(config):
    sent = []

    def handler(request):
        sent.append(request)
        return httpx.Response(200, json={"status": "ok"})

    plain = replace(config, portal=PortalConfig(url="http://portal.example.nl", timeout_s=1))
    (check,) = doctor.check_portal(plain, transport=httpx.MockTransport(handler))
    assert check.status is doctor.Status.FAIL
    assert check.message_key == "portal.error.plain_http"
    assert sent == []


def test_trust_store_warns_when_empty_or_on_test_anchors(config):
    assert doctor.check_trust(config).message_key == "doctor.trust.empty"
    demo = replace(config, trust=TrustConfig(test_anchors=True))
    assert doctor.check_trust(demo).message_key == "doctor.trust.test_anchors"


def test_disk_thresholds(config):
    assert doctor.check_disk(config, warn_bytes=1, fail_bytes=0).status is Status.OK
    assert doctor.check_disk(config, warn_bytes=2**62, fail_bytes=0).status is Status.WARN
    assert doctor.check_disk(config, warn_bytes=2**62, fail_bytes=2**62).status is Status.FAIL


def test_camera_from_a_folder_and_a_missing_device(config, tmp_path):
    folder = tmp_path / "scans"
    folder.mkdir()
    cv2.imwrite(str(folder / "page.png"), np.full((72, 128, 3), 255, np.uint8))
    ok = doctor.check_camera(replace(config, camera=CameraConfig(device=str(folder))))
    assert ok.status is Status.OK and ok.params["size"] == "128x72"
    gone = doctor.check_camera(replace(config, camera=CameraConfig(device=str(tmp_path / "no"))))
    assert gone.status is Status.WARN


def test_queue_is_checked_only_when_it_exists_and_a_corrupt_one_fails(config):
    from kiosk.store import DB_FILENAME, open_default

    assert doctor.check_queue(config).message_key == "doctor.queue.none"
    assert not (config.data_dir() / DB_FILENAME).exists()  # looking created nothing
    open_default(config.data_dir()).close()
    assert doctor.check_queue(config).status is Status.OK
    (config.data_dir() / DB_FILENAME).write_bytes(b"not a database" * 100)
    assert doctor.check_queue(config).status is Status.FAIL


def test_cli_json_report_and_exit_code(config, monkeypatch, tmp_path, capsys):
    monkeypatch.setenv("KIOSK_CONFIG", str(tmp_path / "absent.toml"))
    monkeypatch.setenv("KIOSK_PORTAL_URL", config.portal.url)
    monkeypatch.setenv("KIOSK_STORAGE_DATA_DIR", config.storage.data_dir)
    monkeypatch.setenv("KIOSK_CAMERA_DEVICE", str(tmp_path / "no-camera"))
    code = main(["doctor", "--json"])
    report = {entry["check"]: entry for entry in json.loads(capsys.readouterr().out)}
    assert set(report) == {
        "version", "reader", "camera", "portal", "clock", "trust", "disk", "queue"
    }  # fmt: skip
    assert report["version"]["status"] == "ok"
    assert report["portal"]["status"] == "ok"
    assert report["camera"]["status"] == "warn"
    assert report["trust"]["status"] == "warn"
    assert code == (2 if "fail" in {e["status"] for e in report.values()} else 1)
