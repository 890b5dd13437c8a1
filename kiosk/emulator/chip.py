"""The emulated eMRTD / eDL chip: file system, SELECT, READ BINARY and access control.

The chip follows ICAO 9303-10 (file structure: EF.CardAccess '011C' in the master file, the
LDS1 application 'A0 00 00 02 47 10 01' with EF.COM '011E', DG1-DG16 '0101'-'0110' and EF.SOD
'011D') and ISO/IEC 7816-4 (SELECT, READ BINARY with short file identifiers, odd-INS READ
BINARY with an offset data object for offsets above 32767, short and extended length).
Access control (BAC/BAP, PACE), secure messaging, chip and active authentication are plugged
in by :mod:`kiosk.emulator.security` through the :class:`AccessHandler` interface, so this
module only knows which files are protected and whether a secure channel is open.
"""

from __future__ import annotations

import logging
from collections.abc import Callable, Mapping
from dataclasses import dataclass
from typing import Protocol

log = logging.getLogger(__name__)

# ICAO 9303-10 section 3.1 (LDS1 eMRTD application) and ISO/IEC 18013-2 (eDL application).
EMRTD_AID = bytes.fromhex("A0000002471001")
EDL_AID = bytes.fromhex("A0000002480200")

FID_CARD_ACCESS = 0x011C
FID_CARD_SECURITY = 0x011D  # only in the MF; in the application '011D' is EF.SOD
FID_COM = 0x011E
FID_SOD = 0x011D
FID_MF = 0x3F00

# Short file identifiers: DGn has SFI n, EF.SOD '1D', EF.COM '1E', EF.CardAccess '1C'.
MF_SFI = {0x1C: FID_CARD_ACCESS}


def app_sfi(sfi: int) -> int | None:
    """Return the FID of the application EF with short file identifier ``sfi``."""
    if 1 <= sfi <= 16:
        return 0x0100 + sfi
    return {0x1D: FID_SOD, 0x1E: FID_COM}.get(sfi)


SW_OK = b"\x90\x00"
SW_END_OF_FILE = b"\x62\x82"
SW_WRONG_LENGTH = b"\x67\x00"
SW_SECURITY_NOT_SATISFIED = b"\x69\x82"
SW_AUTH_FAILED = b"\x63\x00"
SW_CONDITIONS_NOT_SATISFIED = b"\x69\x85"
SW_SM_MISSING = b"\x69\x87"
SW_SM_INCORRECT = b"\x69\x88"
SW_WRONG_DATA = b"\x6a\x80"
SW_FILE_NOT_FOUND = b"\x6a\x82"
SW_WRONG_P1P2 = b"\x6b\x00"
SW_WRONG_P1P2_FUNC = b"\x6a\x86"
SW_INS_NOT_SUPPORTED = b"\x6d\x00"
SW_CLA_NOT_SUPPORTED = b"\x6e\x00"
SW_NO_CURRENT_EF = b"\x69\x86"
SW_UNKNOWN = b"\x6f\x00"

# The largest response data one answer carries: the vpcd length prefix holds 65535 bytes and
# a secure-messaging wrapper adds DO'87' (tag, 3 length bytes, padding indicator, up to 16
# bytes of padding), DO'99' and DO'8E' around it.
MAX_RESPONSE_DATA = 0xFF00


@dataclass(frozen=True, slots=True)
class Quirks:
    """How an emulated chip (and the reader link in front of it) departs from the happy path.

    Every field's default is the well-behaved chip; each one models a behaviour seen in
    deployed chips or readers, so that the reader side can be tested against it:

    - ``t0``: the T=0 transmission protocol (ISO/IEC 7816-3 section 10.3.4 / 12.2): response
      data of a case-4 command is held back and announced with '61xx', to be fetched with
      GET RESPONSE (ISO/IEC 7816-4 section 5.1.3); a case-2 command whose Le asks for more
      than is available gets '6Cxx' (repeat with Le = xx). T=0 carries no extended length.
    - ``select_fci``: SELECT with P2 '0C' (no response data) is refused with '6A86'; the chip
      wants P2 '00' and answers with its FCI (ISO/IEC 7816-4 section 7.1.1, table 40).
    - ``select_fid_only``: SELECT of an EF with P1 '02' (EF under the current DF) is refused;
      only P1 '00' ("select MF, DF or EF by file identifier", table 39) works.
    - ``sfi``: False for a chip without short EF identifiers: READ BINARY with P1 b8 set
      answers '6986' (no current EF) or '6B00' (wrong P1-P2).
    - ``eof``: the answer to a READ BINARY that reaches past the end of the file: ``"iso"``
      (fewer bytes with '6282' for an explicit Le, '9000' for Le '00'/'0000', ISO/IEC 7816-4
      section 5.1.3 and 11.2.3), ``"6282"`` (always '6282', also for Le '00'/'0000'),
      ``"9000"`` (short data with '9000', never a warning) or ``"6b00"`` (the chip refuses to
      read past the end at all: '6B00' and no data).
    - ``max_read``: the most data bytes one READ BINARY returns (a small chip buffer); the
      rest comes as short data with '9000' and must be asked for again.
    - ``link_extended``: False for a reader that does not carry extended-length APDUs although
      the chip announces them: every extended APDU is answered '6700' (wrong length).
    - ``max_response``: the largest response (data and status word, as on the wire) the
      reader's buffer holds; longer answers become '6700', as a reader that cannot deliver
      them reports to the terminal.
    - ``plain_errors``: an error status without data is answered without secure messaging
      while the session goes on (9303-11 section 9.8.5 prescribes plain status bytes for SM
      errors; some chips answer other errors that way too). The chip still counts the
      response in its send sequence counter, as the terminal does.
    """

    t0: bool = False
    select_fci: bool = False
    select_fid_only: bool = False
    sfi: bool = True
    eof: str = "iso"
    max_read: int | None = None
    link_extended: bool = True
    max_response: int | None = None
    plain_errors: bool = False

    def as_json(self) -> dict[str, object]:
        """The non-default fields, for ``profile.json``."""
        defaults = Quirks()
        return {
            name: getattr(self, name)
            for name in self.__dataclass_fields__
            if getattr(self, name) != getattr(defaults, name)
        }

    @classmethod
    def from_json(cls, data: Mapping[str, object] | None) -> Quirks:
        """Read what :meth:`as_json` wrote (unknown keys are an error)."""
        return cls(**dict(data or {}))  # type: ignore[arg-type]


NO_QUIRKS = Quirks()
EOF_MODES = ("iso", "6282", "9000", "6b00")
INS_GET_RESPONSE = 0xC0


class ApduFormatError(Exception):
    """A command APDU does not follow ISO/IEC 7816-3 case 1-4 encoding."""


@dataclass(frozen=True, slots=True)
class Command:
    """A decoded command APDU (ISO/IEC 7816-4 section 5.1)."""

    cla: int
    ins: int
    p1: int
    p2: int
    data: bytes
    le: int | None  # None: no response expected; 256 / 65536 stand for Le '00' / '0000'
    extended: bool

    def encode(self) -> bytes:
        """Encode again (used after secure-messaging unwrapping)."""
        return encode_command(
            (self.cla, self.ins, self.p1, self.p2), self.data, self.le, extended=self.extended
        )


def encode_command(
    header: tuple[int, int, int, int],
    data: bytes = b"",
    le: int | None = None,
    *,
    extended: bool = False,
) -> bytes:
    """Encode a command APDU, choosing extended length when needed or asked for."""
    ext = extended or len(data) > 255 or (le is not None and le > 256)
    out = bytearray(header)
    if data:
        out += (b"\x00" + len(data).to_bytes(2, "big")) if ext else bytes((len(data),))
        out += data
    if le is not None:
        if ext:
            out += (b"" if data else b"\x00") + (le & 0xFFFF).to_bytes(2, "big")
        else:
            out.append(le & 0xFF)
    return bytes(out)


def parse_command(apdu: bytes) -> Command:
    """Decode a command APDU in any of the cases 1, 2S/2E, 3S/3E, 4S/4E."""
    if len(apdu) < 4:
        raise ApduFormatError("shorter than a header")
    cla, ins, p1, p2 = apdu[:4]
    body = apdu[4:]
    if not body:
        return Command(cla, ins, p1, p2, b"", None, extended=False)
    if len(body) == 1:
        return Command(cla, ins, p1, p2, b"", body[0] or 256, extended=False)
    if body[0] != 0:  # short Lc
        lc = body[0]
        if len(body) == 1 + lc:
            return Command(cla, ins, p1, p2, body[1:], None, extended=False)
        if len(body) == 2 + lc:
            return Command(cla, ins, p1, p2, body[1 : 1 + lc], body[-1] or 256, extended=False)
        raise ApduFormatError("Lc does not match the body")
    # Extended length: '00' then two bytes.
    if len(body) == 3:
        return Command(
            cla, ins, p1, p2, b"", int.from_bytes(body[1:3], "big") or 65536, extended=True
        )
    if len(body) < 3:
        raise ApduFormatError("truncated extended length")
    lc = int.from_bytes(body[1:3], "big")
    if lc == 0:
        raise ApduFormatError("extended Lc of zero")
    rest = body[3:]
    if len(rest) == lc:
        return Command(cla, ins, p1, p2, rest, None, extended=True)
    if len(rest) == lc + 2:
        return Command(
            cla, ins, p1, p2, rest[:lc], int.from_bytes(rest[lc:], "big") or 65536, extended=True
        )
    raise ApduFormatError("extended Lc does not match the body")


@dataclass(frozen=True, slots=True)
class Response:
    """Response data and status word before secure-messaging wrapping."""

    data: bytes
    sw: bytes

    @classmethod
    def status(cls, sw: bytes) -> Response:
        """A response without data."""
        return cls(b"", sw)


class SecureChannel(Protocol):
    """An open secure-messaging session (chip role), created by access control."""

    def unwrap(self, apdu: bytes) -> bytes:
        """Verify and decrypt a protected command; raise on any SM error."""
        ...

    def wrap(self, data: bytes, sw: bytes) -> bytes:
        """Protect a response; returns the wire bytes including the status word."""
        ...


class AccessHandler(Protocol):
    """Security commands (GET CHALLENGE, MSE, GENERAL/MUTUAL/INTERNAL AUTHENTICATE)."""

    def handle(self, chip: Chip, cmd: Command) -> Response | None:
        """Answer ``cmd`` or return None when it is not a security command."""
        ...

    def reset(self) -> None:
        """Forget all session state (power off, new application selected)."""
        ...


@dataclass(frozen=True, slots=True)
class Application:
    """A dedicated file: its AID and its elementary files by FID."""

    aid: bytes
    files: Mapping[int, bytes]
    protected: bool = True  # files readable only after access control


class Chip:
    """An ISO/IEC 7816-4 chip with a master file and one or more applications.

    ``transmit`` is a :data:`Transport`-compatible function: raw command APDU in, response
    data || SW1 || SW2 out. It never raises on hostile input; malformed commands get the
    ISO status words real chips give.
    """

    def __init__(
        self,
        *,
        atr: bytes,
        mf_files: Mapping[int, bytes],
        applications: list[Application],
        access: AccessHandler | None = None,
        extended_length: bool = True,
        trace: Callable[[str], None] | None = None,
        card_access_sw: int | None = None,
        quirks: Quirks = NO_QUIRKS,
    ) -> None:
        if quirks.eof not in EOF_MODES:
            raise ValueError(f"unknown end-of-file behaviour {quirks.eof!r}")
        self._atr = atr
        self.quirks = quirks
        self._pending: tuple[bytes, bytes] | None = None  # T=0: data and SW for GET RESPONSE
        self.card_access_sw = card_access_sw
        self.mf_files = dict(mf_files)
        self.applications = {app.aid: app for app in applications}
        self.access = access
        self.extended_length = extended_length
        self._trace = trace
        self.secure_channel: SecureChannel | None = None
        self.authenticated = False
        self.current_app: Application | None = None
        self.current_ef: int | None = None
        self.current_in_mf = True

    # --- vpcd VirtualCard -------------------------------------------------------------
    @property
    def atr(self) -> bytes:
        """Answer to reset."""
        return self._atr

    def power_on(self) -> None:
        """Start a new session: master file selected, no access rights."""
        self.reset_session()

    def power_off(self) -> None:
        """Lose every volatile state."""
        self.reset_session()

    def reset_session(self) -> None:
        """Drop the secure channel, access rights and file selection."""
        self.secure_channel = None
        self.authenticated = False
        self.current_app = None
        self.current_ef = None
        self.current_in_mf = True
        if self.access is not None:
            self.access.reset()

    def open_secure_channel(self, channel: SecureChannel) -> None:
        """Access control succeeded: later commands must be protected by ``channel``."""
        self.secure_channel = channel
        self.authenticated = True

    # --- APDU processing --------------------------------------------------------------
    def transmit(self, apdu: bytes) -> bytes:
        """Process one command APDU; return response data || SW1 || SW2.

        The reader-link and transmission-protocol quirks (:class:`Quirks`) apply here,
        around the chip's own processing.
        """
        quirks = self.quirks
        extended = _is_extended(apdu)
        if extended and (quirks.t0 or not quirks.link_extended):
            # T=0 has no extended length; a reader without it refuses the APDU.
            return SW_WRONG_LENGTH
        response = self._t0(apdu) if quirks.t0 else self._process(apdu)
        if quirks.max_response is not None and len(response) > quirks.max_response:
            return SW_WRONG_LENGTH  # the reader's buffer cannot take the answer
        return response

    def _t0(self, apdu: bytes) -> bytes:
        """T=0 (ISO/IEC 7816-3 section 12.2): '61xx' + GET RESPONSE, '6Cxx' for a wrong Le."""
        if len(apdu) >= 4 and apdu[1] == INS_GET_RESPONSE and apdu[0] & 0xFC == 0:
            pending, self._pending = self._pending, None
            if pending is None:
                return SW_CONDITIONS_NOT_SATISFIED
            data, sw = pending
            le = (apdu[4] or 256) if len(apdu) == 5 else 256
            if le > len(data) and len(data) < 256:
                self._pending = pending
                return b"\x6c" + bytes((len(data),))
            return self._announce(data[:le], data[le:], sw)
        self._pending = None
        response = self._process(apdu)
        data, sw = response[:-2], response[-2:]
        if not data:
            return response
        try:
            cmd = parse_command(apdu)
        except ApduFormatError:
            return response
        if cmd.data:
            # Case 4 under T=0: the command goes without Le; the answer waits for GET RESPONSE.
            return self._announce(b"", data, sw)
        le = cmd.le or 256
        if le > len(data) and len(data) < 256 and sw[:1] in (b"\x90", b"\x62"):
            # Case 2 with Le larger than the answer: 'wrong length, xx available' (12.2.2).
            return b"\x6c" + bytes((len(data),))
        return response

    def _announce(self, now: bytes, rest: bytes, sw: bytes) -> bytes:
        if not rest:
            return now + sw
        self._pending = (rest, sw)
        return now + b"\x61" + bytes((min(len(rest), 256) & 0xFF,))

    def _process(self, apdu: bytes) -> bytes:
        if not self.extended_length and _is_extended(apdu):
            # A chip without extended length rejects such APDUs (ISO/IEC 7816-4 5.1).
            return SW_WRONG_LENGTH
        channel = self.secure_channel
        if channel is not None and len(apdu) >= 1 and apdu[0] & 0x0C == 0x0C:
            try:
                apdu = channel.unwrap(apdu)
            except Exception as exc:  # any SM failure ends the session (ICAO 9303-11 9.8.7)
                log.debug("secure messaging check failed; session closed")
                self.reset_session_keep_selection()
                sw = getattr(exc, "sw", None)
                return sw.to_bytes(2, "big") if isinstance(sw, int) else SW_SM_INCORRECT
        elif channel is not None:
            # A plain command during secure messaging aborts the secure channel
            # (ICAO 9303-11 section 9.8.7); the command itself is processed in the clear.
            self.reset_session_keep_selection()
            channel = None
        try:
            cmd = parse_command(apdu)
        except ApduFormatError:
            return self._finish(channel, Response.status(SW_WRONG_LENGTH))
        if cmd.cla & 0xF0 not in (0x00, 0x10) and cmd.cla != 0x0C:
            response = Response.status(SW_CLA_NOT_SUPPORTED)
        else:
            try:
                response = self._dispatch(cmd)
            except Exception:  # a chip never dies on a command: '6F00', no precise diagnosis
                log.debug("chip failed on INS %02X", cmd.ins, exc_info=True)
                response = Response.status(SW_UNKNOWN)
        if self._trace is not None:
            self._trace(f"{cmd.ins:02X} {cmd.p1:02X}{cmd.p2:02X} -> {response.sw.hex()}")
        # Access control may have opened or closed the channel while answering; its own
        # answer goes back under the channel that carried the command.
        return self._finish(channel, response)

    def reset_session_keep_selection(self) -> None:
        """Drop the channel and access rights but keep the selected application."""
        app = self.current_app
        self.reset_session()
        self.current_app = app
        self.current_in_mf = app is None

    def _finish(self, channel: SecureChannel | None, response: Response) -> bytes:
        if channel is not None:
            wrapped = channel.wrap(response.data, response.sw)
            if self.quirks.plain_errors and not response.data and response.sw != SW_OK:
                return response.sw  # counted in the SSC by wrap(), sent in plain
            return wrapped
        return response.data + response.sw

    def _dispatch(self, cmd: Command) -> Response:
        ins = cmd.ins
        if ins == 0xA4:
            return self._select(cmd)
        if ins in (0xB0, 0xB1):
            return self._read_binary(cmd)
        if self.access is not None:
            answer = self.access.handle(self, cmd)
            if answer is not None:
                return answer
        return Response.status(SW_INS_NOT_SUPPORTED)

    # --- SELECT -----------------------------------------------------------------------
    def _select(self, cmd: Command) -> Response:
        p1, data = cmd.p1, cmd.data
        if self.quirks.select_fci and cmd.p2 & 0x0C == 0x0C:
            return Response.status(SW_WRONG_P1P2_FUNC)  # "no response data" not supported
        if self.quirks.select_fid_only and p1 == 0x02:
            return Response.status(SW_WRONG_P1P2_FUNC)
        if p1 == 0x04:  # by DF name (AID)
            app = self.applications.get(data)
            if app is None:
                return Response.status(SW_FILE_NOT_FOUND)
            # Selecting another application ends the access rights of the previous one.
            if app is not self.current_app and self.authenticated and self.current_app:
                self.reset_session()
            self.current_app = app
            self.current_in_mf = False
            self.current_ef = None
            if cmd.p2 & 0x0C == 0x00:  # return FCI: template '6F' with the DF name '84'
                return Response(b"\x6f" + bytes((len(data) + 2, 0x84, len(data))) + data, SW_OK)
            return Response.status(SW_OK)
        if p1 in (0x00, 0x02):  # by FID (P1 '00': any file incl. MF, '02': EF under DF)
            if p1 == 0x00 and data in (b"", b"\x3f\x00"):
                self.current_app = None
                self.current_in_mf = True
                self.current_ef = None
                return Response.status(SW_OK)
            if len(data) != 2:
                return Response.status(SW_WRONG_DATA)
            fid = int.from_bytes(data, "big")
            refused = self._card_access_refused(fid)
            if refused is not None:
                return refused
            if self._file(fid) is None:
                return Response.status(SW_FILE_NOT_FOUND)
            if not self._readable(fid):
                return Response.status(SW_SECURITY_NOT_SATISFIED)
            self.current_ef = fid
            p2 = cmd.p2 & 0x0C
            fcp = self._fcp(fid) if p2 == 0x04 else b""
            if p2 == 0x00:  # FCI: the FCP objects inside template '6F'
                fcp = b"\x6f" + self._fcp(fid)[1:]
            return Response(fcp, SW_OK)
        return Response.status(SW_WRONG_P1P2_FUNC)

    def _card_access_refused(self, fid: int | None) -> Response | None:
        """The status a quirky chip gives for EF.CardAccess instead of the file, if any."""
        if fid == FID_CARD_ACCESS and self.card_access_sw is not None:
            return Response.status(self.card_access_sw.to_bytes(2, "big"))
        return None

    def _fcp(self, fid: int) -> bytes:
        content = self._file(fid) or b""
        size = len(content).to_bytes(2, "big")
        body = b"\x80\x02" + size + b"\x82\x01\x01\x83\x02" + fid.to_bytes(2, "big")
        return b"\x62" + bytes((len(body),)) + body

    def _file(self, fid: int) -> bytes | None:
        if self.current_in_mf or self.current_app is None:
            return self.mf_files.get(fid)
        content = self.current_app.files.get(fid)
        if content is None and fid == FID_CARD_ACCESS:
            return self.mf_files.get(fid)  # EF.CardAccess is reachable from anywhere
        return content

    def _readable(self, fid: int) -> bool:
        if self.current_in_mf or self.current_app is None or fid == FID_CARD_ACCESS:
            return True
        return self.authenticated or not self.current_app.protected

    # --- READ BINARY ------------------------------------------------------------------
    def _read_binary(self, cmd: Command) -> Response:
        if cmd.ins == 0xB0:
            if cmd.p1 & 0x80 and not self.quirks.sfi:
                # No short EF identifiers: P1 b8 set is no valid offset (15 bits).
                return Response.status(
                    SW_NO_CURRENT_EF if self.current_ef is None else SW_WRONG_P1P2
                )
            if cmd.p1 & 0x80:  # P1 b8=1: SFI in b5-b1, offset in P2 (ISO/IEC 7816-4 7.2.2)
                sfi = cmd.p1 & 0x1F
                # EF.CardAccess (SFI '1C') is read from the MF even with an application
                # selected (9303-10 section 3.11.3).
                fid = MF_SFI.get(sfi) if self.current_in_mf else app_sfi(sfi) or MF_SFI.get(sfi)
                refused = self._card_access_refused(fid)
                if refused is not None:
                    return refused
                if fid is None or self._file(fid) is None:
                    return Response.status(SW_FILE_NOT_FOUND)
                if not self._readable(fid):
                    return Response.status(SW_SECURITY_NOT_SATISFIED)
                self.current_ef = fid
                offset = cmd.p2
            else:
                offset = ((cmd.p1 & 0x7F) << 8) | cmd.p2
        else:
            # Odd INS: offset in DO'54' in the data field (ISO/IEC 7816-4 7.2.2); P1-P2 is
            # a file identifier, or zero for the current EF.
            fid_field = (cmd.p1 << 8) | cmd.p2
            if fid_field:
                refused = self._card_access_refused(fid_field)
                if refused is not None:
                    return refused
                if self._file(fid_field) is None:
                    return Response.status(SW_FILE_NOT_FOUND)
                if not self._readable(fid_field):
                    return Response.status(SW_SECURITY_NOT_SATISFIED)
                self.current_ef = fid_field
            off = _parse_offset_do(cmd.data)
            if off is None:
                return Response.status(SW_WRONG_DATA)
            offset = off
        fid_now = self.current_ef
        if fid_now is None:
            return Response.status(SW_NO_CURRENT_EF)
        if not self._readable(fid_now):
            return Response.status(SW_SECURITY_NOT_SATISFIED)
        content = self._file(fid_now)
        if content is None:
            return Response.status(SW_NO_CURRENT_EF)
        if cmd.le is None:
            return Response.status(SW_WRONG_LENGTH)
        if offset > len(content):
            return Response.status(SW_WRONG_P1P2)
        quirks = self.quirks
        wanted = min(cmd.le, MAX_RESPONSE_DATA)
        overhead = 4 if cmd.ins == 0xB1 else 0  # DO'53' tag and length count against Le
        past_end = offset + wanted - overhead > len(content)
        if past_end and quirks.eof == "6b00":
            return Response.status(SW_WRONG_P1P2)  # this chip never reads past the end
        if quirks.max_read is not None:
            wanted = min(wanted, quirks.max_read + overhead)
        chunk = content[offset : offset + wanted]
        if cmd.ins == 0xB1:
            # Odd INS answers wrap the data in DO'53' (ISO/IEC 7816-4 7.2.2).
            chunk = content[offset : offset + max(0, wanted - 4)]
            chunk = b"\x53" + _ber_length(len(chunk)) + chunk
        # Fewer bytes than an explicit Le: warning '6282' (end of file reached); Le '00' or
        # '0000' means "as many as available" and gets '9000' (ISO/IEC 7816-4 5.1.3).
        if quirks.eof == "9000":
            short_read = False
        elif quirks.eof == "6282":
            short_read = past_end
        else:
            short_read = past_end and cmd.le not in (256, 65536)
        sw = SW_END_OF_FILE if short_read else SW_OK
        return Response(chunk, sw)


def _is_extended(apdu: bytes) -> bool:
    try:
        return parse_command(apdu).extended
    except ApduFormatError:
        return False


def _ber_length(n: int) -> bytes:
    if n < 0x80:
        return bytes((n,))
    raw = n.to_bytes((n.bit_length() + 7) // 8, "big")
    return bytes((0x80 | len(raw),)) + raw


def _parse_offset_do(data: bytes) -> int | None:
    """Parse DO'54' (offset) of an odd-INS READ BINARY; None when malformed."""
    if len(data) < 2 or data[0] != 0x54:
        return None
    length = data[1]
    if length & 0x80 or length == 0 or length > 3 or len(data) != 2 + length:
        return None
    return int.from_bytes(data[2:], "big")
