"""Parsers of the LDS files (ICAO 9303-10 section 4.6-4.7) and the eDL DG1 (ISO/IEC 18013-2).

Each parser takes the file's bytes as read from a chip (hostile input) and raises only
:class:`~kiosk.emrtd.errors.MalformedData` (or another ``ChipProtocolError``) when they do
not parse. Data minimisation happens here, at parse time (DESIGN.md section 7): DG1 goes
through :func:`kiosk.mrz.parser.parse_mrz`, which drops the optional data and personal
number, and DG11's personal number (the Dutch BSN) is never read into any object.

File identifiers and short file identifiers: EF.COM '011E'/'1E', DGn '01nn'/n, EF.SOD
'011D'/'1D', EF.CardAccess '011C'/'1C' (9303-10 section 3.11, table 43).
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Mapping
from dataclasses import dataclass, field

from cryptography.hazmat.primitives.asymmetric import ec, rsa
from cryptography.hazmat.primitives.serialization import load_der_public_key

from kiosk.emrtd import tlv
from kiosk.emrtd.dg2 import FaceImage, ImageFormat, decode_face, parse_dg2
from kiosk.emrtd.errors import MalformedData, UnsupportedProtocol
from kiosk.emrtd.sod import Sod, parse_sod
from kiosk.errors import InputError
from kiosk.mrz.result import MrzResult

__all__ = [
    "FID_CARD_ACCESS",
    "FID_COM",
    "FID_SOD",
    "Com",
    "Dg11",
    "Dg12",
    "EdlDemographics",
    "FaceImage",
    "ImageFormat",
    "Sod",
    "decode_face",
    "dg_fid",
    "dg_number_for_tag",
    "parse_com",
    "parse_dg1",
    "parse_dg2",
    "parse_dg11",
    "parse_dg12",
    "parse_dg14",
    "parse_dg15",
    "parse_edl_dg1",
    "parse_sod",
]

FID_COM = 0x011E
FID_SOD = 0x011D
FID_CARD_ACCESS = 0x011C

# EF.COM tag list entries -> data group numbers (9303-10 table 34).
_TAG_TO_DG = {
    0x61: 1,
    0x75: 2,
    0x63: 3,
    0x76: 4,
    0x65: 5,
    0x66: 6,
    0x67: 7,
    0x68: 8,
    0x69: 9,
    0x6A: 10,
    0x6B: 11,
    0x6C: 12,
    0x6D: 13,
    0x6E: 14,
    0x6F: 15,
    0x70: 16,
}


def dg_fid(number: int) -> int:
    """File identifier of data group ``number`` ('0101' for DG1 ...)."""
    if not 1 <= number <= 16:
        raise ValueError("data groups are numbered 1 to 16")
    return 0x0100 + number


def dg_number_for_tag(tag: int) -> int | None:
    """The data group a file tag (EF.COM tag list entry) stands for."""
    return _TAG_TO_DG.get(tag)


def _text(value: bytes) -> str:
    try:
        return value.decode("utf-8")
    except UnicodeDecodeError as exc:
        raise MalformedData() from exc


def _digits_version(raw: bytes, parts: int) -> str:
    text = _text(raw)
    if len(text) != 2 * parts or not text.isdigit():
        raise MalformedData()
    return ".".join(str(int(text[i : i + 2])) for i in range(0, len(text), 2))


@dataclass(frozen=True)
class Com:
    """EF.COM: LDS and Unicode versions and the data groups present (9303-10 4.6.1)."""

    lds_version: str
    unicode_version: str
    data_groups: tuple[int, ...]


def parse_com(data: bytes) -> Com:
    """Parse EF.COM (tag '60')."""
    com = tlv.parse_prefix(data, 0x60)
    lds = com.find(0x5F01)
    uni = com.find(0x5F36)
    tags = com.find(0x5C)
    if lds is None or tags is None:
        raise MalformedData()
    groups = []
    for tag in tags.value:
        number = _TAG_TO_DG.get(tag)
        if number is None:
            raise MalformedData()
        groups.append(number)
    return Com(
        lds_version=_digits_version(lds.value, 2),
        unicode_version=_digits_version(uni.value, 3) if uni is not None else "",
        data_groups=tuple(groups),
    )


def dg1_mrz_lines(data: bytes) -> list[str]:
    """The MRZ lines in DG1 (tag '61' / '5F1F'), split by the document's layout.

    Internal use (the parser); the lines may contain a BSN and must not be kept.
    """
    dg1 = tlv.parse_prefix(data, 0x61)
    raw = dg1.child(0x5F1F).value
    try:
        text = raw.decode("ascii")
    except UnicodeDecodeError as exc:
        raise MalformedData() from exc
    width = {90: 30, 72: 36, 88: 44, 30: 30}.get(len(text))
    if width is None:
        raise MalformedData()
    return [text[i : i + width] for i in range(0, len(text), width)]


def parse_dg1(data: bytes, *, today: dt.date | None = None) -> MrzResult:
    """Parse DG1 into an :class:`MrzResult` (no optional data, no BSN).

    Chip data is not OCR: no corrections are applied; bad check digits give a result with
    ``valid == False``.
    """
    from kiosk.mrz.parser import parse_mrz

    lines = dg1_mrz_lines(data)
    try:
        return parse_mrz("\n".join(lines), correct=False, today=today)
    except InputError as exc:
        raise MalformedData() from exc


@dataclass(frozen=True)
class Dg11:
    """DG11 additional personal details, minimised (9303-10 4.7.11).

    The personal number (tag '5F10', the BSN on Dutch documents) is skipped while parsing
    and has no field here; so are address, telephone and the other free-text details.
    """

    full_name: str | None = field(default=None, repr=False)
    other_names: tuple[str, ...] = field(default=(), repr=False)
    place_of_birth: str | None = field(default=None, repr=False)
    full_birth_date: dt.date | None = field(default=None, repr=False)


def _yyyymmdd(raw: bytes) -> dt.date | None:
    text = _text(raw)
    if len(text) != 8 or not text.isdigit():
        return None  # 9303 allows partially unknown dates; not an error
    try:
        return dt.date(int(text[:4]), int(text[4:6]), int(text[6:]))
    except ValueError:
        return None


def parse_dg11(data: bytes) -> Dg11:
    """Parse DG11 keeping only names, place and date of birth (never the BSN)."""
    dg11 = tlv.parse_prefix(data, 0x6B)
    full_name = place = None
    birth: dt.date | None = None
    others: list[str] = []
    for item in dg11.children():
        if item.tag == 0x5F0E:
            full_name = _text(item.value)
        elif item.tag == 0x5F11:
            place = _text(item.value)
        elif item.tag == 0x5F2B:
            birth = _yyyymmdd(item.value)
        elif item.tag == 0xA0:  # other names: '02' count then '5F0F' entries
            others.extend(_text(o.value) for o in item.children() if o.tag == 0x5F0F)
        # Everything else is skipped unread: '5F10' personal number (BSN), address,
        # telephone, profession, title, summary, proof of citizenship, custody details.
    return Dg11(full_name, tuple(others), place, birth)


@dataclass(frozen=True)
class Dg12:
    """DG12 additional document details (9303-10 4.7.12): issuing authority and date."""

    issuing_authority: str | None = None
    date_of_issue: dt.date | None = None


def parse_dg12(data: bytes) -> Dg12:
    """Parse DG12 (only the issuing authority and the date of issue)."""
    dg12 = tlv.parse_prefix(data, 0x6C)
    authority = issue = None
    for item in dg12.children():
        if item.tag == 0x5F19:
            authority = _text(item.value)
        elif item.tag == 0x5F26:
            issue = _yyyymmdd(item.value)
    return Dg12(authority, issue)


def parse_dg14(data: bytes) -> bytes:
    """Return the DER SecurityInfos (a SET OF, tag '31') inside DG14 ('6E').

    The protocol layer's SecurityInfos parser interprets it (chip authentication keys,
    AA signature algorithm, PACE info).
    """
    dg14 = tlv.parse_prefix(data, 0x6E)
    inner = tlv.parse_single(dg14.value, 0x31)
    inner.children()  # must be a well-formed sequence of data objects
    return inner.encode()


AaPublicKey = rsa.RSAPublicKey | ec.EllipticCurvePublicKey


def parse_dg15(data: bytes) -> AaPublicKey:
    """The active authentication public key in DG15 ('6F' SubjectPublicKeyInfo).

    Raises :class:`UnsupportedProtocol` for a key type or curve this kiosk cannot verify
    (fail closed: the caller reports AA as not supported, never as passed).
    """
    dg15 = tlv.parse_prefix(data, 0x6F)
    spki = tlv.parse_single(dg15.value, 0x30)
    try:
        key = load_der_public_key(spki.encode())
    except ValueError as exc:
        raise _unsupported_or_malformed(spki.encode()) from exc
    except Exception as exc:  # cryptography raises UnsupportedAlgorithm for unknown curves
        raise UnsupportedProtocol() from exc
    if not isinstance(key, rsa.RSAPublicKey | ec.EllipticCurvePublicKey):
        raise UnsupportedProtocol()
    return key


def _unsupported_or_malformed(spki: bytes) -> Exception:
    # A well-formed SPKI that cryptography refuses names a curve it does not know (for
    # example explicit brainpoolP320r1 parameters): unsupported, not malformed.
    from asn1crypto import keys

    try:
        parsed = keys.PublicKeyInfo.load(spki, strict=True)
        parsed.native  # noqa: B018 - force a full parse
    except Exception:
        return MalformedData()
    return UnsupportedProtocol()


@dataclass(frozen=True)
class EdlDemographics:
    """eDL DG1 driver demographics (ISO/IEC 18013-2 annex C), minimised."""

    issuing_country: str | None = None
    surname: str | None = field(default=None, repr=False)
    given_names: str | None = field(default=None, repr=False)
    birth_date: dt.date | None = field(default=None, repr=False)
    date_of_issue: dt.date | None = None
    expiry_date: dt.date | None = None
    issuing_authority: str | None = None
    document_number: str | None = field(default=None, repr=False)


def _ddmmyyyy(raw: bytes) -> dt.date | None:
    text = _text(raw)
    if len(text) == 4:  # some issuers use BCD-packed DDMMYYYY
        text = raw.hex()
    if len(text) != 8 or not text.isdigit():
        return None
    try:
        return dt.date(int(text[4:]), int(text[2:4]), int(text[:2]))
    except ValueError:
        return None


def parse_edl_dg1(data: bytes) -> EdlDemographics:
    """Parse the eDL DG1 ('61'); the elements may sit directly in it or in a template."""
    dg1 = tlv.parse_prefix(data, 0x61)
    values: dict[int, bytes] = {}

    def collect(item: tlv.Tlv, depth: int) -> None:
        for child in item.children():
            if child.constructed and depth < 3:
                collect(child, depth + 1)
            elif child.tag not in values:
                values[child.tag] = child.value

    collect(dg1, 0)

    def text(tag: int) -> str | None:
        raw = values.get(tag)
        return _text(raw) if raw is not None else None

    def day(tag: int) -> dt.date | None:
        raw = values.get(tag)
        return _ddmmyyyy(raw) if raw is not None else None

    return EdlDemographics(
        issuing_country=text(0x5F03),
        surname=text(0x5F04),
        given_names=text(0x5F05),
        birth_date=day(0x5F06),
        date_of_issue=day(0x5F0A),
        expiry_date=day(0x5F0B),
        issuing_authority=text(0x5F0C),
        document_number=text(0x5F0E),
    )


def data_group_files(files: Mapping[int, bytes]) -> dict[int, bytes]:
    """Select the data groups (by number) from files keyed by FID."""
    return {fid - 0x0100: content for fid, content in files.items() if 0x0101 <= fid <= 0x0110}
