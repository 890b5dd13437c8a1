"""Terminal PACE/BAC against the chip-side classes, every curve and cipher; fail-closed access."""

from __future__ import annotations

import pytest

from kiosk.emrtd import access, bac, ec, pace, securityinfos
from kiosk.emrtd.apdu import CommandApdu
from kiosk.emrtd.crypto import CipherAlg
from kiosk.emrtd.errors import MalformedData, UnsupportedProtocol, WrongAccessKey

from .minichip import COM, MiniChip


class Key:
    """Stands in for kiosk.mrz.AccessKey: only the methods access.establish uses."""

    def __init__(self, info: str, *, edl: str | None = None) -> None:
        self.info = info
        self.edl = edl

    @property
    def is_edl(self) -> bool:
        return self.edl is not None

    def mrz_information(self) -> str:
        return self.info

    def bap_seed_string(self) -> str:
        assert self.edl is not None
        return self.edl


MRZ_INFO = "L898902C<369080619406236"
WRONG = Key("L898902C<369080619406244")
GM = "0.4.0.127.0.7.2.2.4.2."
DH_GM = "0.4.0.127.0.7.2.2.4.1."
CAM = "0.4.0.127.0.7.2.2.4.6."
CIPHER_ARC = {
    CipherAlg.DES3: "1",
    CipherAlg.AES128: "2",
    CipherAlg.AES192: "3",
    CipherAlg.AES256: "4",
}


def pace_chip(*params: pace.PaceParams, cam_keys=None) -> tuple[MiniChip, bytes]:
    passwords = {1: pace.mrz_password(MRZ_INFO).key, 2: b"123456"}
    chip = MiniChip(pace_chip=pace.ChipPace(passwords, list(params), cam_keys=cam_keys))
    card_access = securityinfos.encode_security_infos(
        *(securityinfos.encode_pace_info(p.oid, p.param_id) for p in params)
    )
    return chip, card_access


def read_com(channel: access.SecureChannel) -> bytes:
    answer = channel.transmit(CommandApdu(0x00, 0xB0, 0x9E, 0x00, le=len(COM)))
    assert answer.ok
    return answer.data


COMBINATIONS = [(curve, cipher) for curve in ec.CURVES for cipher in CipherAlg]


@pytest.mark.parametrize(
    ("curve", "cipher"),
    # every curve once with AES-256 (the Dutch choice), every cipher on P320r1 and P-256
    [(c, CipherAlg.AES256) for c in ec.CURVES]
    + [(ec.BRAINPOOL_P320R1, c) for c in CipherAlg if c is not CipherAlg.AES256]
    + [(ec.NIST_P256, c) for c in CipherAlg if c is not CipherAlg.AES256],
    ids=lambda v: getattr(v, "name", None) or getattr(v, "label", None),
)
def test_pace_generic_mapping_full_handshake(curve, cipher):
    params = pace.PaceParams.from_oid(GM + CIPHER_ARC[cipher], curve.param_id)
    chip, card_access = pace_chip(params)
    channel = access.establish(chip, Key(MRZ_INFO), card_access, extended=False)
    assert (channel.protocol, channel.curve, channel.cipher) == ("PACE", curve.name, cipher.label)
    assert read_com(channel) == COM
    assert read_com(channel) == COM  # SSC keeps in step


@pytest.mark.parametrize("group", [pace.DH_1024_160, pace.DH_2048_256], ids=lambda g: g.name)
def test_pace_dh_generic_mapping(group):
    params = pace.PaceParams.from_oid(DH_GM + "4", group.param_id)
    chip, card_access = pace_chip(params)
    channel = access.establish(chip, Key(MRZ_INFO), card_access, extended=True)
    assert read_com(channel) == COM


@pytest.mark.parametrize(
    "cipher", [CipherAlg.AES128, CipherAlg.AES192, CipherAlg.AES256], ids=lambda c: c.label
)
def test_pace_cam_handshake_and_verification(cipher):
    curve = ec.BRAINPOOL_P256R1
    sk_ic = 0x1234567890ABCDEF1234567890ABCDEF
    params = pace.PaceParams.from_oid(CAM + CIPHER_ARC[cipher], curve.param_id)
    chip, card_access = pace_chip(params, cam_keys={curve.param_id: sk_ic})
    channel = access.establish(chip, Key(MRZ_INFO), card_access, extended=False)
    assert channel.pace_result is not None
    pace.verify_cam(channel.pace_result, curve.mul_base(sk_ic))
    assert read_com(channel) == COM


def test_pace_with_can():
    params = pace.PaceParams.from_oid(GM + "4", 14)
    chip, card_access = pace_chip(params)
    channel = access.establish(chip, access.CanSecret("123456"), card_access, extended=False)
    assert read_com(channel) == COM
    chip, card_access = pace_chip(params)
    with pytest.raises(WrongAccessKey):
        access.establish(chip, access.CanSecret("123457"), card_access, extended=False)


def test_pace_wrong_mrz_is_wrong_access_key_and_never_falls_back_to_bac():
    params = pace.PaceParams.from_oid(GM + "4", 14)
    chip, card_access = pace_chip(params)
    chip.bac = bac.ChipBac.from_mrz(MRZ_INFO)  # the chip would also answer BAC
    with pytest.raises(WrongAccessKey):
        access.establish(chip, WRONG, card_access, extended=False)
    assert not any(raw[1] == 0x82 for raw in chip.log)  # no EXTERNAL AUTHENTICATE sent


def test_unsupported_pace_offer_fails_closed():
    # Integrated mapping on P-224 (ID 10) only, which cannot run (9303-11 App. B needs
    # p = 3 mod 4): we must not try BAC instead
    card_access = securityinfos.encode_security_infos(
        securityinfos.encode_pace_info("0.4.0.127.0.7.2.2.4.4.2", 10)
    )
    chip = MiniChip(bac_chip=bac.ChipBac.from_mrz(MRZ_INFO))
    with pytest.raises(UnsupportedProtocol):
        access.establish(chip, Key(MRZ_INFO), card_access, extended=False)
    assert chip.log == []


def test_malformed_card_access_fails_closed():
    chip = MiniChip(bac_chip=bac.ChipBac.from_mrz(MRZ_INFO))
    with pytest.raises(MalformedData):
        access.establish(chip, Key(MRZ_INFO), b"\x31\x84\x7f\xff\xff\xff", extended=False)
    assert chip.log == []


def test_several_pace_infos_pick_a_supported_one_and_name_the_parameters():
    im = pace.PaceParams(
        "0.4.0.127.0.7.2.2.4.4.2", CipherAlg.AES128, "ECDH", "IM", ec.BRAINPOOL_P256R1, 13
    )
    gm = pace.PaceParams.from_oid(GM + "4", 14)
    chip, card_access = pace_chip(im, gm)
    channel = access.establish(chip, Key(MRZ_INFO), card_access, extended=False)
    assert channel.curve == "brainpoolP320r1"
    mse = chip.log[0]
    assert mse[1] == 0x22 and mse.endswith(bytes.fromhex("84010E"))  # DO'84' parameter ID 14


def test_bac_when_there_is_no_card_access():
    chip = MiniChip(bac_chip=bac.ChipBac.from_mrz(MRZ_INFO))
    channel = access.establish(chip, Key(MRZ_INFO), None, extended=False)
    assert (channel.protocol, channel.cipher, channel.curve) == ("BAC", "3DES", None)
    assert read_com(channel) == COM


def test_bac_when_card_access_has_no_pace_info():
    card_access = securityinfos.encode_security_infos(
        securityinfos.encode_ca_info("0.4.0.127.0.7.2.2.3.2.4")
    )
    chip = MiniChip(bac_chip=bac.ChipBac.from_mrz(MRZ_INFO))
    assert access.establish(chip, Key(MRZ_INFO), card_access, extended=False).protocol == "BAC"


def test_bac_wrong_key():
    chip = MiniChip(bac_chip=bac.ChipBac.from_mrz(MRZ_INFO))
    with pytest.raises(WrongAccessKey):
        access.establish(chip, WRONG, None, extended=False)


def test_can_without_pace_is_unsupported():
    chip = MiniChip(bac_chip=bac.ChipBac.from_mrz(MRZ_INFO))
    with pytest.raises(UnsupportedProtocol):
        access.establish(chip, access.CanSecret("123456"), None, extended=False)


def test_bap_for_an_edl():
    seed_string = "1NLD11234567890ABCDEFGHIJKLMN"[:28]
    k_enc, k_mac = bac.derive_keys(bac.bap_key_seed(seed_string))
    chip = MiniChip(bac_chip=bac.ChipBac(k_enc, k_mac))
    channel = access.establish(chip, Key("", edl=seed_string), None, extended=False)
    assert channel.protocol == "BAP"
    assert read_com(channel) == COM
    chip = MiniChip(bac_chip=bac.ChipBac(k_enc, k_mac))
    with pytest.raises(WrongAccessKey):
        access.establish(chip, Key("", edl=seed_string[:-1] + "X"), None, extended=False)


def test_extended_length_secure_messaging_round_trip():
    params = pace.PaceParams.from_oid(GM + "4", 14)
    big = bytes(range(256)) * 10
    chip, card_access = pace_chip(params)
    chip.files[0x02] = big
    channel = access.establish(chip, Key(MRZ_INFO), card_access, extended=True)
    answer = channel.transmit(CommandApdu(0x00, 0xB0, 0x82, 0x00, le=2000))
    assert answer.data == big[:2000]
    assert chip.log[-1][4] == 0  # extended Lc marker


IM = "0.4.0.127.0.7.2.2.4.4."
DH_IM = "0.4.0.127.0.7.2.2.4.3."


@pytest.mark.parametrize(
    ("curve", "cipher"),
    # every curve where 9303-11 App. B's point encoding exists (p = 3 mod 4: all but P-224,
    # whose IM is refused in test_pace_errors.py)
    [(c, CipherAlg.AES256) for c in ec.CURVES if c.p % 4 == 3]
    + [(ec.BRAINPOOL_P256R1, c) for c in CipherAlg if c is not CipherAlg.AES256],
    ids=lambda v: getattr(v, "name", None) or getattr(v, "label", None),
)
def test_pace_integrated_mapping_full_handshake(curve, cipher):
    params = pace.PaceParams.from_oid(IM + CIPHER_ARC[cipher], curve.param_id)
    chip, card_access = pace_chip(params)
    channel = access.establish(chip, Key(MRZ_INFO), card_access, extended=False)
    assert channel.curve == curve.name
    assert read_com(channel) == COM
    # DO'81' carries the nonce t (key size), DO'82' comes back empty
    mapping = chip.log[2]
    assert mapping[5:7] == b"\x7c" + bytes((2 + pace.im_nonce_sizes(cipher)[1],))
    chip, card_access = pace_chip(params)
    with pytest.raises(WrongAccessKey):
        access.establish(chip, WRONG, card_access, extended=False)


def test_pace_dh_integrated_mapping():
    params = pace.PaceParams.from_oid(DH_IM + "2", 0)
    chip, card_access = pace_chip(params)
    channel = access.establish(chip, Key(MRZ_INFO), card_access, extended=True)
    assert read_com(channel) == COM


def test_real_mrz_access_keys_work_with_establish():
    from kiosk.mrz import AccessKey

    key = AccessKey.from_fields("L898902C", "690806", "940623")
    assert key.mrz_information() == MRZ_INFO  # App. D.2
    chip = MiniChip(bac_chip=bac.ChipBac.from_mrz(MRZ_INFO))
    assert access.establish(chip, key, None, extended=False).protocol == "BAC"
    params = pace.PaceParams.from_oid(GM + "4", 14)
    chip, card_access = pace_chip(params)
    assert access.establish(chip, key, card_access, extended=False).protocol == "PACE"
    edl = AccessKey(
        document_number="1234567890",
        document_number_check="",
        edl_mrz="D1NLD11234567890ABCDEFGHIJKLM2",
    )
    chip = MiniChip(bac_chip=bac.ChipBac(*bac.derive_keys(edl.key_seed())))
    assert access.establish(chip, edl, None, extended=False).protocol == "BAP"


def test_dh_2048_asks_for_extended_responses():
    params = pace.PaceParams.from_oid(DH_GM + "4", 2)
    chip, card_access = pace_chip(params)
    access.establish(chip, Key(MRZ_INFO), card_access, extended=True)
    mapping, agreement = chip.log[2], chip.log[3]
    for command in (mapping, agreement):
        assert command[4] == 0 and command[-2:] == b"\x00\x00"  # extended Lc and Le '0000'
