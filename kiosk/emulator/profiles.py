"""The named test documents the emulator serves. TEST ONLY.

``PROFILES`` maps a name to a function building that :class:`ChipProfile` (built once per
process and cached: RSA key generation and signing take a moment). ``get_profile(name)``
also understands ``removed_after_N`` (the ID card, pulled off the reader after N APDUs).

Genuine documents:

- ``nl_passport_2024``: TD3, PACE only (ECDH-GM, brainpoolP320r1, AES-256), chip
  authentication on brainpoolP512r1, AA with ECDSA, DG2 in ISO/IEC 39794-5 (JPEG),
  DS signing with ECDSA brainpoolP256r1.
- ``nl_id_card_2019``: TD1 with the BSN in the MRZ optional data and DG11, BAC and PACE
  (ECDH-GM, brainpoolP256r1, AES-128), chip authentication on brainpoolP256r1, AA with
  RSA (ISO 9796-2), DG2 in ISO/IEC 19794-5 with a JPEG 2000 face, DS RSA-PSS.
- ``nl_driving_licence``: eDL application, one-line MRZ, BAP, DG1 demographics, DG6
  face, DS ECDSA P-256.
- ``legacy_bac_passport``: TD3, BAC only, no EF.CardAccess, no DG14, AA RSA, DS RSA
  PKCS#1 v1.5, short APDUs only.

Faulty variants (of the passport unless stated): ``bad_dg_hash`` (DG1 altered after
signing), ``bad_sod_signature``, ``unknown_csca`` (DS issued by a CSCA not in the trust
store), ``expired_ds`` (the ID card with a DS certificate that expired), ``clone_aa`` (the
legacy passport, AA only, whose chip holds a different AA key than DG15), ``clone_ca`` (chip holds a
different CA key than DG14), ``removed_after_12``, ``slow_chip`` (30 ms per APDU).

Reader-side quirks: ``legacy_bac_card_access_<kind>`` is the legacy passport whose
EF.CardAccess read gives a status word other than 6A82 (``6982``, ``6986``, ``6a86``,
``6d00``, ``6e00``) or a file without PACE (``empty``, ``malformed``, ``no_pace``).
``quirk_*`` (:data:`READER_QUIRKS`) are genuine documents behind one reader or transport
quirk each: T=0 (``quirk_t0_pace``, ``quirk_t0_bac``), no or uncarried extended length and
a small reader buffer (``quirk_short_only``, ``quirk_reader_no_extended``,
``quirk_small_buffer``), SELECT and SFI variants (``quirk_select_fci``,
``quirk_select_fci_t0_bac``, ``quirk_no_sfi``, ``quirk_no_sfi_plain_errors``,
``quirk_fid_only``), end-of-file answers
(``quirk_eof_6282``, ``quirk_eof_6b00``, ``quirk_eof_6b00_short``,
``quirk_short_data_9000``), a 90 KB DG2 read with the odd INS (``quirk_large_dg2``,
``quirk_large_dg2_short``), a slow chip (``quirk_slow_pace``) and a field drop after
access control (``quirk_field_drop_pace``, ``quirk_field_drop_bac``).
"""

from __future__ import annotations

import datetime as dt
import functools
import re
from collections.abc import Callable
from dataclasses import replace
from functools import cache
from pathlib import Path

from cryptography.hazmat.primitives.asymmetric import rsa

from kiosk.emrtd import tlv
from kiosk.emulator import factory as f
from kiosk.emulator.chip import EDL_AID, EMRTD_AID, Quirks
from kiosk.emulator.profile import ChipProfile
from kiosk.mrz.build import format_edl, format_td1, format_td3

UTC = dt.UTC
TEST_BSN = "999993653"  # a test BSN (passes the 11-test); TEST ONLY
PASSPORT_CAN = "482915"
ID_CARD_CAN = "735102"


def _padded_jpeg(image: bytes, size: int) -> bytes:
    """``image`` (a JPEG) grown to about ``size`` bytes with APP15 segments after SOI.

    Still a valid JPEG that decodes to the same picture: decoders skip APPn segments
    (ISO/IEC 10918-1 B.2.4.6). It stands in for the big DG2 of a document with a
    high-resolution or several face images, and for DG3-sized files.
    """
    pad = bytearray()
    left = size - len(image)
    while left > 4:
        body = min(left - 4, 0xFFFF - 2)
        pad += b"\xff\xef" + (body + 2).to_bytes(2, "big") + bytes(body)
        left -= body + 4
    return image[:2] + bytes(pad) + image[2:]


@cache
def _passport_2024_files(signer_kind: str = "genuine", face_size: int = 0) -> f.DocumentFiles:
    holder = f.Holder(
        surname="DE BRUIJN",
        given_names="WILLEKE LOTTE",
        birth_date=dt.date(1985, 3, 14),
        sex="F",
        place_of_birth="Utrecht",
    )
    mrz = format_td3(
        surname=holder.surname,
        given_names=holder.given_names,
        document_number="NXR4K7P21",
        birth_date=holder.birth_date,
        sex=holder.sex,
        expiry_date=dt.date(2034, 5, 1),
    )
    ca_key = f.derived_ec_key("passport 2024 CA", "brainpoolP512r1")
    aa_key = f.derived_ec_key("passport 2024 AA", "brainpoolP256r1")
    image, width, height = f.face_image(1)
    if face_size:
        image = _padded_jpeg(image, face_size)
    pace = [("ECDH-GM-AES-256", "brainpoolP320r1")]
    dgs = {
        1: f.build_dg1(mrz),
        2: f.build_dg2(image, width, height, encoding="39794"),
        11: f.build_dg11(
            full_name="DE BRUIJN<<WILLEKE LOTTE",
            personal_number=None,
            place_of_birth=holder.place_of_birth,
            birth_date=holder.birth_date,
        ),
        12: f.build_dg12(
            issuing_authority="Burgemeester van Utrecht", issue_date=dt.date(2024, 5, 1)
        ),
        14: f.build_dg14(ca_public_key=ca_key.public_key(), aa_ecdsa=True, pace=pace),
        15: f.build_dg15(aa_key.public_key()),
    }
    authority = f.unknown_csca() if signer_kind == "unknown_csca" else f.test_csca()
    signer = f.make_ds(
        authority, scheme="ecdsa", curve="brainpoolP256r1", label=f"passport 2024 {signer_kind}"
    )
    sod = f.build_sod(dgs, signer, tamper_signature=signer_kind == "bad_signature")
    files = f.DocumentFiles(
        mrz=mrz,
        dgs=dgs,
        com=f.build_com(dgs),
        sod=sod,
        card_access=f.build_card_access(pace),
        aa_key=aa_key,
        ca_key=ca_key,
    )
    return files


def _emrtd_profile(
    name: str, description: str, files: f.DocumentFiles, **kw: object
) -> ChipProfile:
    return ChipProfile(
        name=name,
        description=f"{f.TEST_ONLY}: {description}",
        files=files.app_files(),
        mf_files=files.mf_files(),
        aid=EMRTD_AID,
        mrz=files.mrz,
        aa_key=f.private_der(files.aa_key),
        ca_key=f.private_der(files.ca_key),
        **kw,  # type: ignore[arg-type]
    )


def _passport_2024_profile(
    name: str, description: str, signer_kind: str, face_size: int = 0
) -> ChipProfile:
    """The 2024 passport's chip (PACE only, brainpoolP320r1/AES-256) with a given signer."""
    return _emrtd_profile(
        name,
        description,
        _passport_2024_files(signer_kind, face_size),
        can=PASSPORT_CAN,
        bac=False,
        pace=("ECDH-GM-AES-256:brainpoolP320r1",),
    )


def nl_passport_2024() -> ChipProfile:
    """Dutch passport 2024: PACE only on brainpoolP320r1/AES-256, CA on brainpoolP512r1."""
    return _passport_2024_profile("nl_passport_2024", "NL passport 2024, PACE only", "genuine")


@cache
def _id_card_2019_files(ds_kind: str = "genuine") -> f.DocumentFiles:
    holder = f.Holder(
        surname="VAN DER MEER",
        given_names="JOHANNES PIETER",
        birth_date=dt.date(1971, 11, 2),
        sex="M",
        place_of_birth="Zwolle",
        bsn=TEST_BSN,
    )
    mrz = format_td1(
        surname=holder.surname,
        given_names=holder.given_names,
        document_number="IB2H8D3F9",
        birth_date=holder.birth_date,
        sex=holder.sex,
        expiry_date=dt.date(2029, 6, 30),
        optional_data=TEST_BSN,
    )
    ca_key = f.derived_ec_key("id card 2019 CA", "brainpoolP256r1")
    aa_key = rsa.generate_private_key(public_exponent=65537, key_size=2048)
    image, width, height = f.face_image(2, fmt="jpeg2000")
    pace = [("ECDH-GM-AES-128", "brainpoolP256r1")]
    dgs = {
        1: f.build_dg1(mrz),
        2: f.build_dg2(image, width, height, jpeg2000=True, encoding="19794"),
        11: f.build_dg11(
            full_name="VAN DER MEER<<JOHANNES PIETER",
            personal_number=TEST_BSN,
            place_of_birth=holder.place_of_birth,
            birth_date=holder.birth_date,
        ),
        12: f.build_dg12(
            issuing_authority="Burgemeester van Zwolle", issue_date=dt.date(2019, 6, 30)
        ),
        14: f.build_dg14(ca_public_key=ca_key.public_key(), ca_protocol="ECDH-AES-128", pace=pace),
        15: f.build_dg15(aa_key.public_key()),
    }
    if ds_kind == "expired":
        signer = f.make_ds(
            f.test_csca(),
            scheme="rsa-pss",
            label="id card 2019 expired",
            not_before=dt.datetime(2020, 1, 2, tzinfo=UTC),
            not_after=dt.datetime(2022, 1, 1, tzinfo=UTC),
        )
    else:
        signer = f.make_ds(
            f.test_csca(),
            scheme="rsa-pss",
            label="id card 2019",
            not_before=dt.datetime(2019, 1, 1, tzinfo=UTC),
            not_after=dt.datetime(2030, 1, 1, tzinfo=UTC),
        )
    sod = f.build_sod(dgs, signer)
    return f.DocumentFiles(
        mrz=mrz,
        dgs=dgs,
        com=f.build_com(dgs),
        sod=sod,
        card_access=f.build_card_access(pace),
        aa_key=aa_key,
        ca_key=ca_key,
    )


def nl_id_card_2019() -> ChipProfile:
    """Dutch identity card 2019: BAC and PACE, BSN in MRZ optional data and DG11."""
    return _emrtd_profile(
        "nl_id_card_2019",
        "NL identity card 2019, BAC + PACE, BSN",
        _id_card_2019_files(),
        can=ID_CARD_CAN,
        bac=True,
        pace=("ECDH-GM-AES-128:brainpoolP256r1",),
    )


@cache
def _legacy_files() -> f.DocumentFiles:
    holder = f.Holder(
        surname="JANSEN", given_names="ANNA MARIA", birth_date=dt.date(1990, 7, 21), sex="F"
    )
    mrz = format_td3(
        surname=holder.surname,
        given_names=holder.given_names,
        document_number="BN4512LK6",
        birth_date=holder.birth_date,
        sex=holder.sex,
        expiry_date=dt.date(2031, 2, 28),
        personal_number=TEST_BSN,
    )
    aa_key = rsa.generate_private_key(public_exponent=65537, key_size=1024)  # noqa: S505 - TEST ONLY: old documents use 1024-bit AA keys
    image, width, height = f.face_image(3)
    dgs = {
        1: f.build_dg1(mrz),
        2: f.build_dg2(image, width, height),
        15: f.build_dg15(aa_key.public_key()),
    }
    signer = f.make_ds(
        f.test_csca(),
        scheme="rsa-pkcs1",
        label="legacy passport",
        not_before=dt.datetime(2021, 1, 1, tzinfo=UTC),
        not_after=dt.datetime(2032, 1, 1, tzinfo=UTC),
    )
    return f.DocumentFiles(
        mrz=mrz,
        dgs=dgs,
        com=f.build_com(dgs),
        sod=f.build_sod(dgs, signer),
        card_access=None,
        aa_key=aa_key,
    )


def legacy_bac_passport() -> ChipProfile:
    """An older passport: BAC only, no EF.CardAccess, short APDUs only."""
    return _emrtd_profile(
        "legacy_bac_passport",
        "legacy passport, BAC only",
        _legacy_files(),
        bac=True,
        extended_length=False,
    )


def build_edl_dg1(
    *,
    surname: str,
    given_names: str,
    birth_date: dt.date,
    place_of_birth: str,
    issue_date: dt.date,
    expiry_date: dt.date,
    authority: str,
    document_number: str,
    country: str = "NLD",
) -> bytes:
    """eDL DG1 demographic data (ISO/IEC 18013-2 annex C tags; dates DDMMYYYY)."""

    def day(value: dt.date) -> bytes:
        return value.strftime("%d%m%Y").encode()

    elements = [
        (0x5F03, country.encode()),
        (0x5F04, surname.encode("utf-8")),
        (0x5F05, given_names.encode("utf-8")),
        (0x5F06, day(birth_date)),
        (0x5F07, place_of_birth.encode("utf-8")),
        (0x5F0A, day(issue_date)),
        (0x5F0B, day(expiry_date)),
        (0x5F0C, authority.encode("utf-8")),
        (0x5F0E, document_number.encode()),
    ]
    return tlv.encode(0x61, b"".join(tlv.encode(t, v) for t, v in elements))


@cache
def _edl_files() -> f.DocumentFiles:
    mrz = format_edl(document_number="5012345678", random_data="K8R2M4T6Z1X3Q")
    image, width, height = f.face_image(4)
    dgs = {
        1: build_edl_dg1(
            surname="Visser",
            given_names="Daan",
            birth_date=dt.date(1995, 1, 9),
            place_of_birth="Groningen",
            issue_date=dt.date(2022, 9, 1),
            expiry_date=dt.date(2032, 9, 1),
            authority="RDW",
            document_number="5012345678",
        ),
        6: f.build_dg2(image, width, height),
    }
    signer = f.make_ds(f.test_csca(), scheme="ecdsa", curve="secp256r1", label="eDL")
    return f.DocumentFiles(
        mrz=mrz, dgs=dgs, com=f.build_com(dgs), sod=f.build_sod(dgs, signer), card_access=None
    )


def nl_driving_licence() -> ChipProfile:
    """Dutch driving licence: the eDL application with BAP."""
    files = _edl_files()
    base = _emrtd_profile("nl_driving_licence", "NL driving licence (eDL), BAP", files, bac=True)
    return replace(base, aid=EDL_AID)


# --- faulty variants ---------------------------------------------------------------------
def bad_dg_hash() -> ChipProfile:
    """Passport whose DG11 was altered after the SOD was signed (tampered data)."""
    profile = nl_passport_2024()
    files = dict(profile.files)
    dg11 = files[0x010B]
    files[0x010B] = dg11.replace(b"Utrecht", b"Utrekht")
    return replace(
        profile,
        name="bad_dg_hash",
        files=files,
        description=f"{f.TEST_ONLY}: passport with an altered DG11",
    )


def bad_sod_signature() -> ChipProfile:
    """Passport whose SOD signature does not verify."""
    return _passport_2024_profile(
        "bad_sod_signature", "passport with a broken SOD signature", "bad_signature"
    )


def unknown_csca() -> ChipProfile:
    """Passport signed by a DS whose CSCA is not in the trust store."""
    return _passport_2024_profile("unknown_csca", "passport from an unknown CSCA", "unknown_csca")


def expired_ds() -> ChipProfile:
    """ID card whose DS certificate expired before the document was issued."""
    return _emrtd_profile(
        "expired_ds",
        "ID card with an expired DS certificate",
        _id_card_2019_files("expired"),
        can=ID_CARD_CAN,
        bac=True,
        pace=("ECDH-GM-AES-128:brainpoolP256r1",),
    )


def clone_aa() -> ChipProfile:
    """Legacy passport (AA is its only clone check: no DG14) copied onto a chip that holds a
    different AA key than DG15."""
    other = rsa.generate_private_key(public_exponent=65537, key_size=1024)  # noqa: S505 - TEST ONLY
    return replace(
        legacy_bac_passport(),
        name="clone_aa",
        aa_key=f.private_der(other),
        description=f"{f.TEST_ONLY}: passport clone (AA key differs from DG15)",
    )


def clone_ca() -> ChipProfile:
    """Passport copied onto a chip that holds a different CA key than DG14 (a clone)."""
    other = f.derived_ec_key("clone CA", "brainpoolP512r1")
    return replace(
        nl_passport_2024(),
        name="clone_ca",
        ca_key=f.private_der(other),
        description=f"{f.TEST_ONLY}: passport clone (CA key differs from DG14)",
    )


def removed_after(count: int) -> ChipProfile:
    """ID card pulled off the reader after ``count`` APDUs."""
    return replace(
        nl_id_card_2019(),
        name=f"removed_after_{count}",
        remove_after=count,
        description=f"{f.TEST_ONLY}: ID card removed after {count} APDUs",
    )


def slow_chip() -> ChipProfile:
    """ID card answering every APDU 30 ms late."""
    return replace(
        nl_id_card_2019(),
        name="slow_chip",
        delay_s=0.03,
        description=f"{f.TEST_ONLY}: slow ID card (30 ms per APDU)",
    )


# EF.CardAccess of a BAC-only chip that does not simply answer 6A82 (9303-11 section 4.2
# step 1: "not available or does not contain parameters for PACE" -> go on with BAC).
# Status words seen instead of 6A82: security status not satisfied, command not allowed
# (no current EF), wrong P1-P2, INS or CLA not supported.
_CARD_ACCESS_STATUS_QUIRKS = {
    "6982": 0x6982,
    "6986": 0x6986,
    "6a86": 0x6A86,
    "6d00": 0x6D00,
    "6e00": 0x6E00,
}
# ...and files that are there but offer no PACE: empty, a truncated DER SET, or
# SecurityInfos holding only a ChipAuthenticationInfo (id-CA-ECDH-AES-CBC-CMAC-128, v1).
_ID_CA_ECDH_AES_CBC_CMAC_128 = bytes.fromhex("04007f00070202030202")  # 0.4.0.127.0.7.2.2.3.2.2
_CA_INFO_ONLY = tlv.encode(
    0x31,
    tlv.encode(0x30, tlv.encode(0x06, _ID_CA_ECDH_AES_CBC_CMAC_128) + tlv.encode(0x02, b"\x01")),
)
_CARD_ACCESS_FILE_QUIRKS = {
    "empty": b"",
    "malformed": bytes.fromhex("310a3003060104"),  # SET announces 10 bytes, holds 5
    "no_pace": _CA_INFO_ONLY,
}


def bac_card_access_quirk(kind: str) -> ChipProfile:
    """The legacy BAC-only passport whose EF.CardAccess read gives ``kind``: a status word
    (``6982``, ``6986``, ``6a86``, ``6d00``, ``6e00``) or a file without PACE (``empty``,
    ``malformed``, ``no_pace``)."""
    base = legacy_bac_passport()
    name = f"legacy_bac_card_access_{kind}"
    description = f"legacy passport, BAC only, EF.CardAccess answers {kind}"
    if kind in _CARD_ACCESS_STATUS_QUIRKS:
        return base.with_changes(
            name=name, description=description, card_access_sw=_CARD_ACCESS_STATUS_QUIRKS[kind]
        )
    return base.with_changes(
        name=name,
        description=description,
        mf_files={**base.mf_files, 0x011C: _CARD_ACCESS_FILE_QUIRKS[kind]},
    )


CARD_ACCESS_QUIRKS = (*_CARD_ACCESS_STATUS_QUIRKS, *_CARD_ACCESS_FILE_QUIRKS)


# --- reader and transport quirks (issue 9 item 3) ----------------------------------------
# Each is a genuine document (it verifies) whose chip or reader link behaves in one of the
# ways deployed chips and readers do; ``kiosk chip read`` must read every one of them.
LARGE_DG2_BYTES = 90_000  # past the 32767 offsets of READ BINARY 'B0', as a DG3 would be


def _quirky(base: ChipProfile, name: str, description: str, **changes: object) -> ChipProfile:
    return base.with_changes(name=name, description=f"{f.TEST_ONLY}: {description}", **changes)


def _reader_quirks() -> dict[str, Callable[[], ChipProfile]]:
    passport, bac_passport = nl_passport_2024, legacy_bac_passport
    t0 = Quirks(t0=True)
    return {
        # T=0 chips (61xx + GET RESPONSE, 6Cxx): PACE and BAC, short APDUs only.
        "quirk_t0_pace": lambda: _quirky(
            passport(),
            "quirk_t0_pace",
            "passport on T=0 (61xx/6Cxx)",
            quirks=t0,
            extended_length=False,
        ),
        "quirk_t0_bac": lambda: _quirky(
            bac_passport(),
            "quirk_t0_bac",
            "BAC passport on T=0 (61xx/6Cxx)",
            quirks=t0,
        ),
        # Readers: no extended length at all, or not carried although the chip has it, or a
        # small buffer (a response of 0xDF data bytes plus SM overhead does not fit).
        "quirk_short_only": lambda: _quirky(
            passport(),
            "quirk_short_only",
            "passport, short APDUs only (261-byte reader)",
            extended_length=False,
        ),
        "quirk_reader_no_extended": lambda: _quirky(
            passport(),
            "quirk_reader_no_extended",
            "passport announcing extended length behind a reader that does not carry it",
            quirks=Quirks(link_extended=False),
        ),
        "quirk_small_buffer": lambda: _quirky(
            passport(),
            "quirk_small_buffer",
            "passport behind a reader with a 160-byte buffer",
            extended_length=False,
            quirks=Quirks(max_response=160),
        ),
        # SELECT and file addressing.
        "quirk_select_fci": lambda: _quirky(
            passport(),
            "quirk_select_fci",
            "passport refusing SELECT with P2=0C (wants FCI)",
            quirks=Quirks(select_fci=True),
        ),
        "quirk_select_fci_t0_bac": lambda: _quirky(
            bac_passport(),
            "quirk_select_fci_t0_bac",
            "BAC passport on T=0 refusing SELECT with P2=0C (wants FCI)",
            quirks=Quirks(t0=True, select_fci=True),
        ),
        "quirk_no_sfi": lambda: _quirky(
            passport(),
            "quirk_no_sfi",
            "passport without short EF identifiers",
            quirks=Quirks(sfi=False),
        ),
        "quirk_no_sfi_plain_errors": lambda: _quirky(
            passport(),
            "quirk_no_sfi_plain_errors",
            "passport without short EF identifiers that answers errors in plain",
            quirks=Quirks(sfi=False, plain_errors=True),
        ),
        "quirk_fid_only": lambda: _quirky(
            bac_passport(),
            "quirk_fid_only",
            "BAC passport: no SFI, SELECT only with P1=00 (by file identifier)",
            quirks=Quirks(sfi=False, select_fid_only=True),
        ),
        # READ BINARY at the end of a file.
        "quirk_eof_6282": lambda: _quirky(
            passport(),
            "quirk_eof_6282",
            "passport warning 6282 on every read past the end",
            quirks=Quirks(eof="6282"),
        ),
        "quirk_eof_6b00": lambda: _quirky(
            passport(),
            "quirk_eof_6b00",
            "passport refusing reads past the end with 6B00",
            quirks=Quirks(eof="6b00"),
        ),
        "quirk_eof_6b00_short": lambda: _quirky(
            bac_passport(),
            "quirk_eof_6b00_short",
            "BAC passport refusing reads past the end with 6B00",
            quirks=Quirks(eof="6b00"),
        ),
        "quirk_short_data_9000": lambda: _quirky(
            passport(),
            "quirk_short_data_9000",
            "passport returning at most 200 bytes per READ BINARY with 9000",
            quirks=Quirks(eof="9000", max_read=200),
        ),
        # A DG2 (or DG3) larger than 32767 bytes: the odd INS 'B1' with DO'54'.
        "quirk_large_dg2": lambda: _passport_2024_profile(
            "quirk_large_dg2",
            f"passport with a {LARGE_DG2_BYTES}-byte DG2",
            "genuine",
            LARGE_DG2_BYTES,
        ),
        "quirk_large_dg2_short": lambda: _passport_2024_profile(
            "quirk_large_dg2_short",
            f"passport with a {LARGE_DG2_BYTES}-byte DG2, short APDUs",
            "genuine",
            LARGE_DG2_BYTES,
        ).with_changes(extended_length=False),
        # A chip slow enough to need long timeouts: 1.5 s per PACE/CA step, 1 s per AA.
        "quirk_slow_pace": lambda: _quirky(
            passport(),
            "quirk_slow_pace",
            "passport taking 1.5 s per GENERAL AUTHENTICATE",
            slow_ins={0x86: 1.5, 0x88: 1.0},
        ),
        # The field drops between access control and the first read.
        "quirk_field_drop_pace": lambda: _quirky(
            passport(),
            "quirk_field_drop_pace",
            "passport leaving the field after PACE",
            drop_after_access=True,
        ),
        "quirk_field_drop_bac": lambda: _quirky(
            bac_passport(),
            "quirk_field_drop_bac",
            "BAC passport leaving the field after BAC",
            drop_after_access=True,
        ),
    }


READER_QUIRKS = tuple(_reader_quirks())

PROFILES: dict[str, Callable[[], ChipProfile]] = {
    "nl_passport_2024": nl_passport_2024,
    "nl_id_card_2019": nl_id_card_2019,
    "nl_driving_licence": nl_driving_licence,
    "legacy_bac_passport": legacy_bac_passport,
    "bad_dg_hash": bad_dg_hash,
    "bad_sod_signature": bad_sod_signature,
    "unknown_csca": unknown_csca,
    "expired_ds": expired_ds,
    "clone_aa": clone_aa,
    "clone_ca": clone_ca,
    "removed_after_12": lambda: removed_after(12),
    "slow_chip": slow_chip,
    **{
        f"legacy_bac_card_access_{kind}": functools.partial(bac_card_access_quirk, kind)
        for kind in CARD_ACCESS_QUIRKS
    },
    **_reader_quirks(),
}

_REMOVED = re.compile(r"removed_after_(\d+)")


def get_profile(name: str) -> ChipProfile:
    """Build the profile ``name`` (any ``removed_after_N`` works, not only 12)."""
    match = _REMOVED.fullmatch(name)
    if match:
        return removed_after(int(match.group(1)))
    try:
        return PROFILES[name]()
    except KeyError:
        raise KeyError(f"unknown emulator profile {name!r}; known: {', '.join(PROFILES)}") from None


def load_profile(profile: object) -> ChipProfile:
    """Resolve a profile given as a :class:`ChipProfile`, a registered name or a directory."""
    if isinstance(profile, ChipProfile):
        return profile
    if isinstance(profile, Path) or (isinstance(profile, str) and "/" in profile):
        return ChipProfile.load(Path(profile))
    if isinstance(profile, str):
        if Path(profile).is_dir():
            return ChipProfile.load(Path(profile))
        return get_profile(profile)
    raise TypeError(f"not a profile: {type(profile).__name__}")
