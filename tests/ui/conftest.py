"""Fixtures for the desk UI tests: the real reference portal on loopback, a real store."""

from __future__ import annotations

from datetime import date

from kiosk.mrz.build import format_td3

# The employee of the UI tests; MRZ built to match (NL passport, ICAO 9303 part 4).
GIVEN = "Willeke Liselotte"
SURNAME = "de Bruijn"
BORN = date(1965, 3, 10)
EXPIRES = date(2031, 8, 1)
DOC_NUMBER = "SPECI2021"
PERSONAL_TEXTS = (
    "WILLEKE",
    "Willeke",
    "Bruijn",
    "BRUIJN",
    "LISELOTTE",
    "SPECI2021",
    "10-03-1965",
    "1965",
    "P<NLD",
)


def desk_methods():
    """The step-2 methods for desk tests that need no hardware: the chip method (first in
    the real desk) opens the PC/SC reader and has its own tests (test_step2_chip.py)."""
    from ui.step2.mrz_reader import MrzReaderMethod
    from ui.step2.typed_mrz import TypedMrzMethod

    return [MrzReaderMethod, TypedMrzMethod]


def passport_mrz(surname: str = SURNAME, given: str = GIVEN, born: date = BORN) -> str:
    return format_td3(
        document_code="P",
        issuing_country="NLD",
        surname=surname,
        given_names=given,
        document_number=DOC_NUMBER,
        nationality="NLD",
        birth_date=born,
        sex="F",
        expiry_date=EXPIRES,
    )
