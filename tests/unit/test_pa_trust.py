"""The CSCA trust store: loading, master list verification, ``kiosk trust`` import/list."""

from __future__ import annotations

import contextlib
from dataclasses import replace
from pathlib import Path

import pytest
from cryptography.hazmat.primitives import serialization
from hypothesis import given, settings
from hypothesis import strategies as st

from kiosk.cli.main import main
from kiosk.config import Config, StorageConfig, TrustConfig
from kiosk.emrtd import trust as t
from kiosk.emulator import factory as f


def test_test_csca_is_kept_apart_from_what_a_desk_trusts(tmp_path: Path) -> None:
    # The TEST ONLY CSCA's key is derived from a public label: a desk trusting it would
    # accept forged documents. Only kiosk demo and tests switch trust.test_anchors on.
    test_store = f.test_trust_store()
    (entry,) = t.list_entries(test_store)
    assert entry.test_only and entry.country == "NL"
    assert f.test_csca().certificate in test_store
    assert f.test_csca().certificate not in t.TrustStore.load()  # shipped anchors
    desk = Config(storage=StorageConfig(data_dir=str(tmp_path)))
    assert f.test_csca().certificate not in t.TrustStore.for_config(desk)
    demo = replace(desk, trust=TrustConfig(test_anchors=True))
    assert f.test_csca().certificate in t.TrustStore.for_config(demo)


def test_imported_anchors_are_trusted_by_the_desk(tmp_path: Path) -> None:
    desk = Config(storage=StorageConfig(data_dir=str(tmp_path)))
    other = f.make_csca("BE", "kiosk test CSCA BE")
    pem = tmp_path / "be.pem"
    pem.write_bytes(other.certificate.public_bytes(serialization.Encoding.PEM))
    assert other.certificate not in t.TrustStore.for_config(desk)
    t.import_file(pem, desk.trust_dir() / "csca")
    assert other.certificate in t.TrustStore.for_config(desk)


def test_master_list_verifies_and_yields_its_certificates() -> None:
    other = f.make_csca("BE", "kiosk test CSCA BE")
    data = f.build_master_list([f.test_csca().certificate, other.certificate], f.test_csca())
    parsed = t.parse_master_list(data)
    assert {t.fingerprint(c) for c in parsed.certificates} == {
        t.fingerprint(f.test_csca().certificate),
        t.fingerprint(other.certificate),
    }
    assert parsed.signer_issuer == f.test_csca().certificate


def test_tampered_master_list_is_refused() -> None:
    data = f.build_master_list([f.test_csca().certificate], f.test_csca(), tamper=True)
    with pytest.raises(t.MasterListSignatureError):
        t.parse_master_list(data)


def test_master_list_signed_by_an_unknown_authority_is_refused() -> None:
    data = f.build_master_list([f.test_csca().certificate], f.unknown_csca())
    with pytest.raises(t.MasterListSignatureError):
        t.parse_master_list(data)


def test_garbage_is_not_a_master_list() -> None:
    with pytest.raises(t.TrustImportError):
        t.parse_master_list(b"\x30\x03\x02\x01\x00")


def test_cli_imports_a_master_list_once_and_lists_it(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    folder = tmp_path / "trust" / "csca"
    other = f.make_csca("BE", "kiosk test CSCA BE")
    ml = tmp_path / "ml.bin"
    ml.write_bytes(
        f.build_master_list([f.test_csca().certificate, other.certificate], f.test_csca())
    )
    assert main(["trust", "import", str(ml), "--folder", str(folder.parent)]) == 0
    assert "2" in capsys.readouterr().out
    assert len(list(folder.glob("*.pem"))) == 2
    assert main(["trust", "import", str(ml), "--folder", str(folder.parent)]) == 0  # dedupe
    assert len(list(folder.glob("*.pem"))) == 2
    capsys.readouterr()
    assert main(["trust", "list", "--folder", str(folder.parent)]) == 0
    out = capsys.readouterr().out
    assert "BE" in out and "NL" in out


def test_cli_imports_a_single_certificate_and_rejects_bad_files(tmp_path: Path) -> None:
    folder = tmp_path / "trust" / "csca"
    pem = tmp_path / "be.pem"
    pem.write_bytes(
        f.make_csca("BE", "kiosk test CSCA BE").certificate.public_bytes(serialization.Encoding.PEM)
    )
    assert main(["trust", "import", str(pem), "--folder", str(folder.parent)]) == 0
    assert len(list(folder.glob("*.pem"))) == 1
    bad = tmp_path / "bad.bin"
    bad.write_bytes(b"not a certificate")
    assert main(["trust", "import", str(bad), "--folder", str(folder.parent)]) == 2
    tampered = tmp_path / "tampered.ml"
    tampered.write_bytes(
        f.build_master_list([f.test_csca().certificate], f.test_csca(), tamper=True)
    )
    assert main(["trust", "import", str(tampered), "--folder", str(folder.parent)]) == 1
    assert main(["trust", "import", str(tmp_path / "missing"), "--folder", str(folder.parent)]) == 2
    # A DS certificate is not a CA: it is skipped, not trusted.
    ds = tmp_path / "ds.pem"
    ds.write_bytes(
        f.make_ds(f.test_csca(), label="x").certificate.public_bytes(serialization.Encoding.PEM)
    )
    assert main(["trust", "import", str(ds), "--folder", str(folder.parent)]) == 0
    assert len(list(folder.glob("*.pem"))) == 1


@settings(max_examples=100, deadline=None)
@given(st.binary(max_size=300))
def test_hostile_master_lists_give_only_typed_errors(data: bytes) -> None:
    with contextlib.suppress(t.TrustImportError, t.MasterListSignatureError):
        t.parse_master_list(data)


def test_an_unreadable_entry_is_skipped_not_fatal(tmp_path: Path) -> None:
    junk = b"\x30\x06\x30\x00\x30\x00\x03\x00"  # a SEQUENCE, but no certificate
    data = f.build_master_list([f.test_csca().certificate], f.test_csca(), junk_entries=[junk])
    parsed = t.parse_master_list(data)
    assert (len(parsed.certificates), parsed.unreadable) == (1, 1)
    ml = tmp_path / "ml.bin"
    ml.write_bytes(data)
    result = t.import_file(ml, tmp_path / "csca")
    assert (result.kind, result.added, result.skipped) == ("master_list", 1, 1)


def test_trust_list_age_counts_from_the_last_verified_import(tmp_path: Path) -> None:
    """The heartbeat's trust-list age: the last import, even one that added nothing."""
    import datetime as dt

    folder = tmp_path / "trust"
    now = dt.datetime(2026, 12, 3, 12, 0, tzinfo=dt.UTC)
    assert t.trust_list_age(folder, now) is None  # never filled: no age to report
    ml = tmp_path / "ml.bin"
    ml.write_bytes(f.build_master_list([f.test_csca().certificate], f.test_csca()))
    first = t.import_file(ml, folder / "csca", clock=lambda: now - dt.timedelta(days=10))
    assert first.added == 1
    assert t.trust_list_age(folder, now) == 10 * 86400
    # The same list again: nothing new, but it was checked two days ago.
    again = t.import_file(ml, folder / "csca", clock=lambda: now - dt.timedelta(days=2))
    assert (again.added, again.duplicates) == (0, 1)
    assert t.trust_list_age(folder, now) == 2 * 86400
    assert t.trust_age_source(folder, lambda: now)() == 2 * 86400
    # A clock that went back never gives a negative age.
    assert t.trust_list_age(folder, now - dt.timedelta(days=5)) == 0.0


def test_trust_list_age_of_a_folder_filled_by_hand(tmp_path: Path) -> None:
    """Without the import marker the newest certificate or CRL file dates the folder."""
    import datetime as dt
    import os

    folder = tmp_path / "trust"
    (folder / "csca").mkdir(parents=True)
    (folder / "crl").mkdir()
    now = dt.datetime(2026, 12, 3, 12, 0, tzinfo=dt.UTC)
    cert = folder / "csca" / "NL.pem"
    cert.write_bytes(f.test_csca().certificate.public_bytes(serialization.Encoding.PEM))
    notes = folder / "csca" / "README.txt"  # not a certificate: TrustStore.load skips it
    notes.write_text("copied from the master list")
    crl = folder / "crl" / "nl-crl"  # CRLs are read whatever their name
    crl.write_bytes(b"")
    stamp = now.timestamp()
    os.utime(cert, (stamp - 7 * 86400, stamp - 7 * 86400))
    os.utime(notes, (stamp - 60, stamp - 60))
    os.utime(crl, (stamp - 3 * 86400, stamp - 3 * 86400))
    assert t.trust_list_age(folder, now) == 3 * 86400
    # A marker that is not a UTC time stamp written by mark_updated is ignored, not trusted.
    (folder / t.UPDATED_MARKER).write_text("2026-12-03T11:00:00")
    assert t.trust_list_age(folder, now) == 3 * 86400
    t.mark_updated(folder, now - dt.timedelta(hours=1))
    assert t.trust_list_age(folder, now) == 3600
