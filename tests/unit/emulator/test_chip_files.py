"""The emulated chip's file system commands, driven through its transport function."""

from __future__ import annotations

import pytest
from hypothesis import given
from hypothesis import strategies as st

from kiosk.emulator.chip import (
    EMRTD_AID,
    ApduFormatError,
    Application,
    Chip,
    encode_command,
    parse_command,
)

CONTENT = bytes(range(256)) * 160  # 40 960 bytes: needs offsets above 32767


def make_chip(protected: bool = False) -> Chip:
    return Chip(
        atr=b"\x3b\x80\x80\x01\x01",
        mf_files={0x011C: b"\x31\x02\x30\x00"},
        applications=[
            Application(EMRTD_AID, {0x011E: b"\x60\x01\x00", 0x0102: CONTENT}, protected)
        ],
    )


def tx(chip: Chip, hexstr: str) -> bytes:
    return chip.transmit(bytes.fromhex(hexstr.replace(" ", "")))


def test_card_access_is_readable_from_the_master_file_by_sfi() -> None:
    chip = make_chip(protected=True)
    assert tx(chip, "00 B0 9C 00 00") == b"\x31\x02\x30\x00\x90\x00"


def test_select_application_and_read_by_fid_and_sfi() -> None:
    chip = make_chip()
    assert tx(chip, "00 A4 04 0C 07 A0000002471001") == b"\x90\x00"
    assert tx(chip, "00 B0 9E 00 00") == b"\x60\x01\x00\x90\x00"
    assert tx(chip, "00 A4 02 0C 02 0102") == b"\x90\x00"
    assert tx(chip, "00 B0 00 10 04") == CONTENT[16:20] + b"\x90\x00"


def test_unknown_application_and_file() -> None:
    chip = make_chip()
    assert tx(chip, "00 A4 04 0C 07 A0000002480200") == b"\x6a\x82"
    tx(chip, "00 A4 04 0C 07 A0000002471001")
    assert tx(chip, "00 A4 02 0C 02 0105") == b"\x6a\x82"


def test_protected_files_need_access_control() -> None:
    chip = make_chip(protected=True)
    tx(chip, "00 A4 04 0C 07 A0000002471001")
    assert tx(chip, "00 A4 02 0C 02 011E") == b"\x69\x82"
    assert tx(chip, "00 B0 9E 00 00") == b"\x69\x82"


def test_extended_read_returns_a_whole_large_file() -> None:
    chip = make_chip()
    tx(chip, "00 A4 04 0C 07 A0000002471001")
    tx(chip, "00 A4 02 0C 02 0102")
    response = tx(chip, "00 B0 0000 000000")
    assert response[:-2] == CONTENT and response[-2:] == b"\x90\x00"


def test_explicit_le_beyond_the_end_warns_end_of_file() -> None:
    chip = make_chip()
    tx(chip, "00 A4 04 0C 07 A0000002471001")
    assert tx(chip, "00 B0 9E 01 10") == b"\x01\x00\x62\x82"


def test_odd_ins_read_binary_reaches_offsets_above_32767() -> None:
    chip = make_chip()
    tx(chip, "00 A4 04 0C 07 A0000002471001")
    offset = 40000
    apdu = encode_command((0x00, 0xB1, 0x01, 0x02), b"\x54\x02" + offset.to_bytes(2, "big"), 0x40)
    response = chip.transmit(apdu)
    assert response[-2:] == b"\x90\x00"
    assert response[:2] == b"\x53\x3c"
    assert response[2:-2] == CONTENT[offset : offset + 0x3C]


def test_apdu_codec_round_trips_every_case() -> None:
    for apdu in (
        encode_command((0, 0x84, 0, 0), le=8),
        encode_command((0, 0xA4, 4, 0x0C), EMRTD_AID),
        encode_command((0, 0x82, 0, 0), bytes(40), 40),
        encode_command((0, 0xB0, 0, 0), le=65536),
        encode_command((0, 0xD6, 0, 0), bytes(300)),
        encode_command((0, 0x2A, 0, 0), bytes(300), 1000),
    ):
        assert parse_command(apdu).encode() == apdu


@given(st.binary(max_size=300))
def test_hostile_apdus_only_get_status_words(apdu: bytes) -> None:
    chip = make_chip(protected=True)
    response = chip.transmit(apdu)
    assert len(response) >= 2


def test_malformed_apdus_are_rejected() -> None:
    for bad in (b"", b"\x00\xa4", bytes.fromhex("00A4040C05A000"), bytes.fromhex("00B000000000")):
        with pytest.raises(ApduFormatError):
            parse_command(bad)


def test_chip_without_extended_length_rejects_extended_apdus() -> None:
    chip = Chip(
        atr=b"\x3b\x80\x80\x01\x01",
        mf_files={0x011C: b"\x31\x02\x30\x00"},
        applications=[],
        extended_length=False,
    )
    # The reader adapter's probe: extended READ BINARY of EF.CardAccess by SFI.
    assert tx(chip, "00 B0 9C 00 00 00 00") == b"\x67\x00"
    assert tx(chip, "00 B0 9C 00 00") == b"\x31\x02\x30\x00\x90\x00"
    assert make_chip().transmit(bytes.fromhex("00B09C00000000")) == b"\x31\x02\x30\x00\x90\x00"
