"""Chip authentication v1 (ICAO 9303-11 section 6.2), ECDH and DH, both sides.

Terminal: ``perform_ca(channel, dg14, *, extended=None)`` picks the ChipAuthenticationInfo
and matching ChipAuthenticationPublicKeyInfo from DG14, sends an ephemeral public key
(3DES: MSE:Set KAT '41A6' with DO'91'; AES: MSE:Set AT '41A4' with the CA OID, then
GENERAL AUTHENTICATE with DO'80', 6.2.4), derives KS_Enc/KS_MAC from the shared secret
(9.7.4, SSC = 0) and re-keys the channel. It then proves the chip knows the private key by
sending one harmless command (READ BINARY of one byte of EF.COM by short file identifier)
that must come back with a valid MAC under the new keys; anything else raises
:class:`CloneDetected` (a clone that copied DG14 but not the private key ends up with
different keys and cannot answer).

Chip: :class:`ChipCa` answers those commands for the emulator. The response to the
command that completes CA is still protected with the *old* keys (9.8.2); the caller then
installs the returned chip-side SecureMessaging.

Passive authentication of DG14 must succeed for the result to mean anything (6.2.2 note).
"""

from __future__ import annotations

from collections.abc import Callable

from kiosk.emrtd import crypto, ec, tlv
from kiosk.emrtd.access import SecureChannel
from kiosk.emrtd.apdu import SW_OK, SW_REF_NOT_FOUND, SW_WRONG_DATA, CommandApdu, ResponseApdu
from kiosk.emrtd.crypto import CipherAlg, Rng, system_rng
from kiosk.emrtd.errors import (
    ChipProtocolError,
    CloneDetected,
    MalformedData,
    UnsupportedProtocol,
)
from kiosk.emrtd.pace import DhGroup, Domain
from kiosk.emrtd.securityinfos import (
    ID_CA,
    ID_PK_DH,
    ID_PK_ECDH,
    ChipAuthenticationInfo,
    ChipAuthenticationPublicKeyInfo,
    parse_security_infos,
)
from kiosk.emrtd.sm import Role, SecureMessaging

_CIPHERS = {
    "1": CipherAlg.DES3,
    "2": CipherAlg.AES128,
    "3": CipherAlg.AES192,
    "4": CipherAlg.AES256,
}
ID_CA_DH = ID_CA + ".1"
ID_CA_ECDH = ID_CA + ".2"
# Probe after re-keying: READ BINARY, P1 = 80 | SFI '1E' (EF.COM), one byte.
_PROBE = CommandApdu(0x00, 0xB0, 0x9E, 0x00, le=1)


def cipher_of(oid: str) -> CipherAlg:
    """The SM cipher named by a CA OID (Tables 5 and 6)."""
    family, _, tail = oid.rpartition(".")
    if family not in (ID_CA_DH, ID_CA_ECDH) or tail not in _CIPHERS:
        raise UnsupportedProtocol()
    return _CIPHERS[tail]


def select(dg14: bytes) -> tuple[str, ChipAuthenticationPublicKeyInfo]:
    """Choose (CA protocol OID, public key info) from DG14; UnsupportedProtocol if none."""
    infos = parse_security_infos(dg14)
    keys = [k for k in infos.chip_authentication_public_keys if k.domain is not None]
    candidates: list[tuple[ChipAuthenticationInfo | None, ChipAuthenticationPublicKeyInfo]] = []
    for info in infos.chip_authentication:
        for key in keys:
            if info.key_id is None or key.key_id is None or info.key_id == key.key_id:
                candidates.append((info, key))
    if not infos.chip_authentication and len(keys) == 1:
        candidates.append((None, keys[0]))  # early chips without ChipAuthenticationInfo
    for ca_info, key in candidates:
        dh = key.oid == ID_PK_DH
        oid = ca_info.oid if ca_info else (ID_CA_DH if dh else ID_CA_ECDH) + ".1"  # 3DES default
        try:
            cipher_of(oid)
        except UnsupportedProtocol:
            continue
        if oid.startswith(ID_CA_DH + ".") == dh:
            return oid, key
    raise UnsupportedProtocol()


def _ephemeral(domain: Domain, rng: Rng) -> tuple[int, bytes]:
    if isinstance(domain, ec.Curve):
        sk = domain.random_scalar(rng)
        return sk, domain.encode_point(domain.mul_base(sk))
    size = (domain.q.bit_length() + 7) // 8
    while True:
        sk = int.from_bytes(rng(size), "big")
        if 0 < sk < domain.q:
            y = pow(domain.g, sk, domain.p)
            return sk, y.to_bytes((y.bit_length() + 7) // 8, "big")


def _shared_secret(domain: Domain, sk: int, public: bytes) -> bytes:
    if isinstance(domain, ec.Curve):
        return domain.ecdh_x(sk, domain.decode_point(public))
    y = int.from_bytes(public, "big")
    if not public or not 1 < y < domain.p - 1 or pow(y, domain.q, domain.p) != 1:
        raise MalformedData()
    return pow(y, sk, domain.p).to_bytes(domain.size, "big")


def _key_ref(key: ChipAuthenticationPublicKeyInfo) -> bytes:
    if key.key_id is None:
        return b""
    return tlv.encode(0x84, key.key_id.to_bytes(max(1, (key.key_id.bit_length() + 7) // 8), "big"))


def probe_by_fid(p1: int = 0x02, p2: int = 0x0C) -> CommandApdu:
    """The key-proving probe for chips without SFI support: SELECT EF.COM ('011E') by file
    identifier (9303-10 section 3.5.1), with the P1/P2 form the chip has accepted."""
    return CommandApdu(0x00, 0xA4, p1, p2, b"\x01\x1e", le=256 if p2 == 0x00 else None)


def perform_ca(
    channel: SecureChannel,
    dg14: bytes,
    *,
    extended: bool | None = None,
    rng: Rng = system_rng,
    probe: CommandApdu = _PROBE,
) -> SecureChannel:
    """Run chip authentication on ``channel`` and return it re-keyed (see module doc).

    ``probe`` is the harmless command whose MAC-protected answer proves the new keys; the
    default reads one byte of EF.COM by short EF identifier. A chip that does not take SFIs
    may answer that read with a plain error, which would look like a clone: the reader then
    passes a SELECT of EF.COM by file identifier in the form the chip accepted instead
    (:func:`probe_by_fid`), which a genuine chip answers under the new keys all the same.
    """
    del extended  # the channel knows whether it uses extended length
    oid, key = select(dg14)
    cipher = cipher_of(oid)
    domain = key.domain
    assert domain is not None
    sk, public = _ephemeral(domain, rng)
    if cipher is CipherAlg.DES3:
        data = tlv.encode(0x91, public) + _key_ref(key)
        channel.transmit(CommandApdu(0x00, 0x22, 0x41, 0xA6, data)).check()
    else:
        data = tlv.encode(0x80, tlv.encode_oid(oid)) + _key_ref(key)
        channel.transmit(CommandApdu(0x00, 0x22, 0x41, 0xA4, data)).check()
        ga = CommandApdu(0x00, 0x86, 0x00, 0x00, tlv.encode(0x7C, tlv.encode(0x80, public)), 256)
        channel.transmit(ga).check()
    secret = _shared_secret(domain, sk, key.public_key)
    channel.rekey(
        SecureMessaging(
            cipher,
            crypto.kdf(secret, crypto.KDF_ENC, cipher),
            crypto.kdf(secret, crypto.KDF_MAC, cipher),
            0,
            Role.TERMINAL,
        )
    )
    try:
        channel.transmit(probe, strict=True)
    except ChipProtocolError as exc:  # includes SecureMessagingError: the MAC did not verify
        raise CloneDetected() from exc
    channel.chip_authenticated = True
    return channel


class ChipCa:
    """Chip side of chip authentication for the emulator.

    ``domain`` and ``private_key`` are the static key pair (DG14 carries the public half);
    ``oid`` is the CA protocol OID the chip offers in its ChipAuthenticationInfo.
    :meth:`handle` returns the response (to be protected with the current keys) and, once
    CA completed, the new chip-side SecureMessaging to install right after it.

    Routing: GENERAL AUTHENTICATE (INS '86') belongs to CA only after an MSE:Set AT '41A4'
    (:attr:`armed`); the emulator routes it to PACE otherwise.
    """

    def __init__(
        self,
        domain: Domain,
        private_key: int,
        oid: str,
        *,
        key_id: int | None = None,
        agree: Callable[[bytes], bytes] | None = None,
    ) -> None:
        self.domain = domain
        self.private_key = private_key
        self.oid = oid
        self.key_id = key_id
        # optional key agreement of a "crypto co-processor": public key bytes -> shared
        # secret (x-coordinate, left-padded); defaults to our own code (OpenSSL where it can)
        self.agree = agree
        self.cipher = cipher_of(oid)
        self.armed = False

    def public_key(self) -> bytes:
        """The static public key as DG14 carries it (point or minimal y)."""
        if isinstance(self.domain, ec.Curve):
            return self.domain.encode_point(self.domain.mul_base(self.private_key))
        y = pow(self.domain.g, self.private_key, self.domain.p)
        return y.to_bytes((y.bit_length() + 7) // 8, "big")

    @property
    def public_key_oid(self) -> str:
        """id-PK-ECDH or id-PK-DH."""
        return ID_PK_DH if isinstance(self.domain, DhGroup) else ID_PK_ECDH

    def handles(self, cmd: CommandApdu) -> bool:
        """MSE:Set KAT/AT for CA, and GENERAL AUTHENTICATE once armed."""
        if cmd.ins == 0x22:
            return (cmd.p1, cmd.p2) in ((0x41, 0xA6), (0x41, 0xA4))
        return cmd.ins == 0x86 and self.armed

    def _session(self, public: bytes) -> SecureMessaging:
        if self.agree is not None:
            secret = self.agree(public)
        else:
            secret = _shared_secret(self.domain, self.private_key, public)
        return SecureMessaging(
            self.cipher,
            crypto.kdf(secret, crypto.KDF_ENC, self.cipher),
            crypto.kdf(secret, crypto.KDF_MAC, self.cipher),
            0,
            Role.CHIP,
        )

    def _key_matches(self, objects: dict[int, bytes]) -> bool:
        if 0x84 not in objects:
            return True
        return self.key_id is not None and int.from_bytes(objects[0x84], "big") == self.key_id

    def handle(self, cmd: CommandApdu) -> tuple[ResponseApdu, SecureMessaging | None]:
        """Answer one CA command; see the class docstring."""
        try:
            if cmd.ins == 0x22 and cmd.p2 == 0xA6:  # MSE:Set KAT (3DES only)
                self.armed = False
                objects = {i.tag: i.value for i in tlv.parse_all(cmd.data)}
                if self.cipher is not CipherAlg.DES3 or 0x91 not in objects:
                    return ResponseApdu(b"", SW_WRONG_DATA), None
                if not self._key_matches(objects):
                    return ResponseApdu(b"", SW_REF_NOT_FOUND), None
                return ResponseApdu(b"", SW_OK), self._session(objects[0x91])
            if cmd.ins == 0x22:  # MSE:Set AT
                objects = {i.tag: i.value for i in tlv.parse_all(cmd.data)}
                if tlv.decode_oid(objects.get(0x80, b"\x00")) != self.oid:
                    return ResponseApdu(b"", SW_WRONG_DATA), None
                if not self._key_matches(objects):
                    return ResponseApdu(b"", SW_REF_NOT_FOUND), None
                self.armed = True
                return ResponseApdu(b"", SW_OK), None
            self.armed = False
            public = tlv.parse_single(cmd.data, 0x7C).child(0x80).value
            return ResponseApdu(tlv.encode(0x7C, b""), SW_OK), self._session(public)
        except MalformedData:
            self.armed = False
            return ResponseApdu(b"", SW_WRONG_DATA), None
