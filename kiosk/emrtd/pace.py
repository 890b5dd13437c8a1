"""PACE v2 (ICAO 9303-11 section 4.4): generic mapping and chip authentication mapping,
ECDH on every curve of :mod:`kiosk.emrtd.ec` and DH on the RFC 5114 groups, terminal and
chip side.

Terminal::

    params = PaceParams.from_oid(oid, param_id)            # from EF.CardAccess PACEInfo
    result = perform_pace(transport, params, mrz_password(info), extended=True)
    result.sm                                              # terminal SecureMessaging, SSC 0

Chip (emulator)::

    chip = ChipPace({1: mrz_password(info).key, 2: b"123456"}, [params], cam_keys={...})
    if chip.handles(cmd): response = chip.handle(cmd)      # MSE:Set AT + GENERAL AUTHENTICATE
    chip.session                                           # chip SecureMessaging after step 4

Protocol (4.4.1, APDUs 4.4.4-4.4.5): MSE:Set AT (80 OID, 83 password ref [, 84 param id]);
GA chain: 1) encrypted nonce z = E(K_pi, s); 2) mapping keys, H = KA(...), G' = s*G + H
(DH: g' = g^s * h); 3) ephemeral key agreement on G', K = x-coordinate; 4) tokens
T = MAC(KS_MAC, 7F49{06 OID, 86 point | 84 y}). K_pi = KDF(f(password), 3) (9.7.3) with
f(MRZ) = SHA-1(MRZ_information), f(CAN) = the digits. PACE-CAM (4.4.3.5) adds
A_IC = E(KS_Enc, CA_IC) to step 4; the terminal checks PK_Map,IC = CA_IC * PK_IC once it
has the signed PK_IC (EF.CardSecurity): :func:`verify_cam`.

Integrated mapping (4.4.3.3.2): the terminal sends a nonce t in clear (DO'81', answered by
an empty DO'82') and both sides map G' = f_G(R_p(s, t)) with the block-cipher based
pseudo-random function R_p (Figure 2) and the point encoding of Appendix B.2 (affine, needs
p = 3 mod 4); for DH g' = R_p(s, t)^((p-1)/q) mod p. Replayed against App. H.
"""

from __future__ import annotations

import hashlib
from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from typing import Protocol

from kiosk.emrtd import crypto, ec, tlv
from kiosk.emrtd.apdu import (
    SW_AUTH_FAILED,
    SW_OK,
    SW_REF_NOT_FOUND,
    SW_SECURITY_NOT_SATISFIED,
    SW_WRONG_DATA,
    CommandApdu,
    ResponseApdu,
    Transport,
    exchange,
)
from kiosk.emrtd.crypto import CipherAlg, Rng, system_rng
from kiosk.emrtd.errors import (
    ChipProtocolError,
    CloneDetected,
    MalformedData,
    SecureMessagingError,
    StatusWordError,
    UnsupportedProtocol,
    WrongAccessKey,
)
from kiosk.emrtd.sm import Role, SecureMessaging

ID_PACE = "0.4.0.127.0.7.2.2.4"
PASSWORD_MRZ = 1
PASSWORD_CAN = 2

_MAPPINGS = {
    "1": ("DH", "GM"),
    "2": ("ECDH", "GM"),
    "3": ("DH", "IM"),
    "4": ("ECDH", "IM"),
    "6": ("ECDH", "CAM"),
}
_CIPHERS = {
    "1": CipherAlg.DES3,
    "2": CipherAlg.AES128,
    "3": CipherAlg.AES192,
    "4": CipherAlg.AES256,
}

INS_MSE = 0x22
INS_GENERAL_AUTHENTICATE = 0x86
P1P2_SET_AT_PACE = 0xC1A4


# ---------------------------------------------------------------- DH groups


@dataclass(frozen=True)
class DhGroup:
    """A prime-order subgroup of GF(p)* (RFC 5114 section 2, 9303-11 Table 12 IDs 0-2)."""

    name: str
    param_id: int | None
    p: int
    g: int
    q: int

    @property
    def size(self) -> int:
        """Size of p in bytes."""
        return (self.p.bit_length() + 7) // 8


DH_1024_160 = DhGroup(
    "MODP-1024-160",
    0,
    p=int(
        "B10B8F96A080E01DDE92DE5EAE5D54EC52C99FBCFB06A3C69A6A9DCA52D23B616073E28675A23D18"
        "9838EF1E2EE652C013ECB4AEA906112324975C3CD49B83BFACCBDD7D90C4BD7098488E9C219A7372"
        "4EFFD6FAE5644738FAA31A4FF55BCCC0A151AF5F0DC8B4BD45BF37DF365C1A65E68CFDA76D4DA708"
        "DF1FB2BC2E4A4371",
        16,
    ),
    g=int(
        "A4D1CBD5C3FD34126765A442EFB99905F8104DD258AC507FD6406CFF14266D31266FEA1E5C41564B"
        "777E690F5504F213160217B4B01B886A5E91547F9E2749F4D7FBD7D3B9A92EE1909D0D2263F80A76"
        "A6A24C087A091F531DBF0A0169B6A28AD662A4D18E73AFA32D779D5918D08BC8858F4DCEF97C2A24"
        "855E6EEB22B3B2E5",
        16,
    ),
    q=0xF518AA8781A8DF278ABA4E7D64B7CB9D49462353,
)
DH_2048_224 = DhGroup(
    "MODP-2048-224",
    1,
    p=int(
        "AD107E1E9123A9D0D660FAA79559C51FA20D64E5683B9FD1B54B1597B61D0A75E6FA141DF95A56DB"
        "AF9A3C407BA1DF15EB3D688A309C180E1DE6B85A1274A0A66D3F8152AD6AC2129037C9EDEFDA4DF8"
        "D91E8FEF55B7394B7AD5B7D0B6C12207C9F98D11ED34DBF6C6BA0B2C8BBC27BE6A00E0A0B9C49708"
        "B3BF8A317091883681286130BC8985DB1602E714415D9330278273C7DE31EFDC7310F7121FD5A074"
        "15987D9ADC0A486DCDF93ACC44328387315D75E198C641A480CD86A1B9E587E8BE60E69CC928B2B9"
        "C52172E413042E9B23F10B0E16E79763C9B53DCF4BA80A29E3FB73C16B8E75B97EF363E2FFA31F71"
        "CF9DE5384E71B81C0AC4DFFE0C10E64F",
        16,
    ),
    g=int(
        "AC4032EF4F2D9AE39DF30B5C8FFDAC506CDEBE7B89998CAF74866A08CFE4FFE3A6824A4E10B9A6F0"
        "DD921F01A70C4AFAAB739D7700C29F52C57DB17C620A8652BE5E9001A8D66AD7C17669101999024A"
        "F4D027275AC1348BB8A762D0521BC98AE247150422EA1ED409939D54DA7460CDB5F6C6B250717CBE"
        "F180EB34118E98D119529A45D6F834566E3025E316A330EFBB77A86F0C1AB15B051AE3D428C8F8AC"
        "B70A8137150B8EEB10E183EDD19963DDD9E263E4770589EF6AA21E7F5F2FF381B539CCE3409D13CD"
        "566AFBB48D6C019181E1BCFE94B30269EDFE72FE9B6AA4BD7B5A0F1C71CFFF4C19C418E1F6EC0179"
        "81BC087F2A7065B384B890D3191F2BFA",
        16,
    ),
    q=0x801C0D34C58D93FE997177101F80535A4738CEBCBF389A99B36371EB,
)
DH_2048_256 = DhGroup(
    "MODP-2048-256",
    2,
    p=int(
        "87A8E61DB4B6663CFFBBD19C651959998CEEF608660DD0F25D2CEED4435E3B00E00DF8F1D61957D4"
        "FAF7DF4561B2AA3016C3D91134096FAA3BF4296D830E9A7C209E0C6497517ABD5A8A9D306BCF67ED"
        "91F9E6725B4758C022E0B1EF4275BF7B6C5BFC11D45F9088B941F54EB1E59BB8BC39A0BF12307F5C"
        "4FDB70C581B23F76B63ACAE1CAA6B7902D52526735488A0EF13C6D9A51BFA4AB3AD8347796524D8E"
        "F6A167B5A41825D967E144E5140564251CCACB83E6B486F6B3CA3F7971506026C0B857F689962856"
        "DED4010ABD0BE621C3A3960A54E710C375F26375D7014103A4B54330C198AF126116D2276E11715F"
        "693877FAD7EF09CADB094AE91E1A1597",
        16,
    ),
    g=int(
        "3FB32C9B73134D0B2E77506660EDBD484CA7B18F21EF205407F4793A1A0BA12510DBC15077BE463F"
        "FF4FED4AAC0BB555BE3A6C1B0C6B47B1BC3773BF7E8C6F62901228F8C28CBB18A55AE31341000A65"
        "0196F931C77A57F2DDF463E5E9EC144B777DE62AAAB8A8628AC376D282D6ED3864E67982428EBC83"
        "1D14348F6F2F9193B5045AF2767164E1DFC967C1FB3F2E55A4BD1BFFE83B9C80D052B985D182EA0A"
        "DB2A3B7313D3FE14C8484B1E052588B9B7D2BBD2DF016199ECD06E1557CD0915B3353BBB64E0EC37"
        "7FD028370DF92B52C7891428CDC67EB6184B523D1DB246C32F63078490F00EF8D647D148D4795451"
        "5E2327CFEF98C582664B4C0F6CC41659",
        16,
    ),
    q=0x8CF83642A709A097B447997640129DA299B1A47D1EB3750BA308B0FE64F5FBD3,
)
DH_GROUPS: dict[int, DhGroup] = {
    g.param_id: g for g in (DH_1024_160, DH_2048_224, DH_2048_256) if g.param_id is not None
}

Domain = ec.Curve | DhGroup


def domain_by_id(param_id: int) -> Domain:
    """The standardized domain parameters with 9303-11 Table 12 ID ``param_id``."""
    if param_id in ec.BY_PARAM_ID:
        return ec.BY_PARAM_ID[param_id]
    if param_id in DH_GROUPS:
        return DH_GROUPS[param_id]
    raise UnsupportedProtocol()


def describe_oid(oid: str) -> str:
    """A PACE protocol OID as text, e.g. "ECDH-GM-AES-256" (9303-11 section 9.2.1)."""
    prefix, _, tail = oid.rpartition(".")
    family, _, mapping_arc = prefix.rpartition(".")
    if family != ID_PACE or mapping_arc not in _MAPPINGS:
        return oid
    agreement, mapping = _MAPPINGS[mapping_arc]
    cipher = _CIPHERS.get(tail)
    return f"{agreement}-{mapping}-{cipher.label if cipher else tail}"


def describe_domain(param_id: int | None) -> str:
    """The name of a standardized domain parameter ID, or what the ID says otherwise."""
    if param_id is None:
        return "explicit parameters"
    try:
        return domain_by_id(param_id).name
    except UnsupportedProtocol:
        return f"parameter ID {param_id}"


# ---------------------------------------------------------------- group abstraction


class _Group(Protocol):
    """What PACE needs from a group; implemented for EC curves and DH groups."""

    def keypair(self, generator: object, rng: Rng) -> tuple[int, object]: ...
    def encode(self, element: object) -> bytes: ...
    def decode(self, data: bytes) -> object: ...
    def agree_element(self, sk: int, pk: object) -> object: ...
    def map_generator(self, s: int, h: object) -> object: ...
    def secret(self, sk: int, pk: object) -> bytes: ...
    def public_key_tag(self) -> int: ...
    def modulus(self) -> int: ...
    def integrated_map(self, x: int) -> object: ...


class _EcGroup:
    def __init__(self, curve: ec.Curve) -> None:
        self.curve = curve

    def keypair(self, generator: object, rng: Rng) -> tuple[int, object]:
        sk = self.curve.random_scalar(rng)
        if generator is None:
            return sk, self.curve.mul_base(sk)
        return sk, self.curve.mul(sk, generator)  # type: ignore[arg-type]

    def encode(self, element: object) -> bytes:
        return self.curve.encode_point(element)  # type: ignore[arg-type]

    def decode(self, data: bytes) -> object:
        return self.curve.decode_point(data)

    def agree_element(self, sk: int, pk: object) -> object:
        point = self.curve.mul(sk, pk)  # type: ignore[arg-type]
        if point is None:
            raise MalformedData()
        return point

    def map_generator(self, s: int, h: object) -> object:
        mapped = self.curve.add(self.curve.mul_base(s), h)  # type: ignore[arg-type]
        if mapped is None:
            raise MalformedData()
        return mapped

    def secret(self, sk: int, pk: object) -> bytes:
        return self.curve.ecdh_x(sk, pk)  # type: ignore[arg-type]

    def public_key_tag(self) -> int:
        return 0x86

    def modulus(self) -> int:
        return self.curve.p

    def integrated_map(self, x: int) -> object:
        return point_encoding(self.curve, x)


class _DhGroupOps:
    def __init__(self, group: DhGroup) -> None:
        self.group = group

    def keypair(self, generator: object, rng: Rng) -> tuple[int, object]:
        g = self.group
        size = (g.q.bit_length() + 7) // 8
        for _ in range(128):
            sk = int.from_bytes(rng(size), "big")
            if 0 < sk < g.q:
                base = g.g if generator is None else generator
                return sk, pow(base, sk, g.p)  # type: ignore[call-overload]
        raise RuntimeError("random source keeps producing out-of-range exponents")

    def encode(self, element: object) -> bytes:
        value: int = element  # type: ignore[assignment]
        return value.to_bytes(max(1, (value.bit_length() + 7) // 8), "big")  # 9.4.1: minimal

    def decode(self, data: bytes) -> object:
        g = self.group
        if not data or len(data) > g.size:
            raise MalformedData()
        y = int.from_bytes(data, "big")
        # RFC 2631 section 2.1.5 public key validation
        if not 1 < y < g.p - 1 or pow(y, g.q, g.p) != 1:
            raise MalformedData()
        return y

    def agree_element(self, sk: int, pk: object) -> object:
        return pow(pk, sk, self.group.p)  # type: ignore[call-overload]

    def map_generator(self, s: int, h: object) -> object:
        g = self.group
        mapped = pow(g.g, s, g.p) * h % g.p  # type: ignore[operator]
        if mapped == 1:
            raise MalformedData()
        return mapped

    def secret(self, sk: int, pk: object) -> bytes:
        shared: int = pow(pk, sk, self.group.p)  # type: ignore[call-overload]
        return shared.to_bytes(self.group.size, "big")

    def public_key_tag(self) -> int:
        return 0x84

    def modulus(self) -> int:
        return self.group.p

    def integrated_map(self, x: int) -> object:
        g = self.group
        mapped = pow(x, (g.p - 1) // g.q, g.p)  # f_g(x) = x^a, a the cofactor (4.4.3.3.2)
        if mapped == 1:
            raise MalformedData()
        return mapped


# Constants of the pseudo-random number mapping (4.4.3.3.2)
_C0_128 = bytes.fromhex("a668892a7c41e3ca739f40b057d85904")
_C1_128 = bytes.fromhex("a4e136ac725f738b01c1f60217c188ad")
_C0_256 = bytes.fromhex("d463d65234124ef7897054986dca0a174e28df758cbaa03f240616414d5a1676")
_C1_256 = bytes.fromhex("54bd7255f0aaf831bec3423fcf39d69b6cbf066677d0faae5aadd99df8e53517")


def im_nonce_sizes(cipher: CipherAlg) -> tuple[int, int]:
    """(len(s), len(t)) in bytes for the integrated mapping: t has the key size k (3DES
    counts as 128 bits), s the smallest multiple of the block size >= k."""
    if cipher in (CipherAlg.DES3, CipherAlg.AES128):
        return 16, 16
    return 32, cipher.key_size


def pseudo_random(cipher: CipherAlg, s: bytes, t: bytes, modulus: int) -> int:
    """R_p(s, t) of 9303-11 Figure 2: int(x1 || ... || xn) mod p."""
    key_size = 16 if cipher is CipherAlg.DES3 else cipher.key_size
    c0, c1 = (_C0_128, _C1_128) if len(s) == 16 else (_C0_256, _C1_256)
    n = -(-(modulus.bit_length() + 64) // (8 * len(s)))  # smallest n with n*l >= log2 p + 64
    key = crypto.encrypt(cipher, t, s)[:key_size]  # INIT: k0 = E(t, s)
    out = b""
    for _ in range(n):
        out += crypto.encrypt(cipher, key, c1)
        key = crypto.encrypt(cipher, key, c0)[:key_size]
    return int.from_bytes(out, "big") % modulus


def point_encoding(curve: ec.Curve, t: int) -> tuple[int, int]:
    """f_G(t): Appendix B.2 (affine coordinates) for curves with p = 3 mod 4, cofactor 1."""
    p, a, b = curve.p, curve.a, curve.b
    if p % 4 != 3 or curve.h != 1 or not 0 < t < p:
        raise UnsupportedProtocol()
    alpha = -t * t % p
    aa = (alpha + alpha * alpha) % p
    x2 = -b * (1 + aa) * pow(a * aa, p - 2, p) % p
    x3 = alpha * x2 % p
    h2 = (x2 * x2 * x2 + a * x2 + b) % p
    u = t * t * t * h2 % p
    big_a = pow(h2, p - 1 - (p + 1) // 4, p)
    # steps 8-9 of App. B.2: take X2 when h2 is a square (A^2 * h2 = 1), else X3
    point = (x2, big_a * h2 % p) if big_a * big_a * h2 % p == 1 else (x3, big_a * u % p)
    if not curve.contains(point):  # pragma: no cover - the encoding always lands on E
        raise MalformedData()
    return point


def _group(domain: Domain) -> _Group:
    if isinstance(domain, ec.Curve):
        return _EcGroup(domain)
    return _DhGroupOps(domain)


# ---------------------------------------------------------------- parameters, passwords


@dataclass(frozen=True)
class PaceParams:
    """One PACE configuration: protocol OID, cipher, mapping and domain parameters."""

    oid: str
    cipher: CipherAlg
    agreement: str  # "ECDH" | "DH"
    mapping: str  # "GM" | "IM" | "CAM"
    domain: Domain
    param_id: int | None

    @classmethod
    def from_oid(
        cls, oid: str, param_id: int | None, *, domain: Domain | None = None
    ) -> PaceParams:
        """Interpret a PACEInfo; raises UnsupportedProtocol for what we cannot run.

        ``param_id`` is a standardized domain parameter ID (9303-11 section 9.5.1) unless
        ``domain`` is given: then the chip uses explicit domain parameters
        (PACEDomainParameterInfo, section 9.2.2) that the caller has already matched to a
        curve or group known to be secure, and ``param_id`` is the chip's own identifier
        for them (None when it has only one set), sent back in MSE:Set AT.
        """
        prefix, _, tail = oid.rpartition(".")
        family, _, mapping_arc = prefix.rpartition(".")
        if family != ID_PACE or mapping_arc not in _MAPPINGS or tail not in _CIPHERS:
            raise UnsupportedProtocol()
        agreement, mapping = _MAPPINGS[mapping_arc]
        cipher = _CIPHERS[tail]
        if mapping == "CAM" and not cipher.is_aes:
            raise UnsupportedProtocol()
        if domain is None:
            if param_id is None:
                # Explicit domain parameters are used only once matched to known ones
                # (9.2.2: "MUST NOT use explicit domain parameters ... unless those domain
                # parameters are explicitly known to be secure"): pass them as ``domain``.
                raise UnsupportedProtocol()
            domain = domain_by_id(param_id)
        if isinstance(domain, ec.Curve) != (agreement == "ECDH"):
            raise UnsupportedProtocol()
        if mapping == "IM" and isinstance(domain, ec.Curve) and domain.p % 4 != 3:
            raise UnsupportedProtocol()  # Appendix B needs p = 3 mod 4
        return cls(oid, cipher, agreement, mapping, domain, param_id)

    @property
    def curve_name(self) -> str:
        """Name of the curve or DH group."""
        return self.domain.name


@dataclass(frozen=True)
class PacePassword:
    """A PACE password: reference (1 MRZ, 2 CAN; 9303-11 4.4.4.1) and encoding f(pi)."""

    ref: int
    key: bytes


def mrz_password(mrz_information: str) -> PacePassword:
    """Password from MRZ_information: f = SHA-1(docno+cd || dob+cd || expiry+cd) (9.7.3)."""
    digest = hashlib.sha1(mrz_information.encode("ascii")).digest()  # noqa: S324 (9.7.3)
    return PacePassword(PASSWORD_MRZ, digest)


def can_password(can: str) -> PacePassword:
    """Password from the card access number: its ISO 8859-1 characters (9.7.3)."""
    return PacePassword(PASSWORD_CAN, can.encode("latin-1"))


def k_pi(password: PacePassword, cipher: CipherAlg) -> bytes:
    """K_pi = KDF(f(pi), 3)."""
    return crypto.kdf(password.key, crypto.KDF_PACE, cipher)


def auth_token(params: PaceParams, ks_mac: bytes, public_key: bytes) -> bytes:
    """T = MAC(KS_MAC, 7F49{06 OID, 86/84 key}) (4.4.3.4); public_key already encoded."""
    tag = 0x86 if params.agreement == "ECDH" else 0x84
    data = tlv.encode(
        0x7F49, tlv.encode(0x06, tlv.encode_oid(params.oid)) + tlv.encode(tag, public_key)
    )
    return crypto.mac(params.cipher, ks_mac, data, padded=False)


def _cam_iv(ks_enc: bytes) -> bytes:
    return crypto.aes_ecb_block(ks_enc, b"\xff" * 16)  # IV = E(KS_Enc, -1) (4.4.3.5.4)


def _session_keys(params: PaceParams, secret: bytes) -> tuple[bytes, bytes]:
    return (
        crypto.kdf(secret, crypto.KDF_ENC, params.cipher),
        crypto.kdf(secret, crypto.KDF_MAC, params.cipher),
    )


# ---------------------------------------------------------------- terminal


@dataclass
class PaceResult:
    """Outcome of PACE on the terminal side."""

    params: PaceParams
    sm: SecureMessaging
    pk_map_ic: bytes
    encrypted_ca_data: bytes | None
    car: tuple[bytes, ...]

    def ca_data(self) -> bytes:
        """Decrypt the PACE-CAM chip authentication data CA_IC (4.4.3.5.2)."""
        if self.encrypted_ca_data is None:
            raise UnsupportedProtocol()
        ks_enc = self.sm.ks_enc
        return crypto.unpad(
            crypto.decrypt(self.params.cipher, ks_enc, self.encrypted_ca_data, _cam_iv(ks_enc))
        )


def verify_cam(result: PaceResult, chip_public_key: tuple[int, int]) -> None:
    """PACE-CAM: check PK_Map,IC = CA_IC * PK_IC; raises CloneDetected when it does not.

    ``chip_public_key`` is PK_IC from the ChipAuthenticationPublicKeyInfo of the signed
    EF.CardSecurity (only trust it after passive authentication, 4.4.3.5.2 note).
    """
    curve = result.params.domain
    if not isinstance(curve, ec.Curve):
        raise UnsupportedProtocol()
    try:
        ca_ic = int.from_bytes(result.ca_data(), "big")
    except SecureMessagingError as exc:
        raise CloneDetected() from exc
    if not 0 < ca_ic < curve.n or curve.mul(ca_ic, chip_public_key) != curve.decode_point(
        result.pk_map_ic
    ):
        raise CloneDetected()


def _ga(
    transport: Transport,
    data_objects: bytes,
    *,
    last: bool,
    extended: bool,
    wrong_key_sw: bool = False,
    le: int = 256,
) -> tlv.Tlv:
    cmd = CommandApdu(
        0x00 if last else 0x10,
        INS_GENERAL_AUTHENTICATE,
        0,
        0,
        tlv.encode(0x7C, data_objects),
        le=le,
    )
    answer = exchange(transport, cmd, extended=extended)
    if not answer.ok:
        if wrong_key_sw and (answer.sw >> 8 == 0x63 or answer.sw == SW_SECURITY_NOT_SATISFIED):
            raise WrongAccessKey()
        raise StatusWordError(answer.sw)
    return tlv.parse_single(answer.data, 0x7C)


def perform_pace(
    transport: Transport,
    params: PaceParams,
    password: PacePassword,
    *,
    extended: bool = False,
    rng: Rng = system_rng,
    send_param_id: bool = False,
) -> PaceResult:
    """Run PACE as the terminal (4.4.1) and return the new secure messaging session.

    ``send_param_id`` adds DO'84' to MSE:Set AT; required when the chip offers more than
    one set of domain parameters (4.4.4.1). A chip that refuses our token (63xx) makes
    this raise :class:`WrongAccessKey`.
    """
    group = _group(params.domain)
    mse_data = tlv.encode(0x80, tlv.encode_oid(params.oid)) + tlv.encode(
        0x83, bytes((password.ref,))
    )
    if send_param_id and params.param_id is not None:
        mse_data += tlv.encode(0x84, bytes((params.param_id,)))
    answer = exchange(
        transport, CommandApdu(0x00, INS_MSE, 0xC1, 0xA4, mse_data), extended=extended
    )
    if answer.sw in (SW_WRONG_DATA, SW_REF_NOT_FOUND):
        raise UnsupportedProtocol()
    if not answer.ok:
        raise StatusWordError(answer.sw)

    # A 2048-bit DH public key does not fit a short response (7C/84 headers + 256 bytes):
    # ask for an extended Le on the steps that return one.
    key_le = (
        65536
        if extended and isinstance(params.domain, DhGroup) and params.domain.size > 200
        else 256
    )

    # 1. encrypted nonce
    dad = _ga(transport, b"", last=False, extended=extended)
    z = dad.child(0x80).value
    s_bytes = crypto.decrypt(params.cipher, k_pi(password, params.cipher), z)
    s = int.from_bytes(s_bytes, "big")

    # 2. map the nonce
    if params.mapping == "IM":
        t = rng(im_nonce_sizes(params.cipher)[1])
        dad = _ga(transport, tlv.encode(0x81, t), last=False, extended=extended)
        if dad.child(0x82).value:
            raise ChipProtocolError()  # 4.4.5.2.2: DO'82' is empty for IM
        pk_map_ic_bytes = b""
        mapped = group.integrated_map(pseudo_random(params.cipher, s_bytes, t, group.modulus()))
    else:
        sk_map, pk_map = group.keypair(None, rng)
        dad = _ga(
            transport,
            tlv.encode(0x81, group.encode(pk_map)),
            last=False,
            extended=extended,
            le=key_le,
        )
        pk_map_ic_bytes = dad.child(0x82).value
        pk_map_ic = group.decode(pk_map_ic_bytes)
        h = group.agree_element(sk_map, pk_map_ic)
        mapped = group.map_generator(s, h)

    # 3. key agreement on the mapped generator
    sk_eph, pk_eph = group.keypair(mapped, rng)
    pk_eph_bytes = group.encode(pk_eph)
    dad = _ga(transport, tlv.encode(0x83, pk_eph_bytes), last=False, extended=extended, le=key_le)
    pk_ic_bytes = dad.child(0x84).value
    pk_ic = group.decode(pk_ic_bytes)
    if pk_ic == pk_eph:
        raise ChipProtocolError()  # the chip must not echo our key (4.4.1 d)
    ks_enc, ks_mac = _session_keys(params, group.secret(sk_eph, pk_ic))

    # 4. mutual authentication
    token = auth_token(params, ks_mac, group.encode(pk_ic))
    dad = _ga(transport, tlv.encode(0x85, token), last=True, extended=extended, wrong_key_sw=True)
    t_ic = dad.child(0x86).value
    if not crypto.mac_equal(t_ic, auth_token(params, ks_mac, pk_eph_bytes)):
        raise ChipProtocolError()
    encrypted_ca = dad.find(0x8A)
    if (params.mapping == "CAM") != (encrypted_ca is not None):
        raise ChipProtocolError()
    car = tuple(item.value for item in dad.children() if item.tag in (0x87, 0x88))
    sm = SecureMessaging(params.cipher, ks_enc, ks_mac, 0, Role.TERMINAL)
    return PaceResult(
        params, sm, pk_map_ic_bytes, encrypted_ca.value if encrypted_ca else None, car
    )


# ---------------------------------------------------------------- chip


class ChipPace:
    """The chip side of PACE for the emulator.

    ``passwords`` maps a password reference (1 MRZ, 2 CAN) to f(pi) (``PacePassword.key``);
    ``supported`` lists the PaceParams the chip offers (its EF.CardAccess); ``cam_keys``
    maps a CAM key id (= PACEInfo parameterId) to the static private key SK_IC.
    :meth:`handle` answers MSE:Set AT (C1A4) and GENERAL AUTHENTICATE; after step 4
    :attr:`session` holds the chip-side secure messaging (SSC 0).
    """

    def __init__(
        self,
        passwords: Mapping[int, bytes],
        supported: Sequence[PaceParams],
        *,
        rng: Rng = system_rng,
        cam_keys: Mapping[int, int] | None = None,
        nonce_size: int = 16,
    ) -> None:
        self.passwords = dict(passwords)
        self.supported = list(supported)
        self.rng = rng
        self.cam_keys = dict(cam_keys or {})
        self.nonce_size = nonce_size
        self.session: SecureMessaging | None = None
        self._reset()

    def _reset(self) -> None:
        self._params: PaceParams | None = None
        self._password: bytes | None = None
        self._step = 0
        self._s = 0
        self._s_bytes = b""
        self._sk_map = 0
        self._pk_map = b""
        self._mapped: object = None
        self._pk_ifd = b""
        self._pk_ic = b""
        self._keys: tuple[bytes, bytes] | None = None

    @staticmethod
    def handles(cmd: CommandApdu) -> bool:
        """True for MSE:Set AT for PACE and GENERAL AUTHENTICATE."""
        if cmd.ins == INS_MSE:
            return (cmd.p1 << 8 | cmd.p2) == P1P2_SET_AT_PACE
        return cmd.ins == INS_GENERAL_AUTHENTICATE

    def handle(self, cmd: CommandApdu) -> ResponseApdu:
        """Answer one PACE command."""
        try:
            if cmd.ins == INS_MSE:
                return self._mse(cmd)
            return self._general_authenticate(cmd)
        except (MalformedData, ChipProtocolError):
            self._reset()
            return ResponseApdu(b"", SW_WRONG_DATA)

    def _mse(self, cmd: CommandApdu) -> ResponseApdu:
        self._reset()
        self.session = None
        objects = {item.tag: item.value for item in tlv.parse_all(cmd.data)}
        if 0x80 not in objects or 0x83 not in objects or len(objects[0x83]) != 1:
            return ResponseApdu(b"", SW_WRONG_DATA)
        oid = tlv.decode_oid(objects[0x80])
        wanted_id = tlv.decode_unsigned(objects[0x84]) if 0x84 in objects else None
        matches = [
            p
            for p in self.supported
            if p.oid == oid and (wanted_id is None or p.param_id == wanted_id)
        ]
        if not matches:
            return ResponseApdu(b"", SW_WRONG_DATA)
        password = self.passwords.get(objects[0x83][0])
        if password is None:
            return ResponseApdu(b"", SW_REF_NOT_FOUND)
        self._params, self._password, self._step = matches[0], password, 1
        return ResponseApdu(b"", SW_OK)

    def _general_authenticate(self, cmd: CommandApdu) -> ResponseApdu:
        params = self._params
        if params is None or self._password is None:
            return ResponseApdu(b"", SW_SECURITY_NOT_SATISFIED)
        group = _group(params.domain)
        dad = tlv.parse_single(cmd.data, 0x7C)
        step = self._step
        if step == 1:
            size = im_nonce_sizes(params.cipher)[0] if params.mapping == "IM" else self.nonce_size
            s = self.rng(size)
            self._s_bytes = s
            self._s = int.from_bytes(s, "big")
            z = crypto.encrypt(
                params.cipher, crypto.kdf(self._password, crypto.KDF_PACE, params.cipher), s
            )
            self._step = 2
            return ResponseApdu(tlv.encode(0x7C, tlv.encode(0x80, z)), SW_OK)
        if step == 2 and params.mapping == "IM":
            t = dad.child(0x81).value
            if len(t) != im_nonce_sizes(params.cipher)[1]:
                raise MalformedData()
            self._mapped = group.integrated_map(
                pseudo_random(params.cipher, self._s_bytes, t, group.modulus())
            )
            self._step = 3
            return ResponseApdu(tlv.encode(0x7C, tlv.encode(0x82, b"")), SW_OK)
        if step == 2:
            pk_map_ifd = group.decode(dad.child(0x81).value)
            self._sk_map, pk_map = group.keypair(None, self.rng)
            self._pk_map = group.encode(pk_map)
            self._mapped = group.map_generator(
                self._s, group.agree_element(self._sk_map, pk_map_ifd)
            )
            self._step = 3
            return ResponseApdu(tlv.encode(0x7C, tlv.encode(0x82, self._pk_map)), SW_OK)
        if step == 3:
            self._pk_ifd = dad.child(0x83).value
            pk_ifd = group.decode(self._pk_ifd)
            sk_eph, pk_eph = group.keypair(self._mapped, self.rng)
            if pk_eph == pk_ifd:
                raise ChipProtocolError()
            self._pk_ic = group.encode(pk_eph)
            self._keys = _session_keys(params, group.secret(sk_eph, pk_ifd))
            self._step = 4
            return ResponseApdu(tlv.encode(0x7C, tlv.encode(0x84, self._pk_ic)), SW_OK)
        if step == 4 and self._keys is not None:
            ks_enc, ks_mac = self._keys
            token = dad.child(0x85).value
            if not crypto.mac_equal(token, auth_token(params, ks_mac, self._pk_ic)):
                self._reset()
                return ResponseApdu(b"", SW_AUTH_FAILED)
            body = tlv.encode(0x86, auth_token(params, ks_mac, self._pk_ifd))
            if params.mapping == "CAM":
                body += tlv.encode(0x8A, self._cam_data(params, ks_enc))
            self.session = SecureMessaging(params.cipher, ks_enc, ks_mac, 0, Role.CHIP)
            self._reset()
            return ResponseApdu(tlv.encode(0x7C, body), SW_OK)
        self._reset()
        return ResponseApdu(b"", SW_SECURITY_NOT_SATISFIED)

    def _cam_data(self, params: PaceParams, ks_enc: bytes) -> bytes:
        curve = params.domain
        sk_ic = self.cam_keys.get(params.param_id or 0)
        if not isinstance(curve, ec.Curve) or sk_ic is None:
            raise ChipProtocolError()
        ca_ic = pow(sk_ic, -1, curve.n) * self._sk_map % curve.n  # CA_IC = SK_IC^-1 * SK_Map,IC
        plain = crypto.pad(ca_ic.to_bytes(curve.order_size, "big"), 16)
        return crypto.encrypt(params.cipher, ks_enc, plain, _cam_iv(ks_enc))
