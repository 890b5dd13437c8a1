"""ISO/IEC 7816-4 command and response APDUs, short and extended length.

The wire contract between this package and whatever talks to a chip (the pyscard device
adapter, the vpcd emulator, test doubles) is :data:`Transport`: raw command bytes in, raw
response bytes (data || SW1 || SW2) out. A transport raises
:class:`kiosk.emrtd.errors.CardRemoved` when the card is gone.

``le`` is the number of response bytes expected. ``256`` (short) and ``65536`` (extended)
are encoded as zeros, as is ``0``, which we use as "as many as you have" (ISO 7816-4
section 5.1: Le = '00' / '0000' means the maximum).
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass

from kiosk.emrtd.errors import (
    ChipProtocolError,
    MalformedData,
    StatusWordError,
    UnsupportedProtocol,
)

Transport = Callable[[bytes], bytes]
"""Raw command APDU in, raw response APDU (data || SW1 || SW2) out."""

SW_OK = 0x9000
SW_END_OF_FILE = 0x6282
SW_AUTH_FAILED = 0x6300
SW_SECURITY_NOT_SATISFIED = 0x6982
SW_SM_MISSING = 0x6987
SW_SM_INCORRECT = 0x6988
SW_WRONG_LENGTH = 0x6700
SW_NO_CURRENT_EF = 0x6986
SW_WRONG_DATA = 0x6A80
SW_FILE_NOT_FOUND = 0x6A82
SW_REF_NOT_FOUND = 0x6A88
SW_WRONG_P1P2 = 0x6B00
SW_INS_NOT_SUPPORTED = 0x6D00

SHORT_MAX_LC = 255
SHORT_MAX_LE = 256
EXTENDED_MAX_LC = 65535
EXTENDED_MAX_LE = 65536


@dataclass(frozen=True)
class CommandApdu:
    """A command APDU. ``le=None`` means no Le field (case 1/3)."""

    cla: int
    ins: int
    p1: int
    p2: int
    data: bytes = b""
    le: int | None = None

    def __post_init__(self) -> None:
        for name in ("cla", "ins", "p1", "p2"):
            value = getattr(self, name)
            if not 0 <= value <= 0xFF:
                raise ValueError(f"{name} out of range: {value}")
        if len(self.data) > EXTENDED_MAX_LC:
            raise ValueError("command data longer than 65535 bytes")
        if self.le is not None and not 0 <= self.le <= EXTENDED_MAX_LE:
            raise ValueError(f"le out of range: {self.le}")

    @property
    def header(self) -> bytes:
        """CLA INS P1 P2."""
        return bytes((self.cla, self.ins, self.p1, self.p2))

    def needs_extended(self) -> bool:
        """True when this command cannot be encoded with short length fields."""
        return len(self.data) > SHORT_MAX_LC or (self.le is not None and self.le > SHORT_MAX_LE)

    def encode(self, extended: bool = False) -> bytes:
        """Encode to bytes; ``extended`` selects 3-byte Lc / 2-3 byte Le (ISO 7816-4 5.1).

        Short encoding is used whenever the command fits, even when ``extended`` is
        allowed, because some readers and chips mishandle needless extended APDUs.
        """
        if self.needs_extended():
            if not extended:
                raise ValueError("command needs extended length, which is not available")
            return self._encode_extended()
        out = bytearray(self.header)
        if self.data:
            out.append(len(self.data))
            out += self.data
        if self.le is not None:
            out.append(self.le & 0xFF)  # 256 and 0 both encode as '00'
        return bytes(out)

    def _encode_extended(self) -> bytes:
        out = bytearray(self.header)
        if self.data:
            out += b"\x00" + len(self.data).to_bytes(2, "big")
            out += self.data
        if self.le is not None:
            le = self.le & 0xFFFF  # 65536 and 0 both encode as '0000'
            out += (b"" if self.data else b"\x00") + le.to_bytes(2, "big")
        return bytes(out)

    @classmethod
    def decode(cls, raw: bytes) -> CommandApdu:
        """Parse a command APDU (the chip/emulator side). Raises :class:`MalformedData`."""
        if len(raw) < 4:
            raise MalformedData()
        cla, ins, p1, p2 = raw[:4]
        body = raw[4:]
        if not body:
            return cls(cla, ins, p1, p2)
        if len(body) == 1:
            return cls(cla, ins, p1, p2, le=body[0] or SHORT_MAX_LE)
        if body[0] != 0:  # short Lc
            lc = body[0]
            if len(body) == 1 + lc:
                return cls(cla, ins, p1, p2, body[1:])
            if len(body) == 2 + lc:
                return cls(cla, ins, p1, p2, body[1 : 1 + lc], body[-1] or SHORT_MAX_LE)
            raise MalformedData()
        # extended: body starts with 00
        if len(body) == 3:
            le = int.from_bytes(body[1:3], "big")
            return cls(cla, ins, p1, p2, le=le or EXTENDED_MAX_LE)
        if len(body) < 3:
            raise MalformedData()
        lc = int.from_bytes(body[1:3], "big")
        if lc == 0:
            raise MalformedData()
        if len(body) == 3 + lc:
            return cls(cla, ins, p1, p2, body[3:])
        if len(body) == 5 + lc:
            le = int.from_bytes(body[-2:], "big")
            return cls(cla, ins, p1, p2, body[3 : 3 + lc], le or EXTENDED_MAX_LE)
        raise MalformedData()


@dataclass(frozen=True)
class ResponseApdu:
    """A response APDU: data and the status word SW1SW2 as one int."""

    data: bytes
    sw: int

    @property
    def ok(self) -> bool:
        """True for 9000."""
        return self.sw == SW_OK

    @property
    def sw1(self) -> int:
        """The first status byte."""
        return self.sw >> 8

    @property
    def sw2(self) -> int:
        """The second status byte."""
        return self.sw & 0xFF

    def encode(self) -> bytes:
        """data || SW1 || SW2."""
        return self.data + self.sw.to_bytes(2, "big")

    @classmethod
    def decode(cls, raw: bytes) -> ResponseApdu:
        """Parse raw response bytes; fewer than two bytes is a protocol error."""
        if len(raw) < 2:
            raise ChipProtocolError()
        return cls(bytes(raw[:-2]), int.from_bytes(raw[-2:], "big"))

    def check(self, *expected: int) -> ResponseApdu:
        """Return self when the SW is 9000 (or one of ``expected``), else raise."""
        if self.sw == SW_OK or self.sw in expected:
            return self
        raise StatusWordError(self.sw)


INS_GET_RESPONSE = 0xC0
# 65536 bytes of response in 256-byte GET RESPONSE pieces, with room to spare; a chip that
# keeps announcing more after that is looping, not answering.
_MAX_GET_RESPONSE = 300


def _with_le(command: bytes, le: int) -> bytes | None:
    """``command`` (short case 2 or 4) with its Le byte replaced; None for other cases."""
    if len(command) == 5:
        return command[:4] + bytes((le,))
    if len(command) > 5 and command[4] and len(command) == 6 + command[4]:
        return command[:-1] + bytes((le,))
    return None


def follow_t0(transport: Transport) -> Transport:
    """Wrap a raw transport so that T=0 transmission answers come back as one response.

    PC/SC passes the T=0 procedure answers to the application (pcsc-lite and the CCID driver
    do not act on them), and some chips give them over T=1 and contactless too:

    - '61xx': xx more bytes wait; fetch them with GET RESPONSE ('00 C0 00 00 xx', ISO/IEC
      7816-4 section 5.1.3 and 7.6.1; xx = '00' means 256 or more) until the real status
      word arrives, and join the pieces;
    - '6Cxx': wrong Le, xx bytes are available (ISO/IEC 7816-3 section 12.2.2): send the same
      command again with Le = xx (also when it answers a GET RESPONSE).

    Secure messaging sits above this: the joined bytes are the protected response.
    """

    def send(command: bytes) -> bytes:
        response = transport(command)
        if len(response) == 2 and response[0] == 0x6C:
            again = _with_le(command, response[1])
            if again is not None:
                response = transport(again)
        collected = bytearray()
        for _ in range(_MAX_GET_RESPONSE):
            if len(response) < 2 or response[-2] != 0x61:
                return bytes(collected) + response
            collected += response[:-2]
            get = bytes((command[0] & 0x03, INS_GET_RESPONSE, 0x00, 0x00, response[-1]))
            response = transport(get)
            if len(response) == 2 and response[0] == 0x6C:
                response = transport(get[:4] + response[1:2])
        raise ChipProtocolError()

    return send


def exchange(transport: Transport, cmd: CommandApdu, *, extended: bool) -> ResponseApdu:
    """Send ``cmd`` in plain (no secure messaging) and parse the answer."""
    if cmd.needs_extended() and not extended:
        raise UnsupportedProtocol("chip.error.needs_extended_length")
    return ResponseApdu.decode(transport(cmd.encode(extended)))
