"""The wizard guard of step 2 on the name cases of ICAO 9303 part 3 (issue 12).

The guard, the evidence panel and the chip page render the one comparison the flow state
holds (:meth:`kiosk.flow.wizard.FlowState.set_evidence`); these tests drive the guard with
evidence made from real MRZs (typed or from a chip's DG1) and from an eDL's DG1.
"""

from __future__ import annotations

from datetime import date

import pytest

from kiosk.flow.evidence import WidEvidence, evidence_from_mrz
from kiosk.flow.wizard import FlowBlocked, Step, Wizard
from kiosk.model import CheckMethod, DocumentType, Employee
from kiosk.mrz import format_td3, parse_mrz

from .helpers import ORG1, session

TODAY = date(2026, 11, 28)
BORN = date(1965, 3, 10)


def _mrz_evidence(name_field: str) -> WidEvidence:
    """Evidence from a TD3 MRZ whose name field is written as given (``<`` fillers)."""
    text = format_td3(
        document_code="P",
        issuing_country="NLD",
        surname="X",
        given_names="X",
        document_number="SPECI2021",
        nationality="NLD",
        birth_date=BORN,
        sex="F",
        expiry_date=date(2031, 8, 1),
    )
    line1, line2 = text.split("\n")
    line1 = (line1[:5] + name_field).ljust(44, "<")[:44]
    return evidence_from_mrz(parse_mrz(line1 + "\n" + line2, today=TODAY), CheckMethod.MRZ_TYPED)


def _guard(evidence: WidEvidence, given: str, surname: str) -> list[str]:
    w = Wizard(today=lambda: TODAY)
    w.state.session = session(ORG1)
    w.forward()
    w.state.employee = Employee(given, surname, BORN)
    w.forward()
    assert w.current is Step.WID_CHECK
    w.state.set_evidence(evidence)
    w.state.photo_confirmed = True
    try:
        w.forward()
    except FlowBlocked as exc:
        return [p.message_key for p in exc.problems]
    return []


@pytest.mark.parametrize(
    ("name_field", "given", "surname"),
    [
        ("OCONNOR<<SEAN", "Seán", "O'Connor"),  # apostrophe left out (9303-3 4.6)
        ("OCONNOR<<SEAN", "Sean", "O’Connor"),
        ("MUXXLLER<<ANNA", "Anna", "Müller"),  # Ü -> UXX
        ("MUELLER<<ANNA", "Anna", "Müller"),  # Ü -> UE
        ("MULLER<<ANNA", "Anna", "Müller"),  # Ü -> U
        ("NUNXXEZ<<ANNA", "Anna", "Núñez"),  # Ñ -> NXX
        ("NUNEZ<<ANNA", "Anna", "Núñez"),  # Ñ -> N
        ("GROSS<<ANNA", "Anna", "Groß"),  # ß -> SS
        ("SMITH<JONES<<ANNA", "Anna", "Smith-Jones"),  # hyphen -> filler
        ("VAN<DER<BERG<<JAN", "Jan", "van der Berg"),
        ("VAN<BERG<<JAN", "Jan", "van Berg"),
        ("DE<VRIES<<JAN<PIETER", "Jan Pieter", "de Vries"),
        ("TER<HORST<<JAN", "Jan", "ter Horst"),
        ("DE<BRUIJN<<WILLEKE<LISELOTTE<JOHANNA", "Willeke Liselotte Johanna", "de Bruijn"),
    ],
)
def test_names_the_mrz_allows_pass_the_guard(name_field, given, surname):
    assert _guard(_mrz_evidence(name_field), given, surname) == []


def test_a_truncated_name_passes_the_guard():
    # 9303 part 4 section 4.2.3.2: the secondary identifier cut to an initial.
    field = "NILAVADHANANANDA<<CHAYAPA<DEJTHAMRONG<K"
    assert _guard(_mrz_evidence(field), "Chayapa Dejthamrong Krasuang", "Nilavadhanananda") == []


def test_a_short_name_is_not_taken_for_a_truncation():
    # The field is not full, so "ANNA" is the whole given name, not a cut "Annabel".
    assert _guard(_mrz_evidence("JANSEN<<ANNA"), "Annabel", "Jansen") == [
        "flow.error.document_differs"
    ]


@pytest.mark.parametrize(
    ("name_field", "given", "surname"),
    [
        ("VAN<DER<BERG<<JAN", "Jan", "Berg"),  # particles left out
        ("VAN<DER<BERG<<JAN", "Jan", "van den Berg"),  # another particle
        ("TER<HORST<<JAN", "Jan", "Horst"),
        ("DE<VRIES<<JAN<PIETER", "Jan", "de Vries"),  # a given name missing
        ("DE<VRIES<<JAN", "Jan Pieter", "de Vries"),  # a given name too many
        ("MILLER<<ANNA", "Anna", "Müller"),  # no 9303-3 rendering of Ü
        ("NUNXEZ<<ANNA", "Anna", "Núñez"),
    ],
)
def test_names_that_differ_block_the_guard(name_field, given, surname):
    assert _guard(_mrz_evidence(name_field), given, surname) == ["flow.error.document_differs"]


def test_the_comparison_held_in_the_state_says_how_it_differs():
    w = Wizard(today=lambda: TODAY)
    w.state.employee = Employee("Jan", "van den Berg", BORN)
    w.state.set_evidence(_mrz_evidence("VAN<DER<BERG<<JAN"))
    comparison = w.state.comparison
    assert comparison is not None and not comparison.matches
    assert [(d.field, d.message_key) for d in comparison.problems] == [
        ("surname", "mrz.compare.particles")
    ]
    # Accepted alternatives are kept as notes: shown, not blocking.
    w.state.employee = Employee("Anna", "Müller", BORN)
    w.state.set_evidence(_mrz_evidence("MUXXLLER<<ANNA"))
    assert w.state.comparison is not None and w.state.comparison.matches
    assert [d.message_key for d in w.state.comparison.notes] == ["mrz.compare.transliteration"]


def test_a_driving_licence_dg1_compares_its_printed_names():
    # An eDL's DG1 (read from the chip) carries names as printed, diacritics included.
    edl = WidEvidence(
        method=CheckMethod.CHIP,
        document_type=DocumentType.DRIVING_LICENCE,
        issuing_country="NLD",
        document_number="5094962111",
        surname="Müller",
        given_names="Daan",
        birth_date=BORN,
        expiry_date=date(2031, 8, 1),
    )
    assert _guard(edl, "Daan", "Mueller") == []
    assert _guard(edl, "Daan", "Muller") == []
    assert _guard(edl, "Daan", "Miller") == ["flow.error.document_differs"]
