"""Passive authentication over the factory's documents: every verdict and reason."""

from __future__ import annotations

import datetime as dt

import pytest
from cryptography import x509
from cryptography.hazmat.primitives import hashes, serialization

from kiosk.emrtd import pa, signature
from kiosk.emrtd.lds import data_group_files
from kiosk.emrtd.trust import TEST_ANCHORS_DIR, TrustStore
from kiosk.emulator import factory as f
from kiosk.emulator.profiles import get_profile
from kiosk.model import PassiveAuth

NOW = dt.datetime(2026, 11, 28, 12, 0, tzinfo=dt.UTC)


@pytest.fixture(scope="module")
def trust() -> TrustStore:
    return TrustStore.load(TEST_ANCHORS_DIR)


def run(name: str, trust: TrustStore, **kw: object) -> pa.PaResult:
    profile = get_profile(name)
    kw.setdefault("now", NOW)
    kw.setdefault("issuing_state", "NLD")
    return pa.passive_authentication(
        profile.files[0x011D],
        data_group_files(profile.files),
        trust,
        **kw,  # type: ignore[arg-type]
    )


@pytest.mark.parametrize(
    ("name", "verdict", "reason"),
    [
        ("nl_passport_2024", PassiveAuth.VALID, pa.OK),  # ECDSA brainpoolP256r1
        ("nl_id_card_2019", PassiveAuth.VALID, pa.OK),  # RSA-PSS
        ("legacy_bac_passport", PassiveAuth.VALID, pa.OK),  # RSA PKCS#1 v1.5
        ("nl_driving_licence", PassiveAuth.VALID, pa.OK),  # ECDSA P-256
        ("bad_dg_hash", PassiveAuth.INVALID, pa.TAMPERED),
        ("bad_sod_signature", PassiveAuth.INVALID, pa.BAD_SIGNATURE),
        ("unknown_csca", PassiveAuth.UNTRUSTED, pa.UNTRUSTED_SIGNER),
        ("expired_ds", PassiveAuth.UNTRUSTED, pa.EXPIRED_SIGNER),
        ("clone_aa", PassiveAuth.VALID, pa.OK),  # a clone copies valid data: PA cannot tell
        ("clone_ca", PassiveAuth.VALID, pa.OK),
    ],
)
def test_profiles_get_the_right_verdict(
    name: str, verdict: PassiveAuth, reason: str, trust: TrustStore
) -> None:
    result = run(name, trust)
    assert (result.verdict, result.reason) == (verdict, reason)


def test_tampered_result_names_the_data_group(trust: TrustStore) -> None:
    result = run("bad_dg_hash", trust)
    assert result.dg_ok[11] is False and result.dg_ok[1] is True


def test_data_group_missing_from_the_sod_is_tampering(trust: TrustStore) -> None:
    profile = get_profile("legacy_bac_passport")
    dgs = data_group_files(profile.files) | {11: b"\x6b\x00"}
    result = pa.passive_authentication(profile.files[0x011D], dgs, trust, now=NOW)
    assert result.reason == pa.TAMPERED


def test_validity_dates_use_the_injected_clock(trust: TrustStore) -> None:
    before = run("nl_passport_2024", trust, now=dt.datetime(2023, 6, 1, tzinfo=dt.UTC))
    assert before.reason == pa.EXPIRED_SIGNER
    # The expired DS was fine while it was valid.
    assert run("expired_ds", trust, now=dt.datetime(2021, 6, 1, tzinfo=dt.UTC)).valid


def test_issuing_state_must_match_the_signer_country(trust: TrustStore) -> None:
    result = run("nl_passport_2024", trust, issuing_state="BEL")
    assert (result.verdict, result.reason) == (PassiveAuth.UNTRUSTED, pa.COUNTRY_MISMATCH)
    assert run("nl_passport_2024", trust, issuing_state="XXX").reason == pa.COUNTRY_MISMATCH


def test_ds_from_another_country_under_the_nl_csca_is_rejected(trust: TrustStore) -> None:
    authority = f.test_csca()
    signer = f.make_ds(authority, label="foreign DS", country="BE")
    dgs = {1: f.build_dg1(get_profile("legacy_bac_passport").mrz)}
    result = pa.passive_authentication(f.build_sod(dgs, signer), dgs, trust, now=NOW)
    assert result.reason == pa.COUNTRY_MISMATCH


def test_crl_revoking_the_ds_makes_it_untrusted(trust: TrustStore) -> None:
    authority = f.test_csca()
    signer = f.make_ds(authority, label="revoked DS")
    dgs = {1: f.build_dg1(get_profile("legacy_bac_passport").mrz)}
    sod = f.build_sod(dgs, signer)
    assert pa.passive_authentication(sod, dgs, trust, now=NOW).valid
    crl = (
        x509.CertificateRevocationListBuilder()
        .issuer_name(authority.certificate.subject)
        .last_update(dt.datetime(2026, 1, 1, tzinfo=dt.UTC))
        .next_update(dt.datetime(2027, 1, 1, tzinfo=dt.UTC))
        .add_revoked_certificate(
            x509.RevokedCertificateBuilder()
            .serial_number(signer.certificate.serial_number)
            .revocation_date(dt.datetime(2026, 2, 1, tzinfo=dt.UTC))
            .build()
        )
        .sign(authority.key, hashes.SHA384())
    )
    with_crl = TrustStore(trust.certificates, [crl])
    result = pa.passive_authentication(sod, dgs, with_crl, now=NOW)
    assert (result.verdict, result.reason) == (PassiveAuth.UNTRUSTED, pa.REVOKED_SIGNER)
    # A CRL not signed by the CSCA is ignored.
    rogue = (
        x509.CertificateRevocationListBuilder()
        .issuer_name(authority.certificate.subject)
        .last_update(dt.datetime(2026, 1, 1, tzinfo=dt.UTC))
        .next_update(dt.datetime(2027, 1, 1, tzinfo=dt.UTC))
        .add_revoked_certificate(
            x509.RevokedCertificateBuilder()
            .serial_number(signer.certificate.serial_number)
            .revocation_date(dt.datetime(2026, 2, 1, tzinfo=dt.UTC))
            .build()
        )
        .sign(f.unknown_csca().key, hashes.SHA384())
    )
    assert pa.passive_authentication(
        sod, dgs, TrustStore(trust.certificates, [rogue]), now=NOW
    ).valid


def test_empty_trust_store_trusts_nothing() -> None:
    result = run("nl_passport_2024", TrustStore())
    assert (result.verdict, result.reason) == (PassiveAuth.UNTRUSTED, pa.UNTRUSTED_SIGNER)


def test_garbage_sod_is_invalid(trust: TrustStore) -> None:
    result = pa.passive_authentication(b"\x77\x03\x30\x01\x00", {}, trust, now=NOW)
    assert (result.verdict, result.reason) == (PassiveAuth.INVALID, pa.MALFORMED)


def test_naive_clock_is_a_programming_error(trust: TrustStore) -> None:
    with pytest.raises(ValueError, match="timezone"):
        run("nl_passport_2024", trust, now=dt.datetime(2026, 1, 1))


def test_unverifiable_signature_algorithm_is_untrusted_not_valid() -> None:
    with pytest.raises(signature.SignatureUnsupported):
        signature.verify_signature(
            object(),
            b"",
            b"",
            f.algos.SignedDigestAlgorithm({"algorithm": "sha256_dsa"}).dump(),
            "sha256",
        )


def test_ds_key_on_a_curve_we_cannot_verify_is_unsupported_not_valid(trust: TrustStore) -> None:
    # brainpoolP320r1 is not in `cryptography`: a DS certificate on it cannot be verified.
    signer = f.make_ds(f.test_csca(), curve="brainpoolP256r1", label="P320 DS")
    der = signer.certificate.public_bytes(serialization.Encoding.DER)
    p256_oid, p320_oid = (
        bytes.fromhex("06092b2403030208010107"),
        bytes.fromhex("06092b2403030208010109"),
    )
    assert der.count(p256_oid) == 1
    p320_cert = x509.load_der_x509_certificate(der.replace(p256_oid, p320_oid))
    dgs = {1: f.build_dg1(get_profile("legacy_bac_passport").mrz)}
    sod = f.build_sod(dgs, f.Signer(signer.key, p320_cert, "ecdsa"))
    result = pa.passive_authentication(sod, dgs, trust, now=NOW)
    assert (result.verdict, result.reason) == (PassiveAuth.UNTRUSTED, pa.UNSUPPORTED)
