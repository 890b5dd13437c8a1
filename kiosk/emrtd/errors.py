"""Typed errors of the chip layer (ICAO 9303-11 access control, secure messaging, CA/AA).

Every failure a person can see while reading a chip maps to one of these, each with a
message key in ``resources/i18n/<lang>/chip.json``::

    KioskError
    +-- InputError
    |   +-- WrongAccessKey          BAC/BAP/PACE refused the MRZ or CAN (SW 63xx/6982/6300)
    +-- EnvironmentFailure
    |   +-- CardRemoved             the document left the reader mid-session
    +-- ProtocolError
    |   +-- ChipProtocolError       the chip answered outside 9303 / ISO 7816-4
    |   |   +-- MalformedData       a TLV/ASN.1 structure from the chip does not parse
    |   |   +-- SecureMessagingError  a response MAC, DO or padding does not verify
    |   |   +-- StatusWordError     an unexpected status word (``sw`` parameter, hex)
    |   +-- UnsupportedProtocol     the chip only offers protocols/parameters we do not
    |                               implement (fail closed: we never downgrade)
    +-- SecurityFailure
        +-- CloneDetected           active or chip authentication proved the chip is not
                                    the one the signed data belongs to

Parsers of data that comes from a chip raise only :class:`ChipProtocolError` subclasses
(tested with hypothesis), never ``IndexError``/``ValueError`` and friends.
"""

from __future__ import annotations

from typing import Any

from kiosk.errors import EnvironmentFailure, InputError, ProtocolError, SecurityFailure


class WrongAccessKey(InputError):
    """The chip refused the access key: the MRZ (or CAN) entered does not match the chip."""

    message_key = "chip.error.wrong_access_key"


class CardRemoved(EnvironmentFailure):
    """The document was taken off the reader (or the reader lost it) during a session."""

    message_key = "chip.error.card_removed"


class ChipProtocolError(ProtocolError):
    """The chip answered outside ICAO 9303 / ISO 7816-4."""

    message_key = "chip.error.protocol"


class MalformedData(ChipProtocolError):
    """Data from the chip (TLV, ASN.1, point encoding) is malformed."""

    message_key = "chip.error.malformed"


class SecureMessagingError(ChipProtocolError):
    """A secure-messaging response failed verification (MAC, data objects, padding)."""

    message_key = "chip.error.secure_messaging"


class StatusWordError(ChipProtocolError):
    """The chip answered a command with an unexpected status word."""

    message_key = "chip.error.status"

    def __init__(self, sw: int, /, **params: Any) -> None:
        super().__init__(None, sw=f"{sw:04X}", **params)
        self.sw = sw


class UnsupportedProtocol(ProtocolError):
    """The chip offers no access/authentication protocol this kiosk implements."""

    message_key = "chip.error.unsupported_protocol"


class CloneDetected(SecurityFailure):
    """Active or chip authentication failed: the chip is not the genuine one."""

    message_key = "chip.error.clone_detected"
