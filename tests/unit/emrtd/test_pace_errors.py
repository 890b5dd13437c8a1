"""PACE terminal against misbehaving chips: every deviation is a typed error."""

from __future__ import annotations

import pytest

from kiosk.emrtd import pace, tlv
from kiosk.emrtd.apdu import CommandApdu
from kiosk.emrtd.errors import ChipProtocolError, MalformedData, UnsupportedProtocol

MRZ_INFO = "L898902C<369080619406236"
PARAMS = pace.PaceParams.from_oid("0.4.0.127.0.7.2.2.4.2.4", 13)


def run(mutate, params=PARAMS):
    chip = pace.ChipPace({1: pace.mrz_password(MRZ_INFO).key}, [params])

    def transport(raw: bytes) -> bytes:
        cmd = CommandApdu.decode(raw)
        return mutate(cmd, chip.handle(cmd).encode())

    return pace.perform_pace(transport, params, pace.mrz_password(MRZ_INFO))


def test_genuine():
    assert run(lambda cmd, answer: answer).sm.ssc == 0


def step(cmd: CommandApdu) -> int:
    if cmd.ins != 0x86:
        return 0
    dad = tlv.parse_single(cmd.data, 0x7C).children()
    return {None: 1, 0x81: 2, 0x83: 3, 0x85: 4}[dad[0].tag if dad else None]


def test_wrong_chip_token_is_a_protocol_error():
    def bad_token(cmd, answer):
        if step(cmd) == 4:
            return answer[:-3] + bytes([answer[-3] ^ 1]) + answer[-2:]
        return answer

    with pytest.raises(ChipProtocolError):
        run(bad_token)


def test_chip_echoing_our_ephemeral_key_is_refused():
    def echo(cmd, answer):
        if step(cmd) == 3:
            ours = tlv.parse_single(cmd.data, 0x7C).child(0x83).value
            return tlv.encode(0x7C, tlv.encode(0x84, ours)) + b"\x90\x00"
        return answer

    with pytest.raises(ChipProtocolError):
        run(echo)


def test_point_off_the_curve_is_malformed():
    def off_curve(cmd, answer):
        if step(cmd) == 2:
            point = bytearray(tlv.parse_single(answer[:-2], 0x7C).child(0x82).value)
            point[-1] ^= 1
            return tlv.encode(0x7C, tlv.encode(0x82, bytes(point))) + b"\x90\x00"
        return answer

    with pytest.raises(MalformedData):
        run(off_curve)


def test_cam_data_where_none_was_negotiated_is_refused():
    def extra(cmd, answer):
        if step(cmd) == 4:
            body = tlv.parse_single(answer[:-2], 0x7C).value + tlv.encode(0x8A, bytes(32))
            return tlv.encode(0x7C, body) + b"\x90\x00"
        return answer

    with pytest.raises(ChipProtocolError):
        run(extra)


@pytest.mark.parametrize("sw", [0x6A80, 0x6A88])
def test_refused_mse_is_unsupported(sw):
    with pytest.raises(UnsupportedProtocol):
        run(lambda cmd, answer: sw.to_bytes(2, "big") if cmd.ins == 0x22 else answer)


def test_pace_params_refuse_what_we_cannot_run():
    for oid, param_id in [
        ("0.4.0.127.0.7.2.2.4.2.4", None),  # explicit domain parameters
        ("0.4.0.127.0.7.2.2.4.2.4", 5),  # IDs 3-7 are reserved (9303-11 9.5.1)
        ("0.4.0.127.0.7.2.2.4.4.4", 10),  # IM on P-224: App. B needs p = 3 mod 4
        ("0.4.0.127.0.7.2.2.4.2.9", 13),  # unknown cipher arc
        ("0.4.0.127.0.7.2.2.4.6.1", 13),  # CAM with 3DES does not exist
        ("0.4.0.127.0.7.2.2.4.1.2", 13),  # DH OID with an EC curve
        ("1.2.3.4", 13),
    ]:
        with pytest.raises(UnsupportedProtocol):
            pace.PaceParams.from_oid(oid, param_id)
