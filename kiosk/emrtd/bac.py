"""Basic Access Control (ICAO 9303-11 section 4.3) and the eDL's BAP, both sides.

Key derivation (9.7.2, App. D.2): K_seed = first 16 bytes of SHA-1(MRZ_information);
K_Enc = KDF(K_seed, 1), K_MAC = KDF(K_seed, 2) as 2-key 3DES with parity adjusted.

Terminal: :func:`perform_bac` runs GET CHALLENGE + EXTERNAL AUTHENTICATE (4.3.4) and
returns a terminal-side :class:`~kiosk.emrtd.sm.SecureMessaging` with SSC =
RND.IC[4:] || RND.IFD[4:] (9.8.6.3). A refusal (6300 / 6982) raises WrongAccessKey.

Chip: :class:`ChipBac` answers those two commands for the emulator and exposes the
chip-side secure messaging once authenticated.

BAP (Basic Access Protection, ISO/IEC 18013-3:2017 section 8.2 for the ISO-compliant
driving licence) runs exactly the BAC messages with K_seed = the first 16 bytes of SHA-1
over the eDL's key-seed string. That string comes from the one-line eDL MRZ (the MRZ
module builds it: :func:`bap_key_seed` takes it as given); only the derivation of the
seed differs, so BAP shares all code here.
"""

from __future__ import annotations

import hashlib

from kiosk.emrtd import crypto
from kiosk.emrtd.apdu import (
    SW_AUTH_FAILED,
    SW_SECURITY_NOT_SATISFIED,
    SW_WRONG_DATA,
    CommandApdu,
    ResponseApdu,
    Transport,
    exchange,
)
from kiosk.emrtd.crypto import CipherAlg, Rng, system_rng
from kiosk.emrtd.errors import ChipProtocolError, StatusWordError, WrongAccessKey
from kiosk.emrtd.sm import Role, SecureMessaging

INS_GET_CHALLENGE = 0x84
INS_EXTERNAL_AUTHENTICATE = 0x82
_DES3 = CipherAlg.DES3


def key_seed(mrz_information: str) -> bytes:
    """K_seed: the 16 most significant bytes of SHA-1(MRZ_information) (App. D.2 step 3-4)."""
    return hashlib.sha1(mrz_information.encode("ascii")).digest()[:16]  # noqa: S324 (ICAO 9303-11 mandates SHA-1 here)


def bap_key_seed(seed_string: str) -> bytes:
    """BAP K_seed for an eDL: the 16 most significant bytes of SHA-1(seed string)."""
    return hashlib.sha1(seed_string.encode("ascii")).digest()[:16]  # noqa: S324 (ICAO 9303-11 mandates SHA-1 here)


def derive_keys(seed: bytes) -> tuple[bytes, bytes]:
    """(K_Enc, K_MAC) from K_seed (9.7.2, App. D.1)."""
    return crypto.kdf(seed, crypto.KDF_ENC, _DES3), crypto.kdf(seed, crypto.KDF_MAC, _DES3)


def _session(
    seed_a: bytes, seed_b: bytes, rnd_ic: bytes, rnd_ifd: bytes, role: Role
) -> SecureMessaging:
    seed = bytes(a ^ b for a, b in zip(seed_a, seed_b, strict=True))
    ks_enc, ks_mac = derive_keys(seed)
    ssc = int.from_bytes(rnd_ic[4:] + rnd_ifd[4:], "big")
    return SecureMessaging(_DES3, ks_enc, ks_mac, ssc, role)


def perform_bac(
    transport: Transport,
    k_enc: bytes,
    k_mac: bytes,
    *,
    extended: bool = False,
    rng: Rng = system_rng,
) -> SecureMessaging:
    """Run BAC as the terminal and return the session's secure messaging."""
    challenge = exchange(
        transport, CommandApdu(0x00, INS_GET_CHALLENGE, 0, 0, le=8), extended=extended
    )
    if not challenge.ok:
        raise StatusWordError(challenge.sw)
    rnd_ic = challenge.data
    if len(rnd_ic) != 8:
        raise ChipProtocolError()
    rnd_ifd = rng(8)
    k_ifd = rng(16)
    e_ifd = crypto.encrypt(_DES3, k_enc, rnd_ifd + rnd_ic + k_ifd)
    m_ifd = crypto.retail_mac(k_mac, crypto.pad(e_ifd, 8))
    cmd = CommandApdu(0x00, INS_EXTERNAL_AUTHENTICATE, 0, 0, e_ifd + m_ifd, le=40)
    answer = exchange(transport, cmd, extended=extended)
    if answer.sw in (SW_AUTH_FAILED, SW_SECURITY_NOT_SATISFIED) or answer.sw >> 8 == 0x63:
        raise WrongAccessKey()
    if not answer.ok:
        raise StatusWordError(answer.sw)
    if len(answer.data) != 40:
        raise ChipProtocolError()
    e_ic, m_ic = answer.data[:32], answer.data[32:]
    if not crypto.mac_equal(m_ic, crypto.retail_mac(k_mac, crypto.pad(e_ic, 8))):
        raise ChipProtocolError()
    r = crypto.decrypt(_DES3, k_enc, e_ic)
    if r[:8] != rnd_ic or r[8:16] != rnd_ifd:
        raise ChipProtocolError()
    return _session(k_ifd, r[16:], rnd_ic, rnd_ifd, Role.TERMINAL)


class ChipBac:
    """The chip side of BAC/BAP for the emulator.

    Feed it GET CHALLENGE and EXTERNAL AUTHENTICATE commands (:meth:`handle`); after a
    successful EXTERNAL AUTHENTICATE, :attr:`session` holds chip-side secure messaging.
    """

    def __init__(self, k_enc: bytes, k_mac: bytes, rng: Rng = system_rng) -> None:
        self.k_enc = k_enc
        self.k_mac = k_mac
        self.rng = rng
        self.rnd_ic: bytes | None = None
        self.session: SecureMessaging | None = None

    @classmethod
    def from_mrz(cls, mrz_information: str, rng: Rng = system_rng) -> ChipBac:
        """A chip whose keys derive from ``mrz_information``."""
        return cls(*derive_keys(key_seed(mrz_information)), rng=rng)

    def handles(self, cmd: CommandApdu) -> bool:
        """True for the commands this class answers."""
        return cmd.ins in (INS_GET_CHALLENGE, INS_EXTERNAL_AUTHENTICATE)

    def handle(self, cmd: CommandApdu) -> ResponseApdu:
        """Answer GET CHALLENGE or EXTERNAL AUTHENTICATE."""
        if cmd.ins == INS_GET_CHALLENGE:
            self.rnd_ic = self.rng(8)
            self.session = None
            return ResponseApdu(self.rnd_ic, 0x9000)
        if cmd.ins != INS_EXTERNAL_AUTHENTICATE or len(cmd.data) != 40:
            return ResponseApdu(b"", SW_WRONG_DATA)
        rnd_ic, self.rnd_ic = self.rnd_ic, None  # a challenge is good for one try
        if rnd_ic is None:
            return ResponseApdu(b"", SW_SECURITY_NOT_SATISFIED)
        e_ifd, m_ifd = cmd.data[:32], cmd.data[32:]
        if not crypto.mac_equal(m_ifd, crypto.retail_mac(self.k_mac, crypto.pad(e_ifd, 8))):
            return ResponseApdu(b"", SW_AUTH_FAILED)
        s = crypto.decrypt(_DES3, self.k_enc, e_ifd)
        rnd_ifd, echoed, k_ifd = s[:8], s[8:16], s[16:]
        if not crypto.mac_equal(echoed, rnd_ic):
            return ResponseApdu(b"", SW_AUTH_FAILED)
        k_ic = self.rng(16)
        e_ic = crypto.encrypt(_DES3, self.k_enc, rnd_ic + rnd_ifd + k_ic)
        m_ic = crypto.retail_mac(self.k_mac, crypto.pad(e_ic, 8))
        self.session = _session(k_ifd, k_ic, rnd_ic, rnd_ifd, Role.CHIP)
        return ResponseApdu(e_ic + m_ic, 0x9000)
