"""kiosk app-sim end to end: QR rendered to pixels, decoded back with OpenCV, enrolled."""

from __future__ import annotations

import json
from pathlib import Path

import cv2
import httpx
import numpy as np
import pytest
import qrcode
from PIL import Image

from kiosk.appsim import Outcome, QrNotFound, decode_qr, decode_qr_file
from kiosk.cli.main import main
from kiosk.portal import PortalServer

from .conftest import Clock, bearer, body, new_id


def render(payload: str, path: Path, *, box_size: int = 8, border: int = 4) -> Path:
    qr = qrcode.QRCode(box_size=box_size, border=border)
    qr.add_data(payload)
    qr.make(fit=True)
    qr.make_image(fill_color="black", back_color="white").save(path)
    return path


def live_payload(http: httpx.Client, device_token: str) -> tuple[str, str]:
    reg_id = new_id()
    data = http.put(f"/v1/registrations/{reg_id}", json=body(), headers=bearer(device_token)).json()
    return reg_id, data["enrollment"]["qr_payload"]


def run(args: list[str], capsys: pytest.CaptureFixture[str]) -> tuple[int, dict[str, object]]:
    code = main(["app-sim", *args, "--json"])
    return code, json.loads(capsys.readouterr().out)


def test_image_to_enrolled(
    portal: PortalServer, http: httpx.Client, device_token: str, tmp_path: Path, capsys
):
    reg_id, payload = live_payload(http, device_token)
    png = render(payload, tmp_path / "qr.png")
    code, out = run(["--image", str(png), "--portal", portal.url], capsys)
    assert code == 0
    assert out["result"] == "enrolled"
    assert out["display_name"] == "Anna Maria Eriksson"
    status = http.get(f"/v1/registrations/{reg_id}", headers=bearer(device_token)).json()
    assert status["status"] == "enrolled"
    # The same QR scanned again: the code is single use.
    code, out = run(["--image", str(png), "--portal", portal.url], capsys)
    assert code == 1 and out["status"] == 410


def test_plain_text_output(portal: PortalServer, http: httpx.Client, device_token: str, capsys):
    _, payload = live_payload(http, device_token)
    assert main(["app-sim", "--payload", payload, "--portal", portal.url]) == 0
    assert capsys.readouterr().out.strip() == "Gelukt. De app toont onder 'ID': Anna Maria Eriksson"


def test_pool_code_not_yet_active_exit_3(
    portal: PortalServer, http: httpx.Client, device_token: str, capsys
):
    codes = http.post("/v1/enrollment-codes", json={"count": 1}, headers=bearer(device_token))
    payload = codes.json()["codes"][0]["qr_payload"]
    code, out = run(["--payload", payload, "--portal", portal.url], capsys)
    assert code == 3 and out["result"] == "not_yet_active" and out["status"] == 425


def test_unknown_code_exit_1_and_unreachable_exit_2(portal: PortalServer, capsys, clock: Clock):
    code, out = run(
        ["--payload", "zorgid-enroll:v1:AAAA-BBBB-CCCC-DDDD", "--portal", portal.url], capsys
    )
    assert code == 1 and out["status"] == 404
    stopped = PortalServer(None, clock=clock).start()
    url = stopped.url
    stopped.stop()
    code, out = run(["--payload", "zorgid-enroll:v1:X", "--portal", url], capsys)
    assert code == 2 and out["result"] == "unreachable"


def test_no_qr_and_unreadable_image_exit_2(tmp_path: Path, capsys):
    blank = tmp_path / "blank.png"
    Image.new("RGB", (400, 300), "white").save(blank)
    code, out = run(["--image", str(blank), "--portal", "http://127.0.0.1:9"], capsys)
    assert code == 2 and out["result"] == "no_qr"
    broken = tmp_path / "broken.png"
    broken.write_bytes(b"\x89PNG\r\n\x1a\n truncated")
    code, out = run(["--image", str(broken), "--portal", "http://127.0.0.1:9"], capsys)
    assert code == 2 and "broken.png" in str(out["message"])


PAYLOAD = "zorgid-enroll:v1:7K3M-Q9XA-2HBC-VW5R"


def test_decode_without_quiet_zone_needs_the_padded_retry(tmp_path: Path):
    png = render(PAYLOAD, tmp_path / "tight.png", box_size=6, border=0)
    gray = cv2.imread(str(png), cv2.IMREAD_GRAYSCALE)
    text, _, _ = cv2.QRCodeDetector().detectAndDecode(gray)
    assert text == ""  # the plain detector misses a QR without its quiet zone ...
    assert decode_qr_file(png) == PAYLOAD  # ... the simulator's retries find it


def test_decode_a_small_low_contrast_qr_on_a_noisy_photo(tmp_path: Path):
    render(PAYLOAD, tmp_path / "small.png", box_size=3, border=4)
    small = cv2.imread(str(tmp_path / "small.png"), cv2.IMREAD_GRAYSCALE)
    # Grey-on-grey print in the middle of a large noisy frame (a phone photo of a handout).
    qr = (small.astype(np.float32) * 0.45 + 90).astype(np.uint8)
    rng = np.random.default_rng(7)
    frame = rng.normal(150, 18, size=(900, 1200)).clip(0, 255).astype(np.uint8)
    y, x = 300, 500
    frame[y : y + qr.shape[0], x : x + qr.shape[1]] = qr
    colour = cv2.cvtColor(frame, cv2.COLOR_GRAY2BGR)
    assert decode_qr(colour) == PAYLOAD


def test_decode_raises_when_there_is_nothing():
    with pytest.raises(QrNotFound):
        decode_qr(np.full((200, 200, 4), 255, dtype=np.uint8))
    assert Outcome.NOT_YET_ACTIVE == 3
