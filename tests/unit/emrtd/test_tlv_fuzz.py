"""Hostile input: TLV, SecurityInfos, DG15, APDU and secure-messaging decoding may only
raise our typed errors, quickly, whatever the chip sends (hypothesis)."""

from __future__ import annotations

import contextlib
import time

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from kiosk.emrtd import aa, ca, ec, pace, securityinfos, tlv
from kiosk.emrtd.apdu import CommandApdu, ResponseApdu
from kiosk.emrtd.crypto import CipherAlg
from kiosk.emrtd.errors import (
    ChipProtocolError,
    MalformedData,
    SecureMessagingError,
    UnsupportedProtocol,
    WrongAccessKey,
)
from kiosk.emrtd.sm import Role, SecureMessaging

FUZZ = settings(max_examples=300, deadline=None, suppress_health_check=[HealthCheck.too_slow])

DG14 = securityinfos.encode_security_infos(
    securityinfos.encode_pace_info("0.4.0.127.0.7.2.2.4.2.4", 14),
    securityinfos.encode_ca_info("0.4.0.127.0.7.2.2.3.2.4", 1),
    securityinfos.encode_ca_public_key_info(
        ec.BRAINPOOL_P320R1,
        ec.BRAINPOOL_P320R1.encode_point(ec.BRAINPOOL_P320R1.mul_base(99)),
        1,
        explicit=True,
    ),
    securityinfos.encode_aa_info("0.4.0.127.0.7.1.1.4.1.3"),
    dg14=True,
)


def test_tlv_round_trip_and_lengths():
    for length in (0, 1, 127, 128, 255, 256, 65535, 65536):
        encoded = tlv.encode(0x5F1F, b"\xab" * length)
        item = tlv.parse_single(encoded, 0x5F1F)
        assert item.value == b"\xab" * length
        assert tlv.header_length(encoded[:8]) == len(encoded)
    assert tlv.encode_length(0x80) == b"\x81\x80"
    assert tlv.encode_length(0x100) == b"\x82\x01\x00"
    assert tlv.parse_single(bytes.fromhex("7F4903860101")).children()[0].tag == 0x86


def test_two_gigabyte_length_is_rejected_at_once():
    hostile = b"\x04\x84\x7f\xff\xff\xff" + b"\x00" * 16
    start = time.perf_counter()
    for parse in (tlv.parse_all, tlv.parse_prefix, securityinfos.parse_security_infos):
        with pytest.raises(MalformedData):
            parse(hostile)
    with pytest.raises(MalformedData):
        tlv.parse_all(b"\x30\x85\x01\x00\x00\x00\x00")  # 5-byte length field
    assert time.perf_counter() - start < 0.05


def test_oid_codec():
    for oid in ("0.4.0.127.0.7.2.2.4.2.4", "1.2.840.10045.2.1", "2.23.136.1.1.5", "1.3.132.0.35"):
        assert tlv.decode_oid(tlv.encode_oid(oid)) == oid
    for bad in (b"", b"\x80\x01", b"\x2a\x86"):
        with pytest.raises(MalformedData):
            tlv.decode_oid(bad)


@FUZZ
@given(st.binary(max_size=600))
def test_tlv_random_bytes(data):
    try:
        items = tlv.parse_all(data)
    except MalformedData:
        return
    assert b"".join(item.encode() for item in items) == data or items  # non-minimal lengths


@FUZZ
@given(st.binary(max_size=600))
def test_security_infos_random_bytes(data):
    with contextlib.suppress(MalformedData):
        securityinfos.parse_security_infos(data)


@st.composite
def mutated(draw, original: bytes):
    data = bytearray(original)
    for _ in range(draw(st.integers(1, 6))):
        kind = draw(st.sampled_from(["flip", "cut", "insert", "set"]))
        pos = draw(st.integers(0, max(0, len(data) - 1)))
        if kind == "flip" and data:
            data[pos] ^= 1 << draw(st.integers(0, 7))
        elif kind == "cut":
            del data[pos : pos + draw(st.integers(1, 20))]
        elif kind == "insert":
            data[pos:pos] = draw(st.binary(min_size=1, max_size=8))
        elif data:
            data[pos] = draw(st.sampled_from([0x00, 0x7F, 0x80, 0x81, 0x82, 0x84, 0xFF]))
    return bytes(data)


@FUZZ
@given(mutated(DG14))
def test_security_infos_mutated_dg14(data):
    try:
        infos = securityinfos.parse_security_infos(data)
    except MalformedData:
        return
    with contextlib.suppress(MalformedData, UnsupportedProtocol):
        ca.select(data)
    for key in infos.chip_authentication_public_keys:
        with contextlib.suppress(MalformedData):
            key.point()


def test_valid_dg14_parses_completely():
    infos = securityinfos.parse_security_infos(DG14)
    assert [p.parameter_id for p in infos.pace] == [14]
    assert infos.chip_authentication[0].key_id == 1
    key = infos.chip_authentication_public_keys[0]
    assert key.domain is ec.BRAINPOOL_P320R1 and key.point() == ec.BRAINPOOL_P320R1.mul_base(99)
    assert infos.active_authentication[0].signature_algorithm == "0.4.0.127.0.7.1.1.4.1.3"


@FUZZ
@given(st.binary(max_size=400))
def test_dg15_random_bytes(data):
    with contextlib.suppress(MalformedData, UnsupportedProtocol):
        aa.parse_dg15(data)


@FUZZ
@given(st.binary(max_size=300))
def test_command_apdu_decode_random_bytes(data):
    with contextlib.suppress(MalformedData):
        CommandApdu.decode(data)


@FUZZ
@given(
    st.integers(0, 255),
    st.binary(max_size=400),
    st.one_of(st.none(), st.integers(1, 65536)),
    st.booleans(),
)
def test_command_apdu_round_trip(ins, data, le, extended):
    cmd = CommandApdu(0x00, ins, 0x12, 0x34, data, le)
    if cmd.needs_extended() and not extended:
        with pytest.raises(ValueError):
            cmd.encode(extended)
        return
    assert CommandApdu.decode(cmd.encode(extended)) == cmd


KEYS = (bytes(range(16)), bytes(range(16, 32)))


def _protected_response() -> bytes:
    chip = SecureMessaging(CipherAlg.AES128, *KEYS, 0, Role.CHIP)
    chip.ssc = 1
    return chip.protect_response(ResponseApdu(b"hello", 0x9000))


@FUZZ
@given(st.one_of(st.binary(max_size=300), mutated(_protected_response())))
def test_sm_response_decoding(data):
    for cipher in (CipherAlg.DES3, CipherAlg.AES128):
        sm = SecureMessaging(cipher, *KEYS, 0, Role.TERMINAL)
        sm.ssc = 1
        try:
            response = sm.unprotect_response(data)
        except ChipProtocolError:  # SecureMessagingError, MalformedData
            continue
        # only plain error status words get through without a MAC; anything else must be
        # the authentic content (the outer SW may be damaged: the MACed DO'99' counts)
        if response.data or response.sw == 0x9000:
            assert cipher is CipherAlg.AES128
            assert (response.data, response.sw) == (b"hello", 0x9000)


def test_sm_genuine_response_still_verifies():
    sm = SecureMessaging(CipherAlg.AES128, *KEYS, 0, Role.TERMINAL)
    sm.ssc = 1
    assert sm.unprotect_response(_protected_response()).data == b"hello"


@FUZZ
@given(st.binary(max_size=300))
def test_sm_command_decoding_on_the_chip(data):
    sm = SecureMessaging(CipherAlg.AES256, bytes(32), bytes(32), 0, Role.CHIP)
    with contextlib.suppress(SecureMessagingError, MalformedData):
        sm.unprotect_command(data)


@FUZZ
@given(st.lists(st.binary(max_size=150), min_size=6, max_size=6))
def test_pace_terminal_against_a_hostile_chip(answers):
    replies = iter([b"\x90\x00", *answers])

    def transport(_command: bytes) -> bytes:
        return next(replies, b"\x6f\x00")

    params = pace.PaceParams.from_oid("0.4.0.127.0.7.2.2.4.2.2", 13)
    with pytest.raises((ChipProtocolError, UnsupportedProtocol, WrongAccessKey)):
        pace.perform_pace(transport, params, pace.mrz_password("L898902C<369080619406236"))
