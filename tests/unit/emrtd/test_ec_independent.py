"""The project's EC arithmetic and PACE generic mapping checked against python-ecdsa.

kiosk.emrtd.ec is our own code (the ``cryptography`` package lacks brainpoolP320r1, the
curve of Dutch documents since 2022, and exposes no point addition). Its tests against the
ICAO worked examples and against OpenSSL cover the curves OpenSSL has; a bug that is
symmetric in our terminal and our emulator would still pass every handshake between the
two. So every curve we run is cross-checked here against python-ecdsa, an implementation
this project did not write: domain parameters, the group law, point encoding (SEC 1
section 2.3.3 as 9303-11 section 9.4.1 requires, left-padded), ECDH, and a whole PACE
generic-mapping handshake (9303-11 section 4.4.3.3.1) between our terminal and a chip whose
every EC operation is python-ecdsa's and whose symmetric steps use ``cryptography``.
"""

from __future__ import annotations

import hashlib
import random

import pytest
from cryptography.hazmat.primitives import cmac
from cryptography.hazmat.primitives.ciphers import Cipher, algorithms, modes
from ecdsa import VerifyingKey
from ecdsa import curves as ecdsa_curves
from ecdsa.ecdh import ECDH
from ecdsa.ellipticcurve import PointJacobi
from ecdsa.keys import SigningKey

from kiosk.emrtd import ec, pace

# Our curve name -> python-ecdsa's curve and the PACE standardized parameter ID
# (9303-11 section 9.5.1, table "standardized domain parameters").
PEERS = {
    "P-192": (ecdsa_curves.NIST192p, 8),
    "brainpoolP192r1": (ecdsa_curves.BRAINPOOLP192r1, 9),
    "P-224": (ecdsa_curves.NIST224p, 10),
    "brainpoolP224r1": (ecdsa_curves.BRAINPOOLP224r1, 11),
    "brainpoolP256r1": (ecdsa_curves.BRAINPOOLP256r1, 13),
    "brainpoolP320r1": (ecdsa_curves.BRAINPOOLP320r1, 14),
    "brainpoolP384r1": (ecdsa_curves.BRAINPOOLP384r1, 16),
    "brainpoolP512r1": (ecdsa_curves.BRAINPOOLP512r1, 17),
    "P-256": (ecdsa_curves.NIST256p, 12),
    "P-384": (ecdsa_curves.NIST384p, 15),
    "P-521": (ecdsa_curves.NIST521p, 18),
}


def test_every_curve_we_run_has_an_independent_peer():
    assert {curve.name for curve in ec.CURVES} <= set(PEERS)


@pytest.fixture(params=ec.CURVES, ids=lambda c: c.name)
def pair(request):
    ours = request.param
    return ours, PEERS[ours.name][0]


def encode_theirs(peer, point) -> bytes:
    return VerifyingKey.from_public_point(point, curve=peer).to_string("uncompressed")


def test_domain_parameters_equal_the_peer(pair):
    ours, peer = pair
    assert ours.p == peer.curve.p()
    assert ours.a == peer.curve.a() % ours.p
    assert ours.b == peer.curve.b()
    assert ours.n == peer.order
    assert ours.generator == (peer.generator.x(), peer.generator.y())


def test_group_law_and_encoding_agree_with_the_peer(pair):
    ours, peer = pair
    rnd = random.Random(ours.p)
    for _ in range(4):
        j, k = rnd.randrange(1, ours.n), rnd.randrange(1, ours.n)
        p_j, p_k = ours.mul_base(j), ours.mul_base(k)
        t_j, t_k = peer.generator * j, peer.generator * k
        assert p_j == (t_j.x(), t_j.y())
        total = t_j + t_k
        assert ours.add(p_j, p_k) == (total.x(), total.y())
        assert ours.mul(k, p_j) == ((t_j * k).x(), (t_j * k).y())
        encoded = ours.encode_point(p_j)
        assert encoded == encode_theirs(peer, t_j)  # 04 || X || Y, each left-padded
        assert ours.decode_point(encode_theirs(peer, t_k)) == p_k


def test_ecdh_agrees_with_the_peer(pair):
    ours, peer = pair
    rnd = random.Random(11)
    a = rnd.randrange(1, ours.n)
    b_key = SigningKey.generate(curve=peer, entropy=random.Random(12).randbytes)
    theirs = ECDH(curve=peer)
    theirs.load_private_key(b_key)
    theirs.load_received_public_key_bytes(ours.encode_point(ours.mul_base(a)))
    shared = theirs.generate_sharedsecret_bytes()  # x coordinate, left-padded (SEC 1 3.3.1)
    b_public = b_key.get_verifying_key().to_string("uncompressed")
    assert ours.ecdh_x(a, ours.decode_point(b_public)) == shared


# ------------------------------------------------------------------ PACE GM, independently


def _kdf(secret: bytes, counter: int, key_len: int) -> bytes:
    """9303-11 section 9.7.1: SHA-1 for 128-bit AES keys, SHA-256 for 192 and 256."""
    data = secret + counter.to_bytes(4, "big")
    digest = hashlib.sha1(data).digest() if key_len == 16 else hashlib.sha256(data).digest()
    return digest[:key_len]


def _der(tag: int, value: bytes) -> bytes:
    tag_bytes = tag.to_bytes(2 if tag > 0xFF else 1, "big")
    n = len(value)
    length = (
        bytes((n,))
        if n < 0x80
        else bytes((0x81, n))
        if n < 0x100
        else b"\x82" + n.to_bytes(2, "big")
    )
    return tag_bytes + length + value


def _children(data: bytes) -> dict[int, bytes]:
    """A one-level BER walk, enough for 7C dynamic authentication data."""
    out: dict[int, bytes] = {}
    i = 0
    while i < len(data):
        tag = data[i]
        i += 1
        n = data[i]
        i += 1
        if n & 0x80:
            width = n & 0x7F
            n = int.from_bytes(data[i : i + width], "big")
            i += width
        out[tag] = data[i : i + n]
        i += n
    return out


class IndependentPaceChip:
    """The chip side of PACE ECDH-GM with AES, written from 9303-11 section 4.4 alone:
    EC operations from python-ecdsa, AES and CMAC from ``cryptography``."""

    def __init__(self, peer, oid: str, oid_der: bytes, key_len: int, password: bytes) -> None:
        self.peer = peer
        self.oid_der = oid_der
        self.key_len = key_len
        self.k_pi = _kdf(password, 3, key_len)
        self.rnd = random.Random(oid + peer.name)
        self.step = 0
        self.ks_enc = self.ks_mac = b""

    def _scalar(self) -> int:
        return self.rnd.randrange(1, self.peer.order)

    def _point(self, data: bytes) -> PointJacobi:
        key = VerifyingKey.from_string(data, curve=self.peer)  # validates the point
        return key.pubkey.point

    def _mac(self, point) -> bytes:
        body = _der(0x06, self.oid_der) + _der(0x86, encode_theirs(self.peer, point))
        signer = cmac.CMAC(algorithms.AES(self.ks_mac))
        signer.update(_der(0x7F49, body))
        return signer.finalize()[:8]

    def transmit(self, apdu: bytes) -> bytes:
        ins = apdu[1]
        if ins == 0x22:  # MSE:Set AT
            return b"\x90\x00"
        assert ins == 0x86
        body = apdu[5 : 5 + apdu[4]]
        assert body[0] == 0x7C
        dad = _children(body[2:] if body[1] < 0x80 else body[2 + (body[1] & 0x7F) :])
        self.step += 1
        if self.step == 1:  # encrypted nonce z = E(K_pi, s)
            self.s = self.rnd.randbytes(16)
            enc = Cipher(algorithms.AES(self.k_pi), modes.CBC(b"\0" * 16)).encryptor()
            z = enc.update(self.s) + enc.finalize()
            return _der(0x7C, _der(0x80, z)) + b"\x90\x00"
        if self.step == 2:  # generic mapping: G~ = s*G + H, H = SK_map,IC * PK_map,PCD
            sk_map = self._scalar()
            h = self._point(dad[0x81]) * sk_map
            s = int.from_bytes(self.s, "big")
            self.mapped = self.peer.generator * s + h
            return _der(
                0x7C, _der(0x82, encode_theirs(self.peer, self.peer.generator * sk_map))
            ) + (b"\x90\x00")
        if self.step == 3:  # ephemeral key agreement on G~
            sk = self._scalar()
            self.pk_pcd = self._point(dad[0x83])
            self.pk_ic = self.mapped * sk
            shared = (self.pk_pcd * sk).x()
            k = shared.to_bytes((self.peer.curve.p().bit_length() + 7) // 8, "big")
            self.ks_enc, self.ks_mac = _kdf(k, 1, self.key_len), _kdf(k, 2, self.key_len)
            return _der(0x7C, _der(0x84, encode_theirs(self.peer, self.pk_ic))) + b"\x90\x00"
        # mutual authentication: the terminal's token is over our key, ours over its key
        if dad[0x85] != self._mac(self.pk_ic):
            return b"\x63\x00"
        return _der(0x7C, _der(0x86, self._mac(self.pk_pcd))) + b"\x90\x00"


def _oid_der(oid: str) -> bytes:
    arcs = [int(a) for a in oid.split(".")]
    out = bytes((40 * arcs[0] + arcs[1],))
    for arc in arcs[2:]:
        chunk = [arc & 0x7F]
        arc >>= 7
        while arc:
            chunk.append(0x80 | (arc & 0x7F))
            arc >>= 7
        out += bytes(reversed(chunk))
    return out


@pytest.mark.parametrize(
    ("cipher_arc", "key_len"), [("2", 16), ("4", 32)], ids=["AES128", "AES256"]
)
def test_pace_generic_mapping_with_an_independent_chip(pair, cipher_arc, key_len):
    ours, peer = pair
    oid = f"0.4.0.127.0.7.2.2.4.2.{cipher_arc}"  # id-PACE-ECDH-GM-AES-CBC-CMAC-*
    params = pace.PaceParams.from_oid(oid, PEERS[ours.name][1])
    assert params.domain is ours
    mrz_information = "L898902C<369080619406236"  # 9303-11 App. D.2
    password = pace.mrz_password(mrz_information)
    chip = IndependentPaceChip(peer, oid, _oid_der(oid), key_len, password.key)
    rnd = random.Random(5)
    result = pace.perform_pace(chip.transmit, params, password, extended=False, rng=rnd.randbytes)
    assert chip.step == 4
    assert result.sm.ks_enc == chip.ks_enc and result.sm.ks_mac == chip.ks_mac


def _pace_info(oid: str, param_id: int | None) -> bytes:
    body = _der(0x06, _oid_der(oid)) + _der(0x02, b"\x02")
    if param_id is not None:
        body += _der(0x02, bytes((param_id,)))
    return _der(0x30, body)


def _explicit_parameters(peer, protocol: str, param_id: int | None) -> bytes:
    """PACEDomainParameterInfo with X9.62 ECParameters written out (9303-11 9.2.2, 9.5.2)."""
    size = (peer.curve.p().bit_length() + 7) // 8

    def uint(value: int) -> bytes:
        raw = value.to_bytes((value.bit_length() + 8) // 8, "big")  # DER: leading 0 if needed
        return _der(0x02, raw)

    generator = encode_theirs(peer, peer.generator)
    ec_parameters = _der(
        0x30,
        uint(1)
        + _der(0x30, _der(0x06, _oid_der("1.2.840.10045.1.1")) + uint(peer.curve.p()))
        + _der(
            0x30,
            _der(0x04, (peer.curve.a() % peer.curve.p()).to_bytes(size, "big"))
            + _der(0x04, peer.curve.b().to_bytes(size, "big")),
        )
        + _der(0x04, generator)
        + uint(peer.order),
    )
    algorithm = _der(0x30, _der(0x06, _oid_der("1.2.840.10045.2.1")) + ec_parameters)
    body = _der(0x06, _oid_der(protocol)) + algorithm
    if param_id is not None:
        body += uint(param_id)
    return _der(0x30, body)


@pytest.mark.parametrize("param_id", [None, 40])
def test_explicit_domain_parameters_of_a_known_curve_run_pace(param_id):
    # A chip may describe its curve explicitly instead of by standardized ID (9303-11 9.2.2);
    # the terminal accepts them only when they equal a curve known to be secure.
    from kiosk.emrtd import access

    peer = ecdsa_curves.BRAINPOOLP320r1
    oid = "0.4.0.127.0.7.2.2.4.2.4"  # id-PACE-ECDH-GM-AES-CBC-CMAC-256
    card_access = _der(
        0x31,
        _pace_info(oid, param_id) + _explicit_parameters(peer, "0.4.0.127.0.7.2.2.4.2", param_id),
    )
    [params] = access.supported_pace(card_access)
    assert params.domain is ec.BRAINPOOL_P320R1 and params.param_id == param_id
    password = pace.mrz_password("L898902C<369080619406236")
    chip = IndependentPaceChip(peer, oid, _oid_der(oid), 32, password.key)
    result = pace.perform_pace(chip.transmit, params, password, rng=random.Random(3).randbytes)
    assert result.sm.ks_enc == chip.ks_enc


def test_explicit_parameters_of_an_unknown_curve_are_refused_with_their_name():
    # Same structure, but brainpoolP320t1 (twisted; not a 9303 curve): never trusted.
    from kiosk.emrtd import access
    from kiosk.emrtd.errors import UnsupportedProtocol

    oid = "0.4.0.127.0.7.2.2.4.2.4"
    card_access = _der(
        0x31,
        _pace_info(oid, None)
        + _explicit_parameters(ecdsa_curves.BRAINPOOLP320t1, "0.4.0.127.0.7.2.2.4.2", None),
    )
    assert access.supported_pace(card_access) == []
    with pytest.raises(UnsupportedProtocol) as caught:
        access.establish(lambda apdu: b"\x6a\x82", None, card_access, extended=False)
    assert caught.value.message_key == "chip.error.pace_unsupported"
    assert caught.value.params["offered"] == "ECDH-GM-AES-256 on explicit parameters"


def test_an_unsupported_configuration_is_named():
    from kiosk.emrtd import access
    from kiosk.emrtd.errors import UnsupportedProtocol

    card_access = _der(0x31, _pace_info("0.4.0.127.0.7.2.2.4.4.2", 10))  # IM on P-224
    with pytest.raises(UnsupportedProtocol) as caught:
        access.establish(lambda apdu: b"\x6a\x82", None, card_access, extended=False)
    assert caught.value.params["offered"] == "ECDH-IM-AES-128 on P-224"
