"""Reader and transport quirks in process (no pcscd): the emulator's Quirks behave as the
standards and deployed chips do, and kiosk.emrtd.reader reads every quirk profile."""

from __future__ import annotations

from datetime import UTC, datetime

import pytest

from kiosk.devices.card import atr_extended_length
from kiosk.emrtd import trust
from kiosk.emrtd.apdu import CommandApdu, follow_t0
from kiosk.emrtd.errors import ChipProtocolError
from kiosk.emrtd.reader import EMRTD_AID, AccessPin, read_document
from kiosk.emulator.chip import Application, Chip, Quirks
from kiosk.emulator.profile import ChipProfile
from kiosk.emulator.profiles import READER_QUIRKS, get_profile
from kiosk.emulator.security import build_chip
from kiosk.mrz import parse_mrz

NOW = datetime(2026, 11, 28, 12, 0, tzinfo=UTC)
CARD_ACCESS = bytes(range(20))


def chip(**quirks: object) -> Chip:
    made = Chip(
        atr=b"\x3b\x00",
        mf_files={0x011C: CARD_ACCESS},
        applications=[Application(EMRTD_AID, {0x0101: bytes(300)}, protected=False)],
        quirks=Quirks(**quirks),  # type: ignore[arg-type]
    )
    made.power_on()
    return made


def test_t0_case_2_with_too_large_le_answers_6cxx():
    card = chip(t0=True)
    assert card.transmit(bytes.fromhex("00B09C00DF")) == b"\x6c\x14"
    assert card.transmit(bytes.fromhex("00B09C0014")) == CARD_ACCESS + b"\x90\x00"


def test_t0_case_4_answers_61xx_and_get_response_serves_it_in_pieces():
    card = chip(t0=True, select_fci=True)
    select = CommandApdu(0, 0xA4, 0x04, 0x00, EMRTD_AID, 256).encode()
    announced = card.transmit(select)
    assert announced[0] == 0x61
    fci = card.transmit(bytes.fromhex("00C00000") + announced[1:])
    assert fci[:2] == b"\x6f\x09" and fci[-2:] == b"\x90\x00"
    assert card.transmit(bytes.fromhex("00C0000010")) == b"\x69\x85"  # nothing pending


def test_follow_t0_joins_get_responses_and_repeats_with_the_given_le():
    card = chip(t0=True)
    sent: list[bytes] = []

    def raw(command: bytes) -> bytes:
        sent.append(command)
        return card.transmit(command)

    assert follow_t0(raw)(bytes.fromhex("00B09C00DF")) == CARD_ACCESS + b"\x90\x00"
    assert sent == [bytes.fromhex("00B09C00DF"), bytes.fromhex("00B09C0014")]


def test_follow_t0_refuses_a_chip_that_never_stops_announcing():
    with pytest.raises(ChipProtocolError):
        follow_t0(lambda _command: b"\x61\x10")(bytes.fromhex("00B0000010"))


@pytest.mark.parametrize(
    ("quirks", "command", "answer"),
    [
        ({"select_fci": True}, "00A4040C07A0000002471001", "6a86"),
        ({"select_fid_only": True}, "00A4020C02011C", "6a86"),
        ({"sfi": False}, "00B09C0005", "6986"),
        ({"eof": "6b00"}, "00B09C0080", "6b00"),
        ({"link_extended": False}, "00B09C00000000", "6700"),
        ({"max_response": 10}, "00B09C0014", "6700"),
    ],
)
def test_refusals(quirks, command, answer):
    assert chip(**quirks).transmit(bytes.fromhex(command)) == bytes.fromhex(answer)


@pytest.mark.parametrize(
    ("eof", "le", "sw"),
    [("iso", "80", "6282"), ("iso", "00", "9000"), ("6282", "00", "6282"), ("9000", "80", "9000")],
)
def test_end_of_file_answers(eof, le, sw):
    answer = chip(eof=eof).transmit(bytes.fromhex("00B09C00" + le))
    assert answer == CARD_ACCESS + bytes.fromhex(sw)


def test_max_read_gives_short_data_with_9000():
    answer = chip(max_read=8).transmit(bytes.fromhex("00B09C0014"))
    assert answer == CARD_ACCESS[:8] + b"\x90\x00"


def test_quirks_survive_the_directory_form(tmp_path):
    profile = get_profile("quirk_select_fci_t0_bac").with_changes(
        slow_ins={0x86: 0.5}, drop_after_access=True
    )
    again = ChipProfile.load(profile.save(tmp_path / "p"))
    assert again.quirks == profile.quirks == Quirks(t0=True, select_fci=True)
    assert again.slow_ins == {0x86: 0.5} and again.drop_after_access


def read(profile: ChipProfile, pin: AccessPin | None = None):
    card = build_chip(profile)
    card.power_on()
    sent: list[bytes] = []

    def raw(command: bytes) -> bytes:
        sent.append(command)
        return card.transmit(command)

    key = parse_mrz(profile.mrz).access_key
    result = read_document(
        follow_t0(raw),
        key,
        extended=bool(atr_extended_length(card.atr)),
        trust_store=trust.TrustStore.load(trust.TEST_ANCHORS_DIR),
        now=NOW,
        pin=pin,
    )
    return result, sent


@pytest.mark.parametrize("name", READER_QUIRKS)
def test_every_quirk_profile_reads_and_verifies_in_process(name):
    result, sent = read(get_profile(name))
    assert result.genuine
    assert result.face is not None
    assert sent


def test_extended_read_stays_within_the_apdu_budget_with_quirks_that_cost_nothing():
    for name in ("quirk_eof_6282", "quirk_large_dg2", "quirk_select_fci"):
        result, _sent = read(get_profile(name))
        assert result.extended_length and result.apdu_count <= 40


def test_a_pinned_pace_decision_refuses_a_chip_that_no_longer_offers_pace():
    pin = AccessPin()
    read(get_profile("nl_passport_2024"), pin)
    assert pin.pace
    with pytest.raises(ChipProtocolError):
        read(get_profile("legacy_bac_passport"), pin)  # no BAC after a PACE attempt
