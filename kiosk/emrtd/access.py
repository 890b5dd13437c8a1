"""Choosing the access protocol and opening the secure channel (DESIGN.md section 3).

``establish(transport, secret, card_access, *, extended)`` returns a :class:`SecureChannel`:

- ``secret`` is a :class:`kiosk.mrz.AccessKey` (anything with ``mrz_information()``; an
  eDL key has ``is_edl`` and ``bap_seed_string()``) or a :class:`CanSecret` (defined
  here).
- ``card_access`` is the content of EF.CardAccess read in plain from the master file, or
  None when the chip has no readable such file
  (:func:`kiosk.emrtd.reader.read_card_access` maps every way of "not available" to None).

Rule, fail closed (9303-11 sections 4.2 and 4.4, DESIGN.md 3):

1. EF.CardAccess offers PACEInfo -> PACE with the first offered configuration we
   support (generic mapping preferred over CAM). PACEInfos that are all unsupported raise
   :class:`UnsupportedProtocol`; we do not try BAC instead.
2. No EF.CardAccess, or no PACEInfo in it -> BAC (BAP for an eDL key).
3. A failed PACE is never followed by BAC: every PACE error propagates. A wrong MRZ/CAN
   raises :class:`WrongAccessKey`; a malformed EF.CardAccess raises
   :class:`MalformedData`.

Application selection is the caller's job: BAC/BAP run inside the application, so SELECT
the eMRTD (or eDL) AID in plain *before* ``establish`` when there is no EF.CardAccess;
PACE runs on the master file, so SELECT the AID *through the returned channel* after it
(9303-11 section 4.4, and 9303-10 for the file layout).

PACE-CAM: when ``channel.pace_result.params.mapping == "CAM"`` the chip is only proven
genuine after :func:`kiosk.emrtd.pace.verify_cam` with PK_IC from the (passively
authenticated) EF.CardSecurity; until then treat the clone check as not performed. We
prefer generic mapping when the chip offers both.

eDL with PACE: ISO/IEC 18013-3 lets an eDL run PACE; lacking the standard's text we use
the MRZ-type password reference with f(pi) = SHA-1(BAP seed string), mirroring how BAP
derives its seed. This is an assumption to confirm with a real licence.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

from kiosk.emrtd import bac, pace
from kiosk.emrtd.apdu import CommandApdu, ResponseApdu, Transport
from kiosk.emrtd.crypto import CipherAlg, Rng, system_rng
from kiosk.emrtd.errors import UnsupportedProtocol
from kiosk.emrtd.securityinfos import SecurityInfos, parse_security_infos
from kiosk.emrtd.sm import SecureMessaging
from kiosk.errors import InputError


@dataclass(frozen=True)
class CanSecret:
    """A card access number (CAN): the digits printed on the document (PACE only)."""

    digits: str

    def __post_init__(self) -> None:
        if not self.digits.isdigit() or not 1 <= len(self.digits) <= 10:
            raise InputError("chip.error.can_format")

    def __repr__(self) -> str:
        return "CanSecret(***)"


class SecureChannel:
    """An open secure-messaging session with a chip.

    :meth:`transmit` wraps every command, verifies every response MAC and keeps the SSC;
    it raises :class:`~kiosk.emrtd.errors.SecureMessagingError` for a response that does
    not verify and lets the transport's ``CardRemoved`` through.
    """

    def __init__(
        self,
        transport: Transport,
        sm: SecureMessaging,
        *,
        protocol: str,
        curve: str | None,
        extended: bool,
        pace_result: pace.PaceResult | None = None,
    ) -> None:
        self.transport = transport
        self.sm = sm
        self.protocol = protocol
        self.curve = curve
        self.extended = extended
        self.pace_result = pace_result
        self.chip_authenticated = False

    @property
    def cipher(self) -> str:
        """The session cipher's label: "3DES", "AES-128", "AES-192" or "AES-256"."""
        return self.sm.cipher.label

    @property
    def cipher_alg(self) -> CipherAlg:
        """The session cipher."""
        return self.sm.cipher

    @property
    def extended_length(self) -> bool:
        """Whether extended-length APDUs are used (same as :attr:`extended`)."""
        return self.extended

    def transmit(self, cmd: CommandApdu, *, strict: bool = False) -> ResponseApdu:
        """Send ``cmd`` protected and return the verified, decrypted response.

        ``strict`` also refuses a plain (unauthenticated) error status word.
        """
        raw = self.sm.protect_command(cmd, extended=self.extended)
        return self.sm.unprotect_response(self.transport(raw), strict=strict)

    def rekey(self, sm: SecureMessaging) -> None:
        """Continue with new session keys (after chip authentication, 9303-11 6.2.2)."""
        self.sm = sm

    def __call__(self, raw: bytes) -> bytes:
        """Act as a :data:`Transport` for plain command bytes (wrapped on the way)."""
        return self.transmit(CommandApdu.decode(raw)).encode()


# Domain parameter IDs 0-31 are reserved for the standardized parameters (9303-11 9.5.1).
_FIRST_PROPRIETARY_ID = 32


def _explicit_domain(infos: SecurityInfos, oid: str, param_id: int | None) -> pace.Domain | None:
    """The explicit domain parameters (9.2.2) a PACEInfo refers to, when they are known.

    A PACEInfo without parameterId, or with one outside the standardized range, uses the
    PACEDomainParameterInfo of the same protocol with that ID (the only one when there is
    no ID). Its parameters count only when they equal a standardized curve or group: the
    parser resolves those and leaves anything else as None, which we refuse.
    """
    candidates = [
        d
        for d in infos.pace_domain_parameters
        if oid.startswith(d.oid + ".") and d.parameter_id == param_id
    ]
    if len(candidates) != 1:
        return None
    return candidates[0].domain


def supported_pace(card_access: bytes) -> list[pace.PaceParams]:
    """The PACE configurations EF.CardAccess offers that we can run, best first."""
    infos = parse_security_infos(card_access)
    usable: list[pace.PaceParams] = []
    for info in infos.pace:
        if info.version != 2:
            continue
        param_id = info.parameter_id
        domain = None
        if param_id is None or param_id >= _FIRST_PROPRIETARY_ID:
            domain = _explicit_domain(infos, info.oid, param_id)
            if domain is None:
                continue
        try:
            usable.append(pace.PaceParams.from_oid(info.oid, param_id, domain=domain))
        except UnsupportedProtocol:
            continue
    # generic mapping first (its verification needs nothing else); stable otherwise
    usable.sort(key=lambda p: p.mapping != "GM")
    return usable


def describe_pace(card_access: bytes) -> str:
    """The PACE configurations EF.CardAccess offers, readable for the beheerder and the log
    (e.g. "ECDH-IM-AES-256 on P-224"); EF.CardAccess holds no personal data."""
    infos = parse_security_infos(card_access)
    offered = [
        f"{pace.describe_oid(info.oid)} on {pace.describe_domain(info.parameter_id)}"
        for info in infos.pace
    ]
    return ", ".join(offered) or "-"


def offers_pace(card_access: bytes | None) -> bool:
    """True when EF.CardAccess contains any PACEInfo (supported or not)."""
    return card_access is not None and bool(parse_security_infos(card_access).pace)


def _pace_password(secret: Any) -> pace.PacePassword:
    if isinstance(secret, CanSecret):
        return pace.can_password(secret.digits)
    if getattr(secret, "is_edl", False):
        return pace.mrz_password(secret.bap_seed_string())
    return pace.mrz_password(secret.mrz_information())


def establish(
    transport: Transport,
    secret: Any,
    card_access: bytes | None,
    *,
    extended: bool,
    rng: Rng = system_rng,
) -> SecureChannel:
    """Run PACE or BAC/BAP per the fail-closed rule above and return the channel."""
    if offers_pace(card_access):
        assert card_access is not None
        options = supported_pace(card_access)
        if not options:
            raise UnsupportedProtocol(
                "chip.error.pace_unsupported", offered=describe_pace(card_access)
            )
        params = options[0]
        offered = len(parse_security_infos(card_access).pace)
        result = pace.perform_pace(
            transport,
            params,
            _pace_password(secret),
            extended=extended,
            rng=rng,
            send_param_id=offered > 1,
        )
        return SecureChannel(
            transport,
            result.sm,
            protocol="PACE",
            curve=params.curve_name,
            extended=extended,
            pace_result=result,
        )
    if isinstance(secret, CanSecret):
        raise UnsupportedProtocol("chip.error.can_without_pace")
    if getattr(secret, "is_edl", False):
        seed = bac.bap_key_seed(secret.bap_seed_string())
        protocol = "BAP"
    else:
        seed = bac.key_seed(secret.mrz_information())
        protocol = "BAC"
    k_enc, k_mac = bac.derive_keys(seed)
    sm = bac.perform_bac(transport, k_enc, k_mac, extended=extended, rng=rng)
    return SecureChannel(transport, sm, protocol=protocol, curve=None, extended=extended)
