"""Full reads of every genuine profile through the chip's transport with the protocol
layer's terminal side: PACE or BAC/BAP, file reads under SM, PA, CA and AA, and the clones."""

from __future__ import annotations

import datetime as dt

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from kiosk.emrtd import aa, access, ca, lds
from kiosk.emrtd.apdu import CommandApdu, ResponseApdu
from kiosk.emrtd.errors import CloneDetected, WrongAccessKey
from kiosk.emrtd.pa import passive_authentication
from kiosk.emrtd.trust import TEST_ANCHORS_DIR, TrustStore
from kiosk.emulator.profile import ChipProfile
from kiosk.emulator.profiles import get_profile
from kiosk.emulator.security import build_chip
from kiosk.model import PassiveAuth
from kiosk.mrz.parser import parse_mrz

NOW = dt.datetime(2026, 11, 28, tzinfo=dt.UTC)


class Counter:
    def __init__(self, profile: ChipProfile) -> None:
        self.chip = build_chip(profile)
        self.count = 0

    def __call__(self, apdu: bytes) -> bytes:
        self.count += 1
        return self.chip.transmit(apdu)


def open_channel(profile: ChipProfile, transport: Counter, secret: object) -> access.SecureChannel:
    plain = ResponseApdu.decode(transport(CommandApdu(0, 0xB0, 0x9C, 0, le=65536).encode(True)))
    card_access = plain.data if plain.sw == 0x9000 else None
    if card_access is None:  # BAC/BAP run inside the application
        ResponseApdu.decode(transport(CommandApdu(0, 0xA4, 4, 0x0C, profile.aid).encode())).check()
    channel = access.establish(transport, secret, card_access, extended=profile.extended_length)
    if card_access is not None:  # PACE ran on the MF: select through the channel
        channel.transmit(CommandApdu(0, 0xA4, 4, 0x0C, profile.aid)).check()
    return channel


def read(channel: access.SecureChannel, fid: int) -> bytes:
    channel.transmit(CommandApdu(0, 0xA4, 2, 0x0C, fid.to_bytes(2, "big"))).check()
    data = b""
    le = 65536 if channel.extended else 0xDF
    while True:
        answer = channel.transmit(CommandApdu(0, 0xB0, len(data) >> 8, len(data) & 0xFF, le=le))
        data += answer.data
        if answer.sw != 0x9000 or len(answer.data) < (0xFF00 if channel.extended else 0xDF):
            return data


def full_read(name: str, secret: object | None = None) -> tuple[dict[str, object], Counter]:
    profile = get_profile(name)
    transport = Counter(profile)
    key = secret or parse_mrz(profile.mrz, correct=False).access_key
    channel = open_channel(profile, transport, key)
    com = lds.parse_com(read(channel, lds.FID_COM))
    files = {n: read(channel, lds.dg_fid(n)) for n in com.data_groups}
    sod = read(channel, lds.FID_SOD)
    pa = passive_authentication(sod, files, TrustStore.load(TEST_ANCHORS_DIR), now=NOW)
    out: dict[str, object] = {"protocol": channel.protocol, "pa": pa.verdict, "files": files}
    if 14 in files and channel.protocol != "BAP":
        try:
            ca.perform_ca(channel, files[14])
            out["ca"] = "valid"
        except CloneDetected:
            out["ca"] = "clone"
    if 15 in files and out.get("ca") != "clone":  # after a failed CA the session is dead
        try:
            aa.perform_aa(channel, files[15], dg14=files.get(14))
            out["aa"] = "valid"
        except CloneDetected:
            out["aa"] = "clone"
    return out, transport


@pytest.mark.parametrize(
    ("name", "protocol", "ca_result", "aa_result"),
    [
        ("nl_passport_2024", "PACE", "valid", "valid"),
        ("nl_id_card_2019", "PACE", "valid", "valid"),
        ("legacy_bac_passport", "BAC", None, "valid"),
        ("nl_driving_licence", "BAP", None, None),
        ("clone_ca", "PACE", "clone", None),
        ("clone_aa", "BAC", None, "clone"),
    ],
)
def test_full_read(name: str, protocol: str, ca_result: str | None, aa_result: str | None) -> None:
    result, transport = full_read(name)
    assert result["protocol"] == protocol
    assert result["pa"] is PassiveAuth.VALID
    assert result.get("ca") == ca_result
    assert result.get("aa") == aa_result
    if name == "nl_passport_2024":
        # Target from the issue: a full read in 40 APDUs or fewer (extended length).
        assert transport.count <= 40


def test_pace_with_the_can() -> None:
    result, _ = full_read("nl_passport_2024", access.CanSecret("482915"))
    assert result["protocol"] == "PACE" and result["pa"] is PassiveAuth.VALID


def test_pace_with_a_wrong_can_is_refused() -> None:
    profile = get_profile("nl_passport_2024")
    with pytest.raises(WrongAccessKey):
        open_channel(profile, Counter(profile), access.CanSecret("000000"))


def test_data_groups_stay_closed_without_access_control() -> None:
    profile = get_profile("nl_passport_2024")
    transport = Counter(profile)
    transport(CommandApdu(0, 0xA4, 4, 0x0C, profile.aid).encode())
    answer = ResponseApdu.decode(transport(CommandApdu(0, 0xB0, 0x81, 0, le=16).encode()))
    assert answer.sw == 0x6982
    # AA and CA need access control first.
    answer = ResponseApdu.decode(transport(CommandApdu(0, 0x88, 0, 0, bytes(8), 256).encode()))
    assert answer.sw == 0x6982


@settings(max_examples=60, deadline=None)
@given(
    ins=st.sampled_from([0x22, 0x86, 0x88, 0x82, 0x84, 0xA4, 0xB0, 0xB1]),
    p1p2=st.sampled_from([(0xC1, 0xA4), (0x41, 0xA4), (0x41, 0xA6), (0, 0), (0x9E, 0)]),
    data=st.binary(max_size=120),
)
def test_hostile_security_commands_only_get_status_words(
    ins: int, p1p2: tuple[int, int], data: bytes
) -> None:
    profile = get_profile("nl_id_card_2019")
    chip = build_chip(profile)
    # Half the time behind BAC, so the commands go through secure messaging too.
    transport = Counter(profile)
    transport.chip = chip
    if data[:1] == b"\x00":
        channel = open_channel(profile, transport, parse_mrz(profile.mrz).access_key)
        answer = channel.transmit(CommandApdu(0, ins, *p1p2, data[1:], 256))
        assert 0x6000 <= answer.sw <= 0x9FFF
    else:
        response = chip.transmit(CommandApdu(0, ins, *p1p2, data, 256).encode())
        assert len(response) >= 2
