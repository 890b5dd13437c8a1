"""Fixtures for the desk UI tests: the desk on the real reference portal on loopback and a
real store (those two come from tests/desk_fixtures.py through tests/conftest.py)."""

from __future__ import annotations

from datetime import date

import pytest

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


@pytest.fixture
def desk_app(qtbot, client, store):
    """The desk on the reference portal, shown at 1366x768 (a module may define its own)."""
    from ui.app import build_desk_app

    app = build_desk_app(client, store, None, idle_timeout_s=60, method_factories=desk_methods())
    qtbot.addWidget(app.window)
    app.window.resize(1366, 768)
    app.window.show()
    yield app
    app.close()
