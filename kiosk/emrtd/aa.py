"""Active authentication (ICAO 9303-11 section 6.1), verification and chip-side signing.

Terminal: ``perform_aa(channel, dg15, *, dg14=None)`` sends INTERNAL AUTHENTICATE with an
8-byte nonce (6.1.2.1) and verifies the signature with the DG15 public key:

- RSA: ISO/IEC 9796-2 digital signature scheme 1 with partial message recovery (6.1.2.2):
  J = sigma^e mod n (or n - J), F = '6A' || M1 || H(M1 || M2) || trailer, where the trailer
  is 'BC' for SHA-1 (option 1) or 'xxCC' naming the hash (option 2: 38CC SHA-224,
  34CC SHA-256, 36CC SHA-384, 35CC SHA-512) and M2 is our nonce.
- ECDSA: plain r || s signatures (BSI TR-03111), hash named by DG14's
  ActiveAuthenticationInfo (6.1.2.3; ecdsa-plain-SHA* OIDs 0.4.0.127.0.7.1.1.4.1.x).
  Verified with ``cryptography`` where it knows the curve, else with :mod:`kiosk.emrtd.ec`.

A signature that does not verify raises :class:`CloneDetected`.

Chip side for the emulator: :func:`sign_rsa_9796_2` and :func:`sign_ecdsa_plain`, and
:class:`ChipAa` that answers INTERNAL AUTHENTICATE.
"""

from __future__ import annotations

import hashlib
from dataclasses import dataclass

from cryptography.exceptions import InvalidSignature, UnsupportedAlgorithm
from cryptography.hazmat.primitives import hashes
from cryptography.hazmat.primitives.asymmetric import ec as crypto_ec
from cryptography.hazmat.primitives.asymmetric import rsa
from cryptography.hazmat.primitives.asymmetric.utils import encode_dss_signature
from cryptography.hazmat.primitives.serialization import load_der_public_key

from kiosk.emrtd import ec, tlv
from kiosk.emrtd.access import SecureChannel
from kiosk.emrtd.apdu import SW_OK, SW_WRONG_DATA, CommandApdu, ResponseApdu
from kiosk.emrtd.crypto import Rng, system_rng
from kiosk.emrtd.errors import CloneDetected, MalformedData, StatusWordError, UnsupportedProtocol
from kiosk.emrtd.securityinfos import parse_algorithm_identifier, parse_security_infos

INS_INTERNAL_AUTHENTICATE = 0x88
MAX_RSA_BITS = 8192
ECDSA_PLAIN = "0.4.0.127.0.7.1.1.4.1"
ECDSA_HASH_OIDS = {
    ECDSA_PLAIN + ".1": "sha1",
    ECDSA_PLAIN + ".2": "sha224",
    ECDSA_PLAIN + ".3": "sha256",
    ECDSA_PLAIN + ".4": "sha384",
    ECDSA_PLAIN + ".5": "sha512",
}
RSA_TRAILERS = {0x38CC: "sha224", 0x34CC: "sha256", 0x36CC: "sha384", 0x35CC: "sha512"}
_TRAILER_OF = {name: value for value, name in RSA_TRAILERS.items()}
_CRYPTO_HASHES: dict[str, type[hashes.HashAlgorithm]] = {
    "sha1": hashes.SHA1,
    "sha224": hashes.SHA224,
    "sha256": hashes.SHA256,
    "sha384": hashes.SHA384,
    "sha512": hashes.SHA512,
}


# ---------------------------------------------------------------- RSA, ISO/IEC 9796-2 scheme 1


def verify_rsa_9796_2(public_key: rsa.RSAPublicKey, nonce: bytes, signature: bytes) -> bool:
    """True when ``signature`` is a valid 9796-2 scheme 1 signature over M1 || ``nonce``."""
    numbers = public_key.public_numbers()
    n, e = numbers.n, numbers.e
    size = (n.bit_length() + 7) // 8
    sigma = int.from_bytes(signature, "big")
    if not signature or len(signature) > size or not 0 < sigma < n:
        return False
    j = pow(sigma, e, n)
    if j & 0xF != 0xC:
        j = n - j  # the signer may have sent min(J^d, n - J^d)
        if j & 0xF != 0xC:
            return False
    f = j.to_bytes(size, "big")
    if f[0] != 0x6A:  # header '01', partial recovery '1', padding '0', first nibble 'A'
        return False
    if f[-1] == 0xBC:
        name, trailer_len = "sha1", 1
    else:
        trailer = int.from_bytes(f[-2:], "big")
        if trailer not in RSA_TRAILERS:
            return False
        name, trailer_len = RSA_TRAILERS[trailer], 2
    digest_len = hashlib.new(name).digest_size
    if size < 1 + digest_len + trailer_len + 1:
        return False
    m1 = f[1 : size - digest_len - trailer_len]
    digest = f[size - digest_len - trailer_len : size - trailer_len]
    return hashlib.new(name, m1 + nonce).digest() == digest


def sign_rsa_9796_2(
    private_key: rsa.RSAPrivateKey, nonce: bytes, *, hash_name: str = "sha1", rng: Rng = system_rng
) -> bytes:
    """Chip side: sign M1 || ``nonce`` with a fresh M1 of maximal length (6.1.2.2)."""
    numbers = private_key.private_numbers()
    n, d = numbers.public_numbers.n, numbers.d
    size = (n.bit_length() + 7) // 8
    digest_len = hashlib.new(hash_name).digest_size
    trailer = b"\xbc" if hash_name == "sha1" else _TRAILER_OF[hash_name].to_bytes(2, "big")
    m1 = rng(size - 1 - digest_len - len(trailer))
    f = b"\x6a" + m1 + hashlib.new(hash_name, m1 + nonce).digest() + trailer
    sigma = pow(int.from_bytes(f, "big"), d, n)
    sigma = min(sigma, n - sigma)
    return sigma.to_bytes(size, "big")


# ---------------------------------------------------------------- ECDSA, plain format


def _hash_int(curve: ec.Curve, message: bytes, hash_name: str) -> int:
    digest = hashlib.new(hash_name, message).digest()
    e = int.from_bytes(digest, "big")
    excess = 8 * len(digest) - curve.n.bit_length()
    return e >> excess if excess > 0 else e


def verify_ecdsa_plain(
    curve: ec.Curve, point: tuple[int, int], message: bytes, signature: bytes, hash_name: str
) -> bool:
    """True when ``signature`` (r || s, each padded to the order size) verifies."""
    size = curve.order_size
    if len(signature) != 2 * size:
        return False
    r = int.from_bytes(signature[:size], "big")
    s = int.from_bytes(signature[size:], "big")
    if not (0 < r < curve.n and 0 < s < curve.n):
        return False
    if curve.crypto_curve is not None:
        key = crypto_ec.EllipticCurvePublicNumbers(
            point[0], point[1], curve.crypto_curve()
        ).public_key()
        try:
            key.verify(
                encode_dss_signature(r, s), message, crypto_ec.ECDSA(_CRYPTO_HASHES[hash_name]())
            )
        except InvalidSignature:
            return False
        return True
    w = pow(s, -1, curve.n)
    e = _hash_int(curve, message, hash_name)
    total = curve.add(curve.mul_base(e * w % curve.n), curve.mul(r * w % curve.n, point))
    return total is not None and total[0] % curve.n == r


def sign_ecdsa_plain(
    curve: ec.Curve, private_key: int, message: bytes, hash_name: str, *, rng: Rng = system_rng
) -> bytes:
    """Chip side: an ECDSA signature in plain r || s format (TR-03111)."""
    e = _hash_int(curve, message, hash_name)
    while True:
        k = curve.random_scalar(rng)
        point = curve.mul_base(k)
        assert point is not None
        r = point[0] % curve.n
        s = pow(k, -1, curve.n) * (e + r * private_key) % curve.n
        if r and s:
            size = curve.order_size
            return r.to_bytes(size, "big") + s.to_bytes(size, "big")


# ---------------------------------------------------------------- DG15 keys


@dataclass(frozen=True)
class AaPublicKey:
    """The DG15 key: RSA (via ``cryptography``) or EC (our curve and point)."""

    rsa_key: rsa.RSAPublicKey | None = None
    curve: ec.Curve | None = None
    point: tuple[int, int] | None = None


def parse_dg15(dg15: bytes) -> AaPublicKey:
    """Extract the SubjectPublicKeyInfo from DG15 ('6F' template, 9303-10)."""
    outer = tlv.parse_prefix(dg15)
    spki_bytes = outer.value if outer.tag == 0x6F else outer.encode()
    spki = tlv.parse_single(spki_bytes, 0x30)
    items = spki.children()
    if len(items) != 2 or items[1].tag != 0x03 or not items[1].value:
        raise MalformedData()
    algorithm = items[0].children()
    if not algorithm or algorithm[0].tag != 0x06:
        raise MalformedData()
    oid = tlv.decode_oid(algorithm[0].value)
    if oid == "1.2.840.113549.1.1.1":  # rsaEncryption
        try:
            key = load_der_public_key(spki_bytes)
        except (ValueError, UnsupportedAlgorithm) as exc:
            raise MalformedData() from exc
        if not isinstance(key, rsa.RSAPublicKey):
            raise MalformedData()
        numbers = key.public_numbers()
        if numbers.n.bit_length() > MAX_RSA_BITS or numbers.e.bit_length() > 64:
            raise UnsupportedProtocol()  # bounded work per verification (hostile keys)
        return AaPublicKey(rsa_key=key)
    if oid == "1.2.840.10045.2.1":  # id-ecPublicKey, named or explicit parameters
        curve = parse_algorithm_identifier(items[0])
        if not isinstance(curve, ec.Curve):
            raise UnsupportedProtocol()
        return AaPublicKey(curve=curve, point=curve.decode_point(items[1].value[1:]))
    raise UnsupportedProtocol()


def ecdsa_hash(dg14: bytes | None) -> list[str]:
    """Hash(es) to try for ECDSA AA: the one DG14 names, or all allowed ones (6.1.2.3)."""
    if dg14 is not None:
        for info in parse_security_infos(dg14).active_authentication:
            name = ECDSA_HASH_OIDS.get(info.signature_algorithm)
            if name is not None:
                return [name]
    return ["sha224", "sha256", "sha384", "sha512"]


def verify(key: AaPublicKey, nonce: bytes, signature: bytes, dg14: bytes | None = None) -> bool:
    """True when ``signature`` is the chip's AA signature over ``nonce``."""
    if key.rsa_key is not None:
        return verify_rsa_9796_2(key.rsa_key, nonce, signature)
    if key.curve is None or key.point is None:
        return False
    return any(
        verify_ecdsa_plain(key.curve, key.point, nonce, signature, name)
        for name in ecdsa_hash(dg14)
    )


def perform_aa(
    channel: SecureChannel,
    dg15: bytes,
    *,
    dg14: bytes | None = None,
    extended: bool | None = None,
    rng: Rng = system_rng,
) -> None:
    """Run active authentication; raises CloneDetected when the signature is wrong."""
    del extended  # the channel knows whether it uses extended length
    key = parse_dg15(dg15)
    nonce = rng(8)
    le = 65536 if channel.extended else 256
    answer = channel.transmit(CommandApdu(0x00, INS_INTERNAL_AUTHENTICATE, 0, 0, nonce, le))
    if not answer.ok:
        raise StatusWordError(answer.sw)
    if not verify(key, nonce, answer.data, dg14):
        raise CloneDetected()


class ChipAa:
    """Chip side of INTERNAL AUTHENTICATE for the emulator (RSA or ECDSA key)."""

    def __init__(
        self,
        *,
        rsa_key: rsa.RSAPrivateKey | None = None,
        curve: ec.Curve | None = None,
        ec_key: int | None = None,
        hash_name: str = "sha256",
        rng: Rng = system_rng,
    ) -> None:
        if (rsa_key is None) == (ec_key is None or curve is None):
            raise ValueError("give either an RSA key or a curve and an EC key")
        self.rsa_key = rsa_key
        self.curve = curve
        self.ec_key = ec_key
        self.hash_name = hash_name
        self.rng = rng

    @staticmethod
    def handles(cmd: CommandApdu) -> bool:
        """True for INTERNAL AUTHENTICATE."""
        return cmd.ins == INS_INTERNAL_AUTHENTICATE

    def handle(self, cmd: CommandApdu) -> ResponseApdu:
        """Sign the terminal's nonce."""
        if len(cmd.data) != 8:
            return ResponseApdu(b"", SW_WRONG_DATA)
        if self.rsa_key is not None:
            signature = sign_rsa_9796_2(
                self.rsa_key, cmd.data, hash_name=self.hash_name, rng=self.rng
            )
        else:
            assert self.curve is not None and self.ec_key is not None
            signature = sign_ecdsa_plain(
                self.curve, self.ec_key, cmd.data, self.hash_name, rng=self.rng
            )
        return ResponseApdu(signature, SW_OK)
