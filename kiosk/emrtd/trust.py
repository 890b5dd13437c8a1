"""The CSCA trust store and CSCA master list import (ICAO 9303-12, 9303-11 section 5.1).

Trusted Country Signing CA certificates live as PEM or DER files in a folder's ``csca/``
(CRLs in its ``crl/``). A desk trusts the anchors shipped in ``resources/trust/`` plus its
local trust store (``trust.folder``, default ``<data dir>/trust``), which a deployment fills
with ``kiosk trust import FILE``. The TEST ONLY CSCA that signs the emulator's documents
lives apart in ``resources/trust-test/`` and is trusted only when ``trust.test_anchors`` is
on (``kiosk demo`` and the tests): its private key is derived from a public label, so a desk
that trusted it would accept forged documents. The import takes either a single
certificate or a CSCA master list, a CMS
SignedData whose content (type ``2.23.136.1.1.2``) is ``CscaMasterList ::= SEQUENCE {
version, certList SET OF Certificate }`` signed by a master list signer, as published by
the Dutch npkd.nl. The master list's signature and its signer's chain are verified before
any certificate is taken from it.
"""

from __future__ import annotations

import datetime as dt
import hashlib
import hmac
from collections.abc import Callable, Iterable, Sequence
from dataclasses import dataclass
from pathlib import Path
from typing import Any, ClassVar

from asn1crypto import cms, core
from asn1crypto import x509 as asn1_x509
from cryptography import x509
from cryptography.exceptions import InvalidSignature, UnsupportedAlgorithm
from cryptography.hazmat.primitives import serialization

from kiosk.config import Config
from kiosk.emrtd.errors import MalformedData
from kiosk.emrtd.signature import SignatureUnsupported, verify_signature
from kiosk.emrtd.sod import hash_data
from kiosk.errors import InputError, SecurityFailure
from kiosk.paths import resource

#: Where the emulator's TEST ONLY CSCA lives; never part of a desk's default trust store.
TEST_ANCHORS_DIR = resource("trust-test")

OID_CSCA_MASTER_LIST = "2.23.136.1.1.2"
_CERT_SUFFIXES = (".pem", ".der", ".crt", ".cer")

#: File in a trust store folder holding the time (ISO 8601, UTC) of its last verified
#: import. A master list that brings no new certificate still refreshes it: the age the
#: fleet view shows is how long ago the list was checked, not when a certificate changed.
UPDATED_MARKER = "updated-at"


class _CertSet(core.SetOf):  # type: ignore[misc]
    _child_spec = asn1_x509.Certificate


class CscaMasterList(core.Sequence):  # type: ignore[misc]
    """``CscaMasterList ::= SEQUENCE { version, certList SET OF Certificate }``."""

    _fields: ClassVar[list[tuple[Any, ...]]] = [
        ("version", core.Integer),
        ("cert_list", _CertSet),
    ]


class TrustImportError(InputError):
    """The file is neither a certificate nor a CSCA master list."""

    message_key = "trust.error.unreadable"


class MasterListSignatureError(SecurityFailure):
    """The master list's signature or its signer's chain does not verify."""

    message_key = "trust.error.master_list_signature"


def fingerprint(cert: x509.Certificate) -> str:
    """SHA-256 fingerprint (hex) of a certificate's DER encoding."""
    return hashlib.sha256(cert.public_bytes(serialization.Encoding.DER)).hexdigest()


def issued_by(cert: x509.Certificate, issuer: x509.Certificate) -> bool:
    """True when ``issuer``'s key signed ``cert`` and the names chain."""
    try:
        cert.verify_directly_issued_by(issuer)
    except (ValueError, TypeError, InvalidSignature, UnsupportedAlgorithm):
        return False
    return True


class TrustStore:
    """Trusted CSCA certificates (and CRLs) in memory."""

    def __init__(
        self,
        certificates: Iterable[x509.Certificate] = (),
        crls: Iterable[x509.CertificateRevocationList] = (),
    ) -> None:
        self._certs: dict[str, x509.Certificate] = {}
        for cert in certificates:
            self._certs.setdefault(fingerprint(cert), cert)
        self._crls = list(crls)

    @property
    def certificates(self) -> list[x509.Certificate]:
        """Every trusted CSCA certificate (deduplicated)."""
        return list(self._certs.values())

    def __len__(self) -> int:
        return len(self._certs)

    def __contains__(self, cert: object) -> bool:
        return isinstance(cert, x509.Certificate) and fingerprint(cert) in self._certs

    @classmethod
    def load(cls, folder: Path | None = None) -> TrustStore:
        """Load ``folder`` (default ``resources/trust``): ``csca/`` certs, ``crl/`` CRLs."""
        base = folder or resource("trust")
        certs = _folder_certificates(base / "csca")
        crls: list[x509.CertificateRevocationList] = []
        for path in sorted((base / "crl").glob("*")) if (base / "crl").is_dir() else []:
            data = path.read_bytes()
            try:
                crls.append(
                    x509.load_pem_x509_crl(data)
                    if data.startswith(b"-----")
                    else x509.load_der_x509_crl(data)
                )
            except ValueError:
                continue  # an unreadable CRL is skipped, like an absent one
        return cls(certs, crls)

    @classmethod
    def load_folders(cls, folders: Iterable[Path]) -> TrustStore:
        """Load and merge several trust store folders (each with ``csca/`` and ``crl/``)."""
        certs: list[x509.Certificate] = []
        crls: list[x509.CertificateRevocationList] = []
        for folder in folders:
            store = cls.load(folder)
            certs.extend(store.certificates)
            crls.extend(store._crls)
        return cls(certs, crls)

    @classmethod
    def for_config(cls, config: Config) -> TrustStore:
        """The desk's trust store: shipped anchors, the local store, test anchors if enabled."""
        folders = [resource("trust"), config.trust_dir()]
        if config.trust.test_anchors:
            folders.append(TEST_ANCHORS_DIR)
        return cls.load_folders(folders)

    def issuer_of(self, cert: x509.Certificate) -> x509.Certificate | None:
        """The trusted CSCA whose key signed ``cert``, or None."""
        for candidate in self._certs.values():
            if candidate.subject == cert.issuer and issued_by(cert, candidate):
                return candidate
        return None

    def crls_from(
        self, csca: x509.Certificate, extra: Sequence[bytes] = ()
    ) -> list[x509.CertificateRevocationList]:
        """CRLs issued (and validly signed) by ``csca``: stored ones plus ``extra`` (DER)."""
        found = []
        candidates = list(self._crls)
        for der in extra:
            try:
                candidates.append(x509.load_der_x509_crl(der))
            except ValueError:
                continue
        for crl in candidates:
            if crl.issuer != csca.subject:
                continue
            try:
                if crl.is_signature_valid(csca.public_key()):  # type: ignore[arg-type]
                    found.append(crl)
            except (TypeError, ValueError, UnsupportedAlgorithm):
                continue
        return found


def load_certificates(data: bytes) -> list[x509.Certificate]:
    """Certificates in a PEM (one or more) or DER file; ``TrustImportError`` if none."""
    try:
        if b"-----BEGIN" in data:
            return x509.load_pem_x509_certificates(data)
        return [x509.load_der_x509_certificate(data)]
    except ValueError as exc:
        raise TrustImportError() from exc


@dataclass(frozen=True)
class MasterList:
    """A verified CSCA master list: its certificates and who signed it."""

    certificates: tuple[x509.Certificate, ...]
    signer: x509.Certificate
    signer_issuer: x509.Certificate
    unreadable: int = 0  # entries that are not loadable X.509 certificates (skipped)


def parse_master_list(data: bytes, trust: TrustStore | None = None) -> MasterList:
    """Decode and verify a CSCA master list (CMS SignedData, ICAO 9303-12 section 9).

    The signature over the signed attributes must verify with the signer certificate, the
    message digest must match the content, and the signer certificate must be issued by a
    CSCA in the list itself or in ``trust``. Raises :class:`TrustImportError` when the data
    is no master list and :class:`MasterListSignatureError` when it does not verify.
    """
    try:
        info = cms.ContentInfo.load(data, strict=True)
        info.native  # noqa: B018 - parse everything now
        signed = info["content"]
        if info["content_type"].native != "signed_data":
            raise TrustImportError()
        encap = signed["encap_content_info"]
        if encap["content_type"].dotted != OID_CSCA_MASTER_LIST:
            raise TrustImportError()
        content = bytes(encap["content"].contents)
        master = CscaMasterList.load(content, strict=True)
        certs: list[x509.Certificate] = []
        unreadable = 0
        for entry in master["cert_list"]:
            # One odd certificate (real lists have a few) must not sink the whole list.
            try:
                certs.append(x509.load_der_x509_certificate(entry.dump()))
            except ValueError:
                unreadable += 1
        signer_info = signed["signer_infos"][0]
        sid = signer_info["sid"]
        embedded = [c.chosen for c in (signed["certificates"] or []) if c.name == "certificate"]
        signer_asn1 = None
        for cert in embedded:
            if sid.name == "issuer_and_serial_number":
                if (
                    cert.serial_number == sid.chosen["serial_number"].native
                    and cert.issuer.dump() == sid.chosen["issuer"].dump()
                ):
                    signer_asn1 = cert
            elif cert.key_identifier == sid.chosen.native:
                signer_asn1 = cert
        attrs = signer_info["signed_attrs"]
        digest_alg = signer_info["digest_algorithm"]["algorithm"].native
        message_digest = None
        for attr in attrs:
            if attr["type"].native == "message_digest":
                message_digest = attr["values"][0].native
        signed_bytes = b"\x31" + attrs.dump()[1:]
        signature = signer_info["signature"].native
        algorithm_der = signer_info["signature_algorithm"].dump()
    except TrustImportError:
        raise
    except Exception as exc:
        raise TrustImportError() from exc
    if signer_asn1 is None or message_digest is None:
        raise MasterListSignatureError()
    signer = x509.load_der_x509_certificate(signer_asn1.dump())
    try:
        digest_ok = hmac.compare_digest(hash_data(digest_alg, content), message_digest)
        signature_ok = verify_signature(
            signer.public_key(), signature, signed_bytes, algorithm_der, digest_alg
        )
    except (MalformedData, SignatureUnsupported, UnsupportedAlgorithm, ValueError) as exc:
        raise MasterListSignatureError() from exc
    if not (digest_ok and signature_ok):
        raise MasterListSignatureError()
    anchors = TrustStore([*certs, *(trust.certificates if trust else [])])
    issuer = anchors.issuer_of(signer)
    if issuer is None:
        raise MasterListSignatureError()
    return MasterList(tuple(certs), signer, issuer, unreadable)


@dataclass(frozen=True)
class ImportResult:
    """What ``kiosk trust import`` did."""

    kind: str  # "master_list" or "certificate"
    added: int
    duplicates: int
    skipped: int  # certificates that are not CA certificates


def _is_ca(cert: x509.Certificate) -> bool:
    try:
        return bool(cert.extensions.get_extension_for_class(x509.BasicConstraints).value.ca)
    except x509.ExtensionNotFound:
        return cert.issuer == cert.subject  # old self-signed CSCAs without the extension


def _utc_now() -> dt.datetime:
    return dt.datetime.now(dt.UTC)


def import_file(
    path: Path,
    folder: Path,
    *,
    trust: TrustStore | None = None,
    clock: Callable[[], dt.datetime] = _utc_now,
) -> ImportResult:
    """Import a CSCA master list or a certificate file into ``folder`` (``.../csca``).

    New certificates are written as ``<country>-<fingerprint prefix>.pem``; certificates
    already present (by fingerprint) are counted as duplicates. A successful import stamps
    the trust store folder (``folder``'s parent) with :data:`UPDATED_MARKER`.
    """
    target = folder
    data = path.read_bytes()
    kind = "certificate"
    unreadable = 0
    try:
        certs = load_certificates(data)
    except TrustImportError:
        kind = "master_list"
        store = trust if trust is not None else TrustStore.load(target.parent)
        master = parse_master_list(data, store)
        certs, unreadable = list(master.certificates), master.unreadable
    existing = TrustStore(_folder_certificates(target))
    target.mkdir(parents=True, exist_ok=True)
    added = duplicates = 0
    skipped = unreadable
    seen: set[str] = set()
    for cert in certs:
        fp = fingerprint(cert)
        if cert in existing or fp in seen:
            duplicates += 1
            continue
        if not _is_ca(cert):
            skipped += 1
            continue
        seen.add(fp)
        country = (_country_of(cert) or "XX").upper()
        (target / f"{country}-{fp[:16]}.pem").write_bytes(
            cert.public_bytes(serialization.Encoding.PEM)
        )
        added += 1
    mark_updated(target.parent, clock())
    return ImportResult(kind, added, duplicates, skipped)


def mark_updated(folder: Path, when: dt.datetime) -> None:
    """Record ``when`` as the trust store folder's last verified import (atomically)."""
    folder.mkdir(parents=True, exist_ok=True)
    temp = folder / f".{UPDATED_MARKER}.tmp"
    temp.write_text(when.astimezone(dt.UTC).isoformat(), encoding="ascii")
    temp.replace(folder / UPDATED_MARKER)


def trust_list_age(folder: Path, now: dt.datetime) -> float | None:
    """Seconds since the local trust store ``folder`` was last updated, or None if never.

    The import marker counts; a folder filled by hand (no marker) is as old as its newest
    certificate or CRL file. The shipped anchors in ``resources/trust`` are not a trust
    list a deployment keeps up to date, so they never count. Never negative.
    """
    updated: dt.datetime | None = None
    marker = folder / UPDATED_MARKER
    try:
        updated = dt.datetime.fromisoformat(marker.read_text(encoding="ascii").strip())
    except (OSError, ValueError, UnicodeDecodeError):
        updated = None
    if updated is not None and updated.tzinfo is None:
        updated = None  # not written by mark_updated: ignore rather than guess a zone
    if updated is None:
        mtimes = [
            file.stat().st_mtime
            for sub in ("csca", "crl")
            if (folder / sub).is_dir()
            for file in (folder / sub).iterdir()
            # The same files TrustStore.load reads: certificates by suffix, every CRL file.
            if file.is_file() and (sub == "crl" or file.suffix.lower() in _CERT_SUFFIXES)
        ]
        if not mtimes:
            return None
        updated = dt.datetime.fromtimestamp(max(mtimes), dt.UTC)
    return max(0.0, (now - updated).total_seconds())


def trust_age_source(
    folder: Path, clock: Callable[[], dt.datetime] = _utc_now
) -> Callable[[], float | None]:
    """A ``trust_list_age`` callable for the sync worker's heartbeat (read at each beat)."""
    return lambda: trust_list_age(folder, clock())


def _folder_certificates(folder: Path) -> list[x509.Certificate]:
    certs: list[x509.Certificate] = []
    if folder.is_dir():
        for file in sorted(folder.glob("*")):
            if file.suffix.lower() in _CERT_SUFFIXES:
                certs.extend(load_certificates(file.read_bytes()))
    return certs


def _country_of(cert: x509.Certificate) -> str | None:
    values = cert.subject.get_attributes_for_oid(x509.NameOID.COUNTRY_NAME)
    return str(values[0].value) if values else None


@dataclass(frozen=True)
class TrustEntry:
    """One line of ``kiosk trust list``."""

    country: str
    subject: str
    not_after: dt.datetime
    fingerprint: str
    test_only: bool


def list_entries(store: TrustStore) -> list[TrustEntry]:
    """The trust store's certificates, sorted by country and subject."""
    entries = [
        TrustEntry(
            country=_country_of(cert) or "??",
            subject=cert.subject.rfc4514_string(),
            not_after=cert.not_valid_after_utc,
            fingerprint=fingerprint(cert),
            test_only="TEST ONLY" in cert.subject.rfc4514_string(),
        )
        for cert in store.certificates
    ]
    return sorted(entries, key=lambda e: (e.country, e.subject))
