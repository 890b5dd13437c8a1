"""Dutch documents: specimen MRZs, BSN never kept, document types, the Dutch number rules."""

from __future__ import annotations

import dataclasses
import json
import logging
from datetime import date

import pytest

from kiosk.log import JsonFormatter, RedactingFilter
from kiosk.model import DocumentType
from kiosk.mrz import MrzFormat, format_td1, format_td3, parse_mrz

TODAY = date(2026, 11, 28)
BSN = "999999990"  # the specimen BSN printed on Dutch specimen documents

# Dutch specimen passport (2014 model, BSN in the personal number, as before August 2021).
NL_PASSPORT = (
    "P<NLDDE<BRUIJN<<WILLEKE<LISELOTTE<<<<<<<<<<<\nSPECI20142NLD6503101F2401151999999990<<<<<82"
)
# Dutch specimen identity card (TD1, BSN in the line-1 optional data).
NL_ID_CARD = (
    "I<NLDSPECI20212999999990<<<<<8\n6503101F3108022NLD<<<<<<<<<<<8\nDE<BRUIJN<<WILLEKE<LISELOTTE<<"
)
# Dutch driving licence one-line MRZ (ISO/IEC 18013 eDL).
NL_EDL = "D1NLD15094962111659VW87Z78NB84"


def _everything(result) -> str:
    """Every way a result can leave the parser: repr, str, JSON, fields, access key."""
    parts = [
        repr(result),
        str(result),
        json.dumps(result.to_json()),
        str(dataclasses.astuple(result)),
        repr(result.access_key),
    ]
    return "\n".join(parts)


@pytest.mark.parametrize("text", [NL_PASSPORT, NL_ID_CARD])
def test_nl_specimens_parse_and_never_keep_the_bsn(text):
    r = parse_mrz(text, today=TODAY)
    assert r.valid, r.problems()
    assert (
        r.issuing_country == "NLD" and r.document_number == "SPECI2014"[:5] + r.document_number[5:]
    )
    assert (r.surname, r.given_names) == ("DE BRUIJN", "WILLEKE LISELOTTE")
    assert r.birth_date == date(1965, 3, 10)
    assert BSN not in _everything(r)


def test_nl_passport_fields():
    r = parse_mrz(NL_PASSPORT, today=TODAY)
    assert r.format is MrzFormat.TD3 and r.document_type is DocumentType.PASSPORT
    assert r.document_number == "SPECI2014" and r.expiry_date == date(2024, 1, 15)
    assert r.check("personal_number").valid  # verified, then dropped


def test_nl_id_card_fields():
    r = parse_mrz(NL_ID_CARD, today=TODAY)
    assert r.format is MrzFormat.TD1 and r.document_type is DocumentType.ID_CARD
    assert r.document_number == "SPECI2021" and r.expiry_date == date(2031, 8, 2)


def test_repr_masks_document_number_and_has_no_mrz_line():
    r = parse_mrz(NL_PASSPORT, today=TODAY)
    text = repr(r) + repr(r.access_key)
    assert "SPECI2014" not in text and "******014" in text
    assert "<" not in text  # no MRZ line, not even a piece of one
    assert "BRUIJN" not in text and "1965" not in text


def test_logged_result_carries_no_bsn(caplog):
    logger = logging.getLogger("kiosk.test.mrz")
    with caplog.at_level(logging.INFO, logger="kiosk.test.mrz"):
        logger.info("parsed %r", parse_mrz(NL_ID_CARD, today=TODAY))
    record = caplog.records[-1]
    RedactingFilter().filter(record)
    line = JsonFormatter().format(record)
    assert BSN not in line and "SPECI2021" not in line


def test_corrected_bsn_digit_is_not_revealed():
    # An OCR confusion inside the personal number: 5 read as S. The correction is listed
    # (so nothing is guessed silently) but its characters are masked.
    bsn = "123456782"
    text = format_td3(
        surname="Jansen",
        given_names="Piet",
        document_number="XN12B3456",
        birth_date=date(1980, 5, 17),
        sex="M",
        expiry_date=date(2019, 5, 16),
        personal_number=bsn,
    )
    line1, line2 = text.split("\n")
    misread = line2[:32] + "S" + line2[33:]
    r = parse_mrz(line1 + "\n" + misread, today=TODAY)
    assert r.valid and len(r.corrections) == 1
    fix = r.corrections[0]
    assert (fix.line, fix.column, fix.field, fix.from_char, fix.to_char) == (
        2,
        33,
        "personal_number",
        "*",
        "*",
    )
    assert bsn not in _everything(r) and "5678" not in json.dumps(r.to_json())


def test_edl_one_line():
    r = parse_mrz(NL_EDL, today=TODAY)
    assert r.format is MrzFormat.EDL and r.valid
    assert r.document_type is DocumentType.DRIVING_LICENCE
    assert (r.document_code, r.issuing_country, r.document_number) == ("D1", "NLD", "5094962111")
    key = r.access_key
    assert key is not None and key.is_edl
    assert key.bap_seed_string() == NL_EDL[1:29]
    with pytest.raises(ValueError, match="eDL"):
        key.mrz_information()


def test_edl_with_wrong_check_digit_is_invalid():
    r = parse_mrz(NL_EDL[:29] + "5", today=TODAY, correct=False)
    assert not r.valid and not r.check("mrz_line").valid


@pytest.mark.parametrize(
    ("code", "expected"),
    [
        ("I", DocumentType.ID_CARD),
        ("IR", DocumentType.RESIDENCE_DOCUMENT),
        ("AR", DocumentType.RESIDENCE_DOCUMENT),
        ("AC", None),
    ],
)
def test_document_types(code, expected):
    text = format_td1(
        document_code=code,
        surname="Yilmaz",
        given_names="Ayse",
        document_number="Y12345678",
        birth_date=date(1990, 1, 2),
        sex="F",
        expiry_date=date(2029, 5, 6),
        nationality="TUR",
    )
    assert parse_mrz(text, today=TODAY).document_type is expected


def _nl_passport_with_number(number: str, country: str = "NLD") -> str:
    return format_td3(
        surname="Visser",
        given_names="Anna",
        document_number=number,
        birth_date=date(1990, 2, 3),
        sex="F",
        expiry_date=date(2030, 2, 2),
        issuing_country=country,
    )


def test_nl_passport_number_never_contains_letter_o():
    # A number printed with check digits over an O: valid anywhere else, not in NL.
    assert parse_mrz(_nl_passport_with_number("AB1O23456", "BEL"), today=TODAY).valid
    r = parse_mrz(_nl_passport_with_number("AB1O23456"), today=TODAY)
    assert not r.valid and r.rule_violations == ("nl_letter_o",)
    assert ("mrz.problem.rule.nl_letter_o", {"rule": "nl_letter_o"}) in r.problems()


def _misread(number: str, misread: str, country: str = "NLD") -> str:
    line1, line2 = _nl_passport_with_number(number, country).split("\n")
    return line1 + "\n" + line2.replace(number, misread)


def test_nl_passport_o_read_for_zero_is_forced_by_the_dutch_rule():
    r = parse_mrz(_misread("XR0B12340", "XROB12340"), today=TODAY)
    assert r.valid and r.document_number == "XR0B12340"
    assert [(c.column, c.from_char, c.to_char) for c in r.corrections] == [(3, "O", "0")]


def test_two_confusions_with_several_readings_are_reported_not_guessed():
    # O for 0 and 8 for B: the Dutch rule fixes the O; two different single swaps then pass
    # the check digits (8 -> B and 1 -> I), so nothing is applied and both are offered.
    r = parse_mrz(_misread("XR0B12340", "XRO812340"), today=TODAY)
    assert not r.valid and r.ambiguous and r.corrections == ()
    assert r.document_number == "XRO812340"
    for alternative in r.alternatives:
        assert (3, "O", "0") in [(c.column, c.from_char, c.to_char) for c in alternative]
    assert ("mrz.problem.ambiguous", {"count": len(r.alternatives)}) in r.problems()
    # Without the Dutch rule the O is only one of many possible swaps: no correction passes.
    foreign = parse_mrz(_misread("XR0B12340", "XRO812340", "BEL"), today=TODAY)
    assert not foreign.valid and foreign.corrections == ()


def _residence(number: str, country: str) -> str:
    return format_td1(
        document_code="IR",
        surname="Yilmaz",
        given_names="Ayse",
        document_number=number,
        birth_date=date(1990, 1, 2),
        sex="F",
        expiry_date=date(2029, 5, 6),
        issuing_country=country,
        nationality="TUR",
    )


def test_nl_residence_numbers_get_neither_o_nor_zero():
    printed = _residence("Y10345678", "BEL")  # has a zero: fine for another state
    misread = printed.replace("Y10345678", "Y1O345678")
    foreign = parse_mrz(misread, today=TODAY)
    assert foreign.valid and foreign.document_number == "Y10345678"
    # The same characters on a Dutch residence document: 0 is not a possible reading, so
    # the parser does not invent it and reports the failing check instead.
    dutch = parse_mrz(misread.replace("IRBEL", "IRNLD"), today=TODAY)
    assert not dutch.valid and dutch.corrections == ()


def test_nl_residence_other_confusions_are_still_corrected():
    printed = _residence("Y12345678", "NLD")
    r = parse_mrz(printed.replace("Y12345678", "Y1Z345678"), today=TODAY)
    assert r.valid and r.document_number == "Y12345678"
    assert r.document_type is DocumentType.RESIDENCE_DOCUMENT


def test_check_digit_misread_as_filler_never_pulls_the_bsn_into_the_number():
    # On a foreign TD1 a filler in the check position means "the number continues in the
    # optional data". Dutch numbers never continue, and their optional data held the BSN.
    misread = NL_ID_CARD.replace("SPECI20212999999990", "SPECI2021<999999990")
    r = parse_mrz(misread, today=TODAY)
    assert r.document_number == "SPECI2021" and not r.valid
    assert not r.check("document_number").valid
    assert BSN not in _everything(r)


def test_g_read_for_6_in_a_date_is_corrected_although_the_check_digit_cannot_tell():
    # G (16) and 6 have the same check-digit value, so the birth date's check digit passes
    # as read; the field type (digits) still decides, and the correction is listed.
    r = parse_mrz(NL_PASSPORT.replace("6503101F", "G503101F"), today=TODAY)
    assert r.valid and r.birth_date == date(1965, 3, 10)
    assert [(c.line, c.column, c.field, c.from_char, c.to_char) for c in r.corrections] == [
        (2, 14, "birth_date", "G", "6")
    ]
