"""SecurityInfos (ICAO 9303-11 section 9.2) from EF.CardAccess, EF.DG14 or EF.CardSecurity.

``parse_security_infos(data)`` accepts the bare ``SET OF SecurityInfo`` (EF.CardAccess,
the content of EF.CardSecurity) or DG14 (application tag '6E' around it) and returns a
:class:`SecurityInfos` with typed entries:

- :class:`PaceInfo` (9.2.1), :class:`PaceDomainParameterInfo` (9.2.2),
- :class:`ChipAuthenticationInfo` (9.2.5), :class:`ChipAuthenticationPublicKeyInfo` (9.2.6),
- :class:`ActiveAuthenticationInfo` (9.2.4); anything else is kept as its OID only.

The decoder is our own DER walk over :mod:`kiosk.emrtd.tlv`, so hostile input can only
raise :class:`~kiosk.emrtd.errors.MalformedData` (hypothesis-tested). Domain parameters
are resolved to the curves and groups we know: explicit EC parameters are recognised by
value (Dutch DG14 CA keys use explicit brainpoolP512r1), anything unknown leaves
``domain=None`` and the protocol using it is unsupported (we never trust unknown explicit
parameters, 9.2.2).
"""

from __future__ import annotations

from dataclasses import dataclass, field

from kiosk.emrtd import ec, tlv
from kiosk.emrtd.errors import MalformedData
from kiosk.emrtd.pace import DH_GROUPS, DhGroup, Domain

BSI_DE = "0.4.0.127.0.7"
ID_PACE = BSI_DE + ".2.2.4"
ID_PK = BSI_DE + ".2.2.1"
ID_PK_DH = ID_PK + ".1"
ID_PK_ECDH = ID_PK + ".2"
ID_CA = BSI_DE + ".2.2.3"
ID_TA = BSI_DE + ".2.2.2"
ID_AA = "2.23.136.1.1.5"  # id-icao-mrtd-security-aaProtocolObject (9.2.4)
STANDARDIZED_DOMAIN_PARAMETERS = BSI_DE + ".1.2"
ID_EC_PUBLIC_KEY = "1.2.840.10045.2.1"
ID_PRIME_FIELD = "1.2.840.10045.1.1"
ID_DH_PUBLIC_NUMBER = "1.2.840.10046.2.1"

# Named curves are not allowed in 9303 AlgorithmIdentifiers (9.5.2) but appear in the wild.
NAMED_CURVES: dict[str, ec.Curve] = {
    "1.2.840.10045.3.1.1": ec.NIST_P192,
    "1.3.36.3.3.2.8.1.1.3": ec.BRAINPOOL_P192R1,
    "1.3.132.0.33": ec.NIST_P224,
    "1.3.36.3.3.2.8.1.1.5": ec.BRAINPOOL_P224R1,
    "1.3.36.3.3.2.8.1.1.7": ec.BRAINPOOL_P256R1,
    "1.3.36.3.3.2.8.1.1.9": ec.BRAINPOOL_P320R1,
    "1.3.36.3.3.2.8.1.1.11": ec.BRAINPOOL_P384R1,
    "1.3.36.3.3.2.8.1.1.13": ec.BRAINPOOL_P512R1,
    "1.2.840.10045.3.1.7": ec.NIST_P256,
    "1.3.132.0.34": ec.NIST_P384,
    "1.3.132.0.35": ec.NIST_P521,
}

_SEQUENCE = 0x30
_SET = 0x31
_INTEGER = 0x02
_OID = 0x06
_OCTET_STRING = 0x04
_BIT_STRING = 0x03
_DG14_TAG = 0x6E


@dataclass(frozen=True)
class PaceInfo:
    """PACEInfo: protocol OID, version (2) and the domain parameter ID."""

    oid: str
    version: int
    parameter_id: int | None


@dataclass(frozen=True)
class PaceDomainParameterInfo:
    """PACEDomainParameterInfo: explicit domain parameters (recognised ones only)."""

    oid: str
    domain: Domain | None
    parameter_id: int | None


@dataclass(frozen=True)
class ChipAuthenticationInfo:
    """ChipAuthenticationInfo: CA protocol OID, version (1) and optional key ID."""

    oid: str
    version: int
    key_id: int | None


@dataclass(frozen=True)
class ChipAuthenticationPublicKeyInfo:
    """ChipAuthenticationPublicKeyInfo: the chip's static key and its domain parameters.

    ``public_key`` is the raw key: the uncompressed point (ECDH) or the encoded integer
    y (DH). ``domain`` is None for parameters we do not recognise.
    """

    oid: str
    domain: Domain | None
    public_key: bytes
    key_id: int | None

    @property
    def is_ecdh(self) -> bool:
        """True for id-PK-ECDH keys."""
        return self.oid == ID_PK_ECDH

    def point(self) -> tuple[int, int]:
        """The EC public point, validated on its curve."""
        if not isinstance(self.domain, ec.Curve):
            raise MalformedData()
        return self.domain.decode_point(self.public_key)

    def dh_value(self) -> int:
        """The DH public value y."""
        return int.from_bytes(self.public_key, "big")


@dataclass(frozen=True)
class ActiveAuthenticationInfo:
    """ActiveAuthenticationInfo: version (1) and the ECDSA signature algorithm OID."""

    version: int
    signature_algorithm: str


@dataclass
class SecurityInfos:
    """All SecurityInfo entries of a file, by kind."""

    pace: list[PaceInfo] = field(default_factory=list)
    pace_domain_parameters: list[PaceDomainParameterInfo] = field(default_factory=list)
    chip_authentication: list[ChipAuthenticationInfo] = field(default_factory=list)
    chip_authentication_public_keys: list[ChipAuthenticationPublicKeyInfo] = field(
        default_factory=list
    )
    active_authentication: list[ActiveAuthenticationInfo] = field(default_factory=list)
    other: list[str] = field(default_factory=list)


# ---------------------------------------------------------------- DER helpers


def _children(item: tlv.Tlv, tag: int) -> list[tlv.Tlv]:
    if item.tag != tag:
        raise MalformedData()
    return item.children()


def _oid(item: tlv.Tlv) -> str:
    if item.tag != _OID:
        raise MalformedData()
    return tlv.decode_oid(item.value)


def _int(item: tlv.Tlv) -> int:
    if item.tag != _INTEGER:
        raise MalformedData()
    return tlv.decode_unsigned(item.value)


def _optional_int(items: list[tlv.Tlv], index: int) -> int | None:
    if len(items) <= index:
        return None
    return _int(items[index])


def _bit_string(item: tlv.Tlv) -> bytes:
    if item.tag != _BIT_STRING or not item.value or item.value[0] != 0:
        raise MalformedData()
    return item.value[1:]


# ---------------------------------------------------------------- domain parameters


def _explicit_curve(params: tlv.Tlv) -> ec.Curve | None:
    """Resolve X9.62 ECParameters (SEQUENCE) to a known curve (9.5.2)."""
    items = _children(params, _SEQUENCE)
    if len(items) < 5:
        raise MalformedData()
    field_id = _children(items[1], _SEQUENCE)
    if len(field_id) != 2 or _oid(field_id[0]) != ID_PRIME_FIELD:
        return None
    p = _int(field_id[1])
    curve_items = _children(items[2], _SEQUENCE)
    if len(curve_items) < 2 or any(i.tag != _OCTET_STRING for i in curve_items[:2]):
        raise MalformedData()
    a = int.from_bytes(curve_items[0].value, "big")
    b = int.from_bytes(curve_items[1].value, "big")
    if items[3].tag != _OCTET_STRING:
        raise MalformedData()
    base = items[3].value
    n = _int(items[4])
    size = (p.bit_length() + 7) // 8
    if len(base) != 1 + 2 * size or base[0] != 0x04:
        return None
    gx = int.from_bytes(base[1 : 1 + size], "big")
    gy = int.from_bytes(base[1 + size :], "big")
    return ec.find_curve(p, a, b, gx, gy, n)


def _dh_group(params: tlv.Tlv) -> DhGroup | None:
    items = _children(params, _SEQUENCE)
    if len(items) < 3:
        raise MalformedData()
    p, g, q = _int(items[0]), _int(items[1]), _int(items[2])
    for group in DH_GROUPS.values():
        if (group.p, group.g, group.q) == (p, g, q):
            return group
    return None


def parse_algorithm_identifier(item: tlv.Tlv) -> Domain | None:
    """Domain parameters from an AlgorithmIdentifier (9.5): standardized ID or explicit."""
    items = _children(item, _SEQUENCE)
    if not items:
        raise MalformedData()
    algorithm = _oid(items[0])
    params = items[1] if len(items) > 1 else None
    if algorithm == STANDARDIZED_DOMAIN_PARAMETERS:
        if params is None:
            raise MalformedData()
        param_id = _int(params)
        return ec.BY_PARAM_ID.get(param_id) or DH_GROUPS.get(param_id)
    if algorithm == ID_EC_PUBLIC_KEY and params is not None:
        if params.tag == _OID:
            return NAMED_CURVES.get(_oid(params))
        return _explicit_curve(params)
    if algorithm == ID_DH_PUBLIC_NUMBER and params is not None:
        return _dh_group(params)
    return None


# ---------------------------------------------------------------- entries


def _public_key_info(oid: str, items: list[tlv.Tlv]) -> ChipAuthenticationPublicKeyInfo:
    if len(items) < 2:
        raise MalformedData()
    spki = _children(items[1], _SEQUENCE)
    if len(spki) != 2:
        raise MalformedData()
    domain = parse_algorithm_identifier(spki[0])
    key = _bit_string(spki[1])
    if oid == ID_PK_DH:  # the BIT STRING holds a DER INTEGER y; keep y's minimal octets
        y = tlv.decode_unsigned(tlv.parse_single(key, _INTEGER).value)
        key = y.to_bytes(max(1, (y.bit_length() + 7) // 8), "big")
    return ChipAuthenticationPublicKeyInfo(oid, domain, key, _optional_int(items, 2))


def _entry(info: tlv.Tlv, result: SecurityInfos) -> None:
    items = _children(info, _SEQUENCE)
    if not items:
        raise MalformedData()
    oid = _oid(items[0])
    if oid.startswith(ID_PACE + "."):
        depth = oid.count(".") - ID_PACE.count(".")
        if depth == 2:  # id-PACE-x-y-z: a PACEInfo
            if len(items) < 2:
                raise MalformedData()
            result.pace.append(PaceInfo(oid, _int(items[1]), _optional_int(items, 2)))
        elif depth == 1:  # id-PACE-DH-GM etc: PACEDomainParameterInfo
            if len(items) < 2:
                raise MalformedData()
            result.pace_domain_parameters.append(
                PaceDomainParameterInfo(
                    oid, parse_algorithm_identifier(items[1]), _optional_int(items, 2)
                )
            )
        else:
            result.other.append(oid)
    elif oid in (ID_PK_DH, ID_PK_ECDH):
        result.chip_authentication_public_keys.append(_public_key_info(oid, items))
    elif oid.startswith(ID_CA + ".") and oid.count(".") - ID_CA.count(".") == 2:
        if len(items) < 2:
            raise MalformedData()
        result.chip_authentication.append(
            ChipAuthenticationInfo(oid, _int(items[1]), _optional_int(items, 2))
        )
    elif oid == ID_AA:
        if len(items) < 3:
            raise MalformedData()
        result.active_authentication.append(
            ActiveAuthenticationInfo(_int(items[1]), _oid(items[2]))
        )
    else:
        result.other.append(oid)


def parse_security_infos(data: bytes) -> SecurityInfos:
    """Parse EF.CardAccess / CardSecurity content (SET) or EF.DG14 ('6E' around the SET).

    Trailing bytes after the outer object are ignored (files are often padded).
    """
    outer = tlv.parse_prefix(data)
    if outer.tag == _DG14_TAG:
        outer = tlv.parse_prefix(outer.value)
    if outer.tag != _SET:
        raise MalformedData()
    result = SecurityInfos()
    for info in outer.children():
        _entry(info, result)
    return result


# ---------------------------------------------------------------- encoders (test documents)


def _der_int(value: int) -> bytes:
    body = value.to_bytes(value.bit_length() // 8 + 1, "big")  # room for the sign bit
    return tlv.encode(_INTEGER, body)


def _der_oid(oid: str) -> bytes:
    return tlv.encode(_OID, tlv.encode_oid(oid))


def encode_pace_info(oid: str, parameter_id: int | None, version: int = 2) -> bytes:
    """DER PACEInfo (9.2.1)."""
    body = _der_oid(oid) + _der_int(version)
    if parameter_id is not None:
        body += _der_int(parameter_id)
    return tlv.encode(_SEQUENCE, body)


def encode_ca_info(oid: str, key_id: int | None = None, version: int = 1) -> bytes:
    """DER ChipAuthenticationInfo (9.2.5)."""
    body = _der_oid(oid) + _der_int(version)
    if key_id is not None:
        body += _der_int(key_id)
    return tlv.encode(_SEQUENCE, body)


def encode_domain(domain: Domain, *, explicit: bool = False) -> bytes:
    """AlgorithmIdentifier for ``domain``: standardized ID, or explicit EC/DH parameters."""
    if not explicit and domain.param_id is not None:
        return tlv.encode(
            _SEQUENCE, _der_oid(STANDARDIZED_DOMAIN_PARAMETERS) + _der_int(domain.param_id)
        )
    if isinstance(domain, ec.Curve):
        size = domain.size
        field_id = tlv.encode(_SEQUENCE, _der_oid(ID_PRIME_FIELD) + _der_int(domain.p))
        curve = tlv.encode(
            _SEQUENCE,
            tlv.encode(_OCTET_STRING, domain.a.to_bytes(size, "big"))
            + tlv.encode(_OCTET_STRING, domain.b.to_bytes(size, "big")),
        )
        params = tlv.encode(
            _SEQUENCE,
            _der_int(1)
            + field_id
            + curve
            + tlv.encode(_OCTET_STRING, domain.encode_point(domain.generator))
            + _der_int(domain.n)
            + _der_int(domain.h),
        )
        return tlv.encode(_SEQUENCE, _der_oid(ID_EC_PUBLIC_KEY) + params)
    params = tlv.encode(_SEQUENCE, _der_int(domain.p) + _der_int(domain.g) + _der_int(domain.q))
    return tlv.encode(_SEQUENCE, _der_oid(ID_DH_PUBLIC_NUMBER) + params)


def encode_ca_public_key_info(
    domain: Domain, public_key: bytes, key_id: int | None = None, *, explicit: bool = False
) -> bytes:
    """DER ChipAuthenticationPublicKeyInfo (9.2.6); ``public_key`` as ChipCa gives it."""
    if isinstance(domain, ec.Curve):
        oid, key = ID_PK_ECDH, public_key
    else:
        oid, key = ID_PK_DH, _der_int(int.from_bytes(public_key, "big"))
    spki = tlv.encode(
        _SEQUENCE, encode_domain(domain, explicit=explicit) + tlv.encode(_BIT_STRING, b"\x00" + key)
    )
    body = _der_oid(oid) + spki
    if key_id is not None:
        body += _der_int(key_id)
    return tlv.encode(_SEQUENCE, body)


def encode_aa_info(signature_algorithm: str, version: int = 1) -> bytes:
    """DER ActiveAuthenticationInfo (9.2.4)."""
    return tlv.encode(
        _SEQUENCE, _der_oid(ID_AA) + _der_int(version) + _der_oid(signature_algorithm)
    )


def encode_security_infos(*infos: bytes, dg14: bool = False) -> bytes:
    """SET OF SecurityInfo (EF.CardAccess), or EF.DG14 with ``dg14`` ('6E' around it)."""
    body = tlv.encode(_SET, b"".join(sorted(infos)))  # DER sorts SET OF elements
    return tlv.encode(_DG14_TAG, body) if dg14 else body
