"""Secure messaging details beyond the App. D replay: AES, extended length, strictness."""

from __future__ import annotations

import pytest

from kiosk.emrtd import crypto, tlv
from kiosk.emrtd.apdu import CommandApdu, ResponseApdu, exchange
from kiosk.emrtd.crypto import CipherAlg
from kiosk.emrtd.errors import SecureMessagingError, UnsupportedProtocol
from kiosk.emrtd.sm import MAX_SHORT_SM_LE, Role, SecureMessaging, SmCommandError

KEYS = {c: (bytes(range(c.key_size)), bytes(range(1, c.key_size + 1))) for c in CipherAlg}


def pair(cipher: CipherAlg) -> tuple[SecureMessaging, SecureMessaging]:
    enc, mac = KEYS[cipher]
    return (
        SecureMessaging(cipher, enc, mac, 0, Role.TERMINAL),
        SecureMessaging(cipher, enc, mac, 0, Role.CHIP),
    )


@pytest.mark.parametrize("cipher", list(CipherAlg), ids=lambda c: c.label)
@pytest.mark.parametrize("ins", [0xB0, 0xB1, 0xA4])
def test_round_trip_every_cipher_even_and_odd_ins(cipher, ins):
    terminal, chip = pair(cipher)
    for data, le in ((b"", 4), (b"\x01\x1e", None), (bytes(300), 1000), (b"\x54\x02\x80\x00", 0)):
        cmd = CommandApdu(0x00, ins, 0x01, 0x02, data, le)
        raw = terminal.protect_command(cmd, extended=True)
        got = chip.unprotect_command(raw)
        expected_le = {0: 65536 if raw[4] == 0 else 256}.get(le, le) if le is not None else None
        assert (got.cla, got.ins, got.p1, got.p2, got.data, got.le) == (
            0,
            ins,
            1,
            2,
            data,
            expected_le,
        )
        body = bytes(range(256)) * 3
        assert (
            terminal.unprotect_response(chip.protect_response(ResponseApdu(body, 0x9000))).data
            == body
        )
        # odd INS carries data in DO'85' (no padding indicator), even INS in DO'87'
        if data:
            first = tlv.decode_one(tlv.parse_all(CommandApdu.decode(raw).data)[0].encode())[0]
            assert first.tag == (0x85 if ins & 1 else 0x87)


def test_large_le_uses_extended_length_so_the_protected_response_fits():
    terminal, _ = pair(CipherAlg.AES256)
    short = terminal.protect_command(CommandApdu(0, 0xB0, 0, 0, le=MAX_SHORT_SM_LE), extended=True)
    big = terminal.protect_command(
        CommandApdu(0, 0xB0, 0, 0, le=MAX_SHORT_SM_LE + 1), extended=True
    )
    assert short[-1] == 0 and short[4] != 0  # short Lc, Le '00'
    assert big[4] == 0 and big[-2:] == b"\x00\x00"  # extended Lc and Le '0000'
    # the bound: 223 plain bytes under AES give exactly a 256-byte protected response
    _, chip = pair(CipherAlg.AES256)
    chip.ssc = 1
    assert len(chip.protect_response(ResponseApdu(bytes(MAX_SHORT_SM_LE), 0x9000))) - 2 <= 256
    assert len(chip.protect_response(ResponseApdu(bytes(MAX_SHORT_SM_LE + 1), 0x9000))) - 2 > 256


def test_response_without_status_object_is_refused():
    terminal, _ = pair(CipherAlg.AES128)
    terminal.protect_command(CommandApdu(0, 0xB0, 0, 0, le=4), extended=False)
    # Build, straight from ICAO 9303-11, a response the terminal would otherwise accept:
    # DO'87' encrypted under IV = E(KSEnc, SSC) (9.8.7.1) and a valid CMAC-8 over
    # SSC || DO'87', padded (9.8.7.2, 9.8.4), but without DO'99' (the status word).
    ks_enc, ks_mac = KEYS[CipherAlg.AES128]
    ssc = (terminal.ssc + 1).to_bytes(16, "big")  # the response's SSC (9.8.2)
    iv = crypto.aes_ecb_block(ks_enc, ssc)
    encrypted = crypto.encrypt(CipherAlg.AES128, ks_enc, crypto.pad(b"data", 16), iv)
    do87 = tlv.encode(0x87, b"\x01" + encrypted)
    mac = crypto.mac(CipherAlg.AES128, ks_mac, crypto.pad(ssc + do87, 16), padded=True)
    with_sw = do87 + tlv.encode(0x99, b"\x90\x00")
    mac_with_sw = crypto.mac(CipherAlg.AES128, ks_mac, crypto.pad(ssc + with_sw, 16), padded=True)
    # The same construction with DO'99' is accepted, so the refusal below is about DO'99'.
    control, _ = pair(CipherAlg.AES128)
    control.ssc = terminal.ssc
    accepted = control.unprotect_response(with_sw + tlv.encode(0x8E, mac_with_sw) + b"\x90\x00")
    assert accepted == ResponseApdu(b"data", 0x9000)
    with pytest.raises(SecureMessagingError):
        terminal.unprotect_response(do87 + tlv.encode(0x8E, mac) + b"\x90\x00")


def test_plain_error_status_passes_only_when_not_strict():
    terminal, _ = pair(CipherAlg.AES128)
    assert terminal.unprotect_response(b"\x6a\x82") == ResponseApdu(b"", 0x6A82)
    with pytest.raises(SecureMessagingError):
        terminal.unprotect_response(b"\x6a\x82", strict=True)
    with pytest.raises(SecureMessagingError):
        terminal.unprotect_response(b"\x90\x00")


def test_chip_answers_unprotected_or_tampered_commands_with_sm_errors():
    terminal, chip = pair(CipherAlg.DES3)
    with pytest.raises(SmCommandError) as plain:
        chip.unprotect_command(bytes.fromhex("00B0000004"))
    assert plain.value.sw == 0x6987
    raw = bytearray(terminal.protect_command(CommandApdu(0, 0xB0, 0, 0, le=4), extended=False))
    raw[-3] ^= 0x01  # inside the MAC
    with pytest.raises(SmCommandError) as tampered:
        chip.unprotect_command(bytes(raw))
    assert tampered.value.sw == 0x6988


def test_commands_needing_extended_length_on_a_short_only_reader_are_unsupported():
    with pytest.raises(UnsupportedProtocol):
        exchange(lambda raw: b"\x90\x00", CommandApdu(0, 0x86, 0, 0, bytes(300)), extended=False)
    terminal, _ = pair(CipherAlg.AES128)
    with pytest.raises(UnsupportedProtocol):
        terminal.protect_command(CommandApdu(0, 0xD6, 0, 0, bytes(300)), extended=False)
