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
   secure-messaging overhead;
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
    SW_END_OF_FILE,
    SW_FILE_NOT_FOUND,
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
_NO_SFI = {0x6A81, 0x6A86, 0x6B00, 0x6D00, 0x6E00}
_MAX_FILE = 1 << 20  # no LDS file is bigger; a header claiming more is hostile


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


def _plain(transport: Transport, extended: bool) -> Exchange:
    def exchange(cmd: CommandApdu) -> ResponseApdu:
        return ResponseApdu.decode(transport(cmd.encode(extended)))

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


def read_file(exchange: Exchange, sfi: int, *, extended: bool) -> bytes | None:
    """Read a whole transparent EF by short EF identifier; ``None`` when it does not exist.

    The first READ BINARY selects the file through its SFI (9303-10 table 5); later ones
    address it by offset. With extended length the first read asks for everything (Le
    '0000', up to 65536 bytes); otherwise it reads the header, then 0xDF-byte chunks.
    """
    first_le = EXTENDED_MAX_LE if extended else HEADER_PROBE
    response = exchange(CommandApdu(0x00, 0xB0, 0x80 | sfi, 0x00, le=first_le))
    if response.sw in _NO_SFI:
        # The chip does not take SFIs after all: select by FID (9303-10 section 3.5.1).
        fid = bytes((0x01, sfi))  # every LDS FID is '01' || SFI (9303-10 table 38)
        selected = exchange(CommandApdu(0x00, 0xA4, 0x02, 0x0C, fid))
        if selected.sw == SW_FILE_NOT_FOUND:
            return None
        selected.check()
        response = _read_binary(exchange, 0, 0, first_le)
    if response.sw == SW_FILE_NOT_FOUND:
        return None
    response.check(SW_END_OF_FILE)
    data = bytearray(response.data)
    if not data:
        raise MalformedData()
    total = _file_length(bytes(data))
    chunk = EXTENDED_MAX_LE if extended else SHORT_CHUNK
    while len(data) < total:
        want = min(chunk, total - len(data))
        part = _read_binary(exchange, 0, len(data), want, chunk)
        part.check(SW_END_OF_FILE)
        if not part.data:
            raise MalformedData()  # the chip stopped short of the length it announced
        data += part.data
    return bytes(data[:total])


def read_card_access(exchange: Exchange, *, extended: bool) -> bytes | None:
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
        content = read_file(exchange, SFI_CARD_ACCESS, extended=extended)
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
) -> ChipReadResult:
    """Read and verify a document chip; see the module docstring for the steps.

    ``secret`` is a :class:`kiosk.mrz.AccessKey` (MRZ, or the eDL MRZ for BAP) or a CAN
    secret from :mod:`kiosk.emrtd.access`. ``extended`` says whether extended-length APDUs
    work end to end (the device adapter detects it). ``edl`` forces the eDL application;
    by default an eDL access key (``secret.is_edl``) selects it. ``now`` is the moment
    certificate validity is checked against.
    """
    from kiosk.emrtd import access, lds, pa

    counter = _Counter(transport)
    clock = _Clock(counter, progress)
    is_edl = bool(getattr(secret, "is_edl", False)) if edl is None else edl
    aid = EDL_AID if is_edl else EMRTD_AID

    with clock.step(ReadStep.CARD_ACCESS, 0.0):
        card_access = read_card_access(_plain(counter, extended), extended=extended)

    pace_offered = access.offers_pace(card_access)
    with clock.step(ReadStep.ACCESS_CONTROL, 0.05):
        if not pace_offered:
            # BAC/BAP run inside the application (9303-11 section 4.3).
            _plain(counter, extended)(CommandApdu(0x00, 0xA4, 0x04, 0x0C, aid)).check()
        channel = access.establish(counter, secret, card_access, extended=extended)
    exchange: Exchange = channel.transmit

    with clock.step(ReadStep.SELECT_APPLICATION, 0.25):
        if pace_offered:
            # After PACE the terminal selects the application under SM (9303-11 4.4).
            exchange(CommandApdu(0x00, 0xA4, 0x04, 0x0C, aid)).check()

    files: dict[int, bytes] = {}
    with clock.step(ReadStep.READ_FILES, 0.3):
        com = read_file(exchange, SFI_COM, extended=extended)
        sod = read_file(exchange, SFI_SOD, extended=extended)
        if com is None or sod is None:
            raise UnsupportedProtocol()
        present = set(lds.parse_com(com).data_groups)
        wanted = EDL_DATA_GROUPS if is_edl else DATA_GROUPS
        for index, number in enumerate(wanted):
            if number not in present and number != 1:
                continue
            if progress is not None:
                progress(ReadStep.READ_FILES, 0.3 + 0.4 * index / len(wanted))
            data = read_file(exchange, number, extended=extended)
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
            clone_check, clone_reason = _clone_check(
                lambda: ca_perform(channel, files[14], extended)
            )
        elif dg_ok.get(15, False) and 15 in files:
            clone_method = "AA"
            clone_check, clone_reason = _clone_check(
                lambda: aa_perform(channel, files[15], files.get(14), extended)
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
        extended_length=extended,
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


def ca_perform(channel: Any, dg14: bytes, extended: bool) -> None:
    """Chip authentication (9303-11 section 6.2) on an open channel."""
    _protocol_module("ca").perform_ca(channel, dg14, extended=extended)


def aa_perform(channel: Any, dg15: bytes, dg14: bytes | None, extended: bool) -> None:
    """Active authentication (9303-11 section 6.1) on an open channel."""
    _protocol_module("aa").perform_aa(channel, dg15, dg14=dg14, extended=extended)
