"""WidEvidence: minimised, masked, compared with step 1 per ICAO 9303 part 3 naming.

The comparison is the one engine of :mod:`kiosk.mrz.compare`; its own rules are tested in
tests/unit/mrz/test_compare.py, the guard's use of it in test_wizard.py.
"""

from __future__ import annotations

from datetime import UTC, date, datetime

from kiosk.flow.evidence import compare_evidence as compare_with_employee
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
    assert [d.field for d in result.differences] == ["surname", "date_of_birth"]
    assert result.differences[0].params == {"entered": "de Bruijn", "mrz": "DE BRUIN"}
    assert result.differences[1].params == {"entered": "10-03-1965", "mrz": "11-03-1965"}


def test_truncated_mrz_name_matches_its_full_form():
    # The MRZ name field was used to its last character (9303 part 3 section 4.6).
    ev = evidence(given_names="ALEXANDRA CHRISTINA MAR", name_truncated=True)
    full = employee("Alexandra Christina Maria-Theresia")
    assert compare_with_employee(ev, full).matches
    assert not compare_with_employee(evidence(given_names="AL"), employee("Alexandra")).matches
