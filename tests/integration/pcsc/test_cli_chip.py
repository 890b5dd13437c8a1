"""``kiosk chip read`` through pcscd + vpcd: output, --json, --photo and exit codes 0/1/2."""

from __future__ import annotations

import json

import pytest

from kiosk.cli.main import main
from kiosk.emrtd.dg2 import sniff_format


@pytest.fixture(autouse=True)
def _desk_config(monkeypatch, tmp_path):
    # The emulator's documents are signed under the TEST ONLY CSCA, which a desk trusts only
    # with trust.test_anchors on; the data dir (local trust store) is a fresh folder.
    monkeypatch.setenv("KIOSK_CONFIG", str(tmp_path / "absent.toml"))
    monkeypatch.setenv("KIOSK_STORAGE_DATA_DIR", str(tmp_path / "data"))
    monkeypatch.setenv("KIOSK_TRUST_TEST_ANCHORS", "1")


def run(capsys, *argv: str) -> tuple[int, str]:
    code = main(["chip", "read", *argv])
    return code, capsys.readouterr().out


def test_genuine_passport_exits_0_with_json_and_photo(pcsc_stack, capsys, tmp_path):
    photo = tmp_path / "face.img"
    with pcsc_stack.card("nl_passport_2024") as emu:
        code, out = run(
            capsys,
            "--reader",
            pcsc_stack.reader,
            "--mrz",
            emu.profile.mrz,
            "--json",
            "--photo",
            str(photo),
        )
    assert code == 0, out
    report = json.loads(out)
    assert report["genuine"] is True
    assert report["access"]["protocol"] == "PACE"
    assert report["passive_auth"]["verdict"] == "valid"
    assert report["clone_check"] == {"method": "CA", "verdict": "valid", "reason": None}
    assert report["photo"]["written_to"] == str(photo)
    assert sniff_format(photo.read_bytes()) is not None  # the JPEG / JPEG 2000 as on the chip
    assert report["apdu_count"] > 0 and report["total_ms"] > 0


def test_a_desk_without_the_test_anchors_does_not_trust_emulated_documents(
    pcsc_stack, capsys, monkeypatch
):
    monkeypatch.setenv("KIOSK_TRUST_TEST_ANCHORS", "0")
    with pcsc_stack.card("nl_passport_2024") as emu:
        code, out = run(capsys, "--reader", pcsc_stack.reader, "--mrz", emu.profile.mrz, "--json")
    assert code == 1, out
    report = json.loads(out)
    assert report["genuine"] is False
    assert report["passive_auth"]["verdict"] == "untrusted"


def test_text_report_in_dutch(pcsc_stack, capsys):
    with pcsc_stack.card("legacy_bac_passport") as emu:
        code, out = run(capsys, "--reader", pcsc_stack.reader, "--mrz", emu.profile.mrz)
    assert code == 0, out
    assert "Toegang: BAC" in out
    assert "Echtheid" in out and "het document is echt" in out


def test_tampered_document_exits_1(pcsc_stack, capsys):
    with pcsc_stack.card("bad_dg_hash") as emu:
        code, out = run(capsys, "--reader", pcsc_stack.reader, "--mrz", emu.profile.mrz, "--json")
    assert code == 1, out
    assert json.loads(out)["passive_auth"]["verdict"] == "invalid"


def test_wrong_key_exits_2(pcsc_stack, capsys):
    with pcsc_stack.card("nl_id_card_2019"):
        code, out = run(
            capsys,
            "--reader",
            pcsc_stack.reader,
            "--doc",
            "XX0000000",
            "--dob",
            "700101",
            "--expiry",
            "300101",
            "--json",
        )
    assert code == 2
    assert json.loads(out)["error"] == "chip.error.wrong_access_key"


def test_no_document_exits_2(pcsc_stack, capsys):
    code, out = run(
        capsys, "--reader", pcsc_stack.reader, "--can", "123456", "--wait", "0.5", "--json"
    )
    assert code == 2
    assert json.loads(out)["error"] == "chip_reader.error.no_card"


def test_can_with_letters_exits_2(pcsc_stack, capsys):
    code, out = run(capsys, "--reader", pcsc_stack.reader, "--can", "12a456", "--json")
    assert code == 2
    assert json.loads(out)["error"] == "chip_reader.error.can_digits"


def test_emulate_subcommand_serves_a_document_to_read(pcsc_stack, capsys):
    import signal
    import subprocess
    import sys

    from kiosk.emulator.profiles import get_profile

    emulate = subprocess.Popen(
        [
            sys.executable,
            "-m",
            "kiosk.cli.main",
            "chip",
            "emulate",
            "--port",
            str(pcsc_stack.port),
            "--profile",
            "legacy_bac_passport",
        ],
    )
    try:
        pcsc_stack.wait_for_card(True, deadline_s=20)
        mrz = get_profile("legacy_bac_passport").mrz
        code, out = run(capsys, "--reader", pcsc_stack.reader, "--mrz", mrz, "--json")
        assert code == 0, out
        assert json.loads(out)["access"]["protocol"] == "BAC"
    finally:
        emulate.send_signal(signal.SIGTERM)
        assert emulate.wait(timeout=10) == 0
    pcsc_stack.wait_for_card(False)


@pytest.mark.parametrize("kind", ["6982", "6986", "6a86", "6d00", "6e00", "empty", "no_pace"])
def test_bac_only_passport_whose_card_access_is_unavailable_reads_with_bac(
    pcsc_stack, capsys, kind
):
    # 9303-11 section 4.2 step 1: an EF.CardAccess that cannot be read (any status word, an
    # empty file, no PACEInfo) means "PACE not offered": go on with BAC, exit 0.
    with pcsc_stack.card(f"legacy_bac_card_access_{kind}") as emu:
        code, out = run(capsys, "--reader", pcsc_stack.reader, "--mrz", emu.profile.mrz, "--json")
    assert code == 0, out
    report = json.loads(out)
    assert report["access"]["protocol"] == "BAC"
    assert report["genuine"] is True
