"""Step-1 data against the MRZ: transliteration, particles, truncation, given names, birth."""

from __future__ import annotations

from datetime import date

import pytest
from hypothesis import given
from hypothesis import strategies as st

from kiosk.model import Employee
from kiosk.mrz import (
    DocumentHolder,
    compare_holder,
    compare_with_employee,
    format_edl,
    format_td1,
    format_td3,
    mrz_variants,
    parse_mrz,
    transliterate,
)
from kiosk.mrz.checkdigit import check_digit

TODAY = date(2026, 11, 28)
BIRTH = date(1974, 8, 12)


def _mrz(name_field: str, birth: str = "740812") -> str:
    line1 = ("P<UTO" + name_field).ljust(44, "<")[:44]
    body = "L898902C36UTO" + birth + check_digit(birth) + "F1204159ZE184226B<<<<<1"
    body += check_digit(body[0:10] + body[13:20] + body[21:43])
    return line1 + "\n" + body


def _compare(name_field: str, surname: str, given: str, birth=BIRTH, raw_birth="740812"):
    result = parse_mrz(_mrz(name_field, raw_birth), today=TODAY)
    return compare_with_employee(result, Employee(given, surname, birth))


def _keys(comparison):
    return [(d.field, d.message_key, d.accepted) for d in comparison.differences]


def test_exact_match():
    c = _compare("ERIKSSON<<ANNA<MARIA", "Eriksson", "Anna Maria")
    assert c.matches and c.differences == []


@pytest.mark.parametrize(
    ("printed", "mrz"),
    [
        ("Müller", "MUELLER"),
        ("Straße", "STRASSE"),
        ("Ørsted", "OERSTED"),
        ("Åkesson", "AAKESSON"),
        ("Ĳsselmeer", "IJSSELMEER"),
        ("Þórsdóttir", "THORSDOTTIR"),
        ("Æbelø", "AEBELOE"),
        ("Çelik", "CELIK"),
        ("Smith-Jones", "SMITH JONES"),
        ("O'Connor", "OCONNOR"),
    ],
)
def test_recommended_transliteration(printed, mrz):
    assert transliterate(printed) == mrz
    c = _compare(mrz.replace(" ", "<") + "<<ANNA", printed, "Anna")
    assert c.matches and c.differences == []


@pytest.mark.parametrize(
    ("printed", "mrz"),
    [("Müller", "MULLER"), ("Müller", "MUXXLLER"), ("Åkesson", "AKESSON"), ("Peña", "PENXXA")],
)
def test_accepted_alternative_transliteration(printed, mrz):
    assert mrz in mrz_variants(printed)
    c = _compare(mrz + "<<ANNA", printed, "Anna")
    assert c.matches
    assert _keys(c) == [("surname", "mrz.compare.transliteration", True)]
    assert c.differences[0].params == {"mrz": mrz, "entered": printed}


def test_dutch_particles_as_printed_match():
    c = _compare("VAN<DER<BERG<<JAN", "van der Berg", "Jan")
    assert c.matches and c.differences == []


@pytest.mark.parametrize("entered", ["Berg", "Berg van der", "Berg, van der", "van Berg"])
def test_dutch_particles_left_out_or_moved(entered):
    c = _compare("VAN<DER<BERG<<JAN", entered, "Jan")
    assert not c.matches
    assert _keys(c) == [("surname", "mrz.compare.particles", False)]


def test_truncated_secondary_identifier_to_initial():
    # 9303 part 4 section 4.2.3.2 a)
    c = _compare(
        "NILAVADHANANANDA<<CHAYAPA<DEJTHAMRONG<K",
        "Nilavadhanananda",
        "Chayapa Dejthamrong Krasuang",
    )
    assert c.matches
    assert _keys(c) == [("given_names", "mrz.compare.truncated", True)]


def test_truncated_primary_identifier():
    # 9303 part 4 section 4.2.3.3 a)
    c = _compare(
        "BENNELONG<WOOLOOMOOLOO<WARRANDYTE<W<<DI",
        "Bennelong Wooloomooloo Warrandyte Warnambool",
        "Dingo Potoroo",
    )
    assert c.matches
    assert _keys(c) == [
        ("surname", "mrz.compare.truncated", True),
        ("given_names", "mrz.compare.truncated", True),
    ]


def test_name_filling_the_field_is_not_mistaken_for_truncation_of_another_name():
    c = _compare(
        "PAPANDROPOULOUS<<JONATHON<WARREN<TREVOR", "Papandropoulous", "Jonathon Warren Trevor"
    )
    assert c.matches and c.differences == []
    other = _compare("PAPANDROPOULOUS<<JONATHON<WARREN<TREVOR", "Papandropoulos", "Jonathon")
    assert not other.matches


def test_given_names_missing_and_extra():
    missing = _compare("ERIKSSON<<ANNA<MARIA", "Eriksson", "Anna")
    assert _keys(missing) == [("given_names", "mrz.compare.given_names_missing", False)]
    assert missing.differences[0].params["count"] == 1
    extra = _compare("ERIKSSON<<ANNA", "Eriksson", "Anna Maria Sofia")
    assert _keys(extra) == [("given_names", "mrz.compare.given_names_extra", False)]
    assert extra.differences[0].params["count"] == 2


def test_different_surname():
    c = _compare("ERIKSSON<<ANNA", "Eriksen", "Anna")
    assert not c.matches
    assert _keys(c) == [("surname", "mrz.compare.differs", False)]


def test_birth_date_differs():
    c = _compare("ERIKSSON<<ANNA", "Eriksson", "Anna", birth=date(1974, 8, 21))
    assert _keys(c) == [("date_of_birth", "mrz.compare.birth_date_differs", False)]
    assert c.differences[0].params == {"entered": "21-08-1974", "mrz": "12-08-1974"}


def test_birth_date_century_follows_the_entered_date():
    # Born 1925: the MRZ's YY alone would be read as 2025 only if that were not in the future.
    c = _compare("ERIKSSON<<ANNA", "Eriksson", "Anna", birth=date(1925, 8, 12), raw_birth="250812")
    assert c.matches


def test_partly_unknown_birth_date():
    c = _compare("ERIKSSON<<ANNA", "Eriksson", "Anna", raw_birth="7408<<")
    assert c.matches
    assert _keys(c) == [("date_of_birth", "mrz.compare.birth_date_partial", True)]
    wrong = _compare(
        "ERIKSSON<<ANNA", "Eriksson", "Anna", birth=date(1975, 8, 12), raw_birth="7408<<"
    )
    assert _keys(wrong) == [("date_of_birth", "mrz.compare.birth_date_differs", False)]


def test_td1_comparison():
    text = format_td1(
        surname="de Vries",
        given_names="Jan Pieter",
        document_number="SPECI2021",
        birth_date=date(1965, 3, 10),
        sex="M",
        expiry_date=date(2031, 8, 2),
    )
    result = parse_mrz(text, today=TODAY)
    c = compare_with_employee(result, Employee("Jan Pieter", "de Vries", date(1965, 3, 10)))
    assert c.matches and c.differences == []


def test_edl_has_nothing_to_compare():
    result = parse_mrz(format_edl(document_number="5094962111", random_data="659VW87Z78NB8"))
    c = compare_with_employee(result, Employee("Jan", "Jansen", date(1980, 1, 1)))
    assert not c.matches
    assert {d.message_key for d in c.differences} == {"mrz.compare.not_in_mrz"}


def test_builder_and_comparison_agree_on_transliteration():
    text = format_td3(
        surname="Müller-Lüdenscheidt",
        given_names="Jürgen Groß",
        document_number="C01X00T47",
        birth_date=BIRTH,
        sex="M",
        expiry_date=date(2030, 1, 1),
        issuing_country="D",
    )
    result = parse_mrz(text, today=TODAY)
    assert result.surname == "MUELLER LUEDENSCHEIDT" and result.given_names == "JUERGEN GROSS"
    c = compare_with_employee(result, Employee("Jürgen Groß", "Müller-Lüdenscheidt", BIRTH))
    assert c.matches and c.differences == []


@given(st.text(max_size=40))
def test_mrz_variants_are_always_mrz_alphabet(text):
    for variant in mrz_variants(text):
        assert all(c == " " or "A" <= c <= "Z" for c in variant)
        assert "  " not in variant and variant == variant.strip()


@pytest.mark.parametrize(
    ("printed", "alternatives"),
    [
        ("Müller", {"MUELLER", "MUXXLLER", "MULLER"}),  # Ü -> UE, UXX or U
        ("Núñez", {"NUNEZ", "NUNXXEZ"}),  # Ñ -> N or NXX; Ú loses its accent
        ("Groß", {"GROSS"}),  # ß -> SS
        ("O'Connor", {"OCONNOR"}),  # apostrophes left out
        ("O’Connor", {"OCONNOR"}),  # typographic apostrophe too
        ("Smith-Jones", {"SMITH JONES"}),  # hyphen -> filler
    ],
)
def test_9303_part3_alternatives(printed, alternatives):
    assert set(mrz_variants(printed)) == alternatives


def test_edl_dg1_names_as_printed_compare_in_mrz_form():
    # An eDL's DG1 (ISO/IEC 18013-2) carries the names as printed, with diacritics.
    holder = DocumentHolder("Müller", "Jürgen", date(1974, 8, 12))
    assert compare_holder(holder, Employee("Jurgen", "Mueller", BIRTH)).matches
    assert compare_holder(holder, Employee("Jürgen", "Müller", BIRTH)).differences == []
    assert not compare_holder(holder, Employee("Jürgen", "Miller", BIRTH)).matches
