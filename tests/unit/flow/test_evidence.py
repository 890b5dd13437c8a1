"""WidEvidence: minimised, masked, compared with step 1 per ICAO 9303 part 3 naming."""

from __future__ import annotations

from datetime import UTC, date, datetime

from hypothesis import given
from hypothesis import strategies as st

from kiosk.flow.evidence import compare_with_employee, mrz_name, name_variants
from kiosk.model import ChipAccess, ChipEvidence, CloneCheck, Employee, PassiveAuth

from .helpers import evidence


def employee(given_names="Willeke Liselotte", surname="de Bruijn", born=date(1965, 3, 10)):
    return Employee(given_names, surname, born)


def test_repr_masks_the_number_and_hides_names_and_photo():
    ev = evidence(photo=b"\xff\xd8 jpeg bytes")
    text = repr(ev)
    assert "SPECI2021" not in text and "******021" in text
    assert "BRUIJN" not in text and "WILLEKE" not in text and "jpeg" not in text


def test_to_wid_check_keeps_only_what_may_be_kept():
    chip = ChipEvidence(ChipAccess.PACE, PassiveAuth.VALID, CloneCheck.VALID)
    ev = evidence(chip=chip, photo=b"photo")
    check = ev.to_wid_check(
        photo_compared=True, checked_at=datetime(2026, 11, 28, tzinfo=UTC), checked_by="beh-1"
    )
    body = check.to_contract()
    assert body["document_number"] == "SPECI2021" and body["chip"]["access"] == "PACE"
    assert "photo" not in body and "surname" not in body


def test_matching_names_with_diacritics_and_particles():
    ev = evidence(surname="DE BRUIJN", given_names="WILLEKE LISELOTTE")
    assert compare_with_employee(ev, employee("Willeke  Liselotte", "de Bruijn")).matches
    ev = evidence(surname="MULLER", given_names="EMILE")
    assert compare_with_employee(ev, employee("Émile", "Müller")).matches
    ev = evidence(surname="MUELLER", given_names="EMILE")
    assert compare_with_employee(ev, employee("Émile", "Müller")).matches
    ev = evidence(surname="VAN DER BERG", given_names="JAN")
    assert compare_with_employee(ev, employee("Jan", "van der Berg")).matches
    assert compare_with_employee(ev, employee("Jan", "van den Berg")).matches is False


def test_differences_say_which_field_and_how():
    ev = evidence(surname="DE BRUIN", birth_date=date(1965, 3, 11))
    result = compare_with_employee(ev, employee())
    assert [d.field_name for d in result.differences] == ["surname", "date_of_birth"]
    assert result.differences[0].params == {"typed": "de Bruijn", "document": "DE BRUIN"}
    assert result.differences[1].params == {"typed": "10-03-1965", "document": "11-03-1965"}


def test_truncated_mrz_name_matches_its_full_form():
    ev = evidence(given_names="ALEXANDRA CHRISTINA MAR")
    full = employee("Alexandra Christina Maria-Theresia")
    assert compare_with_employee(ev, full).matches
    assert not compare_with_employee(evidence(given_names="AL"), employee("Alexandra")).matches


@given(st.text(max_size=40))
def test_mrz_name_is_always_mrz_alphabet(text):
    for variant in name_variants(text) | {mrz_name(text)}:
        assert all(c == " " or "A" <= c <= "Z" for c in variant)
        assert "  " not in variant and variant == variant.strip()
