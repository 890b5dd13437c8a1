"""The field grammar of ICAO 9303-3/4/5/6 in the parser: misreads in fields that no check
digit protects (names, states, codes, sex) are refused, never reported as valid."""

from __future__ import annotations

from datetime import date

import pytest

from kiosk.mrz import format_td3, parse_mrz
from kiosk.mrz.parser import field_grammar

TODAY = date(2026, 11, 28)


def td3(surname="KINGDOM", given="OLIVIA", country="NLD", nationality="UTO") -> str:
    return format_td3(
        surname=surname,
        given_names=given,
        document_number="L898902C3",
        birth_date=date(1974, 8, 12),
        sex="F",
        expiry_date=date(2032, 4, 15),
        issuing_country=country,
        nationality=nationality,
    )


def test_the_clean_document_is_valid():
    assert parse_mrz(td3(), today=TODAY).valid


@pytest.mark.parametrize(
    ("wrong", "right", "rule"),
    [
        ("<<OLIVIA", "<<0LIVIA", "letters_only.name"),  # the OLIVIA -> 0LIVIA
        ("KINGDOM<", "KING0OM<", "letters_only.name"),
        ("P<NLD", "P<MLD", "state_code.issuing_country"),  # NLD -> MLD: letters, but no code
        ("6UTO", "6UT0", "letters_only.nationality"),  # UTO -> UT0
    ],
)
def test_misreads_without_a_check_digit_are_refused(wrong, right, rule):
    text = td3().replace(wrong, right, 1)
    assert text != td3()
    result = parse_mrz(text, today=TODAY)
    assert all(c.valid for c in result.checks)  # the check digits cannot see it...
    assert not result.valid  # ...the grammar does
    assert rule in result.rule_violations
    assert f"mrz.problem.rule.{rule}" in [key for key, _ in result.problems()]
    assert result.corrections == ()  # and nothing was "corrected" by guessing


def test_ut0_as_a_state_is_both_no_letter_and_no_code():
    result = parse_mrz(td3().replace("6UTO", "6UT0"), today=TODAY)
    assert result.rule_violations == ("letters_only.nationality", "state_code.nationality")


def test_the_special_codes_of_9303_part_3_are_states():
    for code in ("D<<", "XXA", "XXB", "XXC", "XXX", "UNO", "EUE", "RKS", "UTO"):
        assert parse_mrz(td3(country=code, nationality=code), today=TODAY).valid, code


def test_sex_must_be_m_f_or_x():
    text = td3()
    line2 = text.splitlines()[1]
    assert line2[20] == "F"
    bad = text.replace(line2, line2[:20] + "Q" + line2[21:])
    result = parse_mrz(bad, today=TODAY)
    assert "sex" in result.rule_violations and not result.valid


def test_grammar_per_position():
    grammar = field_grammar(td3())
    assert grammar.allowed[0][0] <= set("ABCDEFGHIJKLMNOPQRSTUVWXYZ")  # document code
    assert grammar.allowed[0][10] == grammar.allowed[0][5]  # name: letters and fillers
    assert "0" not in grammar.allowed[0][10] and "<" in grammar.allowed[0][10]
    assert grammar.allowed[1][13] == frozenset("0123456789<")  # birth date (unknown: <)
    assert grammar.allowed[1][20] == frozenset("MFX<")
    assert (1, 13) in grammar.checked and (0, 10) not in grammar.checked
    assert grammar.states == (((0, 2), (0, 3), (0, 4)), ((1, 10), (1, 11), (1, 12)))
    assert "O" not in grammar.allowed[1][0]  # Dutch passport numbers never hold an O
