"""Reader and transport quirks through pcscd + vpcd: ``kiosk chip read`` reads and verifies
(exit 0) a genuine document behind every quirk profile of the emulator (issue 9 item 3).

Each ``quirk_*`` profile (kiosk.emulator.profiles.READER_QUIRKS) is one behaviour seen in
deployed chips or readers: T=0 with 61xx/6Cxx, no or uncarried extended length, a small
reader buffer, SELECT that wants the FCI or only takes P1=00, no SFI, reads past the end of a
file answered 6282/6B00/short data with 9000, a DG2 past the 32767 offsets of 'B0', a slow
chip and a field drop between access control and the first read. The wire traffic the
emulator saw is checked too, so that a test cannot pass without the quirk having acted.
"""

from __future__ import annotations

import json

import pytest

from kiosk.cli.main import main
from kiosk.emulator.profiles import READER_QUIRKS

pytestmark = pytest.mark.usefixtures("_desk_config")


@pytest.fixture
def _desk_config(monkeypatch, tmp_path):
    # The emulator signs under the TEST ONLY CSCA, trusted only with trust.test_anchors on.
    monkeypatch.setenv("KIOSK_CONFIG", str(tmp_path / "absent.toml"))
    monkeypatch.setenv("KIOSK_STORAGE_DATA_DIR", str(tmp_path / "data"))
    monkeypatch.setenv("KIOSK_TRUST_TEST_ANCHORS", "1")


def chip_read(pcsc_stack, capsys, profile: str):
    """Place ``profile``, run ``kiosk chip read --json``; return (exit, report, wire)."""
    wire: list[tuple[bytes, bytes]] = []
    with pcsc_stack.card(profile, on_apdu=lambda c, r: wire.append((c, r))) as emu:
        code = main(
            ["chip", "read", "--reader", pcsc_stack.reader, "--mrz", emu.profile.mrz, "--json"]
        )
        out = capsys.readouterr().out
    return code, json.loads(out), wire


def sw(response: bytes) -> int:
    return int.from_bytes(response[-2:], "big")


EXPECTED_ACCESS = {name: ("BAC" if "bac" in name else "PACE") for name in READER_QUIRKS}
EXPECTED_ACCESS.update({"quirk_fid_only": "BAC", "quirk_eof_6b00_short": "BAC"})


@pytest.mark.parametrize("profile", READER_QUIRKS)
def test_every_quirk_profile_reads_and_verifies(pcsc_stack, capsys, profile):
    code, report, wire = chip_read(pcsc_stack, capsys, profile)
    assert code == 0, report
    assert report["genuine"] is True
    assert report["access"]["protocol"] == EXPECTED_ACCESS[profile]
    assert report["passive_auth"]["verdict"] == "valid"
    assert report["photo"] is not None
    assert wire  # the document was really read through pcscd


def test_t0_chip_is_read_with_get_response(pcsc_stack, capsys):
    code, report, wire = chip_read(pcsc_stack, capsys, "quirk_t0_pace")
    assert code == 0
    assert not report["access"]["extended_length"]
    announced = [r for _c, r in wire if len(r) == 2 and r[0] == 0x61]
    fetched = [c for c, _r in wire if c[1] == 0xC0]
    assert announced and len(fetched) >= len(announced)  # every 61xx was followed
    assert all(len(c) <= 5 + 255 + 1 for c, _r in wire)  # T=0: short APDUs only
    # The APDU count of the read leaves the transport's GET RESPONSEs out (one per command).
    assert report["apdu_count"] < len(wire)


def test_t0_chip_wanting_fci_is_selected_with_p2_00(pcsc_stack, capsys):
    code, _report, wire = chip_read(pcsc_stack, capsys, "quirk_select_fci_t0_bac")
    assert code == 0
    selects = [(c[3], sw(r)) for c, r in wire if c[1] == 0xA4 and c[2] == 0x04]
    assert (0x0C, 0x6A86) in selects  # P2 '0C' refused...
    assert any(p2 == 0x00 and status >> 8 == 0x61 for p2, status in selects)  # ...FCI, T=0


def test_reader_without_extended_length_behind_an_extended_chip(pcsc_stack, capsys):
    code, report, wire = chip_read(pcsc_stack, capsys, "quirk_reader_no_extended")
    assert code == 0
    assert report["access"]["extended_length"] is False  # learned from the first 6700
    refused = [c for c, r in wire if r == b"\x67\x00"]
    assert len(refused) == 1  # one extended APDU, then short APDUs only


def test_small_reader_buffer_shrinks_the_reads(pcsc_stack, capsys):
    code, _report, wire = chip_read(pcsc_stack, capsys, "quirk_small_buffer")
    assert code == 0
    assert all(len(r) <= 160 for _c, r in wire)
    assert sum(r == b"\x67\x00" for _c, r in wire) == 1  # learned once, kept for the read


def test_chip_without_sfi_is_read_by_select(pcsc_stack, capsys):
    code, _report, wire = chip_read(pcsc_stack, capsys, "quirk_no_sfi")
    assert code == 0
    # Up to chip authentication (whose key check reads one byte by SFI and only needs an
    # answer under the new keys, kiosk.emrtd.ca), the SFI is tried once and remembered.
    ca_start = next(i for i, (c, _r) in enumerate(wire) if c[1:4] == b"\x22\x41\xa4")
    sfi_reads = [c for c, _r in wire[:ca_start] if c[1] == 0xB0 and c[2] & 0x80]
    assert len(sfi_reads) == 1  # EF.CardAccess, then SELECT by FID for every file


def test_chip_taking_only_p1_00_selects(pcsc_stack, capsys):
    code, _report, wire = chip_read(pcsc_stack, capsys, "quirk_fid_only")
    assert code == 0
    ef_selects = [c[2] for c, r in wire if c[1] == 0xA4 and c[2] != 0x04 and sw(r) == 0x9000]
    assert ef_selects and set(ef_selects) == {0x00}


@pytest.mark.parametrize("profile", ["quirk_eof_6b00", "quirk_eof_6b00_short"])
def test_chip_refusing_reads_past_the_end(pcsc_stack, capsys, profile):
    code, _report, wire = chip_read(pcsc_stack, capsys, profile)
    assert code == 0
    assert sum(sw(r) == 0x6B00 for _c, r in wire) <= 1  # learned at the first file


def test_large_dg2_is_read_with_the_odd_ins(pcsc_stack, capsys):
    for profile in ("quirk_large_dg2", "quirk_large_dg2_short"):
        code, report, wire = chip_read(pcsc_stack, capsys, profile)
        assert code == 0
        assert report["photo"]["bytes"] > 32767
        assert any(c[1] == 0xB1 for c, _r in wire)


def test_slow_chip_gets_the_time_it_needs(pcsc_stack, capsys):
    code, report, _wire = chip_read(pcsc_stack, capsys, "quirk_slow_pace")
    assert code == 0
    assert report["total_ms"] > 4 * 1500  # four PACE steps and CA at 1.5 s each


@pytest.mark.parametrize("profile", ["quirk_field_drop_pace", "quirk_field_drop_bac"])
def test_field_drop_after_access_control_reads_again(pcsc_stack, capsys, profile):
    code, report, wire = chip_read(pcsc_stack, capsys, profile)
    assert code == 0, report
    # Access control ran twice (the session keys died with the field), the same protocol
    # both times: PACE again after PACE (never BAC), BAC again after BAC.
    pace_runs = sum(c[1:4] == b"\x22\xc1\xa4" for c, _r in wire)
    bac_runs = sum(c[1] == 0x82 for c, _r in wire)
    assert report["access"]["protocol"] == EXPECTED_ACCESS[profile]
    assert (pace_runs, bac_runs) == ((2, 0) if EXPECTED_ACCESS[profile] == "PACE" else (0, 2))
