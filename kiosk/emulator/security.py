"""Chip-side security commands for the emulator: BAC/BAP, PACE, CA, AA (ICAO 9303-11).

The cryptography lives in :mod:`kiosk.emrtd` (the protocol engineer's chip-side classes:
``bac.ChipBac``, ``pace.ChipPace``, ``sm.SecureMessaging(role=CHIP)``, ...); this module only
routes the chip's commands to them, opens the secure channel when access control succeeds,
and enforces the profile's rules (a PACE-only chip refuses BAC).
"""

from __future__ import annotations

import logging
from typing import TYPE_CHECKING

from kiosk.emrtd import bac
from kiosk.emrtd.apdu import CommandApdu, ResponseApdu
from kiosk.emrtd.sm import SecureMessaging
from kiosk.emulator.chip import (
    SW_CONDITIONS_NOT_SATISFIED,
    SW_INS_NOT_SUPPORTED,
    SW_SECURITY_NOT_SATISFIED,
    Chip,
    Command,
    Response,
)

if TYPE_CHECKING:
    from kiosk.emulator.profile import ChipProfile

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
    """Access control and authentication state of one emulated chip session."""

    def __init__(self, profile: ChipProfile) -> None:
        self.profile = profile
        self._bac: bac.ChipBac | None = None
        self.reset()

    def reset(self) -> None:
        """Forget all session state."""
        self._bac = self._new_bac()

    def _new_bac(self) -> bac.ChipBac | None:
        profile = self.profile
        if not profile.bac or not profile.mrz:
            return None
        # BAC: K_seed from MRZ_information; BAP (ISO/IEC 18013-3): the same messages with
        # K_seed from the one-line eDL MRZ. kiosk.mrz builds both seed strings.
        return bac.ChipBac(*bac.derive_keys(bac.key_seed(access_seed_string(profile.mrz))))

    def handle(self, chip: Chip, cmd: Command) -> Response | None:
        """Answer a security command or return None for anything else."""
        if cmd.ins in (INS_GET_CHALLENGE, INS_EXTERNAL_AUTHENTICATE):
            return self._bac_command(chip, cmd)
        return None

    def _bac_command(self, chip: Chip, cmd: Command) -> Response:
        if self._bac is None:
            if cmd.ins == INS_GET_CHALLENGE:
                return Response.status(SW_CONDITIONS_NOT_SATISFIED)
            return Response.status(SW_SECURITY_NOT_SATISFIED)
        if cmd.ins == INS_EXTERNAL_AUTHENTICATE and chip.secure_channel is not None:
            return Response.status(SW_CONDITIONS_NOT_SATISFIED)
        answer = self._bac.handle(_to_apdu(cmd))
        if cmd.ins == INS_EXTERNAL_AUTHENTICATE and self._bac.session is not None:
            chip.open_secure_channel(SmChannel(self._bac.session))
            self._bac.session = None
        return _from_apdu(answer)


def access_seed_string(mrz: str) -> str:
    """The BAC/BAP key-seed input of a document's MRZ (9303-11 4.3.2 / ISO/IEC 18013-3)."""
    from kiosk.mrz.parser import parse_mrz

    key = parse_mrz(mrz, correct=False).access_key
    if key is None:
        raise ValueError("the profile's MRZ gives no access key")
    return key.seed_string()


def build_access_handler(profile: ChipProfile) -> ChipSecurity | None:
    """Return the security command handler for ``profile`` (None: no access control)."""
    if not profile.protected:
        return None
    return ChipSecurity(profile)


__all__ = ["SW_INS_NOT_SUPPORTED", "ChipSecurity", "SmChannel", "build_access_handler"]
