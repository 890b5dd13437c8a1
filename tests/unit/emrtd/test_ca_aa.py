"""Chip authentication and active authentication against the chip-side classes."""

from __future__ import annotations

import pytest
from cryptography.hazmat.primitives import serialization
from cryptography.hazmat.primitives.asymmetric import ec as crypto_ec
from cryptography.hazmat.primitives.asymmetric import rsa

from kiosk.emrtd import aa, access, bac, ca, ec, pace, securityinfos, tlv
from kiosk.emrtd.errors import CloneDetected, UnsupportedProtocol

from .minichip import COM, MiniChip
from .test_pace_handshakes import MRZ_INFO, Key, read_com

CA_ECDH = "0.4.0.127.0.7.2.2.3.2."
CA_DH = "0.4.0.127.0.7.2.2.3.1."


def dg14_for(chip_ca: ca.ChipCa, *, explicit: bool = False, key_id: int | None = None) -> bytes:
    return securityinfos.encode_security_infos(
        securityinfos.encode_ca_info(chip_ca.oid, key_id),
        securityinfos.encode_ca_public_key_info(
            chip_ca.domain, chip_ca.public_key(), key_id, explicit=explicit
        ),
        dg14=True,
    )


def open_channel(chip: MiniChip, *, use_pace: bool, extended: bool = False) -> access.SecureChannel:
    if use_pace:
        params = pace.PaceParams.from_oid("0.4.0.127.0.7.2.2.4.2.4", 14)
        chip.pace = pace.ChipPace({1: pace.mrz_password(MRZ_INFO).key}, [params])
        card_access = securityinfos.encode_security_infos(
            securityinfos.encode_pace_info(params.oid, 14)
        )
        return access.establish(chip, Key(MRZ_INFO), card_access, extended=extended)
    chip.bac = bac.ChipBac.from_mrz(MRZ_INFO)
    return access.establish(chip, Key(MRZ_INFO), None, extended=extended)


@pytest.mark.parametrize(
    ("domain", "suffix", "use_pace", "explicit"),
    [
        (ec.BRAINPOOL_P512R1, "4", True, True),  # the Dutch 2024 passport: explicit P512r1
        (ec.BRAINPOOL_P320R1, "2", True, False),
        (ec.NIST_P256, "1", False, False),  # 3DES: MSE:Set KAT after BAC
        (pace.DH_1024_160, "1", False, False),
        (pace.DH_2048_224, "2", True, True),
    ],
    ids=lambda v: getattr(v, "name", None) or str(v),
)
def test_chip_authentication_rekeys_the_channel(domain, suffix, use_pace, explicit):
    oid = (CA_ECDH if isinstance(domain, ec.Curve) else CA_DH) + suffix
    private = 0x5A5A5A5A5A5A5A5A5A5A5A5A5A5A5A5A5A5A5A5A % (
        domain.n if isinstance(domain, ec.Curve) else domain.q
    )
    chip_ca = ca.ChipCa(domain, private, oid, key_id=7)
    chip = MiniChip(ca_chip=chip_ca)
    channel = open_channel(chip, use_pace=use_pace, extended=True)
    dg14 = dg14_for(chip_ca, explicit=explicit, key_id=7)
    old_keys = channel.sm.ks_mac
    assert ca.perform_ca(channel, dg14, extended=False) is channel
    assert channel.chip_authenticated and channel.sm.ks_mac != old_keys and channel.sm.ssc == 2
    assert read_com(channel) == COM


def test_clone_without_the_private_key_is_detected():
    curve = ec.BRAINPOOL_P512R1
    genuine = ca.ChipCa(curve, 123456789, CA_ECDH + "4")
    clone = ca.ChipCa(curve, 987654321, CA_ECDH + "4")  # copied DG14, own key
    chip = MiniChip(ca_chip=clone)
    channel = open_channel(chip, use_pace=True)
    with pytest.raises(CloneDetected):
        ca.perform_ca(channel, dg14_for(genuine), extended=False)


def test_ca_with_nothing_usable_is_unsupported():
    dg14 = securityinfos.encode_security_infos(
        securityinfos.encode_pace_info("0.4.0.127.0.7.2.2.4.2.4", 14), dg14=True
    )
    with pytest.raises(UnsupportedProtocol):
        ca.select(dg14)


# ------------------------------------------------------------------ active authentication


def dg15_for(public_key) -> bytes:
    der = public_key.public_bytes(
        serialization.Encoding.DER, serialization.PublicFormat.SubjectPublicKeyInfo
    )
    return tlv.encode(0x6F, der)


@pytest.mark.parametrize("hash_name", ["sha1", "sha256", "sha512"])
def test_rsa_9796_2_round_trip_and_tampering(hash_name):
    key = rsa.generate_private_key(public_exponent=65537, key_size=1024)
    nonce = bytes.fromhex("0123456789ABCDEF")
    signature = aa.sign_rsa_9796_2(key, nonce, hash_name=hash_name)
    assert aa.verify_rsa_9796_2(key.public_key(), nonce, signature)
    assert not aa.verify_rsa_9796_2(key.public_key(), nonce[::-1], signature)
    bad = bytearray(signature)
    bad[-1] ^= 1
    assert not aa.verify_rsa_9796_2(key.public_key(), nonce, bytes(bad))
    other = rsa.generate_private_key(public_exponent=65537, key_size=1024)
    assert not aa.verify_rsa_9796_2(other.public_key(), nonce, signature)


def test_rsa_9796_2_structure_is_what_9303_prescribes():
    key = rsa.generate_private_key(public_exponent=65537, key_size=1024)
    nonce = b"\x11" * 8
    signature = aa.sign_rsa_9796_2(key, nonce, rng=lambda n: b"\x22" * n)
    numbers = key.public_key().public_numbers()
    j = pow(int.from_bytes(signature, "big"), numbers.e, numbers.n)
    if j & 0xF != 0xC:
        j = numbers.n - j
    f = j.to_bytes(128, "big")
    # header 6A, M1 of c-4 bits = 106 bytes for k=1024, SHA-1, trailer BC (6.1.2.2)
    assert f[0] == 0x6A and f[1:107] == b"\x22" * 106 and f[-1] == 0xBC


@pytest.mark.parametrize(
    "curve", [ec.BRAINPOOL_P320R1, ec.BRAINPOOL_P256R1, ec.NIST_P384], ids=lambda c: c.name
)
def test_ecdsa_plain_sign_and_verify(curve):
    d = 0x1F2E3D4C5B6A79881F2E3D4C5B6A7988
    point = curve.mul_base(d)
    message = b"\x01" * 8
    signature = aa.sign_ecdsa_plain(curve, d, message, "sha256")
    assert len(signature) == 2 * curve.order_size
    assert aa.verify_ecdsa_plain(curve, point, message, signature, "sha256")
    assert not aa.verify_ecdsa_plain(curve, point, b"\x02" * 8, signature, "sha256")
    assert not aa.verify_ecdsa_plain(curve, curve.generator, message, signature, "sha256")


def test_ecdsa_verification_agrees_with_cryptography():
    from cryptography.hazmat.primitives import hashes
    from cryptography.hazmat.primitives.asymmetric.utils import decode_dss_signature

    key = crypto_ec.generate_private_key(crypto_ec.BrainpoolP256R1())
    message = b"nonce123"
    r, s = decode_dss_signature(key.sign(message, crypto_ec.ECDSA(hashes.SHA256())))
    numbers = key.public_key().public_numbers()
    curve = ec.BRAINPOOL_P256R1
    signature = r.to_bytes(32, "big") + s.to_bytes(32, "big")
    # our own verification path (the one used for brainpoolP320r1)
    curve_without_openssl = ec.Curve(
        "copy", None, curve.p, curve.a, curve.b, curve.gx, curve.gy, curve.n
    )
    assert aa.verify_ecdsa_plain(
        curve_without_openssl, (numbers.x, numbers.y), message, signature, "sha256"
    )
    assert aa.verify_ecdsa_plain(curve, (numbers.x, numbers.y), message, signature, "sha256")


def test_perform_aa_rsa_through_secure_messaging():
    key = rsa.generate_private_key(public_exponent=65537, key_size=2048)
    chip = MiniChip(aa_chip=aa.ChipAa(rsa_key=key, hash_name="sha256"))
    channel = open_channel(chip, use_pace=False)
    aa.perform_aa(channel, dg15_for(key.public_key()))
    other = rsa.generate_private_key(public_exponent=65537, key_size=2048)
    with pytest.raises(CloneDetected):
        aa.perform_aa(channel, dg15_for(other.public_key()))


def test_perform_aa_ecdsa_with_dg14_hash():
    key = crypto_ec.generate_private_key(crypto_ec.SECP256R1())
    d = key.private_numbers().private_value
    chip = MiniChip(aa_chip=aa.ChipAa(curve=ec.NIST_P256, ec_key=d, hash_name="sha384"))
    channel = open_channel(chip, use_pace=True)
    dg14 = securityinfos.encode_security_infos(
        securityinfos.encode_aa_info(aa.ECDSA_PLAIN + ".4"), dg14=True
    )
    aa.perform_aa(channel, dg15_for(key.public_key()), dg14=dg14)
    wrong_hash = securityinfos.encode_security_infos(
        securityinfos.encode_aa_info(aa.ECDSA_PLAIN + ".3"), dg14=True
    )
    with pytest.raises(CloneDetected):
        aa.perform_aa(channel, dg15_for(key.public_key()), dg14=wrong_hash)


def test_ca_key_too_big_for_short_apdus_is_unsupported_not_a_crash():
    chip_ca = ca.ChipCa(pace.DH_2048_256, 12345, CA_DH + "4")
    chip = MiniChip(ca_chip=chip_ca)
    channel = open_channel(chip, use_pace=True, extended=False)
    with pytest.raises(UnsupportedProtocol):
        ca.perform_ca(channel, dg14_for(chip_ca))


def test_chip_ca_uses_an_injected_key_agreement():
    curve = ec.BRAINPOOL_P512R1
    calls = []

    def coprocessor(public: bytes) -> bytes:
        calls.append(public)
        return curve.ecdh_x(4242, curve.decode_point(public))

    chip_ca = ca.ChipCa(curve, 4242, CA_ECDH + "4", agree=coprocessor)
    chip = MiniChip(ca_chip=chip_ca)
    channel = open_channel(chip, use_pace=True)
    ca.perform_ca(channel, dg14_for(chip_ca))
    assert len(calls) == 1 and read_com(channel) == COM


def test_absurd_rsa_keys_are_refused_before_any_work():
    # e = n - 2 would make every verification a full-size exponentiation
    key = rsa.generate_private_key(public_exponent=65537, key_size=1024)
    n = key.public_key().public_numbers().n
    hostile = rsa.RSAPublicNumbers(n - 2, n).public_key()
    with pytest.raises(UnsupportedProtocol):
        aa.parse_dg15(dg15_for(hostile))
