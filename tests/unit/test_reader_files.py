"""Large reads of LDS files (kiosk.emrtd.reader.read_file) against the emulator's chip file
system, called directly as a transport (no pcscd): extended vs short APDUs, offsets past
32767 with the odd-INS READ BINARY, absent files and hostile length headers."""

from __future__ import annotations

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from kiosk.emrtd import tlv
from kiosk.emrtd.apdu import CommandApdu
from kiosk.emrtd.errors import ChipProtocolError, MalformedData
from kiosk.emrtd.reader import EMRTD_AID, SHORT_CHUNK, _plain, read_file
from kiosk.emulator.chip import Application, Chip


def lds_file(tag: int, size: int) -> bytes:
    body = bytes((i * 7 + 3) & 0xFF for i in range(size))
    return tlv.encode(tag, body)


def make_chip(files: dict[int, bytes], *, extended: bool = True) -> tuple[Chip, list[bytes]]:
    sent: list[bytes] = []
    chip = Chip(
        atr=b"\x3b\x80\x80\x01\x01",
        mf_files={0x011C: tlv.encode(0x31, b"\x30\x00")},
        applications=[Application(EMRTD_AID, files, protected=False)],
        extended_length=extended,
    )
    chip.power_on()
    return chip, sent


def transport(chip: Chip, sent: list[bytes]):
    def send(command: bytes) -> bytes:
        sent.append(command)
        return chip.transmit(command)

    return send


def select_app(chip: Chip) -> None:
    assert chip.transmit(CommandApdu(0, 0xA4, 4, 0x0C, EMRTD_AID).encode()) == b"\x90\x00"


@pytest.mark.parametrize("size", [10, 223, 1000, 25_000])
def test_extended_reads_a_whole_file_in_one_apdu(size):
    content = lds_file(0x75, size)
    chip, sent = make_chip({0x0102: content})
    select_app(chip)
    assert read_file(_plain(transport(chip, sent), True), 0x02, extended=True) == content
    assert len(sent) == 1
    assert sent[0][:4] == bytes.fromhex("00B08200")  # READ BINARY by SFI 02


@pytest.mark.parametrize("size", [10, 223, 1000, 25_000])
def test_short_reads_header_then_chunks(size):
    content = lds_file(0x75, size)
    chip, sent = make_chip({0x0102: content}, extended=False)
    select_app(chip)
    assert read_file(_plain(transport(chip, sent), False), 0x02, extended=False) == content
    body_left = max(0, len(content) - 5)
    assert len(sent) == 1 + -(-body_left // SHORT_CHUNK)
    assert all(len(command) == 5 for command in sent)  # every one a short case-2 APDU


def test_offsets_past_32767_use_the_odd_ins():
    content = lds_file(0x75, 40_000)
    chip, sent = make_chip({0x0102: content}, extended=False)
    select_app(chip)
    assert read_file(_plain(transport(chip, sent), False), 0x02, extended=False) == content
    assert any(command[1] == 0xB1 for command in sent)
    assert all(command[1] == 0xB0 for command in sent if command[1] != 0xB1)


def test_absent_file_is_none():
    chip, sent = make_chip({0x0101: lds_file(0x61, 20)})
    select_app(chip)
    assert read_file(_plain(transport(chip, sent), True), 0x0F, extended=True) is None


def test_card_access_in_the_master_file_reads_in_plain():
    chip, sent = make_chip({})
    data = read_file(_plain(transport(chip, sent), True), 0x1C, extended=True)
    assert data == tlv.encode(0x31, b"\x30\x00")


def test_header_claiming_a_huge_file_is_rejected():
    hostile = b"\x75\x84\x7f\xff\xff\xff" + b"\x00" * 20
    chip, sent = make_chip({0x0102: hostile})
    select_app(chip)
    with pytest.raises(MalformedData):
        read_file(_plain(transport(chip, sent), True), 0x02, extended=True)


def test_file_shorter_than_its_header_says_is_rejected():
    truncated = b"\x75\x82\x01\x00" + b"\x00" * 20  # claims 256 bytes, has 20
    chip, sent = make_chip({0x0102: truncated}, extended=False)
    select_app(chip)
    with pytest.raises(ChipProtocolError):
        read_file(_plain(transport(chip, sent), False), 0x02, extended=False)


@settings(max_examples=200, deadline=None)
@given(st.binary(min_size=1, max_size=600), st.booleans())
def test_hostile_file_contents_give_typed_errors_or_bytes(content, extended):
    chip, sent = make_chip({0x0102: content}, extended=extended)
    select_app(chip)
    try:
        data = read_file(_plain(transport(chip, sent), extended), 0x02, extended=extended)
    except ChipProtocolError:
        return
    assert data is not None and content.startswith(data)
