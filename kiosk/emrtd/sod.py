"""EF.SOD, the Document Security Object (ICAO 9303-10 section 4.6.2, 9303-11 section 5.1).

EF.SOD is ``'77' L ContentInfo`` where the ContentInfo is a CMS SignedData (RFC 5652) whose
encapsulated content (type ``2.23.136.1.1.1``) is the DER ``LDSSecurityObject``: the hash
algorithm and the hash of every data group present. The signer is the Document Signer (DS),
whose certificate is normally included in ``certificates``.

:func:`parse_sod` decodes all of that from hostile bytes, raising only
:class:`~kiosk.emrtd.errors.MalformedData`; verifying it is :mod:`kiosk.emrtd.pa`'s job.
"""

from __future__ import annotations

import hashlib
from collections.abc import Mapping
from dataclasses import dataclass, field
from typing import Any, ClassVar

from asn1crypto import algos, cms, core
from asn1crypto import x509 as asn1_x509

from kiosk.emrtd import tlv
from kiosk.emrtd.errors import MalformedData

SOD_TAG = 0x77
OID_LDS_SECURITY_OBJECT = "2.23.136.1.1.1"

# Hash algorithms 9303-11 allows for the LDS security object, by asn1crypto name.
HASHES: dict[str, str] = {
    "sha1": "sha1",
    "sha224": "sha224",
    "sha256": "sha256",
    "sha384": "sha384",
    "sha512": "sha512",
}


class DataGroupHash(core.Sequence):  # type: ignore[misc]
    """``DataGroupHash ::= SEQUENCE { dataGroupNumber, dataGroupHashValue }`` (9303-10 4.6.2)."""

    _fields: ClassVar[list[tuple[Any, ...]]] = [
        ("data_group_number", core.Integer),
        ("data_group_hash_value", core.OctetString),
    ]


class DataGroupHashValues(core.SequenceOf):  # type: ignore[misc]
    """``SEQUENCE SIZE (2..ub-DataGroups) OF DataGroupHash``."""

    _child_spec = DataGroupHash


class LdsVersionInfo(core.Sequence):  # type: ignore[misc]
    """``LDSVersionInfo ::= SEQUENCE { ldsVersion PrintableString, unicodeVersion }``."""

    _fields: ClassVar[list[tuple[Any, ...]]] = [
        ("lds_version", core.PrintableString),
        ("unicode_version", core.PrintableString),
    ]


class LdsSecurityObject(core.Sequence):  # type: ignore[misc]
    """``LDSSecurityObject`` (version 0 = V0, version 1 = V1 with ldsVersionInfo)."""

    _fields: ClassVar[list[tuple[Any, ...]]] = [
        ("version", core.Integer),
        ("hash_algorithm", algos.DigestAlgorithm),
        ("data_group_hash_values", DataGroupHashValues),
        ("lds_version_info", LdsVersionInfo, {"optional": True}),
    ]


@dataclass(frozen=True)
class Sod:
    """The decoded EF.SOD.

    ``signed_attrs_der`` is the DER of the signed attributes as a ``SET OF`` (tag '31'): the
    bytes the signature covers (RFC 5652 section 5.4). ``econtent`` is the DER of the
    LDSSecurityObject whose digest must equal ``message_digest``.
    """

    hash_algorithm: str
    dg_hashes: Mapping[int, bytes]
    econtent: bytes
    econtent_type: str
    digest_algorithm: str
    signed_attrs_der: bytes | None
    message_digest: bytes | None
    signed_content_type: str | None
    signature_algorithm: str
    signature_algorithm_der: bytes = field(repr=False)
    signature: bytes = field(repr=False)
    certificates: tuple[asn1_x509.Certificate, ...] = field(repr=False)
    signer_issuer: asn1_x509.Name | None = field(repr=False)
    signer_serial: int | None
    signer_key_id: bytes | None
    lds_version: str | None = None
    crls: tuple[bytes, ...] = field(default=(), repr=False)

    def signer_certificate(self) -> asn1_x509.Certificate | None:
        """Return the DS certificate the SignerInfo names, if it is included."""
        for cert in self.certificates:
            if self.signer_serial is not None and self.signer_issuer is not None:
                if (
                    cert.serial_number == self.signer_serial
                    and cert.issuer.dump() == self.signer_issuer.dump()
                ):
                    return cert
            elif self.signer_key_id is not None and cert.key_identifier == self.signer_key_id:
                return cert
        return None


def hash_data(algorithm: str, data: bytes) -> bytes:
    """Hash ``data`` with a SOD hash algorithm name (``sha256``...)."""
    name = HASHES.get(algorithm)
    if name is None:
        raise MalformedData()
    return hashlib.new(name, data).digest()


def _content_info(data: bytes) -> cms.ContentInfo:
    try:
        outer = tlv.parse_prefix(data, SOD_TAG)
    except MalformedData:
        raise
    try:
        info = cms.ContentInfo.load(outer.value, strict=True)
        # asn1crypto parses lazily: touch everything now so malformed input fails here,
        # inside the try, and only as MalformedData.
        info.native  # noqa: B018
    except Exception as exc:  # asn1crypto raises ValueError, TypeError, KeyError...
        raise MalformedData() from exc
    return info


def parse_sod(data: bytes) -> Sod:
    """Decode EF.SOD; raise :class:`MalformedData` for anything that does not parse."""
    info = _content_info(data)
    try:
        if info["content_type"].native != "signed_data":
            raise MalformedData()
        signed: cms.SignedData = info["content"]
        encap = signed["encap_content_info"]
        econtent_type = encap["content_type"].dotted
        econtent_obj = encap["content"]
        if econtent_obj is None or econtent_obj.native is None:
            raise MalformedData()
        econtent = bytes(econtent_obj.contents)
        lso = LdsSecurityObject.load(econtent, strict=True)
        lso.native  # noqa: B018 - force full parse
        hash_algorithm = str(lso["hash_algorithm"]["algorithm"].native)
        dg_hashes: dict[int, bytes] = {}
        for item in lso["data_group_hash_values"]:
            number = int(item["data_group_number"].native)
            if not 1 <= number <= 16 or number in dg_hashes:
                raise MalformedData()
            dg_hashes[number] = bytes(item["data_group_hash_value"].native)
        version_info = lso["lds_version_info"]
        lds_version = (
            str(version_info["lds_version"].native) if version_info.native is not None else None
        )
        signer_infos = signed["signer_infos"]
        if len(signer_infos) != 1:
            raise MalformedData()
        signer = signer_infos[0]
        sid = signer["sid"]
        issuer: asn1_x509.Name | None = None
        serial: int | None = None
        key_id: bytes | None = None
        if sid.name == "issuer_and_serial_number":
            issuer = sid.chosen["issuer"]
            serial = int(sid.chosen["serial_number"].native)
        else:
            key_id = bytes(sid.chosen.native)
        signed_attrs = signer["signed_attrs"]
        signed_attrs_der: bytes | None = None
        message_digest: bytes | None = None
        signed_content_type: str | None = None
        if signed_attrs.native is not None and len(signed_attrs):
            raw = signed_attrs.dump()
            # The signature covers the attributes as an explicit SET OF (tag '31'), not the
            # [0] IMPLICIT encoding they have inside SignerInfo (RFC 5652 section 5.4).
            signed_attrs_der = b"\x31" + raw[1:]
            for attr in signed_attrs:
                kind = attr["type"].native
                values = attr["values"]
                if len(values) != 1:
                    raise MalformedData()
                if kind == "message_digest":
                    message_digest = bytes(values[0].native)
                elif kind == "content_type":
                    signed_content_type = values[0].dotted
        certificates = tuple(
            c.chosen for c in (signed["certificates"] or []) if c.name == "certificate"
        )
        crls = tuple(c.dump() for c in (signed["crls"] or []))
        sig_alg = signer["signature_algorithm"]
        return Sod(
            hash_algorithm=hash_algorithm,
            dg_hashes=dg_hashes,
            econtent=econtent,
            econtent_type=econtent_type,
            digest_algorithm=str(signer["digest_algorithm"]["algorithm"].native),
            signed_attrs_der=signed_attrs_der,
            message_digest=message_digest,
            signed_content_type=signed_content_type,
            signature_algorithm=str(sig_alg["algorithm"].native),
            signature_algorithm_der=sig_alg.dump(),
            signature=bytes(signer["signature"].native),
            certificates=certificates,
            signer_issuer=issuer,
            signer_serial=serial,
            signer_key_id=key_id,
            lds_version=lds_version,
            crls=crls,
        )
    except MalformedData:
        raise
    except Exception as exc:  # any asn1crypto decoding surprise is malformed chip data
        raise MalformedData() from exc
