"""BAC terminal against misbehaving chips, and chip-side refusals."""

from __future__ import annotations

import pytest

from kiosk.emrtd import bac, crypto
from kiosk.emrtd.apdu import CommandApdu
from kiosk.emrtd.crypto import CipherAlg
from kiosk.emrtd.errors import ChipProtocolError, StatusWordError, WrongAccessKey

MRZ_INFO = "L898902C<369080619406236"
K_ENC, K_MAC = bac.derive_keys(bac.key_seed(MRZ_INFO))


class Tamper:
    """Wraps a ChipBac and lets a test damage its answers."""

    def __init__(self, mutate) -> None:
        self.chip = bac.ChipBac(K_ENC, K_MAC)
        self.mutate = mutate

    def __call__(self, raw: bytes) -> bytes:
        cmd = CommandApdu.decode(raw)
        return self.mutate(cmd, self.chip.handle(cmd).encode())


def test_genuine_chip():
    sm = bac.perform_bac(Tamper(lambda cmd, answer: answer), K_ENC, K_MAC)
    assert sm.cipher is CipherAlg.DES3


def test_response_with_a_bad_mac_is_a_protocol_error():
    def flip_mac(cmd, answer):
        if cmd.ins == 0x82:
            return answer[:39] + bytes([answer[39] ^ 1]) + answer[40:]
        return answer

    with pytest.raises(ChipProtocolError):
        bac.perform_bac(Tamper(flip_mac), K_ENC, K_MAC)


def test_chip_that_does_not_echo_our_nonce_is_refused():
    def other_nonce(cmd, answer):
        if cmd.ins != 0x82:
            return answer
        r = crypto.decrypt(CipherAlg.DES3, K_ENC, answer[:32])
        forged = r[:8] + bytes(8) + r[16:]  # RND.IFD replaced
        e_ic = crypto.encrypt(CipherAlg.DES3, K_ENC, forged)
        return e_ic + crypto.retail_mac(K_MAC, crypto.pad(e_ic, 8)) + answer[-2:]

    with pytest.raises(ChipProtocolError):
        bac.perform_bac(Tamper(other_nonce), K_ENC, K_MAC)


@pytest.mark.parametrize(
    ("sw", "error"), [(0x6300, WrongAccessKey), (0x6982, WrongAccessKey), (0x6A80, StatusWordError)]
)
def test_refusals(sw, error):
    def refuse(cmd, answer):
        return answer if cmd.ins == 0x84 else sw.to_bytes(2, "big")

    with pytest.raises(error):
        bac.perform_bac(Tamper(refuse), K_ENC, K_MAC)


def test_short_challenge_is_a_protocol_error():
    with pytest.raises(ChipProtocolError):
        bac.perform_bac(lambda raw: b"\x01\x02\x90\x00", K_ENC, K_MAC)


def test_chip_challenge_is_single_use():
    chip = bac.ChipBac(K_ENC, K_MAC)
    transcript: list[bytes] = []

    def record(raw: bytes) -> bytes:
        transcript.append(raw)
        return chip.handle(CommandApdu.decode(raw)).encode()

    bac.perform_bac(record, K_ENC, K_MAC)
    # replaying the same EXTERNAL AUTHENTICATE without a fresh challenge fails
    assert chip.handle(CommandApdu.decode(transcript[1])).sw == 0x6982
    chip.handle(CommandApdu(0, 0x84, 0, 0, le=8))  # new challenge: the old cryptogram is stale
    assert chip.handle(CommandApdu.decode(transcript[1])).sw == 0x6300
