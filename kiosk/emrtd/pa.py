"""Passive authentication (ICAO 9303-11 section 5.1, RFC 5652 section 5.6).

Steps, each with its own failure reason (a message key in ``chip_lds.json``):

1. EF.SOD parses (:func:`kiosk.emrtd.sod.parse_sod`)                -> ``malformed``
2. the signed attributes carry the LDSSecurityObject's digest and content type, and the
   DS signature over them verifies (RSA PKCS#1 v1.5, RSA-PSS, ECDSA incl. brainpool)
                                                                   -> ``bad_signature``
   (a signature algorithm or curve we cannot verify               -> ``unsupported``)
3. the hash of every data group read equals the SOD's               -> ``tampered``
4. the DS certificate was issued by a CSCA in the trust store        -> ``untrusted_signer``
5. DS and CSCA certificates are valid at ``now``                    -> ``expired_signer``
6. the DS and CSCA countries match the document's issuing state     -> ``country_mismatch``
7. no CRL from that CSCA (trust store or SOD) revokes the DS        -> ``revoked_signer``

Verdicts (:class:`kiosk.model.PassiveAuth`): ``valid`` when all pass; ``invalid`` when the
data or the signature is wrong (1-3); ``untrusted`` when the signature is right but its
signer cannot be trusted (4-7, and unsupported algorithms: fail closed).
"""

from __future__ import annotations

import datetime as dt
import hmac
from collections.abc import Mapping
from dataclasses import dataclass, field

from cryptography import x509
from cryptography.exceptions import UnsupportedAlgorithm

from kiosk.emrtd.errors import MalformedData
from kiosk.emrtd.signature import SignatureUnsupported, verify_signature
from kiosk.emrtd.sod import OID_LDS_SECURITY_OBJECT, Sod, hash_data, parse_sod
from kiosk.emrtd.trust import TrustStore
from kiosk.model import PassiveAuth

# Reason keys (resources/i18n/<lang>/chip_lds.json).
OK = "chip.pa.ok"
MALFORMED = "chip.pa.malformed"
BAD_SIGNATURE = "chip.pa.bad_signature"
UNSUPPORTED = "chip.pa.unsupported"
TAMPERED = "chip.pa.tampered"
UNTRUSTED_SIGNER = "chip.pa.untrusted_signer"
EXPIRED_SIGNER = "chip.pa.expired_signer"
COUNTRY_MISMATCH = "chip.pa.country_mismatch"
REVOKED_SIGNER = "chip.pa.revoked_signer"


@dataclass(frozen=True)
class PaResult:
    """Outcome of passive authentication.

    ``reason`` is a message key (``chip.pa.*``); ``dg_ok`` maps each data group checked to
    whether its hash matched. ``signer`` / ``authority`` are the DS / CSCA subjects (no
    personal data) for the audit view.
    """

    verdict: PassiveAuth
    reason: str
    dg_ok: Mapping[int, bool] = field(default_factory=dict)
    signer: str | None = None
    authority: str | None = None

    @property
    def valid(self) -> bool:
        """True only when every step passed."""
        return self.verdict is PassiveAuth.VALID


def _public_key(cert: x509.Certificate) -> object:
    try:
        return cert.public_key()
    except (ValueError, UnsupportedAlgorithm) as exc:  # e.g. a curve cryptography lacks
        raise SignatureUnsupported("key") from exc


def _country(name: x509.Name) -> str | None:
    values = name.get_attributes_for_oid(x509.NameOID.COUNTRY_NAME)
    return str(values[0].value).upper() if values else None


# ICAO 9303-3 alpha-3 codes of the states whose documents a Dutch desk accepts (EU/EEA,
# Switzerland, the UK and the Kingdom's Caribbean countries), mapped to the ISO 3166-1
# alpha-2 code that certificates carry. Germany's MRZ code is 'D'.
ALPHA3_TO_ALPHA2 = {
    "NLD": "NL",
    "BEL": "BE",
    "LUX": "LU",
    "D": "DE",
    "DEU": "DE",
    "FRA": "FR",
    "ITA": "IT",
    "ESP": "ES",
    "PRT": "PT",
    "AUT": "AT",
    "DNK": "DK",
    "SWE": "SE",
    "FIN": "FI",
    "IRL": "IE",
    "GRC": "GR",
    "POL": "PL",
    "CZE": "CZ",
    "SVK": "SK",
    "SVN": "SI",
    "HUN": "HU",
    "ROU": "RO",
    "BGR": "BG",
    "HRV": "HR",
    "EST": "EE",
    "LVA": "LV",
    "LTU": "LT",
    "MLT": "MT",
    "CYP": "CY",
    "NOR": "NO",
    "ISL": "IS",
    "LIE": "LI",
    "CHE": "CH",
    "GBR": "GB",
    "ABW": "AW",
    "CUW": "CW",
    "SXM": "SX",
    "USA": "US",
    "CAN": "CA",
    "TUR": "TR",
    "MAR": "MA",
    "SUR": "SR",
    "UKR": "UA",
}


def issuing_country_alpha2(issuing_state: str) -> str | None:
    """Map an MRZ issuing state (alpha-3, or 'D') to alpha-2; None if unknown."""
    return ALPHA3_TO_ALPHA2.get(issuing_state.replace("<", "").upper())


def passive_authentication(
    sod: bytes | Sod,
    data_groups: Mapping[int, bytes],
    trust: TrustStore,
    *,
    now: dt.datetime,
    issuing_state: str | None = None,
) -> PaResult:
    """Run passive authentication over the data groups read (DG number -> file bytes).

    ``now`` is injected (a clock, not ``datetime.now()`` inside); ``issuing_state`` is
    DG1's issuing state (alpha-3) when known.
    """
    if now.tzinfo is None:
        raise ValueError("now must be timezone-aware")
    try:
        parsed = sod if isinstance(sod, Sod) else parse_sod(sod)
    except MalformedData:
        return PaResult(PassiveAuth.INVALID, MALFORMED)

    # Step 2: the signed attributes bind the content; the signature binds the attributes.
    ds_cert = _ds_certificate(parsed, trust)
    signer = ds_cert.subject.rfc4514_string() if ds_cert is not None else None
    if ds_cert is None:
        return PaResult(PassiveAuth.UNTRUSTED, UNTRUSTED_SIGNER)
    try:
        if parsed.signed_attrs_der is None or parsed.message_digest is None:
            return PaResult(PassiveAuth.INVALID, BAD_SIGNATURE, signer=signer)
        digest = hash_data(parsed.digest_algorithm, parsed.econtent)
        if not hmac.compare_digest(digest, parsed.message_digest) or (
            parsed.signed_content_type not in (None, OID_LDS_SECURITY_OBJECT)
        ):
            return PaResult(PassiveAuth.INVALID, BAD_SIGNATURE, signer=signer)
        if not verify_signature(
            _public_key(ds_cert),
            parsed.signature,
            parsed.signed_attrs_der,
            parsed.signature_algorithm_der,
            parsed.digest_algorithm,
        ):
            return PaResult(PassiveAuth.INVALID, BAD_SIGNATURE, signer=signer)
    except (SignatureUnsupported, MalformedData):
        return PaResult(PassiveAuth.UNTRUSTED, UNSUPPORTED, signer=signer)

    # Step 3: every data group read must be listed and match.
    dg_ok: dict[int, bool] = {}
    for number, content in sorted(data_groups.items()):
        expected = parsed.dg_hashes.get(number)
        try:
            actual = hash_data(parsed.hash_algorithm, content)
        except MalformedData:
            return PaResult(PassiveAuth.UNTRUSTED, UNSUPPORTED, signer=signer)
        dg_ok[number] = expected is not None and hmac.compare_digest(expected, actual)
    if not all(dg_ok.values()):
        return PaResult(PassiveAuth.INVALID, TAMPERED, dg_ok, signer)

    # Step 4: chain to a trusted CSCA.
    csca = trust.issuer_of(ds_cert)
    if csca is None:
        return PaResult(PassiveAuth.UNTRUSTED, UNTRUSTED_SIGNER, dg_ok, signer)
    authority = csca.subject.rfc4514_string()

    def result(verdict: PassiveAuth, reason: str) -> PaResult:
        return PaResult(verdict, reason, dg_ok, signer, authority)

    # Step 5: validity at 'now'.
    for cert in (ds_cert, csca):
        if not cert.not_valid_before_utc <= now <= cert.not_valid_after_utc:
            return result(PassiveAuth.UNTRUSTED, EXPIRED_SIGNER)

    # Step 6: DS, CSCA and document must belong to the same state (9303-11 5.1.1 note).
    ds_country, csca_country = _country(ds_cert.subject), _country(csca.subject)
    if ds_country is None or ds_country != csca_country:
        return result(PassiveAuth.UNTRUSTED, COUNTRY_MISMATCH)
    if issuing_state is not None and issuing_country_alpha2(issuing_state) != ds_country:
        return result(PassiveAuth.UNTRUSTED, COUNTRY_MISMATCH)

    # Step 7: revocation, when a CRL from this CSCA is known.
    for crl in trust.crls_from(csca, extra=parsed.crls):
        if crl.get_revoked_certificate_by_serial_number(ds_cert.serial_number) is not None:
            return result(PassiveAuth.UNTRUSTED, REVOKED_SIGNER)
    return result(PassiveAuth.VALID, OK)


def _ds_certificate(parsed: Sod, trust: TrustStore) -> x509.Certificate | None:
    embedded = parsed.signer_certificate()
    if embedded is not None:
        try:
            return x509.load_der_x509_certificate(embedded.dump())
        except ValueError:
            return None
    return None
