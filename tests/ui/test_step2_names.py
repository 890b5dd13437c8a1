"""The name cases of ICAO 9303 part 3 on the step-2 pages (issue 12): the evidence panel,
the guard behind the "next" button and the chip page all show the one comparison the flow
state holds, so they never disagree."""

from __future__ import annotations

import pytest

from kiosk.flow.evidence import compare_evidence
from kiosk.flow.wizard import Step
from kiosk.model import CheckMethod
from ui.step2.chip import ChipMethod

from .conftest import BORN, passport_mrz
from .test_desk_ui import sign_in

CASES_THAT_MATCH = [
    ("OCONNOR<<SEAN", "Seán", "O'Connor"),
    ("MUXXLLER<<ANNA", "Anna", "Müller"),
    ("MULLER<<ANNA", "Anna", "Müller"),
    ("NUNXXEZ<<ANNA", "Anna", "Núñez"),
    ("GROSS<<ANNA", "Anna", "Groß"),
    ("VAN<DER<BERG<<JAN", "Jan", "van der Berg"),
    ("TER<HORST<<JAN<PIETER", "Jan Pieter", "ter Horst"),
]
CASES_THAT_DIFFER = [
    ("VAN<DER<BERG<<JAN", "Jan", "Berg", "surname"),
    ("DE<VRIES<<JAN<PIETER", "Jan", "de Vries", "given_names"),
    ("MILLER<<ANNA", "Anna", "Müller", "surname"),
]


def _mrz_with_name(name_field: str) -> str:
    line1, line2 = passport_mrz().split("\n")
    # TD3 line 1 carries no check digit over the name (9303 part 4 section 4.2.2).
    return (line1[:5] + name_field).ljust(44, "<")[:44] + "\n" + line2


def _to_wid_check(qtbot, app, given: str, surname: str, name_field: str):
    sign_in(qtbot, app)
    page = app.window.pages[Step.EMPLOYEE]
    page.given_names.edit.setText(given)
    page.surname.edit.setText(surname)
    page.date_of_birth.edit.setText(BORN.strftime("%d-%m-%Y"))
    app.window.primary()
    assert app.desk.step is Step.WID_CHECK
    wid = app.window.pages[Step.WID_CHECK]
    wid.select(CheckMethod.MRZ_TYPED).mrz.setPlainText(_mrz_with_name(name_field))
    assert app.desk.state.evidence is not None
    return wid


@pytest.mark.parametrize(("name_field", "given", "surname"), CASES_THAT_MATCH)
def test_panel_and_guard_accept_what_9303_allows(qtbot, desk_app, name_field, given, surname):
    wid = _to_wid_check(qtbot, desk_app, given, surname, name_field)
    assert desk_app.desk.state.comparison.matches
    for name in ("surname", "given_names", "date_of_birth"):
        assert wid.evidence.marks[name].objectName() == "okMark", name
    assert wid.evidence.differences.text() == ""
    wid.confirm.setChecked(True)
    desk_app.window.primary()
    assert desk_app.desk.step is Step.REVIEW


@pytest.mark.parametrize(("name_field", "given", "surname", "field"), CASES_THAT_DIFFER)
def test_panel_and_guard_block_a_difference(qtbot, desk_app, name_field, given, surname, field):
    wid = _to_wid_check(qtbot, desk_app, given, surname, name_field)
    assert not desk_app.desk.state.comparison.matches
    assert wid.evidence.marks[field].objectName() == "badMark"
    assert wid.evidence.differences.text() != ""
    wid.confirm.setChecked(True)
    desk_app.window.primary()
    assert desk_app.desk.step is Step.WID_CHECK


def test_an_accepted_spelling_is_noted_not_flagged(qtbot, desk_app):
    wid = _to_wid_check(qtbot, desk_app, "Anna", "Müller", "MUXXLLER<<ANNA")
    assert "MUXXLLER" in wid.evidence.notes.text()
    assert wid.evidence.differences.text() == ""


@pytest.mark.parametrize(("name_field", "given", "surname"), CASES_THAT_MATCH)
def test_the_chip_page_shows_the_flow_states_comparison(qtbot, name_field, given, surname):
    from kiosk.flow.evidence import evidence_from_mrz
    from kiosk.model import Employee
    from kiosk.mrz import parse_mrz

    evidence = evidence_from_mrz(parse_mrz(_mrz_with_name(name_field)), CheckMethod.CHIP)
    comparison = compare_evidence(evidence, Employee(given, surname, BORN))
    page = ChipMethod(device_factory=lambda _c: None)
    qtbot.addWidget(page)
    page.show_comparison(comparison)
    assert "overeen met stap 1" in page.differences.text()
    page.clear()
    assert page.differences.text() == ""
