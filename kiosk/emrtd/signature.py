"""CMS signature verification (RFC 5652 section 5.6) for the eMRTD's signed objects.

Two signed objects need it: EF.SOD, whose Document Signer signature passive authentication
checks (ICAO 9303-11 section 5.1, :mod:`kiosk.emrtd.pa`), and the CSCA master list, whose
signature the trust store import checks (ICAO 9303-12 section 9, :mod:`kiosk.emrtd.trust`).
It lives on its own so that both can use it without importing each other: passive
authentication needs the trust store, the trust store does not need passive authentication.

Supported: RSA PKCS#1 v1.5, RSA-PSS and ECDSA (any curve ``cryptography`` knows, brainpool
included) with SHA-1/-224/-256/-384/-512. Anything else raises :class:`SignatureUnsupported`
so that the callers fail closed.
"""

from __future__ import annotations

from asn1crypto import algos
from cryptography.exceptions import InvalidSignature, UnsupportedAlgorithm
from cryptography.hazmat.primitives import hashes
from cryptography.hazmat.primitives.asymmetric import ec, padding, rsa

_HASHES: dict[str, type[hashes.HashAlgorithm]] = {
    "sha1": hashes.SHA1,
    "sha224": hashes.SHA224,
    "sha256": hashes.SHA256,
    "sha384": hashes.SHA384,
    "sha512": hashes.SHA512,
}


class SignatureUnsupported(Exception):
    """The signature algorithm, hash or key type cannot be verified here."""


def _hash(name: str) -> hashes.HashAlgorithm:
    cls = _HASHES.get(name)
    if cls is None:
        raise SignatureUnsupported(name)
    return cls()


def verify_signature(
    public_key: object,
    signature: bytes,
    signed_bytes: bytes,
    algorithm_der: bytes,
    digest_algorithm: str,
) -> bool:
    """Verify a CMS signature; True/False, or :class:`SignatureUnsupported`.

    ``algorithm_der`` is the SignerInfo's signatureAlgorithm; when it names only the key
    type (rsaEncryption, id-ecPublicKey) the SignerInfo's digestAlgorithm gives the hash.
    """
    try:
        alg = algos.SignedDigestAlgorithm.load(algorithm_der)
        kind = alg.signature_algo
    except Exception as exc:
        raise SignatureUnsupported("algorithm") from exc
    try:
        hash_name = alg.hash_algo
    except Exception:
        hash_name = digest_algorithm
    try:
        if kind == "rsassa_pkcs1v15" and isinstance(public_key, rsa.RSAPublicKey):
            public_key.verify(signature, signed_bytes, padding.PKCS1v15(), _hash(hash_name))
        elif kind == "rsassa_pss" and isinstance(public_key, rsa.RSAPublicKey):
            params = alg["parameters"]
            pss_hash = params["hash_algorithm"]["algorithm"].native
            mgf_hash = params["mask_gen_algorithm"]["parameters"]["algorithm"].native
            salt = int(params["salt_length"].native)
            public_key.verify(
                signature,
                signed_bytes,
                padding.PSS(mgf=padding.MGF1(_hash(mgf_hash)), salt_length=salt),
                _hash(pss_hash),
            )
        elif kind == "ecdsa" and isinstance(public_key, ec.EllipticCurvePublicKey):
            public_key.verify(signature, signed_bytes, ec.ECDSA(_hash(hash_name)))
        else:
            raise SignatureUnsupported(kind)
    except InvalidSignature:
        return False
    except UnsupportedAlgorithm as exc:
        raise SignatureUnsupported("hash") from exc
    except (ValueError, KeyError, TypeError):
        return False
    return True
