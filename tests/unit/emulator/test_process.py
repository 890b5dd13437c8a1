"""The emulator as a process (``python -m kiosk.emulator``) and profiles as directories."""

from __future__ import annotations

import signal
import socket
import struct
import subprocess
import sys
from pathlib import Path

import pytest

from kiosk.emulator.profile import ChipProfile
from kiosk.emulator.profiles import PROFILES, get_profile, load_profile
from kiosk.emulator.security import build_chip

ROOT = Path(__file__).resolve().parents[3]


def test_profile_directory_round_trip(tmp_path: Path) -> None:
    original = get_profile("nl_id_card_2019")
    folder = original.save(tmp_path / "card")
    loaded = load_profile(str(folder))
    assert loaded == original
    assert "TEST ONLY" in (folder / "profile.json").read_text()
    assert build_chip(ChipProfile.load(folder)).atr == build_chip(original).atr


def test_every_named_profile_builds() -> None:
    for name, build in PROFILES.items():
        profile = build()
        assert profile.name == name and profile.files[0x011D][:1] == b"\x77"
    assert get_profile("removed_after_3").remove_after == 3


@pytest.mark.parametrize(
    "command", [["kiosk.emulator"], ["kiosk.cli.main", "chip", "emulate"]], ids=["module", "cli"]
)
def test_process_serves_a_saved_profile_and_stops_on_sigterm(
    tmp_path: Path, command: list[str]
) -> None:
    folder = tmp_path / "edl"
    save = subprocess.run(
        [
            sys.executable,
            "-m",
            "kiosk.emulator",
            "--profile",
            "nl_driving_licence",
            "--save",
            str(folder),
        ],
        cwd=ROOT,
        capture_output=True,
        text=True,
        timeout=60,
        check=True,
    )
    assert "nl_driving_licence" in save.stdout and str(folder) in save.stdout
    server = socket.socket()
    server.bind(("127.0.0.1", 0))
    server.listen(1)
    server.settimeout(30)
    port = server.getsockname()[1]
    proc = subprocess.Popen(
        [sys.executable, "-m", *command, "--port", str(port), "--profile", str(folder)],
        cwd=ROOT,
        stdout=subprocess.DEVNULL,
        stderr=subprocess.DEVNULL,
    )
    try:
        conn, _ = server.accept()
        with conn:
            conn.settimeout(10)
            apdu = bytes.fromhex("00A4040C07A0000002480200")
            conn.sendall(struct.pack(">H", len(apdu)) + apdu)
            assert conn.recv(4) == b"\x00\x02\x90\x00"
            proc.send_signal(signal.SIGTERM)
            assert proc.wait(timeout=20) == 0
            assert conn.recv(1) == b""  # the card left the reader
    finally:
        if proc.poll() is None:
            proc.kill()
            proc.wait()
        server.close()
