"""Chip-side security commands for the emulator: BAC/BAP, PACE, CA, AA (ICAO 9303-11).

The cryptography lives in :mod:`kiosk.emrtd` (the protocol engineer's chip-side classes:
``bac.ChipBac``, ``pace.ChipPace``, ``sm.SecureMessaging(role=CHIP)``, ...); this module only
routes the chip's commands to them, opens the secure channel when access control succeeds,
and enforces the profile's rules (a PACE-only chip refuses BAC). :func:`build_chip` puts a
profile's files and these handlers together into a chip.
"""

from __future__ import annotations

import logging
import os

from cryptography.hazmat.primitives.asymmetric import ec as crypto_ec
from cryptography.hazmat.primitives.asymmetric import rsa
from cryptography.hazmat.primitives.serialization import load_der_private_key

from kiosk.emrtd import aa, bac, ca, pace
from kiosk.emrtd.apdu import CommandApdu, ResponseApdu
from kiosk.emrtd.sm import SecureMessaging
from kiosk.emulator import factory
from kiosk.emulator.chip import (
    SW_CONDITIONS_NOT_SATISFIED,
    SW_INS_NOT_SUPPORTED,
    SW_OK,
    SW_SECURITY_NOT_SATISFIED,
    SW_WRONG_P1P2,
    Application,
    Chip,
    Command,
    Response,
)
from kiosk.emulator.profile import ChipProfile, atr_for

log = logging.getLogger(__name__)

INS_GET_CHALLENGE = 0x84
INS_EXTERNAL_AUTHENTICATE = 0x82
INS_INTERNAL_AUTHENTICATE = 0x88
INS_MSE = 0x22
INS_GENERAL_AUTHENTICATE = 0x86


class SmChannel:
    """Adapts the protocol layer's chip-side :class:`SecureMessaging` to the chip."""

    def __init__(self, session: SecureMessaging) -> None:
        self.session = session

    def unwrap(self, apdu: bytes) -> bytes:
        """Verify and decrypt a protected command; raises ``SmCommandError`` (has ``sw``)."""
        return self.session.unprotect_command(apdu).encode(extended=True)

    def wrap(self, data: bytes, sw: bytes) -> bytes:
        """Protect a response."""
        return self.session.protect_response(ResponseApdu(data, int.from_bytes(sw, "big")))


def _to_apdu(cmd: Command) -> CommandApdu:
    return CommandApdu(cmd.cla, cmd.ins, cmd.p1, cmd.p2, cmd.data, cmd.le)


def _from_apdu(response: ResponseApdu) -> Response:
    return Response(response.data, response.sw.to_bytes(2, "big"))


class ChipSecurity:
    """Access control and authentication state of one emulated chip session.

    Routing (ISO/IEC 7816-4 / 9303-11): GET CHALLENGE + EXTERNAL AUTHENTICATE -> BAC/BAP;
    MSE:Set AT 'C1A4' and GENERAL AUTHENTICATE -> PACE; MSE:Set AT '41A4' / KAT '41A6' and
    the GENERAL AUTHENTICATE after it -> chip authentication; INTERNAL AUTHENTICATE -> active
    authentication. CA and AA need access control first (they run under its channel).
    """

    def __init__(self, profile: ChipProfile) -> None:
        self.profile = profile
        self._bac: bac.ChipBac | None = None
        self._pace = _build_pace(profile)
        self._ca = _build_ca(profile)
        self._aa = _build_aa(profile)
        self.reset()

    def reset(self) -> None:
        """Forget all session state."""
        self._bac = self._new_bac()
        if self._pace is not None:
            self._pace = _build_pace(self.profile)
        if self._ca is not None:
            self._ca.armed = False

    def _new_bac(self) -> bac.ChipBac | None:
        profile = self.profile
        if not profile.bac or not profile.mrz:
            return None
        # BAC: K_seed from MRZ_information; BAP (ISO/IEC 18013-3): the same messages with
        # K_seed from the one-line eDL MRZ. kiosk.mrz builds both seed strings.
        return bac.ChipBac(*bac.derive_keys(bac.key_seed(access_seed_string(profile.mrz))))

    def handle(self, chip: Chip, cmd: Command) -> Response | None:
        """Answer a security command or return None for anything else."""
        apdu = _to_apdu(cmd)
        if self._ca is not None and self._ca.handles(apdu):
            return self._ca_command(chip, apdu)
        if cmd.ins in (INS_MSE, INS_GENERAL_AUTHENTICATE):
            return self._pace_command(chip, apdu)
        if cmd.ins == INS_INTERNAL_AUTHENTICATE:
            if self._aa is None:
                return Response.status(SW_INS_NOT_SUPPORTED)
            if not chip.authenticated:
                return Response.status(SW_SECURITY_NOT_SATISFIED)
            return _from_apdu(self._aa.handle(apdu))
        if cmd.ins in (INS_GET_CHALLENGE, INS_EXTERNAL_AUTHENTICATE):
            return self._bac_command(chip, cmd)
        return None

    def _pace_command(self, chip: Chip, apdu: CommandApdu) -> Response:
        if self._pace is None or not self._pace.handles(apdu):
            return Response.status(SW_INS_NOT_SUPPORTED if self._pace is None else SW_WRONG_P1P2)
        answer = self._pace.handle(apdu)
        if self._pace.session is not None:
            chip.open_secure_channel(SmChannel(self._pace.session))
            self._pace.session = None
        return _from_apdu(answer)

    def _ca_command(self, chip: Chip, apdu: CommandApdu) -> Response:
        assert self._ca is not None
        if not chip.authenticated:
            return Response.status(SW_SECURITY_NOT_SATISFIED)
        answer, session = self._ca.handle(apdu)
        if session is not None:
            # The answer still goes out under the old keys (the chip captured the channel
            # that carried the command); everything after uses the new ones (9303-11 6.2).
            chip.open_secure_channel(SmChannel(session))
        return _from_apdu(answer)

    def _bac_command(self, chip: Chip, cmd: Command) -> Response:
        if cmd.ins == INS_GET_CHALLENGE and (self._bac is None or chip.secure_channel):
            # A challenge outside BAC (e.g. for AA terminals that ask one first).
            return Response(_random(8 if cmd.le is None else min(cmd.le, 256)), SW_OK)
        if self._bac is None:
            return Response.status(SW_SECURITY_NOT_SATISFIED)
        if cmd.ins == INS_EXTERNAL_AUTHENTICATE and chip.secure_channel is not None:
            return Response.status(SW_CONDITIONS_NOT_SATISFIED)
        answer = self._bac.handle(_to_apdu(cmd))
        if cmd.ins == INS_EXTERNAL_AUTHENTICATE and self._bac.session is not None:
            chip.open_secure_channel(SmChannel(self._bac.session))
            self._bac.session = None
        return _from_apdu(answer)


def _random(size: int) -> bytes:
    return os.urandom(size)


def _build_pace(profile: ChipProfile) -> pace.ChipPace | None:
    if not profile.pace:
        return None
    supported = []
    for entry in profile.pace:
        protocol, _, curve = entry.partition(":")
        supported.append(
            pace.PaceParams.from_oid(
                factory.PACE_PROTOCOLS[protocol], factory.PACE_PARAMETER_IDS[curve]
            )
        )
    passwords: dict[int, bytes] = {}
    if profile.mrz and not profile.is_edl:
        passwords[pace.PASSWORD_MRZ] = pace.mrz_password(access_seed_string(profile.mrz)).key
    if profile.can:
        passwords[pace.PASSWORD_CAN] = pace.can_password(profile.can).key
    return pace.ChipPace(passwords, supported)


def _private_key(der: bytes) -> crypto_ec.EllipticCurvePrivateKey | rsa.RSAPrivateKey:
    key = load_der_private_key(der, password=None)
    if not isinstance(key, crypto_ec.EllipticCurvePrivateKey | rsa.RSAPrivateKey):
        raise ValueError("emulator keys are EC or RSA")
    return key


def _curve_of(key: crypto_ec.EllipticCurvePrivateKey) -> object:
    names = {
        "brainpoolP256r1": "brainpoolP256r1",
        "brainpoolP384r1": "brainpoolP384r1",
        "brainpoolP512r1": "brainpoolP512r1",
        "secp256r1": "secp256r1",
        "secp384r1": "secp384r1",
        "secp521r1": "secp521r1",
    }
    return pace.domain_by_id(factory.PACE_PARAMETER_IDS[names[key.curve.name]])


def _build_ca(profile: ChipProfile) -> ca.ChipCa | None:
    dg14 = profile.files.get(0x010E)
    if profile.ca_key is None or dg14 is None:
        return None
    key = _private_key(profile.ca_key)
    if not isinstance(key, crypto_ec.EllipticCurvePrivateKey):
        return None
    oid, info = ca.select(dg14)
    # The chip's real key decides the domain; in the clone_ca profile it differs from DG14.
    domain = _curve_of(key)
    return ca.ChipCa(
        domain,  # type: ignore[arg-type]
        key.private_numbers().private_value,
        oid,
        key_id=info.key_id,
    )


def _build_aa(profile: ChipProfile) -> aa.ChipAa | None:
    if profile.aa_key is None:
        return None
    key = _private_key(profile.aa_key)
    if isinstance(key, rsa.RSAPrivateKey):
        return aa.ChipAa(rsa_key=key)
    return aa.ChipAa(
        curve=_curve_of(key),  # type: ignore[arg-type]
        ec_key=key.private_numbers().private_value,
        hash_name="sha256",
    )


def access_seed_string(mrz: str) -> str:
    """The BAC/BAP key-seed input of a document's MRZ (9303-11 4.3.2 / ISO/IEC 18013-3)."""
    from kiosk.mrz.parser import parse_mrz

    key = parse_mrz(mrz, correct=False).access_key
    if key is None:
        raise ValueError("the profile's MRZ gives no access key")
    return key.seed_string()


def warm_up(profile: ChipProfile) -> None:
    """Precompute the fixed-base tables of the profile's PACE curves (a one-off ~10 ms per
    curve), so the first PACE after the card is placed runs at steady-state speed, like a
    chip's crypto co-processor rather than a cold Python process."""
    from kiosk.emrtd import ec

    for entry in profile.pace:
        curve = ec.BY_NAME.get(entry.partition(":")[2])
        if curve is not None:
            curve.precompute()


def build_access_handler(profile: ChipProfile) -> ChipSecurity | None:
    """Return the security command handler for ``profile`` (None: no access control)."""
    if not profile.protected:
        return None
    return ChipSecurity(profile)


def build_chip(profile: ChipProfile) -> Chip:
    """Create a fresh chip in its power-on state serving ``profile``."""
    return Chip(
        atr=atr_for(profile.extended_length, t0=profile.quirks.t0),
        extended_length=profile.extended_length,
        mf_files=profile.mf_files,
        applications=[Application(profile.aid, profile.files, protected=profile.protected)],
        access=build_access_handler(profile),
        card_access_sw=profile.card_access_sw,
        quirks=profile.quirks,
    )


__all__ = [
    "ChipSecurity",
    "SmChannel",
    "access_seed_string",
    "build_access_handler",
    "build_chip",
]
