"""``kiosk demo`` places the emulated passport on vpcd's reader and trusts it (demo only)."""

from __future__ import annotations

from kiosk.cli.main import main
from kiosk.emulator.profiles import get_profile


def test_demo_places_the_passport_prints_its_access_data_and_removes_it(
    pcsc_stack, monkeypatch, tmp_path, capsys
):
    monkeypatch.setenv("KIOSK_CONFIG", str(tmp_path / "absent.toml"))
    monkeypatch.setenv("KIOSK_STORAGE_DATA_DIR", str(tmp_path / "data"))
    code = main(["demo", "--no-gui", "--vpcd-port", str(pcsc_stack.port)])
    out = capsys.readouterr().out
    assert code == 0, out
    profile = get_profile("nl_passport_2024")
    assert f"CAN {profile.can}" in out
    assert profile.mrz.splitlines()[1] in out
    # The demo took the passport off the reader again when it stopped.
    pcsc_stack.wait_for_card(False)


def test_demo_without_a_virtual_reader_says_how_to_get_one(monkeypatch, tmp_path, capsys):
    monkeypatch.setenv("KIOSK_CONFIG", str(tmp_path / "absent.toml"))
    monkeypatch.setenv("KIOSK_STORAGE_DATA_DIR", str(tmp_path / "data"))
    # Port 9 (discard) on loopback: nothing listens there.
    assert main(["demo", "--no-gui", "--vpcd-port", "9"]) == 0
    out = capsys.readouterr().out
    assert "Geen virtuele kaartlezer gevonden" in out
    assert "poort 9" in out
