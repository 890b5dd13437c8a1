"""Reading a document chip end to end: the orchestration of ICAO 9303 parts 10 and 11.

:func:`read_document` takes a :data:`~kiosk.emrtd.apdu.Transport` (the pyscard device's
channel, or the emulator's chip directly) and the access secret (MRZ key or CAN) and:

1. reads EF.CardAccess from the master file (9303-10 section 3.11.2) in plain, before access
   control; its PACEInfo decides the protocol, and a file that cannot be read for any reason
   means "PACE not offered" (:func:`read_card_access`, 9303-11 section 4.2 step 1);
2. establishes access through :func:`kiosk.emrtd.access.establish`: PACE when EF.CardAccess
   offers it, BAC (BAP for an eDL) only when it does not, never a silent downgrade
   (9303-11 section 4.2; DESIGN.md section 3). A refused key is :class:`WrongAccessKey`;
3. selects the eMRTD application (9303-10 section 3.1; after PACE, under secure messaging,
   9303-11 section 4.4) or the eDL application (ISO/IEC 18013-2/3);
4. reads EF.COM, DG1, DG2, DG11, DG12, DG14, DG15 and EF.SOD by short EF identifier
   (9303-10 table 38) with large reads: with extended length one READ BINARY with Le '0000'
   returns a whole file (DG2 of ~25 KB included); with short APDUs it reads the TLV header
   first and then the body in chunks of 0xDF bytes, which still fit one short response after
   secure-messaging overhead. Chips and readers that differ (no SFI, SELECT forms, reads
   past the end refused, short data, a reader without extended length or with a small
   buffer) are learned as the read goes (:class:`ChipLink`; docs/chip.md "Reader and
   transport quirks"); T=0 answers (61xx, 6Cxx) are the transport's job
   (:func:`kiosk.emrtd.apdu.follow_t0`);
5. runs passive authentication (9303-11 section 5.1), then chip authentication with DG14
   (section 6.2) or, without it, active authentication with DG15 (section 6.1).

Fail closed: every failure raises a typed :class:`~kiosk.errors.KioskError` with a message
key (wrong MRZ or CAN, card removed, unsupported protocol) or is reported as a verdict in the
result (tampered data, untrusted signer, expired signer, clone) that the caller must not
accept. The result holds the document data without a BSN (the DG1 and DG11 parsers drop
optional data and personal numbers) and the face image as bytes in memory only; the raw data
group bytes are dropped as soon as passive authentication has hashed them.
"""

from __future__ import annotations

import dataclasses
import importlib
import time
from collections.abc import Callable
from dataclasses import dataclass, field
from datetime import datetime
from enum import StrEnum
from typing import Any

from kiosk.emrtd import tlv
from kiosk.emrtd.apdu import (
    EXTENDED_MAX_LE,
    SHORT_MAX_LE,
    SW_END_OF_FILE,
    SW_FILE_NOT_FOUND,
    SW_NO_CURRENT_EF,
    SW_OK,
    SW_WRONG_LENGTH,
    SW_WRONG_P1P2,
    CommandApdu,
    ResponseApdu,
    Transport,
)
from kiosk.emrtd.dg2 import FaceImage, parse_dg2
from kiosk.emrtd.errors import (
    ChipProtocolError,
    CloneDetected,
    MalformedData,
    StatusWordError,
    UnsupportedProtocol,
)
from kiosk.emrtd.securityinfos import parse_security_infos
from kiosk.model import ChipAccess, ChipEvidence, CloneCheck, PassiveAuth
from kiosk.mrz import MrzResult, parse_mrz

EMRTD_AID = bytes.fromhex("A0000002471001")  # 9303-10 section 3.1
EDL_AID = bytes.fromhex("A0000002480200")  # ISO/IEC 18013-2 annex C, eDL application

# Short EF identifiers (9303-10 table 38); the FID is 01 || SFI for the data groups.
SFI_CARD_ACCESS = 0x1C
SFI_COM = 0x1E
SFI_SOD = 0x1D
DATA_GROUPS = (1, 2, 11, 12, 14, 15)
# The eDL keeps the face in DG6 (ISO/IEC 18013-2 annex C), the same 19794-5 record as DG2.
EDL_DATA_GROUPS = (1, 6, 11, 12, 14, 15)

# Short APDUs under secure messaging: 0xDF plaintext bytes pad to 224, which with DO'87',
# DO'99' and DO'8E' still fits a 256-byte response (the chunk size JMRTD uses too).
SHORT_CHUNK = 0xDF
# READ BINARY with a P1P2 offset reaches 32767 (15 bits); beyond it the odd INS 'B1' with an
# offset data object (ISO 7816-4 section 11.2.3, 9303-10 section 3.5.2).
MAX_EVEN_OFFSET = 0x7FFF
# The TLV header of any LDS file is at most 1 tag byte + 4 length bytes here (tags '6x'/'77').
HEADER_PROBE = 5
# Status words meaning 'this way of addressing is not supported' (try SELECT instead).
# '6986' (no current EF) is what a chip without SFIs says when it reads P1 as an offset.
_NO_SFI = {0x6A81, 0x6A86, 0x6B00, 0x6D00, 0x6E00, SW_NO_CURRENT_EF}
# Status words with which a chip refuses one form of SELECT (P1 or P2 not supported, or
# P2 '0C' without Le where it wants to return its FCI): try the next form.
_SELECT_REFUSED = {0x6A81, 0x6A86, 0x6A87, SW_WRONG_P1P2, SW_WRONG_LENGTH}
# SELECT forms, best first: EF under the current DF (P1 '02') or by file identifier (P1 '00',
# ISO 7816-4 table 39), without response data (P2 '0C') or with the FCI (P2 '00', table 40).
_SELECT_EF_FORMS = ((0x02, 0x0C), (0x00, 0x0C), (0x02, 0x00), (0x00, 0x00))
# Responses smaller than this are not worth shrinking a READ BINARY further for.
MIN_CHUNK = 0x20
_MAX_RETRIES = 8
_MAX_FILE = 1 << 20  # no LDS file is bigger; a header claiming more is hostile


@dataclass
class ChipLink:
    """What a read learns about the chip and the reader in front of it, as it goes.

    Real chips and readers differ from the happy path in ways a terminal can only find out
    by asking (DESIGN.md section 3; docs/chip.md "Reader and transport quirks"). One object
    lives for one read, so every file read after the first asks the way that worked:

    - ``extended``: extended-length APDUs work end to end. Starts from what the device
      adapter detected; a '6700' to an extended APDU turns it off (the reader or chip does
      not carry them after all) and ``on_short`` tells the secure channel;
    - ``sfi``: READ BINARY by short EF identifier works (else SELECT by FID first);
    - ``past_end``: the chip answers a READ BINARY reaching past the end of a file with the
      bytes there are ('6282' or '9000'); a chip that refuses ('6B00', '6700') gets the TLV
      header first and then exact lengths;
    - ``chunk_limit``: the largest READ BINARY that got through a reader with a small
      buffer (shrunk on '6700');
    - ``select_ef`` / ``select_df_p2``: the SELECT form the chip accepted.
    """

    extended: bool
    sfi: bool = True
    past_end: bool = True
    chunk_limit: int | None = None
    select_ef: tuple[int, int] = _SELECT_EF_FORMS[0]
    select_df_p2: int = 0x0C
    on_short: Callable[[], None] | None = None

    def chunk(self) -> int:
        """The largest Le a READ BINARY may ask for now."""
        base = EXTENDED_MAX_LE if self.extended else SHORT_CHUNK
        return min(base, self.chunk_limit) if self.chunk_limit else base

    def go_short(self) -> None:
        """Continue with short APDUs only."""
        if self.extended:
            self.extended = False
            if self.on_short is not None:
                self.on_short()


@dataclass
class AccessPin:
    """The access decision of a first attempt, kept when a read is run again.

    A chip that left the field mid-read is read again from the start (the PACE or BAC
    session died with the field, 9303-11 section 9.8). If the first attempt saw PACE
    offered, the next must run PACE too: a chip that no longer offers it is refused rather
    than read with BAC (the no-downgrade rule, 9303-11 section 4.2, DESIGN.md section 3).
    """

    pace: bool = False


class ReadStep(StrEnum):
    """Steps of a read, reported to the progress callback (the UI shows them)."""

    CARD_ACCESS = "card_access"
    ACCESS_CONTROL = "access_control"
    SELECT_APPLICATION = "select_application"
    READ_FILES = "read_files"
    PASSIVE_AUTH = "passive_auth"
    CLONE_CHECK = "clone_check"
    DONE = "done"


ProgressCallback = Callable[[ReadStep, float], None]


@dataclass(frozen=True, slots=True)
class StepTiming:
    """How long one step took and how many APDUs it sent."""

    step: str
    ms: float
    apdus: int


@dataclass(frozen=True, slots=True)
class ChipReadResult:
    """What a chip read proved. Contains no BSN, no raw data groups; the face in memory only.

    ``document`` is DG1's MRZ as parsed by :mod:`kiosk.mrz` (optional data dropped).
    ``face`` holds the encoded JPEG / JPEG 2000 bytes of the DG2 face for the step-2 page;
    nothing writes it anywhere (except ``kiosk chip read --photo``, on the operator's
    explicit request).
    """

    access: ChipAccess
    cipher: str
    curve: str | None
    document: MrzResult = field(repr=False)
    face: FaceImage | None = field(repr=False)
    passive_auth: PassiveAuth
    passive_auth_reason: str | None
    clone_check: CloneCheck
    clone_method: str | None
    clone_reason: str | None
    extended_length: bool
    apdu_count: int
    timings: tuple[StepTiming, ...]
    data_groups: tuple[int, ...]

    @property
    def evidence(self) -> ChipEvidence:
        """The part of the result that may be stored and sent (portal contract v1)."""
        return ChipEvidence(self.access, self.passive_auth, self.clone_check)

    @property
    def genuine(self) -> bool:
        """True when passive authentication holds and no clone was detected."""
        return self.passive_auth is PassiveAuth.VALID and self.clone_check in (
            CloneCheck.VALID,
            CloneCheck.NOT_SUPPORTED,
        )

    @property
    def total_ms(self) -> float:
        """Wall time of the whole read, in milliseconds."""
        return sum(t.ms for t in self.timings)


class _Counter:
    """Counts the APDUs that pass through a transport."""

    def __init__(self, transport: Transport) -> None:
        self._transport = transport
        self.count = 0

    def __call__(self, command: bytes) -> bytes:
        self.count += 1
        return self._transport(command)


class _Clock:
    def __init__(self, counter: _Counter, progress: ProgressCallback | None) -> None:
        self._counter = counter
        self._progress = progress
        self.timings: list[StepTiming] = []

    def step(self, step: ReadStep, fraction: float) -> _Timed:
        if self._progress is not None:
            self._progress(step, fraction)
        return _Timed(self, step.value)


class _Timed:
    def __init__(self, clock: _Clock, name: str) -> None:
        self._clock = clock
        self._name = name
        self._start = 0.0
        self._apdus = 0

    def __enter__(self) -> _Timed:
        self._start = time.perf_counter()
        self._apdus = self._clock._counter.count
        return self

    def __exit__(self, *exc: object) -> None:
        self._clock.timings.append(
            StepTiming(
                self._name,
                (time.perf_counter() - self._start) * 1000,
                self._clock._counter.count - self._apdus,
            )
        )


Exchange = Callable[[CommandApdu], ResponseApdu]


def _plain(transport: Transport, extended: bool | ChipLink) -> Exchange:
    def exchange(cmd: CommandApdu) -> ResponseApdu:
        ext = extended.extended if isinstance(extended, ChipLink) else extended
        return ResponseApdu.decode(transport(cmd.encode(ext)))

    return exchange


def _read_binary(
    exchange: Exchange, p1: int, offset: int, le: int, cap: int = EXTENDED_MAX_LE
) -> ResponseApdu:
    if offset > MAX_EVEN_OFFSET:
        # Odd INS: offset in DO'54', data comes back in DO'53' (ISO 7816-4 section 11.2.3),
        # whose tag and length count against Le: ask for up to 4 bytes more.
        do54 = tlv.encode(0x54, offset.to_bytes(3, "big"))
        response = exchange(CommandApdu(0x00, 0xB1, 0x00, 0x00, do54, min(le + 4, cap)))
        if response.sw not in (0x9000, SW_END_OF_FILE):
            return response
        return ResponseApdu(tlv.parse_single(response.data, 0x53).value, response.sw)
    return exchange(CommandApdu(0x00, 0xB0, p1 or (offset >> 8), offset & 0xFF, le=le))


def _read_at(exchange: Exchange, link: ChipLink, p1: int, offset: int, le: int) -> ResponseApdu:
    """One READ BINARY, asked again the way the answer says when it is a length problem.

    '6Cxx' (wrong Le, xx available; ISO 7816-3 section 12.2.2): again with Le = xx. '6700'
    (wrong length) to an extended APDU: the link does not carry extended length, go on
    with short APDUs; to a short one: the reader's buffer is smaller, halve the length
    (and keep it for the rest of the read). Offsets past 32767 use the odd INS.
    """
    response = _read_binary(exchange, p1, offset, le, link.chunk())
    for _ in range(_MAX_RETRIES):
        if response.sw1 == 0x6C and offset <= MAX_EVEN_OFFSET:
            le = response.sw2 or SHORT_MAX_LE
        elif response.sw == SW_WRONG_LENGTH and le > SHORT_CHUNK and link.extended:
            link.go_short()
            le = min(le, SHORT_CHUNK)
        elif response.sw == SW_WRONG_LENGTH and le > MIN_CHUNK and le > HEADER_PROBE:
            le = max(MIN_CHUNK, le // 2)
            link.chunk_limit = le
        else:
            return response
        response = _read_binary(exchange, p1, offset, le, link.chunk())
    return response


def _first_read(exchange: Exchange, link: ChipLink, p1: int) -> ResponseApdu:
    """The first READ BINARY of a file: everything with extended length, else the header.

    A chip that refuses to read past the end of a file ('6B00' or '6700' where the file is
    shorter than Le) is asked for the TLV header instead, and remembered as such.
    """
    le = link.chunk() if link.extended and link.past_end else HEADER_PROBE
    response = _read_at(exchange, link, p1, 0, le)
    if response.sw in (SW_WRONG_P1P2, SW_WRONG_LENGTH) and le > HEADER_PROBE:
        retry = _read_at(exchange, link, p1, 0, HEADER_PROBE)
        if retry.sw in (SW_OK, SW_END_OF_FILE):
            link.past_end = False
        return retry
    return response


def _select_ef(
    exchange: Exchange, link: ChipLink, fid: bytes, refused: int | None = None
) -> ResponseApdu:
    """SELECT an EF by file identifier in the first form the chip accepts (then kept).

    ``refused`` is the status the READ BINARY by SFI got: when SELECT answers the same,
    the chip refuses the file itself, not the form of the command (a BAC-only chip's
    EF.CardAccess), and the other forms are not tried.
    """
    forms = (link.select_ef, *(f for f in _SELECT_EF_FORMS if f != link.select_ef))
    response = ResponseApdu(b"", SW_FILE_NOT_FOUND)
    for p1, p2 in forms:
        le = None if p2 == 0x0C else SHORT_MAX_LE  # P2 '00': the FCI comes back
        response = exchange(CommandApdu(0x00, 0xA4, p1, p2, fid, le))
        if response.sw not in _SELECT_REFUSED or response.sw == refused:
            if response.sw not in _SELECT_REFUSED:
                link.select_ef = (p1, p2)
            return response
    return response


def select_application(exchange: Exchange, aid: bytes, link: ChipLink | None = None) -> None:
    """SELECT the application by AID (9303-10 section 3.1), P2 '0C' or, if refused, '00'.

    9303-10 asks for P2 '0C' (no response data); some chips refuse it and want to return
    their FCI (P2 '00', ISO 7816-4 table 40). Raises :class:`StatusWordError` otherwise.
    """
    link = link if link is not None else ChipLink(extended=False)
    first = link.select_df_p2
    response = ResponseApdu(b"", SW_FILE_NOT_FOUND)
    for p2 in (first, 0x00 if first == 0x0C else 0x0C):
        le = None if p2 == 0x0C else SHORT_MAX_LE
        response = exchange(CommandApdu(0x00, 0xA4, 0x04, p2, aid, le))
        if response.sw not in _SELECT_REFUSED:
            link.select_df_p2 = p2
            break
    response.check()


def read_file(
    exchange: Exchange, sfi: int, *, extended: bool, link: ChipLink | None = None
) -> bytes | None:
    """Read a whole transparent EF by short EF identifier; ``None`` when it does not exist.

    The first READ BINARY selects the file through its SFI (9303-10 table 5); later ones
    address it by offset. With extended length the first read asks for everything (Le
    '0000', up to 65536 bytes); otherwise it reads the header, then 0xDF-byte chunks.
    ``link`` carries what earlier reads learned about the chip (:class:`ChipLink`); a chip
    without SFIs gets SELECT by FID (9303-10 section 3.5.1) and READ BINARY by offset, a
    chip answering short data (with '9000' or '6282') is asked for the rest.
    """
    link = link if link is not None else ChipLink(extended)
    fid = bytes((0x01, sfi))  # every LDS FID is '01' || SFI (9303-10 table 38)
    response: ResponseApdu | None = None
    refused: int | None = None
    if link.sfi:
        response = _first_read(exchange, link, 0x80 | sfi)
        if response.sw in _NO_SFI:
            refused, response = response.sw, None
    if response is None:
        selected = _select_ef(exchange, link, fid, refused)
        if selected.sw in (SW_OK, SW_FILE_NOT_FOUND):
            # The chip understood SELECT, so it was the SFI it refused: stop trying it.
            link.sfi = False
        if selected.sw == SW_FILE_NOT_FOUND:
            return None
        selected.check()
        response = _first_read(exchange, link, 0)
    if response.sw == SW_FILE_NOT_FOUND:
        return None
    response.check(SW_END_OF_FILE)
    data = bytearray(response.data)
    if not data:
        raise MalformedData()
    total = _file_length(bytes(data))
    while len(data) < total:
        want = min(link.chunk(), total - len(data))
        part = _read_at(exchange, link, 0, len(data), want)
        part.check(SW_END_OF_FILE)
        if not part.data:
            raise MalformedData()  # the chip stopped short of the length it announced
        data += part.data
    return bytes(data[:total])


def read_card_access(
    exchange: Exchange, *, extended: bool, link: ChipLink | None = None
) -> bytes | None:
    """EF.CardAccess when it is available and offers PACE, else ``None`` (go on with BAC).

    EF.CardAccess lives in the master file and is read in plain, before access control.
    9303-11 section 4.2 step 1: "If the file EF.CardAccess is not available or does not
    contain parameters for PACE, the inspection system SHOULD try to read the eMRTD with
    Basic Access Control". Real BAC-only chips say "not available" in many ways besides
    6A82: 6982, 6986, 6A86, 6D00 or 6E00, an empty file or bytes that are no SecurityInfos.
    All of them mean "PACE not offered". A removed card is not one of them: it propagates.
    The no-downgrade rule is untouched: once EF.CardAccess does offer PACE, a failed PACE
    never falls back to BAC (:func:`kiosk.emrtd.access.establish`).
    """
    try:
        content = read_file(exchange, SFI_CARD_ACCESS, extended=extended, link=link)
        if content is None or not parse_security_infos(content).pace:
            return None
    except (StatusWordError, MalformedData):
        return None
    return content


def _file_length(head: bytes) -> int:
    """Total size of an LDS file from its outer TLV header (tag + length octets)."""
    try:
        _tag, offset = tlv.decode_tag(head, 0)
        length, offset = tlv.decode_length(head, offset)
    except ChipProtocolError:
        raise
    except (IndexError, ValueError) as exc:
        raise MalformedData() from exc
    total = offset + length
    if total > _MAX_FILE:
        raise MalformedData()
    return total


# Dutch passports and identity cards since 2022 run PACE on brainpoolP320r1; older ones and
# many other countries on brainpoolP256r1 (DESIGN.md section 3).
WARM_CURVES = ("brainpoolP320r1", "brainpoolP256r1")


def warm_up(curves: tuple[str, ...] = WARM_CURVES) -> None:
    """Build the EC fixed-base tables PACE uses, so the first read is as fast as the rest.

    About 20 ms per curve, once per process; the desk runs it on the card device's thread
    when the chip page opens, before a document is placed.
    """
    from kiosk.emrtd import ec

    for name in curves:
        ec.BY_NAME[name].precompute()


def read_document(
    transport: Transport,
    secret: Any,
    *,
    extended: bool,
    trust_store: Any,
    now: datetime,
    progress: ProgressCallback | None = None,
    edl: bool | None = None,
    pin: AccessPin | None = None,
) -> ChipReadResult:
    """Read and verify a document chip; see the module docstring for the steps.

    ``secret`` is a :class:`kiosk.mrz.AccessKey` (MRZ, or the eDL MRZ for BAP) or a CAN
    secret from :mod:`kiosk.emrtd.access`. ``extended`` says whether extended-length APDUs
    work end to end (the device adapter detects it). ``edl`` forces the eDL application;
    by default an eDL access key (``secret.is_edl``) selects it. ``now`` is the moment
    certificate validity is checked against. ``pin`` carries the access decision from an
    earlier attempt on the same document (:class:`AccessPin`): pass the same object to
    every attempt of one read.
    """
    from kiosk.emrtd import access, lds, pa

    counter = _Counter(transport)
    clock = _Clock(counter, progress)
    is_edl = bool(getattr(secret, "is_edl", False)) if edl is None else edl
    aid = EDL_AID if is_edl else EMRTD_AID

    link = ChipLink(extended)
    plain = _plain(counter, link)
    with clock.step(ReadStep.CARD_ACCESS, 0.0):
        card_access = read_card_access(plain, extended=link.extended, link=link)

    pace_offered = access.offers_pace(card_access)
    if pin is not None:
        if pin.pace and not pace_offered:
            # The first attempt saw PACE; a chip that now hides it is not read with BAC.
            raise ChipProtocolError()
        pin.pace = pin.pace or pace_offered
    with clock.step(ReadStep.ACCESS_CONTROL, 0.05):
        if not pace_offered:
            # BAC/BAP run inside the application (9303-11 section 4.3).
            select_application(plain, aid, link)
        channel = access.establish(counter, secret, card_access, extended=link.extended)

    def short_channel() -> None:
        channel.extended = False

    link.on_short = short_channel
    exchange: Exchange = channel.transmit

    with clock.step(ReadStep.SELECT_APPLICATION, 0.25):
        if pace_offered:
            # After PACE the terminal selects the application under SM (9303-11 4.4).
            select_application(exchange, aid, link)

    files: dict[int, bytes] = {}
    with clock.step(ReadStep.READ_FILES, 0.3):
        com = read_file(exchange, SFI_COM, extended=link.extended, link=link)
        sod = read_file(exchange, SFI_SOD, extended=link.extended, link=link)
        if com is None or sod is None:
            raise UnsupportedProtocol()
        present = set(lds.parse_com(com).data_groups)
        wanted = EDL_DATA_GROUPS if is_edl else DATA_GROUPS
        for index, number in enumerate(wanted):
            if number not in present and number != 1:
                continue
            if progress is not None:
                progress(ReadStep.READ_FILES, 0.3 + 0.4 * index / len(wanted))
            data = read_file(exchange, number, extended=link.extended, link=link)
            if data is not None:
                files[number] = data
        if 1 not in files:
            raise UnsupportedProtocol()

    if is_edl:
        # The eDL's DG1 holds demographic data, not an MRZ (ISO/IEC 18013-2 annex C): the
        # document number and country come from the one-line MRZ that opened the chip, the
        # names and dates (which that MRZ lacks) from DG1.
        mrz = parse_mrz(str(secret.edl_mrz))
        demographics = lds.parse_edl_dg1(files[1])
        document = dataclasses.replace(
            mrz,
            surname=demographics.surname or "",
            given_names=demographics.given_names or "",
            birth_date=demographics.birth_date,
            expiry_date=mrz.expiry_date or demographics.expiry_date,
            issuing_country=mrz.issuing_country or demographics.issuing_country or "",
        )
    else:
        document = lds.parse_dg1(files[1], today=now.date())

    with clock.step(ReadStep.PASSIVE_AUTH, 0.75):
        pa_result = pa.passive_authentication(
            sod, files, trust_store, now=now, issuing_state=document.issuing_country or None
        )
    dg_ok = dict(pa_result.dg_ok)

    # The face is parsed after PA, so a DG2 mangled on the chip shows up as tampered data
    # (a verdict) rather than as an unreadable chip; an unparsable face is simply absent.
    face_dg = 6 if is_edl else 2
    face: FaceImage | None = None
    if face_dg in files:
        try:
            face = parse_dg2(files[face_dg])
        except ChipProtocolError:
            face = None

    clone_check, clone_method, clone_reason = CloneCheck.NOT_SUPPORTED, None, None
    if (14 in files or 15 in files) and not pa_result.valid:
        # The keys for CA/AA are only trusted through PA (9303-11 section 6); without it
        # a clone check proves nothing, so it is not run.
        clone_check, clone_reason = CloneCheck.NOT_PERFORMED, "chip_reader.reason.needs_pa"
    with clock.step(ReadStep.CLONE_CHECK, 0.85):
        # Only meaningful for data whose hashes verified: a DG14/DG15 that failed PA is not
        # evidence of anything (9303-11 section 6: the keys are trusted through PA).
        if dg_ok.get(14, False) and 14 in files and _offers_ca(files[14]):
            clone_method = "CA"
            clone_check, clone_reason = _clone_check(lambda: ca_perform(channel, files[14], link))
        elif dg_ok.get(15, False) and 15 in files:
            clone_method = "AA"
            clone_check, clone_reason = _clone_check(
                lambda: aa_perform(channel, files[15], files.get(14), link.extended)
            )

    data_groups = tuple(sorted(files))
    files.clear()  # the raw data groups go no further than this function
    if progress is not None:
        progress(ReadStep.DONE, 1.0)
    return ChipReadResult(
        access=ChipAccess(channel.protocol),
        cipher=str(getattr(channel, "cipher", "")),
        curve=getattr(channel, "curve", None),
        document=document,
        face=face,
        passive_auth=pa_result.verdict,
        passive_auth_reason=None if pa_result.valid else pa_result.reason,
        clone_check=clone_check,
        clone_method=clone_method,
        clone_reason=clone_reason,
        extended_length=link.extended,
        apdu_count=counter.count,
        timings=tuple(clock.timings),
        data_groups=data_groups,
    )


def _clone_check(run: Callable[[], object]) -> tuple[CloneCheck, str | None]:
    try:
        run()
    except CloneDetected as exc:
        return CloneCheck.INVALID, exc.message_key
    except UnsupportedProtocol as exc:
        return CloneCheck.NOT_SUPPORTED, exc.message_key
    except StatusWordError as exc:
        # A chip that cannot answer the challenge it claims to support is not trusted.
        return CloneCheck.INVALID, exc.message_key
    except _AuthenticationUnavailable:
        return CloneCheck.NOT_PERFORMED, "chip_reader.reason.clone_check_unavailable"
    return CloneCheck.VALID, None


class _AuthenticationUnavailable(Exception):
    """This build has no implementation of the chip's clone-check protocol."""


def _protocol_module(name: str) -> Any:
    # CA and AA live in their own modules of the protocol layer; a build without one
    # reports the clone check as not performed rather than pretending it passed.
    try:
        return importlib.import_module(f"kiosk.emrtd.{name}")
    except ModuleNotFoundError as exc:
        raise _AuthenticationUnavailable(name) from exc


def _offers_ca(dg14: bytes) -> bool:
    from kiosk.emrtd import securityinfos

    infos = securityinfos.parse_security_infos(dg14)
    return bool(infos.chip_authentication_public_keys)


def ca_perform(channel: Any, dg14: bytes, link: ChipLink) -> None:
    """Chip authentication (9303-11 section 6.2) on an open channel; the key-proving probe
    uses what the read learned about the chip (a SELECT by FID when it takes no SFI)."""
    ca = _protocol_module("ca")
    if link.sfi:
        ca.perform_ca(channel, dg14, extended=link.extended)
    else:
        probe = ca.probe_by_fid(*link.select_ef)
        ca.perform_ca(channel, dg14, extended=link.extended, probe=probe)


def aa_perform(channel: Any, dg15: bytes, dg14: bytes | None, extended: bool) -> None:
    """Active authentication (9303-11 section 6.1) on an open channel."""
    _protocol_module("aa").perform_aa(channel, dg15, dg14=dg14, extended=extended)
