"""Test document factory: complete, signed LDS files for emulated documents. TEST ONLY.

Everything made here is synthetic: invented people, a test CSCA and test Document Signers.
The test CSCA's private key is *derived* from a public label (so no private key is stored
anywhere and anyone can rebuild the documents); its certificate is committed under
``resources/trust-test/csca/``, which only ``kiosk demo`` and the tests trust
(``trust.test_anchors``; :func:`test_trust_store`), and
``python -m kiosk.emulator.factory write-trust`` regenerates it. Such a key protects
nothing, which is the point: it must never be mistaken for a real authority's, hence
"TEST ONLY" in every subject name.

The factory builds (ICAO 9303-10): EF.COM, DG1 (MRZ from :mod:`kiosk.mrz.build`), DG2
(synthetic OpenCV face, JPEG ~20 KB or JPEG 2000, ISO/IEC 19794-5 or 39794-5), DG11 (with
a BSN where the document has one: the reader must drop it), DG12, DG14 (chip
authentication key, active authentication info), DG15 (active authentication key),
EF.CardAccess (PACEInfo) and EF.SOD (CMS SignedData over the DG hashes, signed by a DS).
"""

from __future__ import annotations

import datetime as dt
import hashlib
from collections.abc import Iterable, Mapping
from dataclasses import dataclass, field
from functools import cache
from pathlib import Path
from typing import Literal

from asn1crypto import algos, cms, core
from asn1crypto import x509 as asn1_x509
from cryptography import x509
from cryptography.hazmat.primitives import hashes, serialization
from cryptography.hazmat.primitives.asymmetric import ec, padding, rsa
from cryptography.x509.oid import NameOID

from kiosk.emrtd import tlv
from kiosk.emrtd.sod import (
    OID_LDS_SECURITY_OBJECT,
    SOD_TAG,
    DataGroupHash,
    DataGroupHashValues,
    LdsSecurityObject,
)
from kiosk.emrtd.trust import TEST_ANCHORS_DIR, TrustStore
from kiosk.paths import resource

TEST_ONLY = "TEST ONLY"
UTC = dt.UTC

# --- object identifiers (BSI TR-03110 / ICAO 9303-11 section 9.2) -----------------------
BSI_DE = "0.4.0.127.0.7"
ID_PACE = BSI_DE + ".2.2.4"
ID_CA = BSI_DE + ".2.2.3"
ID_PK_ECDH = BSI_DE + ".2.2.1.2"
ID_AA = "2.23.136.1.1.5"
ECDSA_PLAIN_SHA256 = BSI_DE + ".1.1.4.1.3"

PACE_PROTOCOLS = {
    "ECDH-GM-3DES": ID_PACE + ".2.1",
    "ECDH-GM-AES-128": ID_PACE + ".2.2",
    "ECDH-GM-AES-192": ID_PACE + ".2.3",
    "ECDH-GM-AES-256": ID_PACE + ".2.4",
    "ECDH-CAM-AES-128": ID_PACE + ".6.2",
    "ECDH-CAM-AES-256": ID_PACE + ".6.4",
}
CA_PROTOCOLS = {
    "ECDH-3DES": ID_CA + ".2.1",
    "ECDH-AES-128": ID_CA + ".2.2",
    "ECDH-AES-192": ID_CA + ".2.3",
    "ECDH-AES-256": ID_CA + ".2.4",
}
# Standardized domain parameters (9303-11 section 9.5.1, table of parameterId).
PACE_PARAMETER_IDS = {
    "secp256r1": 12,
    "brainpoolP256r1": 13,
    "brainpoolP320r1": 14,
    "secp384r1": 15,
    "brainpoolP384r1": 16,
    "brainpoolP512r1": 17,
    "secp521r1": 18,
}

_CURVES: dict[str, type[ec.EllipticCurve]] = {
    "secp256r1": ec.SECP256R1,
    "secp384r1": ec.SECP384R1,
    "secp521r1": ec.SECP521R1,
    "brainpoolP256r1": ec.BrainpoolP256R1,
    "brainpoolP384r1": ec.BrainpoolP384R1,
    "brainpoolP512r1": ec.BrainpoolP512R1,
}

# DG number -> EF.COM tag (9303-10 table 34).
DG_TAGS = {
    1: 0x61,
    2: 0x75,
    3: 0x63,
    4: 0x76,
    5: 0x65,
    6: 0x66,
    7: 0x67,
    8: 0x68,
    9: 0x69,
    10: 0x6A,
    11: 0x6B,
    12: 0x6C,
    13: 0x6D,
    14: 0x6E,
    15: 0x6F,
    16: 0x70,
}

SignatureScheme = Literal["ecdsa", "rsa-pkcs1", "rsa-pss"]


# --- keys and certificates ---------------------------------------------------------------
def derived_ec_key(label: str, curve: str = "brainpoolP384r1") -> ec.EllipticCurvePrivateKey:
    """An EC private key derived from a public label. TEST ONLY: anyone can derive it."""
    curve_obj = _CURVES[curve]()
    digest = hashlib.sha512(f"{TEST_ONLY} {label}".encode()).digest()
    # Keep it below 2^(bits-1): smaller than the group order of every curve we use.
    scalar = int.from_bytes(digest, "big") % (1 << (curve_obj.key_size - 1)) + 1
    return ec.derive_private_key(scalar, curve_obj)


def _name(country: str, common_name: str) -> x509.Name:
    return x509.Name(
        [
            x509.NameAttribute(NameOID.COUNTRY_NAME, country),
            x509.NameAttribute(NameOID.ORGANIZATION_NAME, f"{TEST_ONLY} Kiosk test PKI"),
            x509.NameAttribute(NameOID.COMMON_NAME, common_name),
        ]
    )


@dataclass(frozen=True)
class Authority:
    """A test CSCA: its (derived) key and self-signed certificate."""

    key: ec.EllipticCurvePrivateKey
    certificate: x509.Certificate
    country: str


def make_csca(
    country: str = "NL",
    label: str = "kiosk test CSCA NL 1",
    *,
    not_before: dt.datetime = dt.datetime(2020, 1, 1, tzinfo=UTC),
    not_after: dt.datetime = dt.datetime(2045, 1, 1, tzinfo=UTC),
) -> Authority:
    """Create a test CSCA certificate (9303-12: CA, keyCertSign + cRLSign)."""
    key = derived_ec_key(label)
    name = _name(country, f"{TEST_ONLY} CSCA {country} ({label})")
    ski = x509.SubjectKeyIdentifier.from_public_key(key.public_key())
    cert = (
        x509.CertificateBuilder()
        .subject_name(name)
        .issuer_name(name)
        .public_key(key.public_key())
        .serial_number(int.from_bytes(hashlib.sha256(label.encode()).digest()[:8], "big"))
        .not_valid_before(not_before)
        .not_valid_after(not_after)
        .add_extension(x509.BasicConstraints(ca=True, path_length=0), critical=True)
        .add_extension(
            x509.KeyUsage(
                digital_signature=False,
                content_commitment=False,
                key_encipherment=False,
                data_encipherment=False,
                key_agreement=False,
                key_cert_sign=True,
                crl_sign=True,
                encipher_only=False,
                decipher_only=False,
            ),
            critical=True,
        )
        .add_extension(ski, critical=False)
        .sign(key, hashes.SHA384())
    )
    return Authority(key, cert, country)


TRUST_FILE = "TEST-ONLY-csca-NL.pem"


@cache
def test_csca() -> Authority:
    """The test CSCA whose certificate is committed in ``resources/trust-test/csca/``.

    The committed certificate is reused when its key matches the derived key, so the
    documents built now chain to what the trust store holds.
    """
    fresh = make_csca()
    path = resource("trust-test", "csca", TRUST_FILE)
    if path.is_file():
        cert = x509.load_pem_x509_certificate(path.read_bytes())
        if cert.public_key() == fresh.key.public_key():
            return Authority(fresh.key, cert, fresh.country)
    return fresh


@cache
def test_trust_store() -> TrustStore:
    """A trust store holding only the TEST ONLY CSCA: what tests verify emulated documents with."""
    return TrustStore.load(TEST_ANCHORS_DIR)


@cache
def unknown_csca() -> Authority:
    """A CSCA that is deliberately NOT in the trust store (the unknown_csca profile)."""
    return make_csca("NL", "kiosk test CSCA NL rogue")


@dataclass(frozen=True)
class Signer:
    """A test Document Signer: private key, certificate and signature scheme."""

    key: ec.EllipticCurvePrivateKey | rsa.RSAPrivateKey
    certificate: x509.Certificate
    scheme: SignatureScheme


def make_ds(
    authority: Authority,
    *,
    scheme: SignatureScheme = "ecdsa",
    curve: str = "brainpoolP256r1",
    label: str = "DS 1",
    not_before: dt.datetime = dt.datetime(2024, 1, 1, tzinfo=UTC),
    not_after: dt.datetime = dt.datetime(2035, 1, 1, tzinfo=UTC),
    country: str | None = None,
) -> Signer:
    """Issue a test Document Signer certificate under ``authority``."""
    key: ec.EllipticCurvePrivateKey | rsa.RSAPrivateKey
    if scheme == "ecdsa":
        key = derived_ec_key(f"{authority.country} {label}", curve)
    else:
        key = rsa.generate_private_key(public_exponent=65537, key_size=2048)
    ca_ski = authority.certificate.extensions.get_extension_for_class(
        x509.SubjectKeyIdentifier
    ).value
    cert = (
        x509.CertificateBuilder()
        .subject_name(_name(country or authority.country, f"{TEST_ONLY} DS {label}"))
        .issuer_name(authority.certificate.subject)
        .public_key(key.public_key())
        .serial_number(int.from_bytes(hashlib.sha256(label.encode()).digest()[:8], "big"))
        .not_valid_before(not_before)
        .not_valid_after(not_after)
        .add_extension(
            x509.KeyUsage(
                digital_signature=True,
                content_commitment=False,
                key_encipherment=False,
                data_encipherment=False,
                key_agreement=False,
                key_cert_sign=False,
                crl_sign=False,
                encipher_only=False,
                decipher_only=False,
            ),
            critical=True,
        )
        .add_extension(
            x509.AuthorityKeyIdentifier.from_issuer_subject_key_identifier(ca_ski),
            critical=False,
        )
        .sign(authority.key, hashes.SHA384())
    )
    return Signer(key, cert, scheme)


# --- SOD ---------------------------------------------------------------------------------
def _signature(signer: Signer, data: bytes) -> tuple[bytes, algos.SignedDigestAlgorithm]:
    key = signer.key
    if isinstance(key, ec.EllipticCurvePrivateKey):
        sig = key.sign(data, ec.ECDSA(hashes.SHA256()))
        alg = algos.SignedDigestAlgorithm({"algorithm": "sha256_ecdsa"})
    elif signer.scheme == "rsa-pss":
        sig = key.sign(
            data,
            padding.PSS(mgf=padding.MGF1(hashes.SHA256()), salt_length=32),
            hashes.SHA256(),
        )
        alg = algos.SignedDigestAlgorithm(
            {
                "algorithm": "rsassa_pss",
                "parameters": algos.RSASSAPSSParams(
                    {
                        "hash_algorithm": {"algorithm": "sha256"},
                        "mask_gen_algorithm": {
                            "algorithm": "mgf1",
                            "parameters": {"algorithm": "sha256"},
                        },
                        "salt_length": 32,
                    }
                ),
            }
        )
    else:
        sig = key.sign(data, padding.PKCS1v15(), hashes.SHA256())
        alg = algos.SignedDigestAlgorithm({"algorithm": "sha256_rsa"})
    return sig, alg


def build_sod(
    files: Mapping[int, bytes],
    signer: Signer,
    *,
    hash_algorithm: str = "sha256",
    tamper_signature: bool = False,
    extra_certificates: Iterable[x509.Certificate] = (),
) -> bytes:
    """Sign the hashes of the data groups ``files`` (DG number -> file) into EF.SOD."""
    hashes_ = DataGroupHashValues(
        [
            DataGroupHash(
                {
                    "data_group_number": number,
                    "data_group_hash_value": hashlib.new(hash_algorithm, content).digest(),
                }
            )
            for number, content in sorted(files.items())
        ]
    )
    lso = LdsSecurityObject(
        {
            "version": 0,
            "hash_algorithm": {"algorithm": hash_algorithm},
            "data_group_hash_values": hashes_,
        }
    ).dump()
    signed_attrs = cms.CMSAttributes(
        [
            cms.CMSAttribute(
                {"type": "content_type", "values": [cms.ContentType(OID_LDS_SECURITY_OBJECT)]}
            ),
            cms.CMSAttribute(
                {"type": "message_digest", "values": [hashlib.new(hash_algorithm, lso).digest()]}
            ),
        ]
    )
    signature, sig_alg = _signature(signer, signed_attrs.dump())
    if tamper_signature:
        signature = signature[:-8] + bytes(b ^ 0x5A for b in signature[-8:])
    cert_der = signer.certificate.public_bytes(serialization.Encoding.DER)
    ds_cert = asn1_x509.Certificate.load(cert_der)
    signer_info = cms.SignerInfo(
        {
            "version": "v1",
            "sid": cms.SignerIdentifier(
                {
                    "issuer_and_serial_number": {
                        "issuer": ds_cert.issuer,
                        "serial_number": ds_cert.serial_number,
                    }
                }
            ),
            "digest_algorithm": {"algorithm": hash_algorithm},
            "signed_attrs": signed_attrs,
            "signature_algorithm": sig_alg,
            "signature": signature,
        }
    )
    certs = [ds_cert] + [
        asn1_x509.Certificate.load(c.public_bytes(serialization.Encoding.DER))
        for c in extra_certificates
    ]
    signed_data = cms.SignedData(
        {
            "version": "v3",
            "digest_algorithms": [{"algorithm": hash_algorithm}],
            "encap_content_info": {
                "content_type": OID_LDS_SECURITY_OBJECT,
                "content": core.ParsableOctetString(lso),
            },
            "certificates": certs,
            "signer_infos": [signer_info],
        }
    )
    info = cms.ContentInfo({"content_type": "signed_data", "content": signed_data})
    return tlv.encode(SOD_TAG, info.dump())


# --- LDS files ---------------------------------------------------------------------------
def build_com(dg_numbers: Iterable[int], lds_version: str = "0107") -> bytes:
    """EF.COM: LDS version 1.7, Unicode 4.0.0, tag list (9303-10 section 4.6.1)."""
    tags = bytes(DG_TAGS[n] for n in sorted(dg_numbers))
    body = (
        tlv.encode(0x5F01, lds_version.encode())
        + tlv.encode(0x5F36, b"040000")
        + tlv.encode(0x5C, tags)
    )
    return tlv.encode(0x60, body)


def build_dg1(mrz: str) -> bytes:
    """DG1: the MRZ lines concatenated without separators (9303-10 section 4.7.1)."""
    return tlv.encode(0x61, tlv.encode(0x5F1F, mrz.replace("\n", "").encode("ascii")))


def build_dg11(
    *,
    full_name: str,
    personal_number: str | None,
    place_of_birth: str,
    birth_date: dt.date,
) -> bytes:
    """DG11 additional personal details (9303-10 section 4.7.11)."""
    elements = [
        (0x5F0E, full_name.encode("utf-8")),
        (0x5F2B, birth_date.strftime("%Y%m%d").encode()),
        (0x5F11, place_of_birth.encode("utf-8")),
    ]
    if personal_number:
        elements.append((0x5F10, personal_number.encode()))
    tag_list = b"".join(tlv.encode_tag(tag) for tag, _ in elements)
    body = tlv.encode(0x5C, tag_list) + b"".join(tlv.encode(t, v) for t, v in elements)
    return tlv.encode(0x6B, body)


def build_dg12(*, issuing_authority: str, issue_date: dt.date) -> bytes:
    """DG12 additional document details (9303-10 section 4.7.12)."""
    elements = [
        (0x5F19, issuing_authority.encode("utf-8")),
        (0x5F26, issue_date.strftime("%Y%m%d").encode()),
    ]
    tag_list = b"".join(tlv.encode_tag(tag) for tag, _ in elements)
    return tlv.encode(
        0x6C, tlv.encode(0x5C, tag_list) + b"".join(tlv.encode(t, v) for t, v in elements)
    )


def _oid(dotted: str) -> bytes:
    return bytes(core.ObjectIdentifier(dotted).dump())


def _int(value: int) -> bytes:
    return bytes(core.Integer(value).dump())


def _set_of(items: Iterable[bytes]) -> bytes:
    return tlv.encode(0x31, b"".join(sorted(items)))  # DER SET OF: sorted encodings


def pace_info(protocol: str, curve: str) -> bytes:
    """PACEInfo ::= SEQUENCE { protocol, version 2, parameterId } (9303-11 9.2.1)."""
    return tlv.encode(
        0x30, _oid(PACE_PROTOCOLS[protocol]) + _int(2) + _int(PACE_PARAMETER_IDS[curve])
    )


def build_card_access(pace: Iterable[tuple[str, str]]) -> bytes:
    """EF.CardAccess: SecurityInfos with one PACEInfo per (protocol, curve)."""
    return _set_of(pace_info(protocol, curve) for protocol, curve in pace)


def spki(public_key: ec.EllipticCurvePublicKey | rsa.RSAPublicKey) -> bytes:
    """SubjectPublicKeyInfo DER of a public key."""
    return public_key.public_bytes(
        serialization.Encoding.DER, serialization.PublicFormat.SubjectPublicKeyInfo
    )


def build_dg14(
    *,
    ca_public_key: ec.EllipticCurvePublicKey | None,
    ca_protocol: str = "ECDH-AES-256",
    aa_ecdsa: bool = False,
    pace: Iterable[tuple[str, str]] = (),
) -> bytes:
    """DG14 SecurityInfos: chip authentication (9303-11 9.2.5/9.2.6), AA info, PACEInfo."""
    infos = []
    if ca_public_key is not None:
        infos.append(tlv.encode(0x30, _oid(CA_PROTOCOLS[ca_protocol]) + _int(1)))
        infos.append(tlv.encode(0x30, _oid(ID_PK_ECDH) + spki(ca_public_key)))
    if aa_ecdsa:
        infos.append(tlv.encode(0x30, _oid(ID_AA) + _int(1) + _oid(ECDSA_PLAIN_SHA256)))
    infos.extend(pace_info(protocol, curve) for protocol, curve in pace)
    return tlv.encode(0x6E, _set_of(infos))


def build_dg15(public_key: ec.EllipticCurvePublicKey | rsa.RSAPublicKey) -> bytes:
    """DG15: the active authentication public key (9303-10 section 4.7.15)."""
    return tlv.encode(0x6F, spki(public_key))


# --- DG2 ---------------------------------------------------------------------------------
def face_image(
    seed: int = 1, *, fmt: Literal["jpeg", "jpeg2000"] = "jpeg"
) -> tuple[bytes, int, int]:
    """Draw a simple synthetic face with OpenCV; JPEG ~20 KB (as on real documents) or JP2.

    Returns (image bytes, width, height). Deterministic for a seed.
    """
    import cv2
    import numpy as np

    rng = np.random.default_rng(seed)
    height, width = 480, 360
    gradient = np.linspace(200, 235, height, dtype=np.float32)[:, None, None]
    img = (gradient * np.ones((1, width, 3), np.float32)).astype(np.uint8)
    skin = tuple(int(v) for v in rng.integers(120, 215, size=3))
    hair = tuple(int(v) for v in rng.integers(20, 90, size=3))
    cv2.ellipse(img, (180, 430), (170, 120), 0, 180, 360, (90, 70, 60), -1)
    cv2.rectangle(img, (150, 300), (210, 390), skin, -1)
    cv2.ellipse(img, (180, 220), (95, 125), 0, 0, 360, skin, -1)
    cv2.ellipse(img, (180, 140), (100, 65), 0, 180, 360, hair, -1)
    for x in (145, 215):
        cv2.ellipse(img, (x, 205), (18, 9), 0, 0, 360, (250, 250, 250), -1)
        cv2.circle(img, (x, 205), 7, (80, 60, 40), -1)
        cv2.line(img, (x - 20, 185), (x + 18, 183), hair, 4)
    cv2.line(img, (180, 215), (172, 260), (110, 140, 180), 3)
    cv2.ellipse(img, (180, 290), (30, 10), 0, 0, 180, (80, 80, 160), 3)
    noise = rng.normal(0, 6, img.shape)
    face = cv2.GaussianBlur(np.clip(img + noise, 0, 255).astype(np.uint8), (3, 3), 0)
    if fmt == "jpeg":
        ok, buf = cv2.imencode(".jpg", face, [cv2.IMWRITE_JPEG_QUALITY, 88])
    else:
        ok, buf = cv2.imencode(".jp2", face, [cv2.IMWRITE_JPEG2000_COMPRESSION_X1000, 45])
    if not ok:
        raise RuntimeError("OpenCV could not encode the synthetic face")
    return buf.tobytes(), width, height


def facial_record_19794(image: bytes, width: int, height: int, *, jpeg2000: bool) -> bytes:
    """An ISO/IEC 19794-5:2005 facial record with one image and no feature points."""
    info = (
        b"\x00\x00"  # number of feature points (after the 4-byte block length)
        + b"\x00\x00\x00"  # gender, eye colour, hair colour: unspecified
        + b"\x00\x00\x00"  # feature mask
        + b"\x00\x00"  # expression
        + b"\x00\x00\x00"  # pose angle
        + b"\x00\x00\x00"  # pose angle uncertainty
    )
    image_info = (
        b"\x01"  # face image type: full frontal
        + (b"\x01" if jpeg2000 else b"\x00")  # image data type
        + width.to_bytes(2, "big")
        + height.to_bytes(2, "big")
        + b"\x01"  # colour space sRGB
        + b"\x02"  # source type: digital still
        + b"\x00\x00"  # device type
        + b"\x00\x00"  # quality
    )
    block = info + image_info + image
    block = (len(block) + 4).to_bytes(4, "big") + block
    record_length = 14 + len(block)
    header = b"FAC\x00" + b"010\x00" + record_length.to_bytes(4, "big") + b"\x00\x01"
    return header + block


def face_block_39794(image: bytes, width: int, height: int, *, jpeg2000: bool) -> bytes:
    """An ISO/IEC 39794-5 FaceImageDataBlock ('65') with one 2D representation."""
    e = tlv.encode
    version = e(0xA0, e(0x80, b"\x03") + e(0x81, (2019).to_bytes(2, "big")))  # 39794-5:2019
    image_info = e(
        0xA1,
        e(0xA0, e(0x80, b"\x03" if jpeg2000 else b"\x02"))  # imageDataFormat [0] { code [0] }
        + e(0xA7, e(0x80, width.to_bytes(2, "big")) + e(0x81, height.to_bytes(2, "big"))),
    )
    rep2d = e(0xA0, e(0x80, image) + image_info)
    representation = e(0x30, e(0x80, b"\x01") + e(0xA1, e(0xA0, rep2d)))
    return e(0x65, version + e(0xA1, representation))


def build_dg2(
    image: bytes,
    width: int,
    height: int,
    *,
    jpeg2000: bool = False,
    encoding: Literal["19794", "39794"] = "19794",
) -> bytes:
    """DG2: biometric group template with one face (9303-10 section 4.7.2)."""
    e = tlv.encode
    header = e(0xA1, e(0x80, b"\x01\x01") + e(0x87, b"\x01\x01") + e(0x88, b"\x00\x08"))
    if encoding == "19794":
        bdb = e(0x5F2E, facial_record_19794(image, width, height, jpeg2000=jpeg2000))
    else:
        bdb = e(0x7F2E, e(0xA1, face_block_39794(image, width, height, jpeg2000=jpeg2000)))
    bit = e(0x7F60, header + bdb)
    return e(0x75, e(0x7F61, e(0x02, b"\x01") + bit))


# --- whole documents ---------------------------------------------------------------------
@dataclass(frozen=True)
class Holder:
    """An invented document holder."""

    surname: str = "DE BRUIJN"
    given_names: str = "WILLEKE LOTTE"
    birth_date: dt.date = dt.date(1985, 3, 14)
    sex: str = "F"
    place_of_birth: str = "Utrecht"
    # 999993653 is a test BSN (passes the 11-test, reserved for testing); TEST ONLY.
    bsn: str | None = None


@dataclass
class DocumentFiles:
    """The files of one document plus the keys behind DG14/DG15. TEST ONLY."""

    mrz: str
    dgs: dict[int, bytes]
    com: bytes
    sod: bytes
    card_access: bytes | None
    aa_key: ec.EllipticCurvePrivateKey | rsa.RSAPrivateKey | None = None
    ca_key: ec.EllipticCurvePrivateKey | None = None
    extra: dict[str, bytes] = field(default_factory=dict)

    def app_files(self) -> dict[int, bytes]:
        """Files of the application DF by FID: EF.COM, EF.SOD and DGn ('01nn')."""
        files = {0x011E: self.com, 0x011D: self.sod}
        files.update({0x0100 + number: content for number, content in self.dgs.items()})
        return files

    def mf_files(self) -> dict[int, bytes]:
        """Files of the master file (EF.CardAccess when PACE is offered)."""
        return {0x011C: self.card_access} if self.card_access is not None else {}


def private_der(key: ec.EllipticCurvePrivateKey | rsa.RSAPrivateKey | None) -> bytes | None:
    """PKCS#8 DER of a TEST ONLY private key (stored in emulator profiles)."""
    if key is None:
        return None
    return key.private_bytes(
        serialization.Encoding.DER,
        serialization.PrivateFormat.PKCS8,
        serialization.NoEncryption(),
    )


def write_trust(folder: Path | None = None) -> Path:
    """Write the test CSCA certificate into the trust store folder (TEST ONLY)."""
    target = folder or resource("trust-test", "csca")
    target.mkdir(parents=True, exist_ok=True)
    path = target / TRUST_FILE
    authority = test_csca()
    path.write_bytes(authority.certificate.public_bytes(serialization.Encoding.PEM))
    return path


def main(argv: list[str] | None = None) -> int:
    """``python -m kiosk.emulator.factory write-trust``: (re)write the test CSCA cert."""
    import sys

    args = sys.argv[1:] if argv is None else argv
    if args[:1] != ["write-trust"]:
        print("usage: python -m kiosk.emulator.factory write-trust [FOLDER]")
        return 2
    path = write_trust(Path(args[1]) if len(args) > 1 else None)
    print(f"wrote {path} (TEST ONLY)")
    return 0


if __name__ == "__main__":
    raise SystemExit(main())


def build_master_list(
    certificates: Iterable[x509.Certificate],
    authority: Authority,
    *,
    label: str = "master list signer",
    tamper: bool = False,
    junk_entries: Iterable[bytes] = (),
) -> bytes:
    """A CSCA master list (ICAO 9303-12: CMS SignedData over CscaMasterList), TEST ONLY.

    Signed by a master list signer certificate issued by ``authority``, as the Dutch list
    on npkd.nl is signed by a signer under the Dutch CSCA.
    """
    from kiosk.emrtd.trust import OID_CSCA_MASTER_LIST, CscaMasterList

    signer = make_ds(authority, label=label)
    content = CscaMasterList(
        {
            "version": 0,
            "cert_list": [
                asn1_x509.Certificate.load(c.public_bytes(serialization.Encoding.DER))
                for c in certificates
            ]
            + [asn1_x509.Certificate.load(raw) for raw in junk_entries],
        }
    ).dump()
    signed_attrs = cms.CMSAttributes(
        [
            cms.CMSAttribute(
                {"type": "content_type", "values": [cms.ContentType(OID_CSCA_MASTER_LIST)]}
            ),
            cms.CMSAttribute(
                {"type": "message_digest", "values": [hashlib.sha256(content).digest()]}
            ),
        ]
    )
    signature, sig_alg = _signature(signer, signed_attrs.dump())
    if tamper:
        content = content[:-1] + bytes((content[-1] ^ 1,))
    signer_cert = asn1_x509.Certificate.load(
        signer.certificate.public_bytes(serialization.Encoding.DER)
    )
    signed_data = cms.SignedData(
        {
            "version": "v3",
            "digest_algorithms": [{"algorithm": "sha256"}],
            "encap_content_info": {
                "content_type": OID_CSCA_MASTER_LIST,
                "content": core.ParsableOctetString(content),
            },
            "certificates": [signer_cert],
            "signer_infos": [
                {
                    "version": "v1",
                    "sid": {
                        "issuer_and_serial_number": {
                            "issuer": signer_cert.issuer,
                            "serial_number": signer_cert.serial_number,
                        }
                    },
                    "digest_algorithm": {"algorithm": "sha256"},
                    "signed_attrs": signed_attrs,
                    "signature_algorithm": sig_alg,
                    "signature": signature,
                }
            ],
        }
    )
    return bytes(cms.ContentInfo({"content_type": "signed_data", "content": signed_data}).dump())
