"""A full BAC (and BAP) read of emulated documents through the chip's transport function."""

from __future__ import annotations

import datetime as dt

import pytest

from kiosk.emrtd import lds
from kiosk.emrtd.apdu import CommandApdu
from kiosk.emrtd.errors import WrongAccessKey
from kiosk.emrtd.pa import passive_authentication
from kiosk.emrtd.trust import TEST_ANCHORS_DIR, TrustStore
from kiosk.emulator.chip import EDL_AID, EMRTD_AID
from kiosk.emulator.profiles import get_profile
from kiosk.emulator.security import build_chip
from kiosk.model import PassiveAuth
from kiosk.mrz.build import format_td1
from tests.unit.emulator.helpers import Terminal

NOW = dt.datetime(2026, 11, 28, tzinfo=dt.UTC)


@pytest.mark.parametrize("extended", [True, False])
def test_bac_read_of_the_id_card_gives_the_files_and_a_valid_pa(extended: bool) -> None:
    profile = get_profile("nl_id_card_2019")
    terminal = Terminal(build_chip(profile).transmit, extended=extended)
    assert terminal.select_application(EMRTD_AID).sw == 0x9000
    # Before access control the data groups are closed.
    assert terminal.plain(CommandApdu(0, 0xA4, 0x02, 0x0C, b"\x01\x01")).sw == 0x6982
    terminal.bac(profile.mrz)
    com = lds.parse_com(terminal.read_file(lds.FID_COM))
    files = {n: terminal.read_file(lds.dg_fid(n)) for n in com.data_groups}
    sod = terminal.read_file(lds.FID_SOD)
    assert files[2] == profile.files[0x0102] and len(files[2]) > 15000
    mrz = lds.parse_dg1(files[1])
    assert mrz.surname == "VAN DER MEER" and mrz.valid
    result = passive_authentication(
        sod, files, TrustStore.load(TEST_ANCHORS_DIR), now=NOW, issuing_state=mrz.issuing_country
    )
    assert result.verdict is PassiveAuth.VALID
    # Extended length reads each file in one APDU: select + read per file.
    if extended:
        assert terminal.count <= 2 + 2 + 2 * (len(files) + 2)


def test_wrong_mrz_is_refused_and_opens_nothing() -> None:
    profile = get_profile("nl_id_card_2019")
    terminal = Terminal(build_chip(profile).transmit)
    terminal.select_application(EMRTD_AID)
    wrong = format_td1(
        surname="X",
        given_names="Y",
        document_number="IB2H8D3F8",
        birth_date=dt.date(1971, 11, 2),
        sex="M",
        expiry_date=dt.date(2029, 6, 30),
    )
    with pytest.raises(WrongAccessKey):
        terminal.bac(wrong)
    assert terminal.plain(CommandApdu(0, 0xB0, 0x81, 0, le=4)).sw == 0x6982


def test_pace_only_passport_refuses_bac() -> None:
    profile = get_profile("nl_passport_2024")
    terminal = Terminal(build_chip(profile).transmit)
    terminal.select_application(EMRTD_AID)
    # A challenge is given (AA terminals ask for one), but BAC itself is refused.
    assert terminal.plain(CommandApdu(0, 0x84, 0, 0, le=8)).sw == 0x9000
    assert terminal.plain(CommandApdu(0, 0x82, 0, 0, bytes(40), 40)).sw == 0x6982
    with pytest.raises(WrongAccessKey):
        terminal.bac(profile.mrz)
    # EF.CardAccess is public and offers PACE.
    card_access = terminal.plain(CommandApdu(0, 0xB0, 0x9C, 0, le=65536))
    assert card_access.sw == 0x9000 and card_access.data == profile.mf_files[0x011C]


def test_plain_command_during_secure_messaging_closes_the_session() -> None:
    profile = get_profile("legacy_bac_passport")
    terminal = Terminal(build_chip(profile).transmit, extended=False)
    terminal.select_application(EMRTD_AID)
    terminal.bac(profile.mrz)
    assert terminal.read_file(0x0101) == profile.files[0x0101]
    assert terminal.plain(CommandApdu(0, 0xA4, 0x02, 0x0C, b"\x01\x01")).sw == 0x6982


def test_tampered_mac_is_rejected_with_6988() -> None:
    profile = get_profile("legacy_bac_passport")
    terminal = Terminal(build_chip(profile).transmit, extended=False)
    terminal.select_application(EMRTD_AID)
    terminal.bac(profile.mrz)
    assert terminal.sm is not None
    wire = bytearray(
        terminal.sm.protect_command(CommandApdu(0, 0xA4, 2, 0x0C, b"\x01\x01"), extended=False)
    )
    wire[-2] ^= 1  # inside DO'8E'
    assert terminal.raw(bytes(wire))[-2:] == b"\x69\x88"


def test_driving_licence_opens_with_bap() -> None:
    profile = get_profile("nl_driving_licence")
    terminal = Terminal(build_chip(profile).transmit)
    assert terminal.select_application(EMRTD_AID).sw == 0x6A82
    assert terminal.select_application(EDL_AID).sw == 0x9000
    terminal.bac(profile.mrz)
    dg1 = lds.parse_edl_dg1(terminal.read_file(0x0101))
    assert dg1.issuing_authority == "RDW" and dg1.expiry_date == dt.date(2032, 9, 1)
    face = lds.parse_dg2(terminal.read_file(0x0106))
    assert lds.decode_face(face.image) is not None
